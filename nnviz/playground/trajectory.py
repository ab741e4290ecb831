"""Optimizer paths across a 2-D surface, stepped by the engine's own update rules.

Nothing here knows a formula of an optimizer: every step comes from ``OPTIMIZERS[name].update``,
the function that also trains the networks. All optimizers race in lockstep: one gradient
evaluation per step serves every path (θ has one row per optimizer), then each rule advances its
own row and its own state.

A path that becomes non-finite or leaves |θ| ≤ BOUND stops there: it keeps every point before the
step that left, and records that step as ``diverged_at``. No exception, no RuntimeWarning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nnviz.engine.optim import OPTIMIZERS, Hyper
from nnviz.playground.surfaces import Surface

BOUND = 1e6  # |x| or |y| beyond this counts as diverged (on the saddle: escaped for good)
MAX_STEPS = 10_000


@dataclass(frozen=True, eq=False)
class Path:
    """One optimizer's run: θ_0 … θ_n, with what each update t = 1 … n saw and did."""

    name: str  # the optimizer
    hyper: Hyper
    theta: np.ndarray  # (n + 1, 2): θ_t; θ_0 is the start
    loss: np.ndarray  # (n + 1,): f(θ_t)
    g: np.ndarray  # (n, 2): row t − 1 is ∇f(θ_{t−1}), the gradient given to update t
    step: np.ndarray  # (n, 2): row t − 1 is what update t returned: θ_t = θ_{t−1} − step
    diverged_at: int | None  # the update that left the finite region, or None

    @property
    def steps_taken(self) -> int:
        return len(self.step)


def race(
    surface: Surface, start: tuple[float, float], hypers: Mapping[str, Hyper], steps: int
) -> dict[str, Path]:
    """Run every optimizer named in ``hypers`` for ``steps`` updates from ``start``, together."""
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {steps}")
    names = list(hypers)
    theta = np.empty((steps + 1, len(names), 2))
    theta[0] = start
    g = np.zeros((steps, len(names), 2))
    step = np.zeros((steps, len(names), 2))
    with np.errstate(all="ignore"):
        diverged = _loop(surface, names, hypers, theta, g, step)
        loss = surface.f(theta)
    return {
        name: _path(name, hypers[name], theta[:, k], loss[:, k], g[:, k], step[:, k], diverged[k])
        for k, name in enumerate(names)
    }


def _loop(surface, names, hypers, theta, g, step) -> list[int | None]:
    """The lockstep loop: gradient → each update rule → θ ← θ − step → divergence check."""
    rules = [OPTIMIZERS[name] for name in names]
    states = [rule.init(theta[0, k]) for k, rule in enumerate(rules)]
    live = list(range(len(names)))
    diverged: list[int | None] = [None] * len(names)
    for t in range(1, len(theta)):
        g[t - 1] = surface.grad(theta[t - 1])
        for k in live:
            step[t - 1, k] = rules[k].update(g[t - 1, k], states[k], t, hypers[names[k]])
        theta[t] = theta[t - 1] - step[t - 1]
        if not np.abs(theta[t, live]).max(initial=0.0) <= BOUND:  # also catches NaN
            for k in [k for k in live if not np.all(np.abs(theta[t, k]) <= BOUND)]:
                diverged[k] = t
                live.remove(k)
        if not live:
            break
    return diverged


def _path(name, hyper, theta, loss, g, step, diverged_at) -> Path:
    n = len(step) if diverged_at is None else diverged_at - 1  # updates that stayed finite
    return Path(name, hyper, theta[: n + 1], loss[: n + 1], g[:n], step[:n], diverged_at)


def distance_to_minima(surface: Surface, theta: np.ndarray) -> np.ndarray | None:
    """Distance from each θ (rows) to the nearest known minimum; None if there is none."""
    if not surface.minima:
        return None
    minima = np.asarray(surface.minima)
    return np.min(np.linalg.norm(theta[:, None, :] - minima[None], axis=-1), axis=1)


def nearest_minimum(surface: Surface, point: np.ndarray) -> int | None:
    """Index into ``surface.minima`` of the minimum nearest to ``point``; None if there is none."""
    if not surface.minima:
        return None
    return int(np.argmin(np.linalg.norm(np.asarray(surface.minima) - point, axis=-1)))


def first_within(distance: np.ndarray | None, tol: float) -> int | None:
    """The first t with distance ≤ tol, or None (never, or no minimum to reach)."""
    if distance is None:
        return None
    hits = np.flatnonzero(distance <= tol)
    return int(hits[0]) if len(hits) else None


def gd_steps(g: np.ndarray, lr: float) -> np.ndarray:
    """What plain gradient descent would step, α·g, for each recorded gradient (engine's rule)."""
    gd = OPTIMIZERS["gd"]
    return gd.update(g, gd.init(g), 1, Hyper(lr=lr))


def bias_corrections(beta1: float, beta2: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Adam's corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) for t = 1 … steps, read off the engine.

    Fed a constant gradient of 1, Adam's raw moments are v_t = 1 − β₁ᵗ and s_t = 1 − β₂ᵗ: the
    zero start biases them toward 0, and the correction divides by exactly that. So the factors
    are 1/v_t and 1/s_t of Adam's own state, with no second copy of the formula.
    """
    adam = OPTIMIZERS["adam"]
    one = np.ones(1)
    v, s = state = adam.init(one)
    h = Hyper(beta1=beta1, beta2=beta2)
    raw = np.empty((steps, 2))
    for t in range(1, steps + 1):
        adam.update(one, state, t, h)
        raw[t - 1] = v[0], s[0]
    with np.errstate(divide="ignore"):
        return 1 / raw[:, 0], 1 / raw[:, 1]
