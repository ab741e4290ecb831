"""Inside the network: a panel of the lab, for one run at one epoch.

``toggle(exp)`` is its switch in the lab's row of switches, ``panel(exp, data, histories, labels,
epoch)`` the section shown when it is on. The epoch comes from the
lab's replay scrubber when it passes one; otherwise a slider over the snapshot epochs is shown
here. Widgets, layout and cache calls only: the numbers come from nnviz.engine.inspect, the charts
from nnviz.views.network_figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app_pages.parts import charts, gradient_check
from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.history import History
from nnviz.engine.inspect import (
    NEAR_ZERO,
    Inside,
    Inspection,
    inside,
    inspect,
    layer_stats,
    near_zero_share,
)
from nnviz.engine.lessons import LESSONS
from nnviz.views import layer_figures as lf
from nnviz.views import network_figures as nf
from nnviz.views.figures import PLOT_CONFIG

LINKS = {"W": "W", "dW": "dW"}


# --- cached work: keyed by the experiment, the run and how far it has trained -----------------


def _key(exp: Experiment, run: int, h: History) -> tuple:
    """Live training hands over growing histories: the last snapshot tells them apart."""
    return (exp, run, len(h.snapshot_epochs), int(h.snapshot_epochs[-1]))


@st.cache_resource(max_entries=32, show_spinner=False)
def _inspection(key: tuple, _h: History, _data: Dataset) -> Inspection:
    return inspect(_h, _data)


@st.cache_resource(max_entries=64, show_spinner=False)
def _view(key: tuple, epoch: int, _h: History, _data: Dataset) -> Inside:
    return inside(_h, _data, epoch)


@st.cache_resource(max_entries=64, show_spinner=False)
def _figures(key: tuple, epoch: int, links: str, _view: Inside, _ins: Inspection) -> dict:
    return {
        "network": nf.network_figure(_view, links),
        "maps": nf.unit_maps_figure(_view) if _view.maps else None,
        "norms": lf.norms_figure(_ins, _view.epoch),
    }


@st.cache_resource(max_entries=64, show_spinner=False)
def _activations(keys: tuple, epoch: int, labels: tuple, _views: list[Inside]):
    return lf.activations_figure(_views, labels)


# --- widgets ------------------------------------------------------------------------------------


def unit_options(view: Inside) -> list[tuple[int, int]]:
    return [(l, i) for l, A in enumerate(view.A, 1) for i in range(1, len(A) + 1)]


def _on_node_click() -> None:
    """A click on a hidden unit of the diagram shows its map large."""
    points = charts.clicked("inside_network")
    if points and points[0].get("customdata", [-1])[0] > 0:
        st.session_state.inside_unit = tuple(int(v) for v in points[0]["customdata"])


def controls(labels: Sequence[str], histories: Sequence[History], epoch: int | None):
    """Run, W or dW, and (without the lab's scrubber) the epoch: returns (run, links, epoch)."""
    left, middle, right = st.columns([3, 2, 4], vertical_alignment="bottom")
    if st.session_state.get("inside_run") not in range(len(labels)):  # a run was removed
        st.session_state.inside_run = 0
    run = left.selectbox(
        "Run", range(len(labels)), key="inside_run", format_func=lambda k: f"{k + 1}: {labels[k]}"
    )
    links = middle.segmented_control(
        "Links: weights or gradients",
        list(LINKS),
        key="inside_links",
        default="W",
        format_func=LINKS.get,
    )
    if epoch is None:
        epochs = [int(e) for e in histories[run].snapshot_epochs]
        if st.session_state.get("inside_epoch") not in epochs:
            st.session_state.inside_epoch = epochs[-1]
        epoch = right.select_slider(
            "Epoch (snapshots saved while training)", epochs, key="inside_epoch"
        )
    return run, links or "W", int(epoch)


OPENS_INSIDE = ("deep_initialization", "l1_or_l2")  # lessons about this panel


def _show_by_default(exp: Experiment) -> None:
    """The lessons OPENS_INSIDE are about this panel: open it when one of them is loaded."""
    lessons = [LESSONS[key].experiment for key in OPENS_INSIDE if key in LESSONS]
    if exp in lessons and st.session_state.get("inside_opened") != exp:
        st.session_state.inside_show = True
        st.session_state.inside_opened = exp


# --- the panel ----------------------------------------------------------------------------------


def toggle(exp: Experiment) -> bool:
    """The panel's switch (in the lab's row of switches); on by itself for the deep lesson."""
    _show_by_default(exp)
    return st.toggle(
        "Inside the network",
        key="inside_show",
        help="Each layer: links, unit maps, activations, weight and gradient norms",
    )


def panel(
    exp: Experiment,
    data: Dataset,
    histories: Sequence[History],
    labels: Sequence[str],
    epoch: int | None = None,
) -> None:
    """The lab's "Inside the network" section; ``epoch`` from the lab's scrubber if it has one."""
    st.subheader("Inside the network")
    _body(exp, data, list(histories), list(labels), epoch)


@st.fragment
def _body(exp, data, histories, labels, epoch) -> None:
    scrubbed = epoch is not None
    run, links, epoch = controls(labels, histories, epoch)
    h = histories[run]
    key = _key(exp, run, h)
    view = _view(key, epoch, h, data)
    ins = _inspection(key, h, data)
    figs = _figures(key, view.epoch, links, view, ins)
    st.caption(_caption(h, view, epoch, scrubbed))
    diagram, large = st.columns([3, 2], gap="medium")
    charts.plot(diagram, figs["network"], "inside_network", PLOT_CONFIG, on_click=_on_node_click)
    with large:
        unit_map(view, data)
    if figs["maps"] is not None:
        st.markdown("**Every hidden unit's output over the input plane** (x₁ across, x₂ up)")
        charts.plot(st, figs["maps"], "inside_maps", PLOT_CONFIG)
    keys = tuple(_key(exp, k, g) for k, g in enumerate(histories))
    views = [_view(k, view.epoch, g, data) for k, g in zip(keys, histories)]
    acts = _activations(keys, view.epoch, tuple(labels), views)
    st.markdown("**Activations a[l] over the training set**, layer by layer, every run")
    # no mode bar: it would cover the last column's title, and there is nothing to zoom into
    charts.plot(st, acts, "inside_acts", {**PLOT_CONFIG, "displayModeBar": False})
    charts.plot(st, figs["norms"], "inside_norms", PLOT_CONFIG)
    weights(keys, view.epoch, labels, views)
    stats_table(view)
    gradient_check.section(key, h, data, view.epoch)


def _caption(h: History, view: Inside, asked: int, scrubbed: bool) -> str:
    text = f"Run at epoch {view.epoch:,}, from the snapshot saved then"
    if scrubbed:
        text += " (the epoch of the scrubber under the boundaries)"
    if view.epoch != asked:
        text += f" (the last one at or before epoch {asked:,})"
    if h.diverged_at is not None:
        text += f"; it diverged at epoch {h.diverged_at:,}, so this is its last finite state"
    return text + ". Gradients dW are those of the cost J on the whole training set, no dropout."


def unit_map(view: Inside, data: Dataset) -> None:
    options = unit_options(view)
    if not options:
        st.info("This run has no hidden layer: the input goes straight to the output unit.")
        return
    if st.session_state.get("inside_unit") not in options:
        st.session_state.inside_unit = options[0]
    unit = st.selectbox(
        "Unit shown large (or click one in the diagram)",
        options,
        key="inside_unit",
        format_func=lambda o: f"layer {o[0]}, unit {o[1]}",
    )
    charts.plot(st, nf.unit_map_figure(view, data, *unit), "inside_unit_map", PLOT_CONFIG)


@st.cache_resource(max_entries=64, show_spinner=False)
def _weights(keys: tuple, epoch: int, labels: tuple, _views: list[Inside]):
    return lf.weights_figure(_views, labels)


def weights(keys: tuple, epoch: int, labels: Sequence[str], views: list[Inside]) -> None:
    """Every run's weight sizes, and the share each has at about 0 (L1's mark; L2 shrinks all)."""
    charts.plot(st, _weights(keys, epoch, tuple(labels), views), "inside_weights", PLOT_CONFIG)
    shares = "; ".join(
        f"{label}: **{100 * near_zero_share(v):.0f}%**" for label, v in zip(labels, views)
    )
    st.caption(f"Weights with |W| < {NEAR_ZERO:g}, per run: {shares}.")


def stats_table(view: Inside) -> None:
    rows = layer_stats(view)
    if not rows:
        return
    sat = view.activation != "relu"
    st.table(
        {
            "layer": [r["layer"] for r in rows],
            "spread σ of a": [f"{r['spread']:.2g}" for r in rows],
            **(
                {"saturated (|a| > 0.99)": [f"{100 * r['saturated']:.0f}%" for r in rows]}
                if sat
                else {}
            ),
            "units differ by (max)": [f"{r['unit_spread']:.2g}" for r in rows],
            "‖W[l]‖": [f"{r['W_norm']:.3g}" for r in rows],
            "‖dW[l]‖": [f"{r['dW_norm']:.3g}" for r in rows],
        }
    )
