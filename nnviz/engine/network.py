"""A fully connected binary classifier, exactly as DESIGN.md section 2 writes it.

Shapes follow the course: X is (2, m), one example per column; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1). Several runs are stacked on a leading axis: W[l] is (R, n[l], n[l-1]) and every run's
parameters live in one row of a contiguous (R, P) buffer ``theta``; ``Layout.blocks`` hands out each
layer's [W | b] (b as an extra column of W) as a view into it, so an optimizer updates all layers of
all runs in one operation. Inputs carry an extra row of ones, so one product [W | b] [A; 1] is
W A + b, and one product dZ [A; 1]ᵀ gives dW and db together — fewer, larger NumPy calls.

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
    g: Callable[..., np.ndarray]  # g(Z, out=None), a ufunc
    dg: Callable[[np.ndarray, np.ndarray], np.ndarray]  # g'(Z), given Z and A = g(Z)
    formula: str  # LaTeX, for the formulas panel


def _relu(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(Z, 0.0, out=out)


def _relu_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return A > 0  # 1 where Z > 0, else 0: the course's (A > 0); one byte an entry, no float temp


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
    # too small: in a deep tanh network each layer shrinks the signal, activations vanish
    "small": Init(lambda n_prev: 0.01, r"W^{[l]} \sim \mathcal{N}(0,1) \times 0.01"),
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
    """Where each layer sits in one run's flat parameter vector: [W1 | b1], [W2 | b2], ...

    Layer l is an (n[l], n[l-1] + 1) block stored row by row: b[l] is its last column.
    """

    dims: tuple[int, ...]

    @cached_property
    def slices(self) -> list[slice]:
        out, start = [], 0
        for n_prev, n in zip(self.dims[:-1], self.dims[1:]):
            out.append(slice(start, start + n * (n_prev + 1)))
            start = out[-1].stop
        return out

    @cached_property
    def size(self) -> int:
        return self.slices[-1].stop

    @cached_property
    def weight_mask(self) -> np.ndarray:
        """1 on weights, 0 on biases: L2 penalises weights only."""
        mask = np.ones((1, self.size))
        for _W, b in self.views(mask):
            b[...] = 0.0
        return mask[0]

    def blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """Per-layer [W | b] views of an (R, P) buffer, each (R, n, n_prev + 1)."""
        R = theta.shape[0]
        return [
            theta[:, s].reshape(R, n, n_prev + 1)
            for s, n_prev, n in zip(self.slices, self.dims[:-1], self.dims[1:])
        ]

    def views(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per-layer (W, b) views of an (R, P) buffer: W (R, n, n_prev), b (R, n, 1)."""
        return [(Wb[..., :-1], Wb[..., -1:]) for Wb in self.blocks(theta)]

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


def with_ones(A: np.ndarray) -> np.ndarray:
    """[A; 1]: A with a row of ones appended under it, so that [W | b] [A; 1] = W A + b."""
    out = np.empty((*A.shape[:-2], A.shape[-2] + 1, A.shape[-1]))
    out[..., :-1, :] = A
    out[..., -1, :] = 1.0
    return out


# --- forward, cost, backward ------------------------------------------------------------------


class Buffers:
    """Reusable arrays for batches of B columns of R runs: no large temporary in a training step.

    Arrays above ~128 kB are mapped fresh from the OS on every allocation, and the page faults
    cost more than the arithmetic (64 runs × 300 points: 450 faults an epoch, 40% of the time).
    """

    def __init__(self, R: int, dims: tuple[int, ...], B: int):
        hidden = dims[1:-1]
        self.Z = [np.empty((R, n, B)) for n in dims[1:]]  # Z[l], l = 1..L
        self.A = [with_ones(np.zeros((R, n, B))) for n in hidden] + [np.empty((R, 1, B))]
        self.dA = [np.empty((R, n, B)) for n in hidden]  # dA[l], then dZ[l] in place
        self.gZ = [np.empty((R, n, B)) for n in hidden]  # g(Z[l]) again, with dropout
        self.dZ = np.empty((R, 1, B))  # dZ[L]


