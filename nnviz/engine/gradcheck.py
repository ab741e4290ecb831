"""Gradient checking, the course's way (week 1), and a bug hunt in a copy of backprop.

docs/design.md §7. Backprop's gradient g is compared with a numerical one, by central differences:

    g_approx[i] = (J(θ + ε eᵢ) − J(θ − ε eᵢ)) / (2ε),      ε = 1e-7
    difference  = ‖g − g_approx‖₂ / (‖g‖₂ + ‖g_approx‖₂),   flagged above 2e-7

for each layer (W[l] and b[l] together) and for the whole network. J is the cost the run trains
on, L2 term included, with dropout off: dropout draws new masks D[l] at every pass, so J(θ + ε eᵢ)
and J(θ − ε eᵢ) would be two different functions and their difference would measure the masks,
not θᵢ. The course turns dropout off (keep_prob = 1), checks, then turns it back on.

The check goes through the engine's public forward and backward (nnviz/engine/network.py), on a
fixed subset of the training set (its first MAX_EXAMPLES columns): any set of examples defines a
cost whose gradient backprop must get right. A network of more than MAX_PARAMETERS parameters is
checked on a fixed sample of each layer's.

The bug hunt plants one of BUGS in ``backprop_copy``, the course's backward pass written out layer
by layer, and asks which layer is wrong. Backprop runs from layer L down to 1, and a wrong dZ[l]
spoils every layer below l: the bug sits in the highest-numbered flagged layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.engine.data import Dataset
from nnviz.engine.features import transform
from nnviz.engine.history import History
from nnviz.engine.inspect import snapshot_index
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    backward,
    forward,
    l2_term,
    output_cost,
    targets,
    with_ones,
)

EPSILON = 1e-7  # the course's ε for central differences
THRESHOLD = 2e-7  # the course's bound: a larger difference means "there is probably a bug"
MAX_EXAMPLES = 128  # the check's fixed subset: the first columns of the training set
# parameters checked: every one in a network of up to MAX_PARAMETERS (the lab's default 2-20-10-1
# has 281), else a fixed sample in each layer. The largest network (six layers of 64) then checks
# 40 + 12 of each layer's 4,160, in under a second and a half on this busy machine
# (benchmarks/gradcheck.py)
MAX_PARAMETERS = 600
MAX_WEIGHTS = 40
MAX_BIASES = 12
MAX_FLOATS = 1_000_000  # numbers in one batched forward pass of perturbed parameter vectors


# --- J and backprop's g on a fixed set of examples ---------------------------------------------


@dataclass(frozen=True, eq=False)
class Problem:
    """One network's cost J(θ) on fixed examples, and backprop's gradient of it."""

    layout: Layout
    activation: str  # g of the hidden layers
    lambd: float  # λ of the L2 term
    X: np.ndarray  # (n[0], m)
    Y: np.ndarray  # (1, m); one-hot (K, m) for K ≥ 3 classes
    bn_epsilon: float = 0.0  # batch norm's ε, when the layout has BN: normalized over these m

    def cost(self, thetas: np.ndarray) -> np.ndarray:
        """J = cross-entropy + λ/(2m) Σ‖W[l]‖²_F of each row of an (R, P) buffer: (R,)."""
        l2 = l2_term(thetas, self.layout.weight_mask)
        return self.losses(thetas).mean(axis=1) + self.lambd / (2 * self.m) * l2

    def losses(self, thetas: np.ndarray) -> np.ndarray:
        """Each example's cross-entropy for each row of an (R, P) buffer: (R, m)."""
        act = ACTIVATIONS[self.activation]
        norm = self.layout.norm(thetas, self.bn_epsilon)  # training mode: the m examples' μ, σ²
        work = forward(self.layout.blocks(thetas), with_ones(self.X), act, sigma=False, norm=norm)
        Z_L = work.Z[-1]
        # each example as a set of its own: the cost's mean over one column is its loss
        return output_cost(Z_L.mT[..., None], self.Y.T[..., None])  # (R, m, n[L], 1)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Backprop's [dW | db] of J at θ (P,): network.backward, plus (λ/m) W[l]."""
        act, layout = ACTIVATIONS[self.activation], self.layout
        Wb, grad = layout.blocks(theta[None, :]), np.zeros((1, layout.size))
        norm, dnorm = layout.norm(theta[None, :], self.bn_epsilon), layout.norm(grad)
        passed = forward(Wb, with_ones(self.X), act, norm=norm)
        backward(Wb, passed, self.Y, act, layout.blocks(grad), norm, dnorm)
        return grad[0] + (self.lambd / self.m) * theta * layout.weight_mask

    @property
    def m(self) -> int:
        return self.Y.shape[1]


