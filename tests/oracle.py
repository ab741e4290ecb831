"""The tests' oracle: docs/design.md §2 the course's way, one layer at a time, in plain NumPy.

Nothing here imports nnviz's forward or backward pass; the tests compare nnviz against these
formulas (and against finite differences of ``cost``), never against nnviz itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Params = list[tuple[np.ndarray, np.ndarray]]  # [(W1, b1), ..., (WL, bL)] in the course's shapes

G = {
    "relu": lambda Z: np.where(Z > 0, Z, 0.0),
    "tanh": lambda Z: (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z)),
    "sigmoid": lambda Z: 1.0 / (1.0 + np.exp(-Z)),
}


def forward(
    params: Params, X: np.ndarray, activation: str, masks: list[np.ndarray] | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Z[l] = W[l] A[l-1] + b[l]; A[l] = g(Z[l]) (⊙ D[l]/keep_prob given as ``masks``).

    Returns the hidden Zs and the output logit z = Z[L], shape (1, m).
    """
    g = G[activation]
    A, Zs = X, []
    for l, (W, b) in enumerate(params[:-1]):
        Z = np.dot(W, A) + b
        Zs.append(Z)
        A = g(Z) if masks is None else g(Z) * masks[l]
    W, b = params[-1]
    return Zs, np.dot(W, A) + b


def cost(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    activation: str,
    lambd: float = 0.0,
    masks: list[np.ndarray] | None = None,
) -> float:
    """J = (1/m) Σ [log(1 + e^z) − y z] + λ/(2m) Σ_l ‖W[l]‖²_F, the cross-entropy from logits."""
    _Zs, z = forward(params, X, activation, masks)
    m = X.shape[1]
    cross = np.sum(np.logaddexp(0, z) - Y * z) / m
    return float(cross + lambd / (2 * m) * sum(np.sum(W * W) for W, _b in params))


def accuracy(params: Params, X: np.ndarray, Y: np.ndarray, activation: str) -> float:
    """Share of points where σ(z) > 0.5 (exactly when z > 0) agrees with y."""
    _Zs, z = forward(params, X, activation)
    return float(np.mean((z > 0) == (Y == 1)))


def numerical_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float = 1e-5):
    """Central differences (f(θ + h eᵢ) − f(θ − h eᵢ)) / 2h, one coordinate at a time."""
    g = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += h
        minus[i] -= h
        g[i] = (f(plus) - f(minus)) / (2 * h)
    return g


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


# --- batch normalization (docs/design.md §7), one layer at a time ---------------------------------

Norms = list[tuple[np.ndarray, ...]]  # per hidden layer (γ, β, μ_run, σ²_run), each (n[l], 1)


def bn_forward(
    params: Params, norms: Norms, X: np.ndarray, activation: str, eps: float, running: bool
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Z̃[l] = γ (Z[l] − μ)/√(σ² + ε) + β before g on each hidden layer: μ, σ² those of the batch
    X (np.mean, np.var: biased) or, with ``running``, the stored running averages.

    Returns the hidden Z̃s, the hidden As, the output logit z and each layer's batch (μ, σ²).
    """
    g = G[activation]
    A, Zts, As, stats = X, [], [], []
    for (W, b), (gamma, beta, mu_run, var_run) in zip(params[:-1], norms):
        Z = np.dot(W, A) + b
        stats.append((Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)))
        mu, var = (mu_run, var_run) if running else stats[-1]
        Zt = gamma * (Z - mu) / np.sqrt(var + eps) + beta
        A = g(Zt)
        Zts.append(Zt)
        As.append(A)
    W, b = params[-1]
    return Zts, As, np.dot(W, A) + b, stats


def bn_cost(
    params: Params,
    norms: Norms,
    X: np.ndarray,
    Y: np.ndarray,
    activation: str,
    eps: float,
    running: bool = False,
) -> float:
    """The cross-entropy of ``bn_forward``'s logits (no L2 term)."""
    z = bn_forward(params, norms, X, activation, eps, running)[2]
    return float(np.sum(np.logaddexp(0, z) - Y * z) / X.shape[1])


# --- K ≥ 3 classes (docs/design.md §7): softmax output, one-hot targets --------------------------


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """Y (K, m): column i is 1 in row labels[i]."""
    Y = np.zeros((classes, labels.size))
    Y[labels.astype(int).ravel(), np.arange(labels.size)] = 1.0
    return Y


def softmax_cost(
    params: Params, X: np.ndarray, labels: np.ndarray, activation: str, lambd: float = 0.0
) -> float:
    """J = −(1/m) Σᵢ log ŷ_{yᵢ,i} + λ/(2m) Σ‖W‖², ŷ = e^z / Σ e^z taken literally (moderate z)."""
    _Zs, Z = forward(params, X, activation)
    P = np.exp(Z) / np.exp(Z).sum(axis=0)
    m = X.shape[1]
    cross = -np.sum(np.log(P[labels.astype(int).ravel(), np.arange(m)])) / m
    return float(cross + lambd / (2 * m) * sum(np.sum(W * W) for W, _b in params))
