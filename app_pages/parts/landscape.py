"""The loss landscape: a panel of the lab (docs/design.md §7).

``toggle()`` is its switch in the lab's row of switches, ``panel(exp, data, histories, labels,
epoch)`` the section shown when it is on: a slice of the training cost J through one run's final
weights, every run's path drawn on it, each run marked at the epoch of the lab's scrubber. Widgets,
layout and cache calls only: the numbers come from nnviz.engine.landscape, the chart from
nnviz.views.landscape_figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app_pages.parts import charts
from nnviz.engine.config import MAX_SEED, Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.history import History
from nnviz.engine.landscape import DIRECTIONS, GRID, Landscape, landscape
from nnviz.views.figures import PLOT_CONFIG
from nnviz.views.landscape_figures import landscape_figure


@st.cache_data(max_entries=16, show_spinner=False)
def _slice(
    key: tuple, centre: int, directions: str, seed: int, _histories: list, _data: Dataset
) -> Landscape:
    """Keyed by the experiment (a CSV by its digest) and how far its runs trained (``key``)."""
    return landscape(_histories, _data, centre, directions, seed)


def _key(exp: Experiment, histories: Sequence[History]) -> tuple:
    """A stopped training hands over shorter histories: their last snapshots tell them apart."""
    return (exp, tuple(int(h.snapshot_epochs[-1]) for h in histories))


def toggle() -> bool:
    """The panel's switch, in the lab's row of switches."""
    return st.toggle(
        "Loss landscape",
        key="landscape_show",
        help="J on a plane through one run's final weights, every run's path drawn on it",
    )


def controls(labels: Sequence[str]) -> tuple[int, str, int]:
    """The centre run, the directions and (random) their seed."""
    left, middle, right = st.columns([3, 4, 2], vertical_alignment="bottom")
    if st.session_state.get("landscape_run") not in range(len(labels)):  # a run was removed
        st.session_state.landscape_run = 0
    centre = left.selectbox(
        "Centre on the final weights of",
        range(len(labels)),
        key="landscape_run",
        format_func=lambda k: f"{k + 1}: {labels[k]}",
        help="J includes this run's L2 term: switch runs to see λ reshape the surface",
    )
    directions = middle.segmented_control(
        "Directions",
        list(DIRECTIONS),
        key="landscape_directions",
        default=next(iter(DIRECTIONS)),
        format_func=DIRECTIONS.get,
        help="PCA: the plane the runs moved in most. Random: Li et al.'s filter-normalised slice",
    )
    seed = right.number_input(
        "Seed of the directions",
        min_value=0,
        max_value=MAX_SEED,
        value=0,
        step=1,
        key="landscape_seed",
        disabled=directions == "pca",
    )
    return int(centre), directions or next(iter(DIRECTIONS)), int(seed)


@st.fragment  # its own controls redraw only this section; the scrubber reruns the page
def panel(exp: Experiment, data: Dataset, histories: list, labels: list, epoch=None) -> None:
    """The lab's "Loss landscape" section; ``epoch`` from the lab's scrubber (None: the end)."""
    st.subheader("Loss landscape")
    centre, directions, seed = controls(labels)
    try:
        with st.spinner(f"Evaluating J at {GRID * GRID:,} points…"):
            land = _slice(_key(exp, histories), centre, directions, seed, list(histories), data)
    except ValueError as e:  # the runs' networks differ (a lesson may give each its own)
        st.info(f"No shared slice: {e}.")
        return
    charts.plot(st, landscape_figure(land, labels, epoch), "landscape_map", PLOT_CONFIG)
    st.caption(_caption(land, epoch))


def _caption(land: Landscape, epoch: int | None) -> str:
    at = "the end" if epoch is None else f"epoch {epoch:,}"
    text = (
        f"f(α, β) = J(θ* + α d₁ + β d₂) on the training set at {GRID} × {GRID} points, θ* the "
        f"centre run's final weights; J includes its L2 term (λ = {land.lambd:g}). Lines: each "
        f"run's snapshots, placed at the nearest point of the plane (least squares); dots: where "
        f"each run is at {at} (the scrubber under the boundaries); circles: where it started. "
    )
    if land.explained is None:
        return text + (
            "Random directions, filter-normalised: each unit's incoming weights in d₁ and d₂ "
            "are as long as θ*'s, so α = 1 is a step the size of the weights. A random plane "
            "catches little of a path (hovering a path says how much is off the plane): the "
            "paths show best on the principal directions."
        )
    return text + (
        "d₁ and d₂ are the two directions along which all runs' snapshots move most (PCA of "
        "θₜ − θ*; the axis titles give the share of that motion each explains)."
    )