def problem(h: History, data: Dataset, max_examples: int = MAX_EXAMPLES) -> Problem:
    """The cost run ``h`` trains on, without dropout, on the first examples of the training set
    (seen through the run's input features). L1's term is left out: |W| has no derivative at 0,
    where L1 puts many weights, so central differences there would flag a correct backprop."""
    return Problem(
        layout=h.layout,
        activation=h.config.activation,
        lambd=h.config.lambd,
        X=transform(data.X_train[:, :max_examples], h.config.features),
        Y=targets(data.Y_train[:, :max_examples], data.classes),
        bn_epsilon=h.config.bn_epsilon,
    )


def snapshot(h: History, epoch: int) -> tuple[int, np.ndarray]:
    """The epoch and θ of run ``h``'s last snapshot at or before ``epoch`` (as the Inside panel)."""
    k = snapshot_index(h, epoch)
    return int(h.snapshot_epochs[k]), h.snapshots[k]


# --- the numerical gradient ---------------------------------------------------------------------


def coordinates(layout: Layout) -> list[np.ndarray]:
    """The indices into θ checked in each layer: all of them in a network of at most
    MAX_PARAMETERS; else up to MAX_WEIGHTS weights and MAX_BIASES biases per layer, drawn once
    with a fixed seed (the same at every call)."""
    if layout.size <= MAX_PARAMETERS:
        return [np.arange(s.start, s.stop) for s in layout.slices]
    rng, out = np.random.default_rng(0), []
    for s in layout.slices:
        index = np.arange(s.start, s.stop)
        is_W = layout.weight_mask[s] == 1
        out.append(
            np.union1d(_some(index[is_W], MAX_WEIGHTS, rng), _some(index[~is_W], MAX_BIASES, rng))
        )
    return out


def _some(index: np.ndarray, most: int, rng: np.random.Generator) -> np.ndarray:
    return index if index.size <= most else rng.choice(index, most, replace=False)


