"""Inside the network: what each layer does, read off a run's parameter snapshots.

The trainer saves a run's parameters at up to about 60 snapshot epochs (``History.snapshots``,
(S, P)). Everything here is computed afterwards from those snapshots, treating the S snapshots as
the run axis of the batched network: one forward and one backward pass give every snapshot's
activations and gradients at once — the same numbers as recording them while training, without
slowing training down.

    ‖W[l]‖_F = √(Σ_ij W[l]_ij²)      ‖dW[l]‖_F of  dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l]
                                                            + (λ₁/m) sign(W[l])

The gradient is that of J on the whole training set, without dropout (like the cost curve), so a
vanishing or exploding gradient shows as a layer whose ‖dW[l]‖ is orders of magnitude off the
others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.engine.data import Dataset
from nnviz.engine.features import labels, transform
from nnviz.engine.history import History
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    backward,
    forward,
    l1_gradient,
    targets,
    with_ones,
)

MAP_GRID = 28  # each hidden unit's map over the input plane: MAP_GRID × MAP_GRID points
# Zs and As of one batched pass: about 0.8 MB, so they stay in the CPU's cache. Measured on the
# deep lesson: 57 snapshots at once 0.70 s, in chunks of 2 0.19 s (benchmarks/inside.py)
MAX_FLOATS = 100_000
SATURATED = 0.99  # a tanh (or sigmoid, after rescaling) unit with |a| above this has g' ≈ 0
NEAR_ZERO = 1e-3  # a weight with |W| below this is "about zero" (L1 drives many there)


@dataclass(frozen=True)
class Inspection:
    """Per-layer quantities of one run at each of its snapshot epochs (S of them, L layers)."""

    epochs: np.ndarray  # (S,) the snapshot epochs
    grads: np.ndarray  # (S, P): [dW | db] of J on the whole training set, Layout order
    W_norm: np.ndarray  # (S, L): ‖W[l]‖_F
    dW_norm: np.ndarray  # (S, L): ‖dW[l]‖_F


@dataclass(frozen=True)
class Inside:
    """One run at one snapshot epoch, in the course's shapes. The lists run over the layers in
    order, from l = 1: the list's item l - 1 is layer l."""

    epoch: int
    activation: str
    W: list[np.ndarray]  # W[1] .. W[L], W[l] (n[l], n[l-1])
    b: list[np.ndarray]  # b[1] .. b[L], b[l] (n[l], 1)
    dW: list[np.ndarray]  # dW[1] .. dW[L]
    A: list[np.ndarray]  # hidden A[1] .. A[L-1] over the training set, A[l] (n[l], m)
    xs: np.ndarray  # (g,) the map grid's x₁
    ys: np.ndarray  # (g,) the map grid's x₂
    maps: list[np.ndarray]  # hidden unit outputs over the grid, one (n[l], g, g) per hidden layer:
    # maps[l - 1][i, j, k] is unit i of layer l at x₂ = ys[j], x₁ = xs[k]
    inputs: tuple[str, ...] = ("x₁", "x₂")  # the input units' names: the run's features


def gradients(h: History, data: Dataset, at: Sequence[int] | None = None) -> np.ndarray:
    """[dW | db] of J at the snapshots ``at`` (default: all), (len(at), P), batched.

    The whole training set, no dropout: dZ[L] = A[L] - Y, then the course's backward pass, plus
    the L2 part (λ/m) W[l] and the L1 part (λ₁/m) sign(W[l]) on the weights only. Snapshots go
    through the network together, in chunks that keep the intermediate arrays under about
    MAX_FLOATS numbers. Batch norm, as in training: the whole set's own μ, σ² (docs/design.md
    §7), with dγ, dβ in their places.
    """
    theta = h.snapshots if at is None else h.snapshots[list(at)]
    layout, act = h.layout, ACTIVATIONS[h.config.activation]
    X1 = with_ones(transform(data.X_train, h.config.features))
    Y = targets(data.Y_train, data.classes)  # one-hot for K ≥ 3
    grad = np.zeros_like(theta)
    step = _chunk(h, Y.shape[1])
    # a run's last weights before diverging may overflow; one BLAS thread, as in training
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        for k in range(0, len(theta), step):
            rows = slice(k, k + step)
            Wb, norm = layout.blocks(theta[rows]), layout.norm(theta[rows], h.config.bn_epsilon)
            passed = forward(Wb, X1, act, norm=norm)
            backward(Wb, passed, Y, act, layout.blocks(grad[rows]), norm, layout.norm(grad[rows]))
    grad += (h.config.lambd / Y.shape[1]) * (theta * layout.weight_mask)
    if h.config.lambd1:
        grad += (h.config.lambd1 / Y.shape[1]) * l1_gradient(theta, layout.weight_mask)
    return grad


