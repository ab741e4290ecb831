"""The lab's results: trained once (cached for everyone), watched while they train, replayed.

Streamlit, caches and placeholders only; what to draw when is nnviz.models.live, the figures are
nnviz.views.figures. The page (app_pages/lab.py) lays out the places (``Slots``) first, with every
widget, then calls ``show``: a cached experiment is drawn at once; otherwise it trains here, its
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
from app_pages.server import training_locks, training_turns
from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.train import History, train_live
from nnviz.models import lab_model as lab
from nnviz.models import live
from nnviz.views import figures
from nnviz.views.curves import accuracy_figure, cost_figure, wants_log

LIVE_GRID = 48  # boundary resolution while training: cheaper frames, the final one is finer
STOP_AFTER = 2.0  # trainings estimated longer than this (s) offer a Stop button
REPLAY_FRAME = 0.25  # seconds per replay frame
CURVES_HEIGHT = 340  # px: the learning curves stay in the first screen at 1920×1080
Result = tuple[Dataset, list[History]]


class NotTrained(LookupError):
    """``finished`` has nothing stored for this experiment (yet)."""


@dataclass
class View:
    """How the page shows results: display options, never part of the cache key of training."""

    show_test: bool
    log_cost: bool | None  # None: logarithmic when the costs span decades (curves.wants_log)
    big: bool
    height: int


@st.cache_data(max_entries=32, show_spinner=False)
def finished(exp: Experiment, _result: Result | None = None) -> Result:
    """The stored result of ``exp``, shared by every session of this server.

    Called without ``_result``, it looks up: NotTrained if nothing is stored (Streamlit never
    caches an exception). Called with the result of a finished training, it stores it (the
    leading underscore keeps it out of the key, so the key is the frozen Experiment alone, which
    names an uploaded CSV by its digest).
    """
    if _result is None:
        raise NotTrained
    return _result


def stored(exp: Experiment) -> Result | None:
    try:
        return finished(exp)
    except NotTrained:
        return None


@st.cache_resource(max_entries=16, show_spinner=False)
def final_figures(exp: Experiment, show_test: bool, big: bool, height: int) -> dict[str, Any]:
    """Every figure of a finished experiment, built once and shared read-only across sessions."""
    return result_figures(exp, finished(exp), View(show_test, False, big, height))


def result_figures(exp: Experiment, result: Result, view: View) -> dict[str, Any]:
    data, histories = result
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
    out["boundaries"] = boundaries(histories, data, labels, view.show_test, view.big, view.height)
    return out


def boundaries(
    histories: Sequence[History | None],
    data: Dataset,
    labels: Sequence[str],
    show_test: bool,
    big: bool,
    height: int,
    upto: int | None = None,
    resolution: int = figures.GRID,
) -> list[Any]:
    return [
        None
        if h is None
        else figures.boundary_figure(
            h, data, label, i, resolution, show_test=show_test, upto=upto, height=height, big=big
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
    exp: Experiment, view: View, slots: Slots, upto: int | None = None, result: Result | None = None
) -> None:
    """A finished experiment (cached figures), or ``result`` (a stopped training's, not stored)."""
    key = (view.show_test, view.big, view.height)
    figs = final_figures(exp, *key) if result is None else result_figures(exp, result, view)
    labels = lab.run_labels(exp)
    shown = figs["boundaries"]
    if upto is not None:  # the scrubber is off the last epoch: the boundaries at that snapshot
        data, histories = result or finished(exp)
        shown = boundaries(histories, data, labels, view.show_test, view.big, view.height, upto)
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
    grids = boundaries(frame, data, labels, view.show_test, view.big, view.height, None, LIVE_GRID)
    for i, (slot, fig) in enumerate(zip(slots.boundaries, grids)):
        if fig is not None:
            slot.chart(fig, f"boundary_{i}_live{n}")
    done = [h for h in frame if h is not None]
    if not live.has_curves(done):  # the starting point: no curve to draw yet
        return
    cost = cost_figure(done, labels[: len(done)], log_y=view.log_cost)
    cost.update_xaxes(range=[0, exp.runs[0].epochs])  # a fixed frame while the curves grow
    cost.update_layout(height=CURVES_HEIGHT)
    slots.cost.chart(figures.enlarged(cost) if view.big else cost, f"cost_live{n}")


# --- training --------------------------------------------------------------------------------


def train_watched(exp: Experiment, data: Dataset, view: View, slots: Slots) -> Result:
    """Train ``exp``, redrawing as it goes; store and return the result (once per server)."""
    lock = training_locks().lock(exp)
    waited = 0.0
    while not lock.acquire(timeout=0.25):  # another session trains this experiment right now
        waited += 0.25
        slots.progress.caption(f"Another session is training these settings… {waited:.0f} s")
    try:
        result = stored(exp)  # it may have finished while we waited
        if result is None:
            with training_turns().turn(lambda ahead: _wait(slots, ahead)):
                result = data, _train(exp, data, view, slots)
            finished(exp, result)
        return result
    finally:
        lock.release()


def _wait(slots: Slots, ahead: int) -> None:
    slots.progress.caption(f"Waiting for the server: {ahead} training(s) ahead of this one…")


def _train(exp: Experiment, data: Dataset, view: View, slots: Slots) -> list[History]:
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
        st.session_state.partial = (exp, data, list(frame))  # what Stop keeps
        seconds = time.perf_counter() - start
        bar.progress(fraction, text=f"Training: epoch {epoch:,} of {epochs:,} · {seconds:.1f} s")

    def draw(frame: live.Frame) -> None:
        draw_frame(exp, data, frame, view, slots, next(count))

    pacer = live.pacer_for(len(exp.runs) + 1, estimate)  # the boundaries and the cost chart
    histories = live.watch(frames, draw if pacer else None, tick, pacer, first=True)
    st.session_state.pop("partial", None)
    slots.progress.empty()
    return histories


def stop(exp: Experiment) -> None:
    """Callback of Stop: keep what the training reached; it is shown, not stored."""
    partial = st.session_state.get("partial")
    if partial and partial[0] == exp and all(h is not None for h in partial[2]):
        st.session_state.stopped = partial


def replay(exp: Experiment, view: View, slots: Slots, epochs: Sequence[int]) -> None:
    """Every run's boundary, epoch after epoch, from the snapshots: an animation, no training."""
    data, histories = finished(exp)
    labels = lab.run_labels(exp)
    bar = slots.progress.progress(0.0, text="Replay")
    for n, epoch in enumerate(epochs):
        start = time.perf_counter()
        bar.progress((n + 1) / len(epochs), text=f"Replay: epoch {int(epoch):,}")
        figs = boundaries(histories, data, labels, view.show_test, view.big, view.height, epoch)
        for i, (slot, fig) in enumerate(zip(slots.boundaries, figs)):
            slot.chart(fig, f"boundary_{i}_replay{n}")
        time.sleep(max(0.0, REPLAY_FRAME - (time.perf_counter() - start)))
    slots.progress.empty()
