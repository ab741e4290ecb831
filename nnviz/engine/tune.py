"""A fair race: each optimizer's α chosen from the same log grid by the same criterion.

Racing optimizers at one α compares the α, not the optimizers (pytorch-optimizer's issue #219).
``scan`` is the tuner of both the lab's race and the 2-D playground (nnviz.playground.tuning):
the caller scores every α of the grid, and per optimizer the α that scores best is chosen:

    final   the lowest final loss; a diverged run scores +∞
    reach   the fewest steps (epochs) to the tolerance; ties, and optimizers that never get
            there at any α, fall back to the lowest final loss

``tune`` is the lab's: it trains the lab's first run with every optimizer at every α of the grid,
as one sweep (optimizer × lr, in lockstep groups), scoring the final training cost J and the first
epoch J falls below the tolerance.

The race is then the chosen run of each optimizer: a sweep's row holds exactly what training
that run alone gives (nnviz.engine.sweep), so its History is the race's lane, with no retraining.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.history import History
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.sweep import Axis, Sweep, SweepRow, first_epoch_below, run_sweep

# 1, 2, 5 per decade from 10⁻⁴ to 10: 16 learning rates (for the lab, 64 runs for the four
# optimizers, three lockstep groups)
GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**e:.3g}") for e in range(-4, 2) for m in (1, 2, 5) if m * 10.0**e <= 10
)


def criteria(loss: str, steps: str) -> dict[str, str]:
    """The two criteria, in the words of what is tuned (its loss, what its steps are called)."""
    return {"final": f"lowest final {loss}", "reach": f"fewest {steps} to the tolerance"}


CRITERIA = criteria("training cost J", "epochs")


@dataclass(frozen=True, eq=False)
class Scan:
    """One optimizer's scan over the grid: what each α scored, and the α chosen."""

    name: str  # the optimizer
    lrs: np.ndarray  # the grid
    final: np.ndarray  # the final loss per α; +∞ where the run diverged
    reach: np.ndarray  # the first step (epoch) within the tolerance per α; +∞ where never
    criterion: str  # what chose ``best``: "final" or "reach" (after a fallback, "final")
    index: int  # of ``best`` in ``lrs``

    @property
    def best(self) -> float:
        return float(self.lrs[self.index])

    @property
    def diverged(self) -> np.ndarray:
        return ~np.isfinite(self.final)


# the grid's α (n,) -> (final, reach), each (optimizers, n): how the caller scores every α
Scores = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def scan(
    names: Sequence[str], scores: Scores, criterion: str, grid: Sequence[float] = GRID
) -> dict[str, Scan]:
    """Score every α of ``grid`` for every optimizer of ``names``; choose each one's by
    ``criterion``."""
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    lrs = np.asarray(grid, dtype=float)
    final, reach = scores(lrs)
    return {name: choose(name, lrs, final[k], reach[k], criterion) for k, name in enumerate(names)}


def choose(
    name: str, lrs: np.ndarray, final: np.ndarray, reach: np.ndarray, criterion: str
) -> Scan:
    """The α that scores best: by ``reach``, the fewest steps, then the lower final loss; by
    ``final`` (or when no α reaches the tolerance), the lowest final loss."""
    if criterion == "reach" and np.isfinite(reach).any():
        return Scan(name, lrs, final, reach, "reach", int(np.lexsort((final, reach))[0]))
    # argmin: the first of equals, so when every α diverged, the smallest
    return Scan(name, lrs, final, reach, "final", int(np.argmin(final)))


# --- the lab's fair race ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Tuning(Scan):
    """A scan of the lab's first run: also the run at the chosen α, the race's lane."""

    history: History


def tuning_sweep(
    exp: Experiment, optimizers: Sequence[str] = tuple(OPTIMIZERS), grid: Sequence[float] = GRID
) -> Sweep:
    """The lab's first run with every optimizer at every α: rows optimizers, columns α."""
    base = exp.with_runs(exp.runs[0])
    return Sweep(base, (Axis("optimizer", tuple(optimizers)), Axis("lr", tuple(grid))))


def _final(row: SweepRow) -> float:
    cost = row.history.final["train_cost"]
    return math.inf if row.diverged or cost is None or not math.isfinite(cost) else cost


def _reach(row: SweepRow, tol: float) -> float:
    epoch = None if row.diverged else first_epoch_below(row.history, tol)
    return math.inf if epoch is None else float(epoch)


def tune(
    exp: Experiment,
    criterion: str = "final",
    tol: float = 0.3,
    optimizers: Sequence[str] = tuple(OPTIMIZERS),
    grid: Sequence[float] = GRID,
    data: Dataset | None = None,
) -> dict[str, Tuning]:
    """Train every optimizer at every α of ``grid``; choose each one's α by ``criterion``."""
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a number > 0, got {tol!r}")
    rows: list[SweepRow] = []

    def scores(lrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = run_sweep(tuning_sweep(exp, optimizers, lrs.tolist()), data)
        rows.extend(result.rows)
        return result.grid(_final), result.grid(lambda row: _reach(row, tol))

    scans = scan(optimizers, scores, criterion, grid)
    return {
        name: Tuning(**vars(s), history=rows[k * len(grid) + s.index].history)
        for k, (name, s) in enumerate(scans.items())
    }


def race(exp: Experiment, tunings: dict[str, Tuning]) -> Experiment:
    """The race as a lab experiment: the first run once per optimizer, each at its chosen α."""
    first = exp.runs[0]
    return exp.with_runs(*(replace(first, optimizer=t.name, lr=t.best) for t in tunings.values()))
