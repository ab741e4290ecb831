"""Optimizers as small update rules — the one copy of each formula in nnviz.

Every optimizer is a pair of pure functions in the style of optax:

    state = init(theta)                     # t = 0 and moments of zeros shaped like theta
    step, state = update(g, state, h)       # then  theta <- theta - step

``g`` is the gradient of J with respect to theta and ``h`` holds the hyperparameters (α, β₁, β₂,
ε). Each rule's state is a small named tuple that carries ``t``, the number of updates so far
(optax's ``ScaleByAdamState(count, mu, nu)``): ``update`` counts this update, t ← t + 1, so t is 1
at the first update, and returns the new state; the one it was given is left as it was.

Hyperparameters may be floats or arrays that broadcast against theta: the trainer keeps one row per
run, theta of shape (R, P) and each hyperparameter of shape (R, 1), so one call updates every run.
The 2-D optimizer playground calls the very same functions with theta of shape (2,).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Hyper:
    """Hyperparameters of an update rule: floats, or (R, 1) arrays with one row per run."""

    lr: float | np.ndarray = 0.01
    beta1: float | np.ndarray = 0.9
    beta2: float | np.ndarray = 0.999
    epsilon: float | np.ndarray = 1e-8


# --- each rule's state: t first, then the moments it keeps ---------------------------------------


class GDState(NamedTuple):
    t: float  # updates so far (the playground starts one at ∞: then 1 − βᵗ = 1)


class MomentumState(NamedTuple):
    t: float
    v: np.ndarray  # first moment: the exponentially weighted average of g


class RMSpropState(NamedTuple):
    t: float
    s: np.ndarray  # second moment: the exponentially weighted average of g²


class AdamState(NamedTuple):
    t: float
    v: np.ndarray
    s: np.ndarray


State = GDState | MomentumState | RMSpropState | AdamState


def moments(state: State) -> tuple[np.ndarray, ...]:
    """The moment estimates a state keeps (v, s or both), without t."""
    return tuple(getattr(state, name) for name in state._fields if name != "t")


def gd_init(theta: np.ndarray) -> GDState:
    return GDState(t=0)


def momentum_init(theta: np.ndarray) -> MomentumState:
    return MomentumState(t=0, v=np.zeros_like(theta))


def rmsprop_init(theta: np.ndarray) -> RMSpropState:
    return RMSpropState(t=0, s=np.zeros_like(theta))


def adam_init(theta: np.ndarray) -> AdamState:
    return AdamState(t=0, v=np.zeros_like(theta), s=np.zeros_like(theta))


# --- the rules ------------------------------------------------------------------------------------


def gd_update(g: np.ndarray, state: GDState, h: Hyper) -> tuple[np.ndarray, GDState]:
    """Gradient descent: θ ← θ − α g."""
    return h.lr * g, GDState(state.t + 1)


def momentum_update(
    g: np.ndarray, state: MomentumState, h: Hyper
) -> tuple[np.ndarray, MomentumState]:
    """Momentum: v ← β₁ v + (1 − β₁) g;  θ ← θ − α v."""
    v = h.beta1 * state.v + (1 - h.beta1) * g
    return h.lr * v, MomentumState(state.t + 1, v)


def rmsprop_update(g: np.ndarray, state: RMSpropState, h: Hyper) -> tuple[np.ndarray, RMSpropState]:
    """RMSprop: s ← β₂ s + (1 − β₂) g²;  θ ← θ − α g / (√s + ε)."""
    s = h.beta2 * state.s + (1 - h.beta2) * (g * g)
    return h.lr * g / (np.sqrt(s) + h.epsilon), RMSpropState(state.t + 1, s)


def adam_update(g: np.ndarray, state: AdamState, h: Hyper) -> tuple[np.ndarray, AdamState]:
    """Adam: t ← t + 1;  v ← β₁ v + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²;
    v̂ = v / (1 − β₁ᵗ);  ŝ = s / (1 − β₂ᵗ);  θ ← θ − α v̂ / (√ŝ + ε).

    β₂ (not β₁) corrects the second moment: the seed notes' formula text has a typo there.
    """
    t = state.t + 1
    v = h.beta1 * state.v + (1 - h.beta1) * g
    s = h.beta2 * state.s + (1 - h.beta2) * (g * g)
    # np.power, not **: Python's float power and NumPy's array power may differ in the last bit,
    # and a run must get the same numbers alone (float β) as in lockstep ((R, 1) array of β).
    step = v * (h.lr / (1 - np.power(h.beta1, t)))  # α v̂
    step /= np.sqrt(s / (1 - np.power(h.beta2, t))) + h.epsilon  # ÷ (√ŝ + ε)
    return step, AdamState(t, v, s)


class Optimizer(NamedTuple):
    """An update rule, with what the UI needs to know about it."""

    name: str
    title: str
    init: Callable[[np.ndarray], State]
    update: Callable[[np.ndarray, State, Hyper], tuple[np.ndarray, State]]
    uses: frozenset[str]  # which of lr, beta1, beta2, epsilon the rule reads
    formula: tuple[str, ...] = ()  # the update as LaTeX lines, for the formulas panel


# the update rules' display text, in the symbols of Hyper: \alpha, \beta_1, \beta_2, \varepsilon
_MOMENT1 = r"v \leftarrow \beta_1\, v + (1 - \beta_1)\, g"
_MOMENT2 = r"s \leftarrow \beta_2\, s + (1 - \beta_2)\, g^2"

OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer(
        "gd",
        "Gradient descent",
        gd_init,
        gd_update,
        frozenset({"lr"}),
        (r"\theta \leftarrow \theta - \alpha\, g",),
    ),
    "momentum": Optimizer(
        "momentum",
        "Momentum",
        momentum_init,
        momentum_update,
        frozenset({"lr", "beta1"}),
        (_MOMENT1, r"\theta \leftarrow \theta - \alpha\, v"),
    ),
    "rmsprop": Optimizer(
        "rmsprop",
        "RMSprop",
        rmsprop_init,
        rmsprop_update,
        frozenset({"lr", "beta2", "epsilon"}),
        (_MOMENT2, r"\theta \leftarrow \theta - \alpha\, \frac{g}{\sqrt{s} + \varepsilon}"),
    ),
    "adam": Optimizer(
        "adam",
        "Adam",
        adam_init,
        adam_update,
        frozenset({"lr", "beta1", "beta2", "epsilon"}),
        (
            rf"{_MOMENT1}, \qquad {_MOMENT2}",
            r"\hat v = \frac{v}{1 - \beta_1^{\,t}}, \qquad \hat s = \frac{s}{1 - \beta_2^{\,t}}",
            r"\theta \leftarrow \theta - \alpha\, \frac{\hat v}{\sqrt{\hat s} + \varepsilon}",
        ),
    ),
}
