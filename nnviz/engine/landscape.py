"""The loss landscape of real runs: a 2-D slice of the training cost through one run's final
weights θ*, with every run's path drawn on it (Li et al., 2018; docs/design.md §7).

    f(α, β) = J(θ* + α d₁ + β d₂)      (α, β: coordinates in the plane, not the learning rate)

J is the cost the trainer records: cross-entropy on the whole training set, no dropout, plus the
L2 term λ/(2m) Σ‖W[l]‖² with the λ of θ*'s run; so switching the centre run shows λ's effect.
θ* is the run's final θ (History.theta): after early stopping, the best epoch's, which the run
keeps. Two directions d₁, d₂ are shared by every run:

    random   filter-normalised: d ~ N(0, I); then each unit's incoming weights (row i of W[l], the
             dense layer's "filter") are rescaled to the norm of θ*'s row i; biases set to 0.
             One unit of α is then as large as the weights themselves, unit by unit.
    pca      the top two principal directions of all runs' trajectories: the first two right
             singular vectors of M, one row θ_t − θ* per snapshot of every run (not centred: the
             plane goes through θ*, the centre of the slice).

Each snapshot θ_t is placed at the (α, β) closest to it: argmin ‖α d₁ + β d₂ − (θ_t − θ*)‖, by
least squares, since filter-normalised directions are not orthogonal. What the plane misses is
reported as ``off_plane``. The grid's rows are evaluated like the Recorder's runs: an (R, P) stack
of parameter vectors through one batched forward pass, R = ``CHUNK`` rows at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.engine.data import Dataset
from nnviz.engine.features import transform
from nnviz.engine.history import History
from nnviz.engine.network import (
    ACTIVATIONS,
    Activation,
    Layout,
    Workspace,
    forward,
    l1_term,
    l2_term,
    output_cost,
    targets,
    with_ones,
)

DIRECTIONS = {  # the lab offers them in this order, the first by default
    "pca": "PCA of the paths",
    "random": "Random, filter-normalised",
}
GRID = 51  # points along each axis: 51 × 51 = 2,601 costs, α = 0 and β = 0 on the grid
# Rows of the grid per forward pass. At the lab's default network the slice takes about 0.09 s
# with any chunk from 16 rows to all 2,601 (benchmarks/landscape.py); 128 rows keep a pass's
# arrays near 5 MB instead of 200 MB for the whole grid at once.
CHUNK = 128
MARGIN = 1.15  # the grid reaches this far past the farthest path point
FLOOR = {"random": 1.0, "pca": 1e-6}  # the least half-width: the weights' own scale for random


@dataclass(frozen=True)
class Path:
    """One run's snapshots placed on the slice, and the weights it kept in the end."""

    epochs: np.ndarray  # (S,) the snapshot epochs
    coords: np.ndarray  # (S, 2): (α_t, β_t), least squares
    off_plane: np.ndarray  # (S,) ‖residual‖ / ‖θ_t − θ*‖: 0 on the plane, 1 orthogonal to it
    final: np.ndarray  # (2,): the run's final θ (History.theta); the last snapshot's place,
    # except after early stopping, which goes back to the best epoch's θ
    kept_epoch: int | None  # early stopping's best epoch, whose θ the run kept; else None


def path(h: History, theta_star: np.ndarray, d: np.ndarray) -> Path:
    """Run ``h``'s snapshots and final θ, placed on the plane through θ* along ``d``."""
    coords, off = project(h.snapshots, theta_star, d)
    final, _off = project(h.theta[None, :], theta_star, d)
    return Path(h.snapshot_epochs, coords, off, final[0], h.best_epoch)


@dataclass(frozen=True)
class Landscape:
    """A slice of J around run ``centre``'s final weights, and every run's path on it."""

    centre: int
    directions: str  # a DIRECTIONS key
    lambd: float  # the λ of the L2 term in J: the centre run's
    alphas: np.ndarray  # (n,) along d₁
    betas: np.ndarray  # (n,) along d₂
    J: np.ndarray  # (n, n): J[j, i] = f(alphas[i], betas[j]), rows along β (as contours take it)
    d: np.ndarray  # (2, P): d₁ and d₂
    paths: list[Path]  # one per run, in the runs' order
    explained: np.ndarray | None  # pca: the share of M's squared norm along d₁ and d₂


# --- directions ------------------------------------------------------------------------------