def numerical_gradient(p: Problem, theta: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(J(θ + ε eᵢ) − J(θ − ε eᵢ)) / (2ε) for each i in ``index``.

    J(θ + ε eᵢ) − J(θ − ε eᵢ) is summed term by term, (1/m) Σ (ℓ⁺ − ℓ⁻) + λ/(2m) Σ (θ⁺² − θ⁻²):
    the same number, but the terms that θᵢ does not touch cancel exactly instead of leaving J's
    rounding error (about 1e-16 of J) divided by 2ε — five to ten times less noise, measured on the
    lab's networks. The 2 × len(index) perturbed vectors go through the network as the runs of one
    batched pass, in chunks of about MAX_FLOATS numbers.
    """
    step = max(1, MAX_FLOATS // (2 * sum(p.layout.dims) * p.m))
    out = np.empty(len(index))
    for k in range(0, len(index), step):
        i = index[k : k + step]
        rows = np.arange(len(i))
        plus, minus = np.tile(theta, (len(i), 1)), np.tile(theta, (len(i), 1))
        plus[rows, i] += EPSILON
        minus[rows, i] -= EPSILON
        dJ = (p.losses(plus) - p.losses(minus)).sum(axis=1) / p.m
        dJ += p.lambd / (2 * p.m) * ((plus * plus - minus * minus) @ p.layout.weight_mask)
        out[k : k + step] = dJ / (2 * EPSILON)
    return out


def difference(g: np.ndarray, g_approx: np.ndarray) -> float:
    """‖g − g_approx‖₂ / (‖g‖₂ + ‖g_approx‖₂); 0 when both are zero (nothing to disagree on)."""
    denominator = np.linalg.norm(g) + np.linalg.norm(g_approx)
    return float(np.linalg.norm(g - g_approx) / denominator) if denominator > 0 else 0.0


@dataclass(frozen=True)
class Approx:
    """g_approx at θ on the checked coordinates of each layer."""

    theta: np.ndarray  # (P,)
    index: list[np.ndarray]  # per layer l = 1..L: the indices into θ checked
    values: list[np.ndarray]  # per layer: g_approx at those indices
    sizes: tuple[int, ...]  # parameters in each layer, checked or not


def approximate(p: Problem, theta: np.ndarray) -> Approx:
    """The numerical gradient at θ, layer by layer; one BLAS thread, as in training."""
    index = coordinates(p.layout)
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        flat = numerical_gradient(p, theta, np.concatenate(index))
    values = np.split(flat, np.cumsum([len(i) for i in index])[:-1])
    return Approx(theta, index, values, tuple(s.stop - s.start for s in p.layout.slices))


@dataclass(frozen=True)
class Check:
    """One gradient compared with g_approx: the differences per layer and over the network."""

    layers: tuple[float, ...]  # difference of layer l = 1..L: item l - 1
    network: float  # the difference over every checked parameter at once
    g_norm: tuple[float, ...]  # ‖g‖₂ of each layer (its checked coordinates)
    approx_norm: tuple[float, ...]  # ‖g_approx‖₂ of each layer
    checked: tuple[int, ...]  # parameters checked in each layer
    sizes: tuple[int, ...]  # parameters in each layer

    @property
    def flagged(self) -> tuple[bool, ...]:
        return tuple(map(flagged, self.layers))


def flagged(d: float) -> bool:
    """Above the course's 2e-7, or not a number (a run's last weights before diverging)."""
    return not d <= THRESHOLD


def compare(approx: Approx, g: np.ndarray) -> Check:
    """A full gradient g (P,) against ``approx``, on the checked coordinates."""
    g_at = [g[i] for i in approx.index]
    return Check(
        layers=tuple(difference(a, b) for a, b in zip(g_at, approx.values)),
        network=difference(np.concatenate(g_at), np.concatenate(approx.values)),
        g_norm=tuple(float(np.linalg.norm(a)) for a in g_at),
        approx_norm=tuple(float(np.linalg.norm(b)) for b in approx.values),
        checked=tuple(len(i) for i in approx.index),
        sizes=approx.sizes,
    )


def check(p: Problem, theta: np.ndarray) -> Check:
    """The engine's own backprop at θ against central differences."""
    return compare(approximate(p, theta), p.gradient(theta))


# --- the bug hunt: a copy of backprop with one planted bug -------------------------------------


class Fault(NamedTuple):
    """How one layer of ``backprop_copy`` computes its gradients; the defaults are right:

    dZ[l] = dA[l] ⊙ g'(Z[l]) (``dg``), dW[l] = dW_scale · dZ[l] A[l-1]ᵀ / m^m_power
    + l2_scale · (λ/m) W[l], db[l] = db_scale · (1/m) Σ dZ[l]."""

    dW_scale: float = 1.0
    m_power: int = 1
    l2_scale: float = 1.0
    db_scale: float = 1.0
    dg: bool = True


class Bug(NamedTuple):
    fault: Fault
    line: str  # the wrong line, in the course's notation; "l" is the layer
    right: str  # the line as it should be
    hidden_only: bool = False  # only in a hidden layer (it has a g')


RIGHT_DW = "dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l]"
BUGS: dict[str, Bug] = {
    # the course's own two: dW2 = 1/m dZ2 A1ᵀ × 2 and db1 = 4/m Σ dZ1
    "dW doubled": Bug(Fault(dW_scale=2.0), "dW[l] = 2 (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l]", RIGHT_DW),
    "db × 4": Bug(Fault(db_scale=4.0), "db[l] = (4/m) Σ dZ[l]", "db[l] = (1/m) Σ dZ[l]"),
    "g′ forgotten": Bug(
        Fault(dg=False), "dZ[l] = dA[l]", "dZ[l] = dA[l] ⊙ g′(Z[l])", hidden_only=True
    ),
    "sign flipped": Bug(
        Fault(dW_scale=-1.0), "dW[l] = −(1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l]", RIGHT_DW
    ),
    "1/m forgotten": Bug(Fault(m_power=0), "dW[l] = dZ[l] A[l-1]ᵀ + (λ/m) W[l]", RIGHT_DW),
    "L2 halved": Bug(Fault(l2_scale=0.5), "dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/2m) W[l]", RIGHT_DW),
}


