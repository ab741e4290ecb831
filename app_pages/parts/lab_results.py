"""The lab's results: trained once per server (``server.trained``), watched while they train,
replayed.

Streamlit, caches and placeholders only; what to draw when is nnviz.models.live, the figures are
nnviz.views.figures. The page (app_pages/lab.py) lays out the places (``Slots``) first, with every
widget, then shows the result: a stored experiment is drawn at once; otherwise it trains here, its
boundaries and curves redrawn between chunks of epochs. A newer change reruns the script, which
Streamlit stops at this run's next st call (a progress tick every ``live.EVERY`` s of training):
the superseded training is closed and nothing of it is kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app_pages.parts import charts
from app_pages.server import trained, training_turns
from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.train import History, train_live
from nnviz.models import lab_model as lab
from nnviz.models import live
from nnviz.models.lab_model import Partial, Result
from nnviz.views import figures
from nnviz.views.curves import accuracy_figure, cost_figure, wants_log

LIVE_GRID = 48  # boundary resolution while training: cheaper frames, the final one is finer
STOP_AFTER = 2.0  # trainings estimated longer than this (s) offer a Stop button
REPLAY_FRAME = 0.25  # seconds per replay frame
CURVES_HEIGHT = 340  # px; the boundaries above them are as high as the window allows (lab.py)


@dataclass
class View:
    """How the page shows results: display options, never part of the cache key of training."""

    show_test: bool
    log_cost: bool | None  # None: logarithmic when the costs span decades (curves.wants_log)
    big: bool  # presentation mode: larger text


def stored(exp: Experiment) -> Result | None:
    """The result of ``exp`` if this server has trained it (for any session), else None."""
    return trained("lab").get(exp)


@st.cache_resource(max_entries=16, show_spinner=False)
def final_figures(exp: Experiment, show_test: bool, big: bool, _result: Result) -> dict[str, Any]:
    """Every figure of a finished experiment (``_result``, stored under ``exp``: the key is
    ``exp``), built once and shared read-only across sessions."""
    return result_figures(exp, _result, View(show_test, False, big))


def result_figures(exp: Experiment, result: Result, view: View) -> dict[str, Any]:
    data, histories = result.data, result.histories
    labels = lab.run_labels(exp)
    out: dict[str, Any] = {
        "cost": cost_figure(histories, labels, log_y=False),
        "cost_log": cost_figure(histories, labels, log_y=True),
        "accuracy": accuracy_figure(histories, labels),
    }
    for fig in out.values():
        fig.update_layout(height=CURVES_HEIGHT)
    if view.big:
        out = {name: figures.enlarged(fig) for name, fig in out.items()}
    out["log_auto"] = wants_log(histories)
    out["boundaries"] = boundaries(histories, data, labels, view.show_test, view.big)
    return out


def boundaries(
    histories: Sequence[History | None],
    data: Dataset,
    labels: Sequence[str],
    show_test: bool,
    big: bool,
    upto: int | None = None,
    resolution: int = figures.GRID,
) -> list[Any]:
    return [
        None
        if h is None
        else figures.boundary_figure(
            h, data, label, i, resolution, show_test=show_test, upto=upto, height=None, big=big
        )
        for i, (h, label) in enumerate(zip(histories, labels))
    ]


# --- where results go -----------------------------------------------------------------------


class Slot:
    """A place on the page whose chart is replaced, frame after frame, where it stands.

    The first chart of a script run goes into the (re-sent) container, whose old chart Streamlit
    keeps on screen until then: the previous result stays until the new one has a frame, and
    nothing jumps. Every later chart replaces that one in place (the element it returned).
    """

    def __init__(self, box: Any):
        self.box, self.element = box, None

    def chart(self, fig: Any, key: str, alt: str | None = None) -> None:
        if self.element is None:
            self.element = self.box.empty()
        charts.draw(self.element, fig, key, figures.PLOT_CONFIG, alt)


@dataclass
class Slots:
    """The places laid out by the page, filled here."""

    progress: Any  # st.empty: the progress bar and Stop while training, the replay's epoch
    boundaries: list[Slot]
    scrubber: Any  # st.empty: Replay and the epoch slider, once there is a result
    cost: Slot
    accuracy: Slot
    status: Any  # st.empty: one caption
    after: Any  # a container: the lesson, the table, the downloads, the formulas


def draw_result(
    exp: Experiment,
    result: Result,
    view: View,
    slots: Slots,
    upto: int | None = None,
    stored: bool = True,
) -> None:
    """A stored result (its figures cached), or a stopped training's (``stored=False``)."""
    key = (view.show_test, view.big)
    figs = final_figures(exp, *key, result) if stored else result_figures(exp, result, view)
    labels = lab.run_labels(exp)
    shown = figs["boundaries"]
    if upto is not None:  # the scrubber is off the last epoch: the boundaries at that snapshot
        shown = boundaries(result.histories, result.data, labels, view.show_test, view.big, upto)
    for i, (slot, fig) in enumerate(zip(slots.boundaries, shown)):
        slot.chart(fig, f"boundary_{i}", alt=f"run {i + 1}: {labels[i]}")
    log = figs["log_auto"] if view.log_cost is None else view.log_cost
    slots.cost.chart(figs["cost_log" if log else "cost"], "cost")
    slots.accuracy.chart(figs["accuracy"], "accuracy")


