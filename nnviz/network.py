"""A fully connected binary classifier, exactly as DESIGN.md section 2 writes it.

Shapes follow the course: X is (2, m), one example per column; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1). Several runs are stacked on a leading axis: W[l] is (R, n[l], n[l-1]) and every run's
parameters live in one row of a contiguous (R, P) buffer ``theta``; ``Layout.views`` hands out the
per-layer W and b as views into it, so an optimizer updates all layers of all runs in one operation.

    forward:   Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l]) (hidden);  A[L] = σ(Z[L])
    cost:      J = -(1/m) Σ [y log a + (1-y) log(1-a)] + λ/(2m) Σ_l ‖W[l]‖²_F
    backward:  dZ[L] = A[L] - Y;  dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l];  db[l] = (1/m) Σ dZ[l]
               dA[l-1] = W[l]ᵀ dZ[l];  dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy.special import expit  # σ(z) without overflow; scipy comes with scikit-learn

# --- activations: each a (g, g') pair; g' is written in terms of Z and A = g(Z) ---------------


class Activation(NamedTuple):
    g: Callable[[np.ndarray], np.ndarray]
    dg: Callable[[np.ndarray, np.ndarray], np.ndarray]  # g'(Z), given Z and A = g(Z)
    formula: str  # LaTeX, for the formulas panel


def _relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


def _relu_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return Z > 0  # the course's (A > 0); a boolean multiplies as 0/1


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(_relu, _relu_grad, r"\max(0, z)"),
    "tanh": Activation(np.tanh, lambda Z, A: 1.0 - A * A, r"\tanh z"),
    "sigmoid": Activation(expit, lambda Z, A: A * (1.0 - A), r"\sigma(z) = 1/(1+e^{-z})"),
}

# --- initializations: the scale that multiplies a N(0, 1) draw for W[l] ------------------------


class Init(NamedTuple):
    scale: Callable[[int], float]  # n[l-1] -> factor applied to the standard normal draw
    formula: str  # LaTeX, for the formulas panel


INITS: dict[str, Init] = {
    "zeros": Init(lambda n_prev: 0.0, r"W^{[l]} = 0"),
    "random": Init(lambda n_prev: 10.0, r"W^{[l]} \sim \mathcal{N}(0,1) \times 10"),
    "xavier": Init(
        lambda n_prev: np.sqrt(1.0 / n_prev),
        r"W^{[l]} \sim \mathcal{N}(0,1) \times \sqrt{1/n^{[l-1]}}",
    ),
    "he": Init(
        lambda n_prev: np.sqrt(2.0 / n_prev),
        r"W^{[l]} \sim \mathcal{N}(0,1) \times \sqrt{2/n^{[l-1]}}",
    ),
}


def initial_params(dims: tuple[int, ...], init: str, rng: np.random.Generator) -> np.ndarray:
    """One run's flat parameter vector; biases zero in every scheme.

    The standard normal draws do not depend on the scheme, so with one seed "he" and "xavier"
    start from the same directions and differ only in scale.
    """
    layout = Layout(dims)
    theta = np.zeros(layout.size)
    for W, _b in layout.views(theta[None, :]):
        n, n_prev = W.shape[1:]
        W[0] = rng.standard_normal((n, n_prev)) * INITS[init].scale(n_prev)
    return theta


# --- the flat parameter buffer ------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where W[l] and b[l] sit inside one run's flat parameter vector: W1, b1, W2, b2, ..."""

    dims: tuple[int, ...]

    @cached_property
    def slices(self) -> list[tuple[slice, slice]]:
        out, start = [], 0
        for n_prev, n in zip(self.dims[:-1], self.dims[1:]):
            w = slice(start, start + n * n_prev)
            b = slice(w.stop, w.stop + n)
            out.append((w, b))
            start = b.stop
        return out

    @cached_property
    def size(self) -> int:
        return sum(n * (n_prev + 1) for n_prev, n in zip(self.dims[:-1], self.dims[1:]))

    @cached_property
    def weight_mask(self) -> np.ndarray:
        """1 on weights, 0 on biases: L2 penalises weights only."""
        mask = np.zeros(self.size)
        for w, _b in self.slices:
            mask[w] = 1.0
        return mask

    def views(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per-layer (W, b) views of an (R, P) buffer: W (R, n, n_prev), b (R, n, 1)."""
        R = theta.shape[0]
        out = []
        for (w, b), n_prev, n in zip(self.slices, self.dims[:-1], self.dims[1:]):
            out.append((theta[:, w].reshape(R, n, n_prev), theta[:, b].reshape(R, n, 1)))
        return out

    def to_list(self, theta_row: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """One run's parameters as independent (W, b) arrays in the course's shapes."""
        return [(W[0].copy(), b[0].copy()) for W, b in self.views(theta_row[None, :])]

    def from_list(self, params: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Inverse of to_list; shapes must match the layout exactly."""
        if len(params) != len(self.dims) - 1:
            raise ValueError(f"expected {len(self.dims) - 1} layers, got {len(params)}")
        theta = np.zeros(self.size)
        for l, ((W, b), (Wv, bv)) in enumerate(zip(params, self.views(theta[None, :])), 1):
            for name, got, want in ((f"W{l}", W, Wv[0]), (f"b{l}", b, bv[0])):
                got = np.asarray(got, dtype=float)
                if got.shape != want.shape:
                    raise ValueError(f"{name} has shape {got.shape}, expected {want.shape}")
                want[...] = got
        return theta


# --- forward, cost, backward ------------------------------------------------------------------


def forward(
    layers: list[tuple[np.ndarray, np.ndarray]],
    X: np.ndarray,
    act: Activation,
    masks: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Zs and As of every layer (As[0] is X). The last Z is the logit; the last A is σ(Z[L]).

    ``masks`` (inverted dropout) are already divided by keep_prob: A[l] ← A[l] ⊙ D[l] / keep_prob.
    """
    Zs, As = [], [X]
    A = X
    for l, (W, b) in enumerate(layers[:-1]):
        Z = W @ A
        Z += b
        A = act.g(Z)
        if masks is not None:
            A *= masks[l]
        Zs.append(Z)
        As.append(A)
    W, b = layers[-1]
    Z = W @ A
    Z += b
    Zs.append(Z)
    As.append(expit(Z))
    return Zs, As


def cross_entropy(Z_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """-(1/m) Σ [y log σ(z) + (1-y) log(1-σ(z))] per run, from the logits.

    log(1 + e^z) - y z is the same quantity, evaluated by logaddexp without overflow, so a ×10
    random initialization gives a large but finite cost.
    """
    per_example = np.logaddexp(0.0, Z_L) - Y * Z_L
    return np.add.reduce(per_example, axis=-1)[..., 0] / Z_L.shape[-1]  # row by row: R-independent


def l2_term(theta: np.ndarray, weight_mask: np.ndarray) -> np.ndarray:
    """Σ_l ‖W[l]‖²_F per run (biases excluded)."""
    return np.add.reduce(theta * theta * weight_mask, axis=-1)


def backward(
    layers: list[tuple[np.ndarray, np.ndarray]],
    Zs: list[np.ndarray],
    As: list[np.ndarray],
    Y: np.ndarray,
    act: Activation,
    grad_layers: list[tuple[np.ndarray, np.ndarray]],
    masks: list[np.ndarray] | None = None,
) -> None:
    """Cross-entropy gradients written into ``grad_layers`` (views of the gradient buffer).

    The L2 part (λ/m) W is added by the caller on the flat buffer, in one operation.
    """
    dZ = As[-1] - Y
    dZ *= 1.0 / Y.shape[-1]  # dZ[L] / m: the 1/m of every dW and db, folded in once
    for l in range(len(layers) - 1, -1, -1):
        dW, db = grad_layers[l]
        np.matmul(dZ, As[l].mT, out=dW)  # dW[l] = (1/m) dZ[l] A[l-1]ᵀ
        np.add.reduce(dZ, axis=-1, keepdims=True, out=db)  # db[l] = (1/m) Σ_columns dZ[l]
        if l == 0:
            return
        dA = layers[l][0].mT @ dZ  # dA[l-1] = W[l]ᵀ dZ[l]
        if masks is not None:
            dA *= masks[l - 1]  # a dropped unit passes no gradient back
            A = act.g(Zs[l - 1])  # g'(Z) may need A = g(Z) before the mask
        else:
            A = As[l]
        dA *= act.dg(Zs[l - 1], A)  # dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])
        dZ = dA


def predict_proba(params: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, activation: str):
    """σ(Z[L]) for one run's (W, b) list at points X (2, m): shape (m,)."""
    layers = [(W[None], b[None]) for W, b in params]
    _Zs, As = forward(layers, X, ACTIVATIONS[activation])
    return As[-1][0, 0]
