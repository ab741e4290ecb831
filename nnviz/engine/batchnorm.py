"""Batch normalization of the hidden layers, as the course's week 3 writes it (docs/design.md §7).

In training, per unit over the m columns of the (mini-)batch, before g:

    μ = (1/m) Σ Z;   σ² = (1/m) Σ (Z − μ)²   (biased);   Z_norm = (Z − μ) / √(σ² + ε)
    Z̃ = γ ⊙ Z_norm + β;   A = g(Z̃)

b[l] is held at 0 where BN is on: μ would cancel it, and β takes its place. Backward, with dZ̃
already holding the 1/m of the cost:

    dβ = Σ dZ̃;   dγ = Σ dZ̃ ⊙ Z_norm;   dZ = γ / √(σ² + ε) ⊙ (dZ̃ − dβ/m − Z_norm ⊙ dγ/m)

Running averages, once per training step, with momentum ρ the weight of the new batch (PyTorch's
convention, default 0.1; Keras's momentum 0.99 is our ρ = 0.01):

    μ_run ← (1 − ρ) μ_run + ρ μ;   σ²_run ← (1 − ρ) σ²_run + ρ σ²

Every evaluation uses the running averages, Z̃ = γ (Z − μ_run)/√(σ²_run + ε) + β: an affine map of
Z, so it folds into the layer as W' = s ⊙ W, b' = s ⊙ b + β − s ⊙ μ_run with s = γ/√(σ²_run + ε).
All arrays carry the runs on the leading axis: Z is (R, n, m) and γ, β, μ, σ² are (R, n, 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Norm(NamedTuple):
    """γ[l] and β[l] of every hidden layer (views (R, n[l], 1), None at l = 0), and ε_bn."""

    gamma: list
    beta: list
    eps: float | np.ndarray  # a float, or (R, 1, 1): one ε per run


class Stats(NamedTuple):
    """One hidden layer's batch statistics from a training forward pass, for backward and the
    running averages: Z − μ (R, n, m); μ, σ², 1/√(σ² + ε) (R, n, 1); a scratch (R, n, m); and
    the columns of ones and of 1/m (m, 1), whose products with Z sum and average over the batch
    (one matmul: faster than a reduction for our small arrays)."""

    Zc: np.ndarray
    mu: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    scratch: np.ndarray
    ones: np.ndarray
    mean: np.ndarray


def batch_stats(R: int, hidden: tuple[int, ...], m: int) -> tuple[np.ndarray, list[Stats]]:
    """Stats for every hidden layer, and their μ and σ² as one (R, Σ 4 n[l]) buffer laid out
    like θ's batch norm block (Layout.norms: γ, β, μ, σ² per layer; the γ, β places stay 0), so
    that one operation moves all running averages (``update_running``)."""
    flat = np.zeros((R, 4 * sum(hidden)))
    out, start, ones = [], 0, np.ones((m, 1))
    for n in hidden:
        _gamma, _beta, mu, var = flat[:, start : start + 4 * n].reshape(R, 4, n, 1).swapaxes(0, 1)
        big = (np.empty((R, n, m)) for _ in range(2))
        out.append(Stats(next(big), mu, var, np.empty((R, n, 1)), next(big), ones, ones / m))
        start += 4 * n
    return flat, out


def normalize(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps, s: Stats) -> None:
    """Z ← Z̃ = γ ⊙ (Z − μ)/√(σ² + ε) + β in place, with the batch's μ and σ² (kept in ``s``)."""
    Zc, inv_std = s.Zc, s.inv_std
    np.matmul(Z, s.mean, out=s.mu)  # μ = (1/m) Σ Z
    np.subtract(Z, s.mu, out=Zc)  # Z − μ
    np.multiply(Zc, Zc, out=Z)  # Z is free now: (Z − μ)²
    np.matmul(Z, s.mean, out=s.var)  # σ², biased: the mean of the squares
    np.add(s.var, eps, out=inv_std)
    np.sqrt(inv_std, out=inv_std)
    np.divide(1.0, inv_std, out=inv_std)  # 1/√(σ² + ε)
    np.multiply(Zc, gamma * inv_std, out=Z)  # γ Z_norm, Z_norm = (Z − μ)/√(σ² + ε)
    Z += beta  # Z̃ = γ Z_norm + β


def normalize_backward(
    dZ: np.ndarray, gamma: np.ndarray, s: Stats, dgamma: np.ndarray, dbeta: np.ndarray
) -> None:
    """dZ̃ → dZ in place (through μ and σ² of the batch); dγ, dβ written into their views."""
    m, scratch, inv_std = dZ.shape[-1], s.scratch, s.inv_std
    np.matmul(dZ, s.ones, out=dbeta)  # dβ = Σ dZ̃
    np.multiply(dZ, s.Zc, out=scratch)
    np.matmul(scratch, s.ones, out=dgamma)
    dgamma *= inv_std  # dγ = Σ dZ̃ ⊙ Z_norm
    a = gamma * inv_std  # γ/√(σ² + ε)
    np.multiply(s.Zc, a * inv_std * dgamma * (1.0 / m), out=scratch)  # a Z_norm dγ/m
    scratch += a * dbeta * (1.0 / m)
    dZ *= a
    dZ -= scratch  # dZ = γ/√(σ² + ε) ⊙ (dZ̃ − dβ/m − Z_norm dγ/m)


def update_running(
    running: np.ndarray, batch: np.ndarray, weight: np.ndarray, scratch: np.ndarray
) -> None:
    """μ_run ← (1 − ρ) μ_run + ρ μ and σ²_run likewise, of every layer at once, in place.

    ``running``: θ's batch norm block (R, K); ``batch``: batch_stats' buffer, laid out alike;
    ``weight``: ρ on the μ and σ² places and 0 on γ and β, which this leaves as they are.
    """
    np.subtract(batch, running, out=scratch)
    scratch *= weight
    running += scratch  # r + ρ (x − r) = (1 − ρ) r + ρ x


def fold(
    Wb: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mu_run: np.ndarray,
    var_run: np.ndarray,
    eps,
) -> np.ndarray:
    """[W' | b'] of a layer that computes, from A[l-1], the Z̃ of evaluation: a new array."""
    scale = gamma / np.sqrt(var_run + eps)  # s = γ/√(σ²_run + ε)
    out = Wb * scale  # s ⊙ [W | b]
    out[..., -1:] += beta - scale * mu_run  # b' = s b + β − s μ_run
    return out