def draw_frame(
    exp: Experiment, data: Dataset, frame: live.Frame, view: View, slots: Slots, n: int
) -> None:
    """One frame of a training in progress (keys carry the frame number: each must be unique)."""
    labels = lab.run_labels(exp)
    grids = boundaries(frame, data, labels, view.show_test, view.big, None, LIVE_GRID)
    for i, (slot, fig) in enumerate(zip(slots.boundaries, grids)):
        if fig is not None:
            slot.chart(fig, f"boundary_{i}_live{n}")
    done, shown, places = live.started(frame, labels)
    if not live.has_curves(done):  # the starting point: no curve to draw yet
        return
    cost = cost_figure(done, shown, view.log_cost, places)
    cost.update_xaxes(range=[0, exp.runs[0].epochs])  # a fixed frame while the curves grow
    cost.update_layout(height=CURVES_HEIGHT)
    slots.cost.chart(figures.enlarged(cost) if view.big else cost, f"cost_live{n}")


# --- training --------------------------------------------------------------------------------


def train_watched(exp: Experiment, data: Dataset, view: View, slots: Slots) -> Result:
    """Train ``exp``, redrawing as it goes; store and return the result (once per server)."""

    def other_session(seconds: float) -> None:  # another session trains these settings now
        slots.progress.caption(f"Another session is training these settings… {seconds:.0f} s")

    def in_turn() -> Result:
        with training_turns().turn(lambda ahead: _wait(slots, ahead)):
            return Result(data, _train(exp, data, view, slots))

    return trained("lab").once(exp, in_turn, other_session)


def _wait(slots: Slots, ahead: int) -> None:
    slots.progress.caption(f"Waiting for the server: {ahead} training(s) ahead of this one…")


def _train(exp: Experiment, data: Dataset, view: View, slots: Slots) -> tuple[History, ...]:
    epochs = exp.runs[0].epochs
    estimate = lab.estimated_seconds(exp, data.X_train.shape[1])
    long = estimate > STOP_AFTER
    with slots.progress.container():
        bar = st.progress(0.0, text=f"Training {len(exp.runs)} runs…")
        if long:
            st.button("Stop", key="stop", icon=":material/stop:", on_click=stop, args=(exp,))
    start = time.perf_counter()
    frames = train_live(data, exp.runs, exp.seed, exp.log_every, every=live.EVERY, first=True)
    count = iter(range(1, 10**9))

    def tick(frame: live.Frame) -> None:
        fraction, epoch = live.progress(frame, epochs)
        st.session_state.partial = Partial(exp, data, tuple(frame))  # what Stop keeps
        seconds = time.perf_counter() - start
        bar.progress(fraction, text=f"Training: epoch {epoch:,} of {epochs:,} · {seconds:.1f} s")

    def draw(frame: live.Frame) -> None:
        draw_frame(exp, data, frame, view, slots, next(count))

    pacer = live.pacer_for(len(exp.runs) + 1, estimate)  # the boundaries and the cost chart
    histories = live.watch(frames, draw if pacer else None, tick, pacer, first=True)
    st.session_state.pop("partial", None)
    slots.progress.empty()
    return tuple(histories)


def stop(exp: Experiment) -> None:
    """Callback of Stop: keep what the training reached; it is shown, not stored."""
    partial = st.session_state.get("partial")
    stopped = partial.stopped() if partial and partial.exp == exp else None
    if stopped:
        st.session_state.stopped = stopped


def replay(
    exp: Experiment, result: Result, view: View, slots: Slots, epochs: Sequence[int]
) -> None:
    """Every run's boundary, epoch after epoch, from the snapshots: an animation, no training."""
    data, histories = result.data, result.histories
    labels = lab.run_labels(exp)
    bar = slots.progress.progress(0.0, text="Replay")
    for n, epoch in enumerate(epochs):
        start = time.perf_counter()
        bar.progress((n + 1) / len(epochs), text=f"Replay: epoch {int(epoch):,}")
        figs = boundaries(histories, data, labels, view.show_test, view.big, epoch)
        for i, (slot, fig) in enumerate(zip(slots.boundaries, figs)):
            slot.chart(fig, f"boundary_{i}_replay{n}")
        time.sleep(max(0.0, REPLAY_FRAME - (time.perf_counter() - start)))
    slots.progress.empty()
