"""A fair race: each optimizer's α chosen from the same log grid by the same criterion.

Racing optimizers at untuned learning rates compares the learning rates, not the optimizers (the
criticism in pytorch-optimizer's issue #219). ``tune`` runs every racer at every α of the grid, all
of them in one lockstep loop (a racer's α is an (R, 1) column, one row per α), and picks per racer
the α that scores best:

    final   the lowest final f − f* (f on the saddle); a diverged run scores +∞
    reach   the fewest steps to come within the tolerance of a minimum; ties, and racers that
            never get there at any α, fall back to the lowest final f − f*
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from nnviz.engine.optim import Hyper
from nnviz.playground.surfaces import Surface
from nnviz.playground.trajectory import RULES, Alpha, Lane, distance_to_minima, gap, simulate

CRITERIA = {
    "final": "lowest final f − f*",
    "reach": "fewest steps to the tolerance",
}
# 1, 2, 5 per decade from 10⁻⁴ to 10: 16 learning rates
GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**e:.3g}") for e in range(-4, 2) for m in (1, 2, 5) if m * 10.0**e <= 10
)
Decay = Callable[[np.ndarray], Alpha]  # α₀ column -> (t -> α of update t)


@dataclass(frozen=True, eq=False)
class Tuning:
    """One racer's scan over the grid: what each α scored, and the α chosen."""

    name: str
    lrs: np.ndarray  # the grid
    final: np.ndarray  # final f − f* (f on the saddle) per α; +∞ where the run diverged
    reach: np.ndarray  # first step within the tolerance per α; +∞ where it never got there
    criterion: str  # what chose ``best``: "final" or "reach" (after a fallback, "final")
    best: float

    @property
    def diverged(self) -> np.ndarray:
        return ~np.isfinite(self.final)


def tune(
    surface: Surface,
    start: tuple[float, float],
    hypers: Mapping[str, Hyper],
    steps: int,
    tol: float,
    criterion: str,
    decay: Decay | None = None,
    grid: Sequence[float] = GRID,
) -> dict[str, Tuning]:
    """Race each racer of ``hypers`` at every α of ``grid``; choose its α by ``criterion``."""
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    lrs = np.asarray(grid, dtype=float)
    column = lrs[:, None]
    n = len(lrs)
    lanes = [
        Lane(RULES[name], replace(h, lr=column), slice(k * n, (k + 1) * n), decay and decay(column))
        for k, (name, h) in enumerate(hypers.items())
    ]
    sweep = simulate(surface, start, lanes, steps)
    with np.errstate(all="ignore"):  # diverged rows hold non-finite numbers; they score +∞
        final, reach = _scores(surface, sweep.theta, sweep.loss, sweep.diverged_at, tol)
    return {
        name: _choose(name, lrs, final[lane.rows], reach[lane.rows], criterion)
        for name, lane in zip(hypers, lanes)
    }


def _scores(surface: Surface, theta, loss, diverged_at, tol) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the final f − f* (+∞ if diverged) and the first step within tol (+∞ if never)."""
    t = np.arange(len(theta))[:, None]
    alive = (diverged_at == 0) | (t < diverged_at)  # (n + 1, K): the points before divergence
    final = np.where(diverged_at == 0, gap(surface, loss[-1]), np.inf)
    distance = distance_to_minima(surface, theta)
    if distance is None:  # nothing to reach (the saddle)
        return final, np.full(len(final), np.inf)
    hit = (distance <= tol) & alive
    reach = np.where(hit.any(axis=0), np.argmax(hit, axis=0), np.inf)
    return final, reach


def _choose(name: str, lrs, final: np.ndarray, reach: np.ndarray, criterion: str) -> Tuning:
    if criterion == "reach" and np.isfinite(reach).any():
        best = np.lexsort((final, reach))[0]  # fewest steps, then the lower final loss
    else:
        criterion = "final"
        best = int(np.argmin(final))  # all diverged: the smallest α
    return Tuning(name, lrs, final, reach, criterion, float(lrs[best]))
