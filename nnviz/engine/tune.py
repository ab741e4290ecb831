"""The lab's fair race: each optimizer's α chosen from the same log grid by the same criterion.

Racing optimizers at one α compares the α, not the optimizers (pytorch-optimizer's issue #219).
``tune`` trains the lab's first run with every optimizer at every α of the grid, as one sweep
(optimizer × lr, in lockstep groups), and picks per optimizer the α that scores best:

    final   the lowest final training cost J; a diverged run scores +∞
    reach   the first epoch J falls below the tolerance; ties, and optimizers that never get
            there at any α, fall back to the lowest final J

The race is then the chosen run of each optimizer: a sweep's row holds exactly what training
that run alone gives (nnviz.engine.sweep), so its History is the race's lane, with no retraining.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.history import History
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.sweep import Axis, Sweep, SweepRow, first_epoch_below, run_sweep

CRITERIA = {
    "final": "lowest final training cost J",
    "reach": "first epoch with J below the tolerance",
}
# 1, 2, 5 per decade from 10⁻⁴ to 10 (the playground's grid): 16 learning rates, 64 runs for the
# four optimizers, three lockstep groups
GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**e:.3g}") for e in range(-4, 2) for m in (1, 2, 5) if m * 10.0**e <= 10
)


@dataclass(frozen=True, eq=False)
class Tuning:
    """One optimizer's scan over the grid: what each α scored, the α chosen, and its run."""

    name: str  # the optimizer
    lrs: np.ndarray  # the grid
    final: np.ndarray  # final training cost J per α; +∞ where the run diverged
    reach: np.ndarray  # first epoch with J below the tolerance per α; +∞ where never
    criterion: str  # what chose ``best``: "final" or "reach" (after a fallback, "final")
    best: float
    history: History  # the run at ``best``

    @property
    def diverged(self) -> np.ndarray:
        return ~np.isfinite(self.final)


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
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a number > 0, got {tol!r}")
    sweep = tuning_sweep(exp, optimizers, grid)
    result = run_sweep(sweep, data)
    final, reach = result.grid(_final), result.grid(lambda row: _reach(row, tol))
    lrs = np.asarray(grid, dtype=float)
    tunings = {}
    for k, name in enumerate(optimizers):
        best, chosen_by = _choose(final[k], reach[k], criterion)
        row = result.rows[k * len(lrs) + best]
        tunings[name] = Tuning(
            name, lrs, final[k], reach[k], chosen_by, float(lrs[best]), row.history
        )
    return tunings


def _choose(final: np.ndarray, reach: np.ndarray, criterion: str) -> tuple[int, str]:
    """The grid index chosen, and the criterion that chose it."""
    if criterion == "reach" and np.isfinite(reach).any():
        return int(np.lexsort((final, reach))[0]), "reach"  # the fewest epochs, then the lower J
    return int(np.argmin(final)), "final"  # all diverged: the smallest α


def race(exp: Experiment, tunings: dict[str, Tuning]) -> Experiment:
    """The race as a lab experiment: the first run once per optimizer, each at its chosen α."""
    first = exp.runs[0]
    return exp.with_runs(*(replace(first, optimizer=t.name, lr=t.best) for t in tunings.values()))
