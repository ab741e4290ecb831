"""Learning-rate decay: how α shrinks as training goes on (the course's 2021 optimization notebook).

Every schedule is a closed form f(α₀, e, decay_rate, time_interval) of the 0-based epoch index e:

    constant    α = α₀
    inverse     α = α₀ / (1 + decay_rate · e)                      the course's update_lr
    scheduled   α = α₀ / (1 + decay_rate · ⌊e / time_interval⌋)    the course's schedule_lr_decay

As in the notebook, α is updated after each epoch: after the updates of epoch e, α ← f(e). So the
first two epochs both train with α₀ (f(0) = α₀ for every schedule), and after n full passes the α in
effect is f(n − 1) — ``lr_after`` below. The arguments may be floats or (R, 1) columns with one row
per run, so one call gives every run of a lockstep group its own α.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

Number = float | np.ndarray


def constant(lr0: Number, e: Number, decay_rate: Number, interval: Number) -> Number:
    """α = α₀: no decay."""
    return lr0 + 0 * e  # the shape of the other schedules', so the three broadcast alike


def inverse(lr0: Number, e: Number, decay_rate: Number, interval: Number) -> Number:
    """α = α₀ / (1 + decay_rate · e): a little smaller after every epoch."""
    return lr0 / (1 + decay_rate * e)


def scheduled(lr0: Number, e: Number, decay_rate: Number, interval: Number) -> Number:
    """α = α₀ / (1 + decay_rate · ⌊e / time_interval⌋): a step down every time_interval epochs."""
    return lr0 / (1 + decay_rate * (e // interval))  # // on floats is an exact floor


class Schedule(NamedTuple):
    """A decay rule, with what the UI needs to show it."""

    name: str
    title: str
    alpha: Callable[[Number, Number, Number, Number], Number]  # f(α₀, e, decay_rate, interval)
    formula: str  # LaTeX
    text: str  # the same in plain text, for the CLI and tooltips
    describe: str  # one line for a learner
    uses: frozenset[str]  # which of decay_rate, decay_interval the rule reads


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule(
        "constant",
        "Constant",
        constant,
        r"\alpha = \alpha_0",
        "α = α₀",
        "α stays α₀ for the whole training.",
        frozenset(),
    ),
    "inverse": Schedule(
        "inverse",
        "Inverse (every epoch)",
        inverse,
        r"\alpha = \dfrac{\alpha_0}{1 + \text{decay\_rate} \cdot e}",
        "α = α₀ / (1 + decay_rate · epoch)",
        "α shrinks after every epoch; with many epochs it soon becomes too small to learn.",
        frozenset({"decay_rate"}),
    ),
    "scheduled": Schedule(
        "scheduled",
        "Scheduled (steps)",
        scheduled,
        r"\alpha = \dfrac{\alpha_0}{1 + \text{decay\_rate} \cdot "
        r"\left\lfloor e / \text{time\_interval} \right\rfloor}",
        "α = α₀ / (1 + decay_rate · ⌊epoch / time_interval⌋)",
        "α steps down once every time_interval epochs: big steps first, fine ones later.",
        frozenset({"decay_rate", "decay_interval"}),
    ),
}


def lr_after(
    names: Sequence[str],
    lr0: np.ndarray,
    decay_rate: np.ndarray,
    interval: np.ndarray,
    passes: int,
) -> np.ndarray:
    """The α in effect after ``passes`` full epochs, one row per run: α₀ at 0, then f(passes − 1).

    ``names`` holds each run's schedule; ``lr0``, ``decay_rate`` and ``interval`` are (R, 1).
    """
    e = max(passes - 1, 0)
    alpha = np.empty_like(lr0, dtype=float)
    for name, schedule in SCHEDULES.items():
        rows = np.array([n == name for n in names], dtype=bool)
        if rows.any():
            alpha[rows] = schedule.alpha(lr0[rows], e, decay_rate[rows], interval[rows])
    return alpha


class Decay:
    """The α of every run of a lockstep group, each after its own schedule: an (R, 1) column.

    ``runs`` are RunConfig-like (``decay``, ``lr``, ``decay_rate``, ``decay_interval``).
    """

    def __init__(self, runs: Sequence) -> None:
        self.names = [r.decay for r in runs]
        self.active = any(name != "constant" for name in self.names)
        self.lr0, self.rate, self.interval = (
            np.array([getattr(r, k) for r in runs], dtype=float)[:, None]
            for k in ("lr", "decay_rate", "decay_interval")
        )
        self.alpha = self.lr0  # α₀ until the first epoch is over

    def after(self, passes: int) -> bool:
        """Set α to its value after ``passes`` epochs; False when no run decays (α unchanged)."""
        if self.active:
            self.alpha = lr_after(self.names, self.lr0, self.rate, self.interval, passes)
        return self.active
