"""L1 regularization (docs/design.md §7): J += (λ₁/m) Σ_l Σ|W[l]|, dW[l] += (λ₁/m) sign(W[l]).

Oracles: central finite differences of the course's cost (tests/oracle.py) plus an L1 term written
here, away from W = 0 where |W| has no derivative; numbers worked out by hand for a network with
three weights; and the convention sign(0) = 0, which keeps a weight at exactly 0 in place.
"""

import math

import numpy as np
import pytest

from nnviz.engine.config import RunConfig
from nnviz.engine.data import Dataset
from nnviz.engine.inspect import gradients
from nnviz.engine.network import Layout, with_ones
from nnviz.engine.train import gradient, start, train
from tests import oracle

DIMS = (2, 4, 3, 1)


def l1_cost(theta, layout, X, Y, activation, lambd, lambd1):
    """The course's J on (X, Y), m = its columns, plus (λ₁/m) Σ|W| over the weights only."""
    params = layout.to_list(theta)
    m = X.shape[1]
    return oracle.cost(params, X, Y, activation, lambd) + lambd1 / m * sum(
        np.abs(W).sum() for W, _b in params
    )


def problem(m: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    theta = rng.standard_normal(Layout(DIMS).size) * 0.8
    return Dataset(X, Y, np.zeros((2, 0)), np.zeros((1, 0))), theta


def trainer_gradient(data, theta, run, Xb, Yb):
    group = start(data, [run], 0, 0, [theta])
    return gradient(group, with_ones(Xb), Yb, None)[0].copy()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_l1_gradient_matches_finite_differences_on_a_minibatch(activation, lambd):
    """Away from W = 0 (every |W| > 1e-3, far more than the step), with m = the batch's size."""
    data, theta = problem(23)
    layout, lambd1 = Layout(DIMS), 0.3
    assert np.abs(theta[layout.weight_mask == 1]).min() > 1e-3
    Xb, Yb = data.X_train[:, 5:12], data.Y_train[:, 5:12]  # B = 7 of the 23 points
    run = RunConfig(hidden=DIMS[1:-1], activation=activation, lambd=lambd, lambd1=lambd1)
    got = trainer_gradient(data, theta, run, Xb, Yb)
    want = oracle.numerical_gradient(
        lambda th: l1_cost(th, layout, Xb, Yb, activation, lambd, lambd1), theta, h=1e-6
    )
    assert oracle.relative_error(got, want) < 1e-8


# The hand-worked network: 2 inputs, one relu unit, the output; three weights.
#   W1 = [0.5, -1], b1 = 0.2, W2 = [2], b2 = -0.3;  X = (1, 0) with y = 1 and (0, 1) with y = 0.
#   point 1: z1 = 0.5 + 0.2 = 0.7, a1 = 0.7, z2 = 1.4 - 0.3 = 1.1, loss = log(1 + e^-1.1) = 0.287335
#   point 2: z1 = -1 + 0.2 = -0.8, a1 = 0,  z2 = -0.3,          loss = log(1 + e^-0.3) = 0.554355
#   cross-entropy = (0.287335 + 0.554355) / 2 = 0.420845
#   L1 with λ₁ = 0.2, m = 2: (0.2 / 2)(0.5 + 1 + 2) = 0.35;  J = 0.770845
#   dz2 = σ(z2) - y = 0.750260 - 1 = -0.249740 and 0.425557 - 0 = 0.425557
#   dW2 = (1/2)(-0.249740 · 0.7 + 0.425557 · 0) = -0.087409, + 0.1 · sign(2) = 0.012591
#   db2 = (1/2)(-0.249740 + 0.425557) = 0.087909 (biases get no L1)
#   dz1 = W2 dz2 relu'(z1) = -0.499480 (point 1) and 0 (point 2: z1 < 0)
#   dW1 = (1/2)(-0.499480 · (1, 0)) = (-0.249740, 0), + 0.1 · sign(0.5, -1) = (-0.149740, -0.1)
#   db1 = -0.249740
HAND_THETA = np.array([0.5, -1.0, 0.2, 2.0, -0.3])  # [W1 | b1], [W2 | b2], row by row
HAND_X = np.array([[1.0, 0.0], [0.0, 1.0]])
HAND_Y = np.array([[1.0, 0.0]])
HAND_RUN = RunConfig(hidden=(1,), activation="relu", lambd1=0.2, epochs=0)


def test_the_recorded_cost_by_hand():
    data = Dataset(HAND_X, HAND_Y, np.zeros((2, 0)), np.zeros((1, 0)))
    (h,) = train(data, [HAND_RUN], seed=0, initial=[HAND_THETA])
    assert h.train_cost[0] == pytest.approx(0.770845, abs=1e-6)
    assert h.train_cost[0] == pytest.approx(
        (math.log(1 + math.exp(-1.1)) + math.log(1 + math.exp(-0.3))) / 2 + 0.1 * 3.5, rel=1e-14
    )


def test_the_gradient_by_hand():
    data = Dataset(HAND_X, HAND_Y, np.zeros((2, 0)), np.zeros((1, 0)))
    g = trainer_gradient(data, HAND_THETA, HAND_RUN, HAND_X, HAND_Y)
    want = [-0.149740, -0.1, -0.249740, 0.012591, 0.087909]
    np.testing.assert_allclose(g, want, atol=1e-6)


def test_sign_of_zero_is_zero_a_zero_weight_feels_only_the_cross_entropy():
    """At W = 0 the L1 term adds nothing (the subgradient 0), so that weight's gradient is the
    cross-entropy's alone, while every nonzero weight gets ± λ₁/m on top of it."""
    data, theta = problem(12)
    layout = Layout(DIMS)
    zero = np.flatnonzero(layout.weight_mask)[[0, 5, 13]]
    theta[zero] = 0.0
    run = RunConfig(hidden=DIMS[1:-1], activation="tanh", lambd1=0.6)
    plain = trainer_gradient(data, theta, RunConfig(hidden=DIMS[1:-1], activation="tanh"),
                             data.X_train, data.Y_train)  # fmt: skip
    got = trainer_gradient(data, theta, run, data.X_train, data.Y_train)
    np.testing.assert_array_equal(got[zero], plain[zero])
    want = plain + 0.6 / 12 * np.sign(theta) * layout.weight_mask  # ±0.05 on the others
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    assert np.array_equal(got[layout.weight_mask == 0], plain[layout.weight_mask == 0])  # biases


def test_a_zero_network_stays_zero_under_l1():
    """Zero weights and relu: the cross-entropy moves no weight (every A and dA is 0), and neither
    may L1: with sign(0) = 1 instead, every weight would drift by λ₁/m per step."""
    data, _theta = problem(20)
    run = RunConfig(hidden=(3,), init="zeros", optimizer="gd", lambd1=0.5, epochs=5)
    (h,) = train(data, [run], seed=0)
    assert np.all(h.theta[h.layout.weight_mask == 1] == 0.0)


def test_the_inside_panels_gradient_includes_l1():
    """inspect.gradients: J on the whole training set (m = 23 here), L1 term included."""
    data, theta = problem(23)
    layout = Layout(DIMS)
    run = RunConfig(hidden=DIMS[1:-1], activation="tanh", lambd=0.1, lambd1=0.4, epochs=0)
    (h,) = train(data, [run], seed=0, initial=[theta])
    want = oracle.numerical_gradient(
        lambda th: l1_cost(th, layout, data.X_train, data.Y_train, "tanh", 0.1, 0.4), theta, 1e-6
    )
    assert oracle.relative_error(gradients(h, data)[0], want) < 1e-8


def test_no_l1_costs_nothing():
    """λ₁ = 0 in every run: the L1 terms are never computed, in training or in the costs."""
    data, theta = problem(20)
    group = start(data, [RunConfig(hidden=(3,)), RunConfig(hidden=(3,), lambd=0.5)], 0, 0,
                  [None, None])  # fmt: skip
    assert not group.setup.use_l1 and group.progress.rec.l1_factor is None
    group = start(data, [RunConfig(hidden=(3,)), RunConfig(hidden=(3,), lambd1=0.5)], 0, 0,
                  [None, None])  # fmt: skip
    assert group.setup.use_l1 and list(group.progress.rec.l1_factor) == [0.0, 0.5 / 20]


def test_l1_drives_weights_to_zero_where_l2_only_shrinks_them():
    """The L1 subgradient pushes every weight toward 0 at a constant λ₁/m; plain gd overshoots
    around 0 by at most α λ₁/m per step, so many weights end within about that of 0."""
    data, _theta = problem(60)
    base = dict(hidden=(8,), activation="tanh", optimizer="gd", lr=0.1, batch_size=0, epochs=400)
    l1, l2 = train(data, [RunConfig(lambd1=3.0, **base), RunConfig(lambd=3.0, **base)], 0)
    w1, w2 = (h.theta[h.layout.weight_mask == 1] for h in (l1, l2))
    step = 0.1 * 3.0 / 60  # α λ₁ / m
    assert np.mean(np.abs(w1) <= step) > 0.3
    assert np.mean(np.abs(w2) <= step) < 0.1


def test_l1_never_touches_batch_norms_gamma_and_beta():
    """A BN run: λ₁ adds (λ₁/m) sign(W) on the weights and nothing on γ, β (nor μ, σ², b)."""
    data, _theta = problem(16)
    bn = dict(hidden=DIMS[1:-1], activation="tanh", batch_norm=True, epochs=3, batch_size=0)
    theta = train(data, [RunConfig(**bn)], seed=0)[0].theta  # γ, β moved off 1, 0
    plain = trainer_gradient(data, theta, RunConfig(**bn), data.X_train, data.Y_train)
    got = trainer_gradient(data, theta, RunConfig(lambd1=0.8, **bn), data.X_train, data.Y_train)
    layout = Layout(DIMS, batch_norm=True)
    gamma, beta = layout.norms(got[None, :])[1][:2]
    gamma0, beta0 = layout.norms(plain[None, :])[1][:2]
    np.testing.assert_array_equal(gamma, gamma0)
    np.testing.assert_array_equal(beta, beta0)
    weights = layout.weight_mask == 1
    np.testing.assert_allclose(got[weights] - plain[weights], 0.8 / 16 * np.sign(theta[weights]))
    np.testing.assert_array_equal(got[~weights], plain[~weights])
