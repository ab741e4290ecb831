"""A fully connected classifier, exactly as docs/design.md §2 (and §7 for K ≥ 3 classes) writes it.

Shapes follow the course: X is (2, m), one example per column; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1). Several runs are stacked on a leading axis: W[l] is (R, n[l], n[l-1]) and every run's
parameters live in one row of a contiguous (R, P) buffer ``theta``; ``Layout.blocks`` hands out each
layer's [W | b] (b as an extra column of W) as a view into it, so an optimizer updates all layers of
all runs in one operation. Inputs carry an extra row of ones, so one product [W | b] [A; 1] is
W A + b, and one product dZ [A; 1]ᵀ gives dW and db together — fewer, larger NumPy calls.

Layers count from 1 as in the course: lists indexed by layer (``Wb[l]``, ``Z[l]``, ``A[l]``,
``dZ[l]``) run l = 1..L and hold None at index 0, except A[0], the input [X; 1].

    forward:   Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l]) (hidden);  A[L] = σ(Z[L])
    cost:      J = -(1/m) Σ [y log a + (1-y) log(1-a)] + λ/(2m) Σ_l ‖W[l]‖²_F + (λ₁/m) Σ_l Σ|W[l]|
    backward:  dZ[L] = A[L] - Y;  dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l] + (λ₁/m) sign(W[l]);
               db[l] = (1/m) Σ dZ[l]
               dA[l-1] = W[l]ᵀ dZ[l];  dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])

K ≥ 3 classes (docs/design.md §7): n[L] = K, A[L] = softmax(Z[L]) per column, Y one-hot (K, m),
J = -(1/m) Σᵢ Σₖ Yₖᵢ log Aₖᵢ + the L2 term, and still dZ[L] = A[L] - Y. Which output a network has
is read from its last layer's width: one unit is the sigmoid, K units the softmax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy.special import expit  # σ(z) without overflow; scipy comes with scikit-learn

from nnviz.engine.batchnorm import Norm, batch_stats, fold, normalize, normalize_backward
from nnviz.engine.features import PLANE, transform

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


def initial_params(
    dims: tuple[int, ...], init: str, rng: np.random.Generator, batch_norm: bool = False
) -> np.ndarray:
    """One run's flat parameter vector; biases zero in every scheme.

    The standard normal draws do not depend on the scheme, so with one seed "he" and "xavier"
    start from the same directions and differ only in scale; nor on ``batch_norm``, whose γ = 1,
    β = 0 and running μ = 0, σ² = 1 come after the weights.
    """
    layout = Layout(dims, batch_norm)
    theta = layout.blank()
    for W, _b in layout.views(theta[None, :]):  # W[l], l = 1..L
        n, n_prev = W.shape[1:]
        W[0] = rng.standard_normal((n, n_prev)) * INITS[init].scale(n_prev)
    return theta


# --- the flat parameter buffer ------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where each layer sits in one run's flat parameter vector: [W1 | b1], [W2 | b2], ...

    Layer l is an (n[l], n[l-1] + 1) block stored row by row: b[l] is its last column. With
    ``batch_norm``, after the last block, each hidden layer's γ, β, running μ and running σ²
    follow (4 n[l] numbers): the optimizer moves γ and β; μ and σ² get a zero gradient, so no rule
    moves them, and the trainer updates them itself. Snapshots and exports carry them all.
    """

    dims: tuple[int, ...]
    batch_norm: bool = False

    def __post_init__(self) -> None:
        # batch norm acts on hidden layers only: without one (logistic or softmax regression) a
        # batch-norm run is a plain run, and its layout is the plain one
        object.__setattr__(self, "batch_norm", self.batch_norm and len(self.dims) > 2)

    @cached_property
    def slices(self) -> list[slice]:
        out, start = [], 0
        for n_prev, n in zip(self.dims[:-1], self.dims[1:]):
            out.append(slice(start, start + n * (n_prev + 1)))
            start = out[-1].stop
        return out

    @cached_property
    def norm_slices(self) -> list[slice]:
        """Hidden layer l's [γ, β, μ_run, σ²_run] at index l - 1; empty without batch norm."""
        out, start = [], self.slices[-1].stop
        for n in self.dims[1:-1] if self.batch_norm else ():
            out.append(slice(start, start + 4 * n))
            start = out[-1].stop
        return out

    @cached_property
    def size(self) -> int:
        return (self.norm_slices or self.slices)[-1].stop

    @cached_property
    def weight_mask(self) -> np.ndarray:
        """1 on weights, 0 on biases and on γ, β, μ, σ²: L2 penalises weights only."""
        mask = np.ones((1, self.size))
        for _W, b in self.views(mask):
            b[...] = 0.0
        mask[0, self.slices[-1].stop :] = 0.0
        return mask[0]

    def norms(self, theta: np.ndarray) -> list[tuple[np.ndarray, ...] | None]:
        """(γ, β, μ_run, σ²_run) views of an (R, P) buffer at hidden l = 1..L-1, each (R, n[l], 1);
        None at index 0 (and everywhere but index 0 is absent without batch norm)."""
        R = theta.shape[0]
        return [None] + [
            tuple(theta[:, s].reshape(R, 4, -1, 1).transpose(1, 0, 2, 3)) for s in self.norm_slices
        ]

    def norm(self, theta: np.ndarray, eps: float | np.ndarray = 0.0) -> Norm | None:
        """γ[l], β[l] views of an (R, P) buffer (θ, or g for dγ, dβ) for forward and backward;
        None without batch norm."""
        if not self.batch_norm:
            return None
        stats = self.norms(theta)
        return Norm([None, *(s[0] for s in stats[1:])], [None, *(s[1] for s in stats[1:])], eps)

    def blank(self) -> np.ndarray:
        """All zeros but γ = 1 and σ²_run = 1: batch norm's starting point (PyTorch's too)."""
        theta = np.zeros(self.size)
        for gamma, _beta, _mu, var in self.norms(theta[None, :])[1:]:
            gamma[...] = var[...] = 1.0
        return theta

    def eval_blocks(self, theta: np.ndarray, eps: float | np.ndarray) -> list[np.ndarray | None]:
        """Like ``blocks``, with batch norm at evaluation folded in (batchnorm.fold): forward on
        these computes the running-statistics network. ``eps``: ε_bn, a float or (R, 1, 1)."""
        Wb = self.blocks(theta)
        for l, stats in enumerate(self.norms(theta)[1:], 1):
            Wb[l] = fold(Wb[l], *stats, eps)
        return Wb

    def norm_list(self, theta_row: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """One run's (γ, β, μ_run, σ²_run) per hidden layer, each (n[l], 1); [] without BN."""
        return [tuple(a[0].copy() for a in s) for s in self.norms(theta_row[None, :])[1:]]

    @property
    def L(self) -> int:
        """The number of layers: hidden ones and the output."""
        return len(self.dims) - 1

    def blocks(self, theta: np.ndarray) -> list[np.ndarray | None]:
        """[W[l] | b[l]] views of an (R, P) buffer at index l = 1..L, each (R, n[l], n[l-1] + 1)."""
        R = theta.shape[0]
        return [None] + [
            theta[:, s].reshape(R, n, n_prev + 1)
            for s, n_prev, n in zip(self.slices, self.dims[:-1], self.dims[1:])
        ]

    def views(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W[l], b[l]) views of an (R, P) buffer for l = 1..L, in order: W (R, n[l], n[l-1])."""
        return [(Wb[..., :-1], Wb[..., -1:]) for Wb in self.blocks(theta)[1:]]

    def to_list(self, theta_row: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """One run's parameters as independent (W, b) arrays in the course's shapes."""
        return [(W[0].copy(), b[0].copy()) for W, b in self.views(theta_row[None, :])]

    def from_list(self, params: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Inverse of to_list; shapes must match the layout exactly."""
        if len(params) != len(self.dims) - 1:
            raise ValueError(f"expected {len(self.dims) - 1} layers, got {len(params)}")
        theta = self.blank()
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


class Workspace:
    """Every array one forward and backward pass writes, for R runs on B columns, by layer.

    Z[l], dZ[l] for l = 1..L; A[l] for l = 0..L, with A[0] = [X; 1] set by each forward pass and
    hidden A[l] stored as [A[l]; 1] (g(Z[l]) above a row of ones); D[l] the dropout masks of the
    pass, None without dropout. The trainer keeps one per batch width and reuses it at every step:
    arrays above ~128 kB come fresh from the OS at each allocation, and the page faults cost more
    than the arithmetic.
    """

    def __init__(self, R: int, dims: tuple[int, ...], B: int):
        hidden = dims[1:-1]
        self.Z: list = [None] + [np.empty((R, n, B)) for n in dims[1:]]
        self.A: list = [None] + [with_ones(np.zeros((R, n, B))) for n in hidden]
        self.A.append(np.empty((R, dims[-1], B)))  # A[L] = σ(Z[L]), or softmax(Z[L]) for K units
        self.dZ: list = [None] + [np.empty((R, n, B)) for n in dims[1:]]  # dA[l], then dZ[l]
        self.gZ: list = [None] + [np.empty((R, n, B)) for n in hidden]  # g(Z[l]) under dropout
        self.D: list | None = None
        self.bn: list | None = None  # batch norm's Stats per hidden layer, made at first use
        self.bn_flat: np.ndarray | None = None  # their μ and σ², laid out like θ's BN block

    @classmethod
    def fresh(cls, Wb: list[np.ndarray | None], B: int) -> Workspace:
        """A new workspace for the layers ``Wb`` (1-based [W | b] blocks) on B columns."""
        dims = (Wb[1].shape[-1] - 1, *(W.shape[-2] for W in Wb[1:]))
        return cls(Wb[1].shape[0], dims, B)


def forward(
    Wb: list[np.ndarray | None],
    X1: np.ndarray,
    act: Activation,
    masks: list[np.ndarray] | None = None,
    work: Workspace | None = None,
    sigma: bool = True,
    norm: Norm | None = None,
) -> Workspace:
    """Z[l] and A[l] of every layer, written into ``work`` (a fresh Workspace when None).

    ``Wb[l]`` = [W[l] | b[l]] for l = 1..L; X1 = [X; 1] (``with_ones``). ``masks`` holds the
    inverted-dropout masks D[l] / keep_prob of the hidden layers l = 1..L-1, in order.
    ``sigma=False`` stops at the logit Z[L] and leaves A[L] unset (σ costs more than a layer, and
    costs and accuracies need only Z[L]). A[L] is σ(Z[L]) for one output unit, softmax(Z[L]) for K.
    ``norm``: batch norm in training mode, with the batch's statistics: Z[l] then holds Z̃[l]
    and ``work.bn[l]`` the statistics (evaluation uses ``Layout.eval_blocks`` instead).
    """
    w = work if work is not None else Workspace.fresh(Wb, X1.shape[-1])
    Z, A, L = w.Z, w.A, len(Wb) - 1
    A[0], w.D = X1, None if masks is None else [None, *masks]
    if norm is not None and w.bn is None:
        R, _n, B = Z[1].shape
        w.bn_flat, stats = batch_stats(R, tuple(Z[l].shape[1] for l in range(1, L)), B)
        w.bn = [None, *stats]
    for l in range(1, L):
        np.matmul(Wb[l], A[l - 1], out=Z[l])  # Z[l] = W[l] A[l-1] + b[l]: b[l] times the ones
        if norm is not None:  # Z[l] ← Z̃[l] = γ Z_norm + β
            normalize(Z[l], norm.gamma[l], norm.beta[l], norm.eps, w.bn[l])
        act.g(Z[l], out=A[l][:, :-1])  # A[l] = g(Z[l]), above the row of ones
        if w.D is not None:
            A[l][:, :-1] *= w.D[l]  # A[l] ← A[l] ⊙ D[l] / keep_prob
    np.matmul(Wb[L], A[L - 1], out=Z[L])  # Z[L] = W[L] A[L-1] + b[L]
    if sigma:
        (expit if Z[L].shape[-2] == 1 else softmax)(Z[L], out=A[L])  # A[L] = σ or softmax of Z[L]
    return w


def output_units(classes: int) -> int:
    """n[L]: one sigmoid unit for two classes (the course's binary output), K softmax units else."""
    return 1 if classes == 2 else classes


def targets(labels: np.ndarray, classes: int) -> np.ndarray:
    """What A[L] is compared with: the (1, m) labels for two classes, one-hot Y (K, m) for K ≥ 3."""
    if classes == 2:
        return labels
    return (np.arange(classes)[:, None] == labels.reshape(1, -1)).astype(float)


def softmax(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """exp(Z - max Z) / Σₖ exp(Z - max Z) over the units (axis -2), per column.

    Shifting by the column's max changes nothing mathematically and keeps every exp ≤ 1: logits of
    1000 give 1.0, not inf / inf = NaN.
    """
    out = np.subtract(Z, Z.max(axis=-2, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-2, keepdims=True)
    return out


def log_sum_exp(Z: np.ndarray) -> np.ndarray:
    """log Σₖ exp(Zₖ) per column, as max Z + log Σₖ exp(Zₖ - max Z): never overflows."""
    top = Z.max(axis=-2, keepdims=True)
    return top + np.log(np.exp(Z - top).sum(axis=-2, keepdims=True))


def softmax_cross_entropy(Z_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """-(1/m) Σᵢ Σₖ Yₖᵢ log softmax(Z)ₖᵢ per run, from the logits: log softmax(Z) = Z - lse(Z)."""
    per_example = np.add.reduce(Y * (log_sum_exp(Z_L) - Z_L), axis=-2)  # (R, m)
    return np.add.reduce(per_example, axis=-1) / Z_L.shape[-1]


def output_cost(Z_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The cross-entropy of the network's output, binary or K-class, per run (no L2 term)."""
    return cross_entropy(Z_L, Y) if Z_L.shape[-2] == 1 else softmax_cross_entropy(Z_L, Y)


def predicted_class(Z_L: np.ndarray) -> np.ndarray:
    """The class each column is given: z > 0 (σ > 0.5) for one unit, argmax over K units."""
    return (Z_L[..., 0, :] > 0).astype(int) if Z_L.shape[-2] == 1 else Z_L.argmax(axis=-2)


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


def l1_term(theta: np.ndarray, weight_mask: np.ndarray) -> np.ndarray:
    """Σ_l Σ |W[l]| per run (biases excluded): L1's cost is (λ₁/m) times this."""
    return np.add.reduce(np.abs(theta) * weight_mask, axis=-1)


def l1_gradient(theta: np.ndarray, weight_mask: np.ndarray) -> np.ndarray:
    """∂(Σ|W|)/∂θ = sign(W) on the weights, 0 on the biases; sign(0) = 0, the subgradient that
    leaves a weight sitting exactly at 0 where the cross-entropy's pull alone puts it."""
    return np.sign(theta) * weight_mask


def backward(
    Wb: list[np.ndarray | None],
    work: Workspace,
    Y: np.ndarray,
    act: Activation,
    dWb: list[np.ndarray | None],
    norm: Norm | None = None,
    dnorm: Norm | None = None,
) -> None:
    """The cross-entropy's [dW[l] | db[l]] written into ``dWb[l]``, l = L..1, after ``forward``.

    ``work`` holds that forward pass (its Z, A and dropout masks); ``dWb`` is laid out like ``Wb``
    (views of the gradient buffer). The L2 part (λ/m) W[l] is added by the caller, in one operation
    on the flat buffer. With batch norm (``norm`` as in the forward pass), dγ[l] and dβ[l] go into
    ``dnorm``'s views and db[l] of the hidden layers is held at exactly 0.
    """
    Z, A, dZ, D = work.Z, work.A, work.dZ, work.D
    L = len(Wb) - 1
    np.subtract(A[L], Y, out=dZ[L])  # dZ[L] = A[L] - Y
    dZ[L] *= 1.0 / Y.shape[-1]  # the 1/m of every dW[l] and db[l], folded in once
    for l in range(L, 0, -1):
        # [dW[l] | db[l]] = (1/m) dZ[l] [A[l-1]; 1]ᵀ: the row of ones sums dZ[l] over the columns
        np.matmul(dZ[l], A[l - 1].mT, out=dWb[l])
        if norm is not None and l < L:
            dWb[l][..., -1] = 0.0  # b[l] stays 0: β does its work
        if l == 1:
            return
        W, dA = Wb[l][..., :-1], dZ[l - 1]  # dA[l-1] is made in dZ[l-1]'s array, then scaled
        if W.shape[-2] > 1:
            np.matmul(W.mT, dZ[l], out=dA)  # dA[l-1] = W[l]ᵀ dZ[l]
        else:  # one unit in layer l: an outer product, which matmul computes slowly
            np.multiply(W.mT, dZ[l], out=dA)
        if D is not None:
            dA *= D[l - 1]  # a dropped unit passes no gradient back
        dA *= act.dg(Z[l - 1], _g(work, act, l - 1))  # dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])
        if norm is not None:  # that was dZ̃[l-1]; through the batch's μ and σ² to dZ[l-1]
            k = l - 1
            normalize_backward(dA, norm.gamma[k], work.bn[k], dnorm.gamma[k], dnorm.beta[k])


def _g(work: Workspace, act: Activation, l: int) -> np.ndarray:
    """g(Z[l]) as the forward pass computed it: A[l] itself, unless dropout has scaled A[l]."""
    if work.D is None:
        return work.A[l][:, :-1]
    return act.g(work.Z[l], out=work.gZ[l])


def predict_proba(
    params: list[tuple[np.ndarray, np.ndarray]],
    X: np.ndarray,
    activation: str,
    features: tuple[str, ...] = PLANE,
) -> np.ndarray:
    """σ(Z[L]) for one run's (W, b) list at points X (2, m), seen through ``features``: (m,); for
    a K-class network, softmax(Z[L]): shape (K, m)."""
    Wb = [None] + [np.concatenate([W, b], axis=1)[None] for W, b in params]
    A_L = forward(Wb, with_ones(transform(X, features)), ACTIVATIONS[activation]).A[-1][0]
    return A_L[0] if A_L.shape[0] == 1 else A_L
