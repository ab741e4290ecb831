"""Optimizers as small update rules — the one copy of each formula in nnviz.

Every optimizer is a pair of functions in the style of optax:

    state = init(theta)                     # zeros shaped like theta
    step  = update(g, state, t, h)          # then  theta <- theta - step

``g`` is the gradient of J with respect to theta, ``t`` counts updates and is 1 at the first
update, ``h`` holds the hyperparameters (α, β₁, β₂, ε). ``update`` advances the moment estimates in
``state`` in place (they are the optimizer's memory, owned by the caller) and returns the step.

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


def _no_state(theta: np.ndarray) -> tuple:
    return ()


def _one_moment(theta: np.ndarray) -> tuple[np.ndarray]:
    return (np.zeros_like(theta),)


def _two_moments(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.zeros_like(theta), np.zeros_like(theta))


def gd_update(g: np.ndarray, state: tuple, t: int, h: Hyper) -> np.ndarray:
    """Gradient descent: θ ← θ − α g."""
    return h.lr * g


def momentum_update(g: np.ndarray, state: tuple, t: int, h: Hyper) -> np.ndarray:
    """Momentum: v ← β₁ v + (1 − β₁) g;  θ ← θ − α v."""
    (v,) = state
    v *= h.beta1
    v += (1 - h.beta1) * g
    return h.lr * v


def rmsprop_update(g: np.ndarray, state: tuple, t: int, h: Hyper) -> np.ndarray:
    """RMSprop: s ← β₂ s + (1 − β₂) g²;  θ ← θ − α g / (√s + ε)."""
    (s,) = state
    s *= h.beta2
    s += (1 - h.beta2) * (g * g)
    return h.lr * g / (np.sqrt(s) + h.epsilon)


def adam_update(g: np.ndarray, state: tuple, t: int, h: Hyper) -> np.ndarray:
    """Adam: v ← β₁ v + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²;
    v̂ = v / (1 − β₁ᵗ);  ŝ = s / (1 − β₂ᵗ);  θ ← θ − α v̂ / (√ŝ + ε).

    β₂ (not β₁) corrects the second moment: the seed notes' formula text has a typo there.
    """
    v, s = state
    v *= h.beta1
    v += (1 - h.beta1) * g
    s *= h.beta2
    s += (1 - h.beta2) * (g * g)
    # np.power, not **: Python's float power and NumPy's array power may differ in the last bit,
    # and a run must get the same numbers alone (float β) as in lockstep ((R, 1) array of β).
    step = v * (h.lr / (1 - np.power(h.beta1, t)))  # α v̂
    step /= np.sqrt(s / (1 - np.power(h.beta2, t))) + h.epsilon  # ÷ (√ŝ + ε)
    return step


class Optimizer(NamedTuple):
    """An update rule, with what the UI needs to know about it."""

    name: str
    title: str
    init: Callable[[np.ndarray], tuple]
    update: Callable[[np.ndarray, tuple, int, Hyper], np.ndarray]
    uses: frozenset[str]  # which of lr, beta1, beta2, epsilon the rule reads
    formula: tuple[str, ...] = ()  # the update as LaTeX lines, for the formulas panel


# the update rules' display text, in the symbols of Hyper: \alpha, \beta_1, \beta_2, \varepsilon
_MOMENT1 = r"v \leftarrow \beta_1\, v + (1 - \beta_1)\, g"
_MOMENT2 = r"s \leftarrow \beta_2\, s + (1 - \beta_2)\, g^2"

OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer(
        "gd",
        "Gradient descent",
        _no_state,
        gd_update,
        frozenset({"lr"}),
        (r"\theta \leftarrow \theta - \alpha\, g",),
    ),
    "momentum": Optimizer(
        "momentum",
        "Momentum",
        _one_moment,
        momentum_update,
        frozenset({"lr", "beta1"}),
        (_MOMENT1, r"\theta \leftarrow \theta - \alpha\, v"),
    ),
    "rmsprop": Optimizer(
        "rmsprop",
        "RMSprop",
        _one_moment,
        rmsprop_update,
        frozenset({"lr", "beta2", "epsilon"}),
        (_MOMENT2, r"\theta \leftarrow \theta - \alpha\, \frac{g}{\sqrt{s} + \varepsilon}"),
    ),
    "adam": Optimizer(
        "adam",
        "Adam",
        _two_moments,
        adam_update,
        frozenset({"lr", "beta1", "beta2", "epsilon"}),
        (
            rf"{_MOMENT1}, \qquad {_MOMENT2}",
            r"\hat v = \frac{v}{1 - \beta_1^{\,t}}, \qquad \hat s = \frac{s}{1 - \beta_2^{\,t}}",
            r"\theta \leftarrow \theta - \alpha\, \frac{\hat v}{\sqrt{\hat s} + \varepsilon}",
        ),
    ),
}
