"""The lab's fair race: "tune α per optimizer", then race them (one panel, ``panel``).

Widgets, layout, cache calls and calls into nnviz only. Off until its switch (``toggle``) is on
(it trains 64 runs):
the lab's first run with each optimizer at every α of a log grid (nnviz.engine.tune), the α of
each chosen by one criterion, the four chosen runs drawn as the race, beside each optimizer's
final cost against α, and a link that opens the race in the lab.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st

from app_pages.parts import charts
from app_pages.server import training_turns  # the server's one queue of trainings
from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.sweep import GROUP_SIZE
from nnviz.engine.tune import CRITERIA, GRID, Tuning, race, tune
from nnviz.models import lab_model as lab
from nnviz.models.formulas import fmt
from nnviz.views.curves import cost_figure
from nnviz.views.figures import PLOT_CONFIG
from nnviz.views.playground_panels import tuning_figure

MAX_TUNE_SECONDS = 60.0
RUNS = len(OPTIMIZERS) * len(GRID)


@st.cache_resource(max_entries=8, show_spinner=False)
def tuned(exp: Experiment, criterion: str, tol: float, _data: Dataset) -> dict[str, Tuning]:
    """Keyed by the experiment (an uploaded CSV by its digest), so ``_data`` is its data; trained
    in its turn among the lab's trainings (only when not cached)."""
    with training_turns().turn():
        return tune(exp, criterion, tol, data=_data)


def too_long(exp: Experiment, data: Dataset) -> str | None:
    chunk = exp.with_runs(*[exp.runs[0]] * GROUP_SIZE)
    seconds = math.ceil(RUNS / GROUP_SIZE) * lab.estimated_seconds(chunk, data.X_train.shape[1])
    if seconds <= MAX_TUNE_SECONDS:
        return None
    return (
        f"Tuning would train {RUNS} runs for about {seconds:,.0f} s; the lab tunes up to about "
        f"{MAX_TUNE_SECONDS:.0f} s: lower the epochs or the samples, or raise the batch size."
    )


def label(t: Tuning) -> str:
    return f"{OPTIMIZERS[t.name].title}, α {fmt(t.best)}"


def table(tunings: dict[str, Tuning], tol: float) -> list[dict[str, str]]:
    rows = []
    for t in tunings.values():
        k = t.index
        reach = t.reach[k]
        rows.append(
            {
                "optimizer": OPTIMIZERS[t.name].title,
                "α chosen": fmt(t.best),
                "chosen by": CRITERIA[t.criterion],
                "final J": f"{t.final[k]:.4f}" if math.isfinite(t.final[k]) else "diverged",
                f"first epoch J < {fmt(tol)}": f"{reach:.0f}" if math.isfinite(reach) else "never",
                "α diverged": f"{int(t.diverged.sum())} of {len(t.lrs)}",
            }
        )
    return rows


def toggle() -> bool:
    """The panel's switch, in the lab's row of switches."""
    return st.toggle(
        "Fair race: α tuned per optimizer",
        key="race_on",
        help=f"Trains run 1 with every optimizer at {len(GRID)} learning rates, then races them",
    )


def panel(exp: Experiment, data: Dataset) -> None:
    st.subheader("A fair race: α tuned per optimizer")
    st.caption(
        f"Racing optimizers at one α compares the α, not the optimizers. This trains run 1 with "
        f"each optimizer at each of {len(GRID)} learning rates ({fmt(GRID[0])} to {fmt(GRID[-1])}, "
        f"{RUNS} runs in lockstep), chooses each one's α by the same criterion, and races them."
    )
    left, right = st.columns(2)
    criterion = left.radio(
        "Criterion", list(CRITERIA), key="race_criterion", format_func=CRITERIA.get, horizontal=True
    )
    tol = right.number_input(
        "Tolerance on J",
        min_value=1e-6,
        value=0.3,
        format="%g",
        key="race_tol",
        disabled=criterion != "reach",
    )
    reason = too_long(exp, data)
    if reason:
        st.warning(reason)
        return
    with st.spinner(f"Training {RUNS} runs (in turn with the server's other trainings)…",
                    show_time=True):  # fmt: skip
        tunings = tuned(exp, criterion, float(tol), data)
    histories = [t.history for t in tunings.values()]
    labels = [label(t) for t in tunings.values()]
    st.table(table(tunings, float(tol)))
    cost, scan = st.columns(2, gap="medium")
    charts.plot(cost, cost_figure(histories, labels, log_y=True), "race_cost", PLOT_CONFIG)
    charts.plot(scan, tuning_figure(tunings, "training cost J"), "race_scan", PLOT_CONFIG)
    query = urlencode(lab.url_params(race(exp, tunings)))
    st.link_button(
        "Open this race in the lab",
        f"./?{query}",
        icon=":material/open_in_new:",
        help="In a new tab: the four tuned runs as the lab's runs.",
    )
