"""Optimizer paths across a 2-D surface, stepped by the engine's own update rules.

Nothing here knows a formula of an optimizer: every step comes from ``OPTIMIZERS[name].update``,
the function that also trains the networks. All racers step in lockstep: one gradient evaluation
per step serves every path (θ has one row per path), then each rule advances its own rows and its
own state. A racer may own several rows, one per α, with α an (R, 1) column (the tuning sweep).

A path that becomes non-finite or leaves |θ| ≤ BOUND stops there: it keeps every point before the
step that left, and records that step as ``diverged_at``. No exception, no RuntimeWarning.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from nnviz.engine.optim import OPTIMIZERS, Hyper, State
from nnviz.playground.surfaces import Surface

BOUND = 1e6  # |x| or |y| beyond this counts as diverged (on the saddle: escaped for good)
MAX_STEPS = 10_000
GAP_FLOOR = 1e-16  # f − f* is drawn on a log axis: exact zeros sit on this floor
Alpha = Callable[[int], "float | np.ndarray"]  # t -> the α of update t (learning-rate decay)


class Rule(NamedTuple):
    """What steps a racer: one of the engine's update rules, and the t its state starts from."""

    title: str
    optimizer: str  # key into OPTIMIZERS
    formula: tuple[str, ...]  # the update as LaTeX lines
    # 0: t counts updates from 1. ∞: t stays ∞ and 1 − βᵗ = 1, so Adam's v̂ = v and ŝ = s
    t0: float = 0

    def init(self, theta: np.ndarray) -> State:
        return OPTIMIZERS[self.optimizer].init(theta)._replace(t=self.t0)

    def update(self, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
        return OPTIMIZERS[self.optimizer].update(g, state, h)


# the racers: the engine's four optimizers, and Adam told t = ∞ to show what bias correction does
RULES: dict[str, Rule] = {n: Rule(o.title, n, o.formula) for n, o in OPTIMIZERS.items()}
RULES["adam_nobias"] = Rule(
    "Adam, uncorrected",  # no bias correction
    "adam",
    (
        OPTIMIZERS["adam"].formula[0],
        r"\theta \leftarrow \theta - \alpha\, \frac{v}{\sqrt{s} + \varepsilon}"
        r"\qquad (t = \infty:\ 1 - \beta^{\,t} = 1)",
    ),
    t0=math.inf,
)


@dataclass(frozen=True, eq=False)
class OptimizerPath:
    """One racer's run: θ_0 … θ_n, with what each update t = 1 … n saw and did."""

    name: str  # the racer, a key of RULES
    hyper: Hyper
    theta: np.ndarray  # (n + 1, 2): θ_t; θ_0 is the start
    loss: np.ndarray  # (n + 1,): f(θ_t)
    g: np.ndarray  # (n, 2): row t − 1 is ∇f(θ_{t−1}), the gradient given to update t
    step: np.ndarray  # (n, 2): row t − 1 is what update t returned: θ_t = θ_{t−1} − step
    diverged_at: int | None  # the update that left the finite region, or None
    lr: np.ndarray | None = None  # (n,): the α of each update, when it decays; None: constant

    @property
    def steps_taken(self) -> int:
        return len(self.step)


@dataclass
class Lane:
    """One racer in the lockstep loop: its rule, hyperparameters and rows of θ."""

    rule: Rule
    hyper: Hyper  # floats for one row; lr an (R, 1) column for R rows
    rows: slice
    alpha: Alpha | None = None  # α per update, when α decays; None: hyper.lr throughout


@dataclass(frozen=True, eq=False)
class Sweep:
    """Every row's trajectory, as stepped by ``simulate``."""

    theta: np.ndarray  # (n + 1, K, 2)
    loss: np.ndarray  # (n + 1, K)
    g: np.ndarray  # (n, K, 2)
    step: np.ndarray  # (n, K, 2)
    diverged_at: np.ndarray  # (K,): the update that left |θ| ≤ BOUND, 0 if none


def simulate(surface: Surface, start: Sequence[float], lanes: Sequence[Lane], steps: int) -> Sweep:
    """Step every lane's rows ``steps`` times from ``start``, together."""
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {steps}")
    rows = max((lane.rows.stop for lane in lanes), default=0)
    theta = np.empty((steps + 1, rows, 2))
    theta[0] = start
    g = np.zeros((steps, rows, 2))
    step = np.zeros((steps, rows, 2))
    with np.errstate(all="ignore"):
        diverged = _loop(surface, lanes, theta, g, step)
        loss = surface.f(theta)
    return Sweep(theta, loss, g, step, diverged)


def _loop(surface: Surface, lanes: Sequence[Lane], theta, g, step) -> np.ndarray:
    """The lockstep loop: gradient → each lane's rule → θ ← θ − step → divergence check.

    A row that diverged keeps being stepped with its lane (its numbers are cut off afterwards);
    a lane whose rows all diverged stops, and the loop stops when every row has.
    """
    states = [lane.rule.init(theta[0, lane.rows]) for lane in lanes]
    diverged = np.zeros(theta.shape[1], dtype=int)
    live = list(range(len(lanes)))
    for t in range(1, len(theta)):
        g[t - 1] = surface.grad(theta[t - 1])
        for k in live:
            lane = lanes[k]
            h = lane.hyper if lane.alpha is None else replace(lane.hyper, lr=lane.alpha(t))
            step[t - 1, lane.rows], states[k] = lane.rule.update(g[t - 1, lane.rows], states[k], h)
        theta[t] = theta[t - 1] - step[t - 1]
        if not np.abs(theta[t]).max(initial=0.0) <= BOUND:  # also catches NaN
            out = ~np.all(np.abs(theta[t]) <= BOUND, axis=-1) & (diverged == 0)
            diverged[out] = t
            live = [k for k in live if not diverged[lanes[k].rows].all()]
            if not live:
                break
    return diverged


def race(
    surface: Surface,
    start: tuple[float, float],
    hypers: Mapping[str, Hyper],
    steps: int,
    alphas: Mapping[str, Alpha] | None = None,
) -> dict[str, OptimizerPath]:
    """Run every racer named in ``hypers`` (keys of RULES) for ``steps`` updates, together."""
    alphas = alphas or {}
    names = list(hypers)
    lanes = [Lane(RULES[n], hypers[n], slice(k, k + 1), alphas.get(n)) for k, n in enumerate(names)]
    sweep = simulate(surface, start, lanes, steps)
    return {name: _path(name, lanes[k], sweep, k) for k, name in enumerate(names)}


def _path(name: str, lane: Lane, sweep: Sweep, k: int) -> OptimizerPath:
    at = int(sweep.diverged_at[k]) or None
    n = len(sweep.step) if at is None else at - 1  # updates that stayed finite
    lr = None if lane.alpha is None else np.array([lane.alpha(t) for t in range(1, n + 1)])
    lr = None if lr is None else lr.reshape(n)
    cut = (sweep.theta[: n + 1, k], sweep.loss[: n + 1, k], sweep.g[:n, k], sweep.step[:n, k])
    return OptimizerPath(name, lane.hyper, *cut, at, lr)


def gap(surface: Surface, loss: np.ndarray) -> np.ndarray:
    """f(θ) − f*, floored for a log axis; f itself where f is unbounded below (the saddle)."""
    if surface.f_min is None:
        return loss
    return np.maximum(loss - surface.f_min, GAP_FLOOR)


def distance_to_minima(surface: Surface, theta: np.ndarray) -> np.ndarray | None:
    """Distance from each θ (last axis: x, y) to the nearest known minimum; None if none."""
    if not surface.minima:
        return None
    minima = np.asarray(surface.minima)
    return np.min(np.linalg.norm(theta[..., None, :] - minima, axis=-1), axis=-1)


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
    step, _state = gd.update(g, gd.init(g), Hyper(lr=lr))
    return step


def bias_corrections(beta1: float, beta2: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Adam's corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) for t = 1 … steps, read off the engine.

    Fed a constant gradient of 1, Adam's raw moments are v_t = 1 − β₁ᵗ and s_t = 1 − β₂ᵗ: the
    zero start biases them toward 0, and the correction divides by exactly that. So the factors
    are 1/v_t and 1/s_t of Adam's own state, with no second copy of the formula.
    """
    adam = OPTIMIZERS["adam"]
    one = np.ones(1)
    state = adam.init(one)
    h = Hyper(beta1=beta1, beta2=beta2)
    raw = np.empty((steps, 2))
    for t in range(1, steps + 1):
        _step, state = adam.update(one, state, h)
        raw[t - 1] = state.v[0], state.s[0]
    with np.errstate(divide="ignore"):
        return 1 / raw[:, 0], 1 / raw[:, 1]