class Planted(NamedTuple):
    bug: str  # a key of BUGS
    layer: int  # l, 1..L


def _course(a: np.ndarray) -> np.ndarray:
    """One run's array in the course's 2-D shape (forward keeps a leading run axis)."""
    return a.reshape(a.shape[-2:])


def backprop_copy(p: Problem, theta: np.ndarray, planted: Planted | None = None) -> np.ndarray:
    """The course's backward pass for one run, layer by layer, with ``planted`` in one layer:

        dZ[L] = A[L] − Y;  dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l];  db[l] = (1/m) Σ dZ[l]
        dA[l-1] = W[l]ᵀ dZ[l];  dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])

    Z and A come from the engine's forward pass. Returns [dW | db] in θ's layout (P,).
    """
    act, L, m = ACTIVATIONS[p.activation], p.layout.L, p.m
    params = p.layout.to_list(theta)
    work = forward(p.layout.blocks(theta[None, :]), with_ones(p.X), act)
    faults = [Fault()] * (L + 1)
    if planted is not None:
        faults[planted.layer] = BUGS[planted.bug].fault
    dZ, grads = _course(work.A[L]) - p.Y, []
    for l in range(L, 0, -1):
        W, A_prev, f = params[l - 1][0], _course(work.A[l - 1])[:-1], faults[l]
        dW = f.dW_scale * dZ @ A_prev.T / m**f.m_power + f.l2_scale * (p.lambd / m) * W
        db = f.db_scale * np.sum(dZ, axis=1, keepdims=True) / m
        grads.insert(0, (dW, db))
        if l > 1:
            dA = W.T @ dZ  # dA[l-1]; A_prev is g(Z[l-1]): no dropout here
            dZ = dA * act.dg(_course(work.Z[l - 1]), A_prev) if faults[l - 1].dg else dA
    return p.layout.from_list(grads)


def gradient(p: Problem, theta: np.ndarray, planted: Planted | None = None) -> np.ndarray:
    """The gradient to check: the engine's backprop, or the copy with ``planted`` in it."""
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        return backprop_copy(p, theta, planted) if planted else p.gradient(theta)


def hunt_candidates(p: Problem, approx: Approx) -> list[Planted]:
    """Every (bug, layer) whose highest flagged layer is its own: the bugs a student can find at
    this θ by the rule "the highest flagged layer". None where the real backprop is flagged (a
    vanished gradient at the noise floor): the hunt would have no single answer. A zero layer
    (W[l] = 0, a dead ReLU layer) hides a doubled dW, as λ = 0 hides a halved L2 term."""
    everywhere = [
        Planted(name, layer)
        for name, bug in BUGS.items()
        for layer in range(1, p.layout.L + (0 if bug.hidden_only else 1))
    ]
    if p.layout.batch_norm:  # the course's copy of backprop has no batch norm to plant bugs in
        return []
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        if any(compare(approx, p.gradient(approx.theta)).flagged):
            return []
        return [
            planted
            for planted in everywhere
            if highest_flagged(compare(approx, backprop_copy(p, approx.theta, planted)).flagged)
            == planted.layer
        ]


def highest_flagged(flagged: Sequence[bool]) -> int | None:
    """The highest layer l whose difference is flagged; None if none is."""
    return max((l for l, f in enumerate(flagged, 1) if f), default=None)


def plant(candidates: Sequence[Planted], rng: np.random.Generator) -> Planted | None:
    """One of ``candidates``, drawn uniformly; None when there is none."""
    return candidates[int(rng.integers(len(candidates)))] if candidates else None
