"""Watching a training: which of ``train_live``'s chunks to draw. No streamlit here.

The trainer yields every run's history about every ``EVERY`` seconds. Drawing a frame (figures,
serialization, the websocket) costs time the trainer doesn't get, so a frame is drawn only when
the time since the last one is at least ``(1 - share) / share`` times what the last one cost:
drawing then takes at most about ``share`` of the wall time, however slow the machine is.
Between frames the page still gets a cheap progress update for every chunk: that is also where
Streamlit stops a script whose settings a newer change has replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from nnviz.engine.train import History

EVERY = 0.1  # seconds of training between chunks: how soon a newer change can stop this one
SHARE = 0.15  # at most this share of the wall time goes to drawing frames (1/0.85: ≤ 1.18×)
MIN_GAP = 0.15  # and never more than about 6 frames a second
# what one chart of a frame costs the browser to draw (each live frame is a new Plotly chart):
# about 0.1 s on a 2-core machine in software rendering (benchmarks/app_latency.py). Frames
# closer together than that only queue up in the browser and delay the final result.
BROWSER_PER_CHART = 0.1
# trainings estimated shorter than this (s) are not drawn as they train: their result comes about
# as soon as a first frame would, and a frame would add a third to their time
WATCH_AFTER = 0.5

Frame = Sequence[History | None]


@dataclass
class Pacer:
    """Says when the next frame is due, from the cost of the frames drawn so far."""

    share: float = SHARE
    min_gap: float = MIN_GAP
    clock: Callable[[], float] = time.perf_counter
    _next: float = field(default=0.0, init=False)
    drawn: int = field(default=0, init=False)
    drawing: float = field(default=0.0, init=False)  # seconds spent drawing, in total

    def due(self) -> bool:
        return self.clock() >= self._next

    def draw(self, draw: Callable[[], None]) -> None:
        """Run ``draw`` and schedule the next frame after it."""
        start = self.clock()
        draw()
        end = self.clock()
        cost = end - start
        self.drawn += 1
        self.drawing += cost
        self._next = end + max(self.min_gap, cost * (1 - self.share) / self.share)


def pacer_for(charts: int, estimated: float) -> Pacer | None:
    """How to pace the frames (``charts`` charts each) of a training estimated to take
    ``estimated`` s: no sooner than the browser can draw them; None if it is too short to watch."""
    if estimated < WATCH_AFTER:
        return None
    return Pacer(min_gap=max(MIN_GAP, BROWSER_PER_CHART * charts))


def started(frame: Frame, labels: Sequence[str]) -> tuple[list[History], list[str], list[int]]:
    """The runs of a frame whose lockstep group has started (groups train one after another, so
    the others are None), their labels and their places in the experiment (their colours)."""
    places = [i for i, h in enumerate(frame) if h is not None]
    return [frame[i] for i in places], [labels[i] for i in places], places  # type: ignore[misc]


def has_curves(frame: Frame) -> bool:
    """Whether some run of the frame has trained an epoch: at the starting point there is none."""
    return any(h is not None and len(h.epochs) > 1 for h in frame)


def progress(frame: Frame, epochs: int) -> tuple[float, int]:
    """(fraction done, epoch reached): the least advanced run decides; not started = 0."""
    reached = [int(h.epochs[-1]) if h is not None and len(h.epochs) else 0 for h in frame]
    epoch = min(reached) if reached else 0
    return (min(epoch / epochs, 1.0) if epochs else 1.0), epoch


def watch(
    frames: Iterator[list[History | None]],
    draw: Callable[[Frame], None] | None,
    tick: Callable[[Frame], None],
    pacer: Pacer | None = None,
    first: bool = False,
) -> list[History]:
    """Consume ``train_live``'s frames: ``tick`` each, ``draw`` the due ones; return the last.
    ``draw`` None: no frame is drawn (a training too short to watch, see ``pacer_for``).

    ``first``: the frames start with the starting point (``train_live(..., first=True)``), never
    the last frame, so it is drawn at once, before any training.

    The last frame is complete (it equals ``train``'s result) and is returned, not drawn: the
    caller draws and stores the final result. Whatever ``draw`` or ``tick`` raise (Streamlit's
    rerun when a newer change arrives) propagates, and the generator is closed on the way out, so
    the superseded training stops at once and nothing of it is kept.
    """
    pacer = pacer or Pacer()
    last: list[History | None] | None = None
    try:
        if first:
            start = next(frames)
            if draw is not None:
                pacer.draw(lambda: draw(start))
        for frame in frames:
            if last is not None:  # every frame but the final one
                tick(last)
                if draw is not None and pacer.due():
                    pacer.draw(lambda f=last: draw(f))
            last = frame
    finally:
        frames.close()
    if last is None or any(h is None for h in last):
        raise RuntimeError("train_live ended without a complete result")
    return last  # type: ignore[return-value]