def forward(
    blocks: list[np.ndarray],
    X1: np.ndarray,
    act: Activation,
    masks: list[np.ndarray] | None = None,
    buffers: Buffers | None = None,
    sigma: bool = True,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Zs and As of every layer. X1 = [X; 1] (``with_ones``); hidden As carry the row of ones too.

    The last Z is the logit Z[L]; the last A is σ(Z[L]). ``masks`` (inverted dropout) are already
    divided by keep_prob: A[l] ← A[l] ⊙ D[l] / keep_prob. ``buffers`` (the trainer's) receive
    every Z and A, to save allocations; fresh arrays are made otherwise. ``sigma=False`` stops at
    the logit: no A[L] (σ costs more than a layer, and costs and accuracies need only Z[L]).
    """
    Zs, As = [], [X1]
    A = X1
    for l, Wb in enumerate(blocks[:-1]):
        # Z[l] = W[l] A[l-1] + b[l]: b[l] multiplies the row of ones
        Z = np.matmul(Wb, A, out=buffers.Z[l]) if buffers else Wb @ A
        A = buffers.A[l] if buffers else with_ones(Z)
        act.g(Z, out=A[:, :-1])  # A[l] = g(Z[l]), above the row of ones
        if masks is not None:
            A[:, :-1] *= masks[l]
        Zs.append(Z)
        As.append(A)
    Z = np.matmul(blocks[-1], A, out=buffers.Z[-1] if buffers else None)
    Zs.append(Z)
    if sigma:
        As.append(expit(Z, out=buffers.A[-1] if buffers else None))
    return Zs, As


def cross_entropy(Z_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """-(1/m) Σ [y log σ(z) + (1-y) log(1-σ(z))] per run, from the logits.

    It equals (1/m) Σ [log(1 + e^z) - y z], and log(1 + e^z) = max(z, 0) + log(1 + e^-|z|) never
    overflows: a ×10 random initialization gives a large but finite cost, and no warning.
    """
    per_example = np.maximum(Z_L, 0.0) - Y * Z_L + np.log1p(np.exp(-np.abs(Z_L)))
    return np.add.reduce(per_example, axis=-1)[..., 0] / Z_L.shape[-1]  # row by row: R-independent


def l2_term(theta: np.ndarray, weight_mask: np.ndarray) -> np.ndarray:
    """Σ_l ‖W[l]‖²_F per run (biases excluded)."""
    return np.add.reduce(theta * theta * weight_mask, axis=-1)


def backward(
    blocks: list[np.ndarray],
    Zs: list[np.ndarray],
    As: list[np.ndarray],
    Y: np.ndarray,
    act: Activation,
    grad_blocks: list[np.ndarray],
    masks: list[np.ndarray] | None = None,
    buffers: Buffers | None = None,
) -> None:
    """Cross-entropy gradients [dW | db] written into ``grad_blocks`` (views of the gradient buf).

    The L2 part (λ/m) W is added by the caller on the flat buffer, in one operation.
    """
    dZ = np.subtract(As[-1], Y, out=buffers.dZ if buffers else None)  # dZ[L] = A[L] - Y
    dZ *= 1.0 / Y.shape[-1]  # dZ[L] / m: the 1/m of every dW and db, folded in once
    for l in range(len(blocks) - 1, -1, -1):
        A_prev = As[l]  # [A[l-1]; 1] (As[0] is [X; 1])
        # [dW[l] | db[l]] = (1/m) dZ[l] [A[l-1]; 1]ᵀ: the row of ones sums dZ over the columns
        np.matmul(dZ, A_prev.mT, out=grad_blocks[l])
        if l == 0:
            return
        W, Z_prev = blocks[l][..., :-1], Zs[l - 1]
        out = buffers.dA[l - 1] if buffers else None
        # dA[l-1] = W[l]ᵀ dZ[l]; with one unit in layer l it is an outer product, which NumPy's
        # matmul computes slowly, so broadcast it instead
        dA = np.matmul(W.mT, dZ, out=out) if W.shape[-2] > 1 else np.multiply(W.mT, dZ, out=out)
        if masks is not None:
            dA *= masks[l - 1]  # a dropped unit passes no gradient back
            g_prev = act.g(Z_prev, out=buffers.gZ[l - 1] if buffers else None)  # before the mask
        else:
            g_prev = A_prev[:, :-1]
        dA *= act.dg(Z_prev, g_prev)  # dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])
        dZ = dA


def predict_proba(
    params: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, activation: str
) -> np.ndarray:
    """σ(Z[L]) for one run's (W, b) list at points X (2, m): shape (m,)."""
    blocks = [np.concatenate([W, b], axis=1)[None] for W, b in params]
    _Zs, As = forward(blocks, with_ones(X), ACTIVATIONS[activation])
    return As[-1][0, 0]