def filter_normalized(layout: Layout, theta_star: np.ndarray, rng: np.random.Generator):
    """A N(0, I) direction with row i of each W[l] rescaled to ‖row i of θ*'s W[l]‖, b[l] = 0.

    A unit whose incoming weights are all zero gets a zero row: there is no scale to copy.
    """
    d = rng.standard_normal(layout.size)
    for (W, b), (W_star, _b) in zip(layout.views(d[None, :]), layout.views(theta_star[None, :])):
        norms = np.linalg.norm(W, axis=-1, keepdims=True)  # (1, n[l], 1): one per unit
        wanted = np.linalg.norm(W_star, axis=-1, keepdims=True)
        W *= np.divide(wanted, norms, out=np.zeros_like(norms), where=norms > 0)
        b[...] = 0.0
    return d


def random_directions(layout: Layout, theta_star: np.ndarray, seed: int) -> np.ndarray:
    """(2, P): d₁ and d₂, filter-normalised, drawn from ``seed`` alone (one slice per seed)."""
    rng = np.random.default_rng(seed)
    return np.stack([filter_normalized(layout, theta_star, rng) for _ in range(2)])


def pca_directions(snapshots: np.ndarray, theta_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2, P) orthonormal d₁, d₂ and the share of ‖M‖²_F each explains, M = snapshots − θ*.

    The right singular vectors of M: d₁ the direction the snapshots move along most, d₂ the
    most of what is left, at right angles to d₁.
    """
    M = snapshots - theta_star
    if len(M) < 2:  # SVD gives one direction per row: pad with zero rows (explaining nothing)
        M = np.vstack([M, np.zeros((2 - len(M), M.shape[1]))])
    _U, S, Vt = np.linalg.svd(M, full_matrices=False)
    total = float(np.sum(S * S))
    explained = S[:2] ** 2 / total if total > 0 else np.zeros(2)
    return Vt[:2].copy(), explained


def project(thetas: np.ndarray, theta_star: np.ndarray, d: np.ndarray):
    """(S, 2) least-squares coordinates of each θ_t − θ* on d₁, d₂, and the relative residual."""
    delta = (thetas - theta_star).T  # (P, S)
    coords, *_ = np.linalg.lstsq(d.T, delta, rcond=None)  # minimum norm if d₁ ∥ d₂ (or 0)
    residual = np.linalg.norm(delta - d.T @ coords, axis=0)
    size = np.linalg.norm(delta, axis=0)
    off = np.divide(residual, size, out=np.zeros_like(size), where=size > 0)
    return coords.T, off


# --- the cost over the plane -----------------------------------------------------------------


def costs(
    layout: Layout,
    act: Activation,
    thetas: np.ndarray,
    X1: np.ndarray,
    Y: np.ndarray,
    lambd,
    bn_epsilon: float = 0.0,
) -> np.ndarray:
    """J of every row of ``thetas`` (R, P) on [X; 1], Y: cross-entropy + λ/(2m) Σ‖W‖², batched.
    Batch norm as every evaluation: the running μ, σ² of each row, with ``bn_epsilon``."""
    m, out = Y.shape[-1], np.empty(len(thetas))
    work: Workspace | None = None
    for start in range(0, len(thetas), CHUNK):
        rows = thetas[start : start + CHUNK]
        if work is None or work.Z[1].shape[0] != len(rows):  # one workspace per chunk height
            work = Workspace(len(rows), layout.dims, m)
        Wb = layout.eval_blocks(rows, bn_epsilon) if layout.batch_norm else layout.blocks(rows)
        Z_L = forward(Wb, X1, act, work=work, sigma=False).Z[layout.L]
        out[start : start + CHUNK] = output_cost(Z_L, Y)  # binary, or softmax for K ≥ 3
    return out + lambd / (2 * m) * l2_term(thetas, layout.weight_mask)


def plane(theta_star: np.ndarray, d: np.ndarray, alphas: np.ndarray, betas: np.ndarray):
    """(len(betas) · len(alphas), P): θ* + α d₁ + β d₂, β slowest (row j of the slice first)."""
    A, B = np.meshgrid(alphas, betas)  # A[j, i] = alphas[i], B[j, i] = betas[j]
    return theta_star + A.reshape(-1, 1) * d[0] + B.reshape(-1, 1) * d[1]


def slice_costs(
    h: History, data: Dataset, d: np.ndarray, alphas: np.ndarray, betas: np.ndarray
) -> np.ndarray:
    """(len(betas), len(alphas)): f(α, β) = J(θ* + α d₁ + β d₂) with θ* and λ of run ``h``."""
    thetas = plane(h.theta, d, alphas, betas)
    act = ACTIVATIONS[h.config.activation]
    X1 = with_ones(transform(data.X_train, h.config.features))  # the run's inputs
    Y = targets(data.Y_train, data.classes)  # one-hot for K ≥ 3
    # one BLAS thread, as training: the matrices are small; huge θ may overflow to a NaN hole
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        J = costs(h.layout, act, thetas, X1, Y, h.config.lambd, h.config.bn_epsilon)
        if h.config.lambd1:  # and its L1 term, (λ₁/m) Σ|W|, as the recorded J
            J += h.config.lambd1 / Y.shape[-1] * l1_term(thetas, h.layout.weight_mask)
    return J.reshape(len(betas), len(alphas))


# --- the whole picture -----------------------------------------------------------------------


def weights_only(h: History) -> History:
    """``h`` with its θ and snapshots cut to [W | b] (a batch norm run's γ, β, μ, σ² dropped)."""
    if not h.layout.batch_norm:
        return h
    P = h.layout.slices[-1].stop
    return replace(h, layout=Layout(h.layout.dims), theta=h.theta[:P], snapshots=h.snapshots[:, :P])


def same_network(histories: Sequence[History]) -> None:
    """Raise ValueError unless every run has the first one's layer sizes, activation and input
    features."""
    first = histories[0]
    for k, h in enumerate(histories[1:], 2):
        shape = (h.layout.dims, h.config.activation, h.config.features)
        if shape != (first.layout.dims, first.config.activation, first.config.features):
            raise ValueError(
                f"run {k} has another network than run 1: a shared slice needs one architecture"
            )


def directions_for(
    histories: Sequence[History], centre: int, directions: str, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """d₁, d₂ (2, P) of the kind named, and (pca) the shares of the paths they explain.

    PCA leaves out the runs that diverged: their last finite steps would swamp the others.
    """
    h = histories[centre]
    if directions == "random":
        return random_directions(h.layout, h.theta, seed), None
    if directions != "pca":
        raise ValueError(f"directions must be one of {', '.join(DIRECTIONS)}, got {directions!r}")
    kept = [g for g in histories if g.diverged_at is None] or list(histories)
    return pca_directions(np.vstack([g.snapshots for g in kept]), h.theta)


def extent(paths: Sequence[Path], histories: Sequence[History], floor: float) -> np.ndarray:
    """(2,) half-widths of the grid along α and β: every healthy path inside, with a margin."""
    kept = [p for p, h in zip(paths, histories) if h.diverged_at is None] or list(paths)
    reach = np.max(np.abs(np.vstack([row for p in kept for row in (p.coords, p.final)])), axis=0)
    return np.maximum(MARGIN * np.nan_to_num(reach), floor)


def symmetric(half: float, n: int) -> np.ndarray:
    """n even steps from −half to half; for odd n the middle one exactly 0 (the centre θ*)."""
    axis = np.linspace(-half, half, n)
    if n % 2:
        axis[n // 2] = 0.0
    return axis


def landscape(
    histories: Sequence[History],
    data: Dataset,
    centre: int = 0,
    directions: str = "random",
    seed: int = 0,
    n: int = GRID,
) -> Landscape:
    """The n × n slice of J around run ``centre``'s final weights and every run's path on it.

    Directions and paths live on the W and b coordinates, which every run has (first in its flat
    vector), so runs with and without batch norm share one plane; a BN centre's γ, β and running
    statistics stay at its final values across the slice.
    """
    same_network(histories)
    plain = [weights_only(g) for g in histories]
    h = histories[centre]
    d_plain, explained = directions_for(plain, centre, directions, seed)
    paths = [path(g, plain[centre].theta, d_plain) for g in plain]
    d = np.zeros((2, h.layout.size))
    d[:, : d_plain.shape[1]] = d_plain
    half = extent(paths, histories, FLOOR[directions])
    alphas, betas = (symmetric(w, n) for w in half)
    J = slice_costs(h, data, d, alphas, betas)
    return Landscape(centre, directions, h.config.lambd, alphas, betas, J, d, paths, explained)