def _chunk(h: History, m: int) -> int:
    """How many snapshots to push through the network at once, on m points."""
    return max(1, MAX_FLOATS // (2 * sum(h.layout.dims[1:]) * m))


def frobenius(layout: Layout, theta: np.ndarray) -> np.ndarray:
    """‖W[l]‖_F of every layer of every row of an (R, P) buffer: (R, L). Biases excluded."""
    return np.stack([np.sqrt((W * W).sum(axis=(1, 2))) for W, _b in layout.views(theta)], axis=1)


def inspect(h: History, data: Dataset) -> Inspection:
    """Gradients and per-layer norms at every snapshot epoch of ``h``."""
    grads = gradients(h, data)
    return Inspection(
        epochs=h.snapshot_epochs.copy(),
        grads=grads,
        W_norm=frobenius(h.layout, h.snapshots),
        dW_norm=frobenius(h.layout, grads),
    )


def hidden_activations(h: History, X: np.ndarray, at: Sequence[int]) -> list[np.ndarray]:
    """A[l] of every hidden layer at points X (2, m), for the snapshots ``at``: (len(at), n[l], m).

    Without dropout and with batch norm's running statistics, as the cost is evaluated; X goes
    through the run's input features first. Computed for all snapshots in ``at`` at once.
    """
    Wb = h.layout.eval_blocks(h.snapshots[list(at)], h.config.bn_epsilon)
    X1 = with_ones(transform(X, h.config.features))
    with np.errstate(all="ignore"):
        A = forward(Wb, X1, ACTIVATIONS[h.config.activation]).A
    return [A[l][:, :-1] for l in range(1, h.layout.L)]  # without the row of ones


@dataclass(frozen=True)
class Plane:
    """An n × n grid over the input plane."""

    xs: np.ndarray  # (n,) x₁
    ys: np.ndarray  # (n,) x₂
    points: np.ndarray  # (2, n²), row by row: x₁ varies fastest


def plane(bounds: tuple[float, float, float, float], n: int) -> Plane:
    """The n × n grid over ``bounds`` (x₁ from, to, x₂ from, to)."""
    xs = np.linspace(bounds[0], bounds[1], n)
    ys = np.linspace(bounds[2], bounds[3], n)
    XX, YY = np.meshgrid(xs, ys)
    return Plane(xs, ys, np.vstack([XX.ravel(), YY.ravel()]))


def snapshot_index(h: History, epoch: int) -> int:
    """The last snapshot at or before ``epoch`` (the first one if ``epoch`` is before it)."""
    return max(int(np.searchsorted(h.snapshot_epochs, epoch, side="right")) - 1, 0)


def inside(h: History, data: Dataset, epoch: int, grid: int = MAP_GRID) -> Inside:
    """Weights, gradients, activations and unit maps of run ``h`` at its snapshot nearest before
    ``epoch``. The training set and the map grid go through the network in one forward pass."""
    k = snapshot_index(h, epoch)
    xy = plane(data.bounds, grid)
    m = data.X_train.shape[1]
    A = hidden_activations(h, np.hstack([data.X_train, xy.points]), [k])
    params = h.layout.to_list(h.snapshots[k])
    grads = h.layout.to_list(gradients(h, data, [k])[0])
    return Inside(
        epoch=int(h.snapshot_epochs[k]),
        activation=h.config.activation,
        W=[W for W, _b in params],
        b=[b for _W, b in params],
        dW=[dW for dW, _db in grads],
        A=[a[0, :, :m] for a in A],
        xs=xy.xs,
        ys=xy.ys,
        maps=[a[0, :, m:].reshape(-1, grid, grid) for a in A],
        inputs=tuple(labels(h.config.features)),
    )


# --- what the deep-initialization lesson measures ---------------------------------------------


def spread(A: np.ndarray) -> float:
    """Standard deviation of a layer's activations over all units and examples."""
    return float(np.std(A))


def saturated_share(A: np.ndarray, activation: str) -> float:
    """Share of a layer's activations where g'(z) ≈ 0: |a| > 0.99 for tanh; for sigmoid a within
    0.005 of 0 or 1 (|2a - 1| > 0.99). ReLU never saturates: 0."""
    if activation == "relu":
        return 0.0
    a = A if activation == "tanh" else 2 * A - 1
    return float(np.mean(np.abs(a) > SATURATED))


def unit_spread(A: np.ndarray) -> float:
    """How different a layer's units are: the largest, over examples, of the spread across units.

    0 when every unit of the layer computes the same function (symmetry never broken)."""
    return float(np.max(np.ptp(A, axis=0))) if A.size else 0.0


def weights_of(view: Inside) -> np.ndarray:
    """Every weight of every layer (no biases), flat."""
    return np.concatenate([W.ravel() for W in view.W])


def near_zero_share(view: Inside, below: float = NEAR_ZERO) -> float:
    """Share of the run's weights with |W| < ``below``: what L1 sets to about 0 and L2 does not."""
    W = weights_of(view)
    return float(np.mean(np.abs(W) < below)) if W.size else 0.0


def layer_stats(view: Inside) -> list[dict[str, float]]:
    """Per hidden layer: spread, saturated share, unit spread, ‖W[l]‖_F and ‖dW[l]‖_F."""
    return [
        {
            "layer": l,
            "spread": spread(A),
            "saturated": saturated_share(A, view.activation),
            "unit_spread": unit_spread(A),
            "W_norm": float(np.linalg.norm(view.W[l - 1])),
            "dW_norm": float(np.linalg.norm(view.dW[l - 1])),
        }
        for l, A in enumerate(view.A, 1)
    ]
