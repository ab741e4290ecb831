"""The playground's fair race: each racer's α chosen by the lab's tuner (nnviz.engine.tune).

``tune`` races every racer at every α of the grid, all of them in one lockstep loop (a racer's α
is an (R, 1) column, one row per α), and scores each run for ``nnviz.engine.tune.scan``:

    final   the final f − f* (f on the saddle); a diverged run scores +∞
    reach   the first step within the tolerance of a minimum; +∞ if never (or no minimum)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from nnviz.engine.optim import Hyper
from nnviz.engine.tune import GRID, Scan, criteria, scan
from nnviz.playground.surfaces import Surface
from nnviz.playground.trajectory import RULES, Alpha, Lane, distance_to_minima, gap, simulate

CRITERIA = criteria("f − f*", "steps")
Decay = Callable[[np.ndarray], Alpha]  # α₀ column -> (t -> α of update t)


def tune(
    surface: Surface,
    start: tuple[float, float],
    hypers: Mapping[str, Hyper],
    steps: int,
    tol: float,
    criterion: str,
    decay: Decay | None = None,
    grid: Sequence[float] = GRID,
) -> dict[str, Scan]:
    """Race each racer of ``hypers`` at every α of ``grid``; choose its α by ``criterion``."""

    def scores(lrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        column, n = lrs[:, None], len(lrs)
        lanes = [
            Lane(
                RULES[name],
                replace(h, lr=column),
                slice(k * n, (k + 1) * n),
                decay and decay(column),
            )
            for k, (name, h) in enumerate(hypers.items())
        ]
        sweep = simulate(surface, start, lanes, steps)
        with np.errstate(all="ignore"):  # diverged rows hold non-finite numbers; they score +∞
            final, reach = _scores(surface, sweep.theta, sweep.loss, sweep.diverged_at, tol)
        return final.reshape(len(lanes), n), reach.reshape(len(lanes), n)  # lanes are row blocks

    return scan(list(hypers), scores, criterion, grid)


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
