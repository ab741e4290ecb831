"""Forward, cost and backward of nnviz.engine.network against independent oracles.

The oracle for every gradient is a central finite difference of the course's cost in
tests/oracle.py (docs/design.md §2, the course's loop over layers), not nnviz's own forward pass.
The gradient under test is the trainer's (nnviz.engine.train.gradient), L2 term included.
"""

import math
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

from nnviz.engine.config import RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    cross_entropy,
    forward,
    initial_params,
    l2_term,
    predict_proba,
    with_ones,
)
from nnviz.engine.train import gradient, start
from tests import oracle

REFERENCE_G = oracle.G
DIMS = (2, 4, 3, 1)
reference_forward = oracle.forward
numerical_gradient, relative_error = oracle.numerical_gradient, oracle.relative_error


def reference_cost(theta, layout, X, Y, activation, lambd=0.0, masks=None):
    """J by the course's formula (tests/oracle.py) for a flat θ."""
    return oracle.cost(layout.to_list(theta), X, Y, activation, lambd, masks)


def nnviz_gradient(theta, layout, X, Y, activation, lambd=0.0, masks=None):
    """The trainer's own gradient step on the batch (X, Y): backward, then its L2 term."""
    run = RunConfig(hidden=layout.dims[1:-1], activation=activation, lambd=lambd, epochs=0)
    data = Dataset(X, Y, np.zeros((2, 0)), np.zeros((1, 0)))
    group = start(data, [run], 0, 0, [theta])
    return gradient(group, with_ones(X), Y, masks)[0].copy()


def problem(seed: int, m: int = 20):
    """Small data and parameters with nonzero biases, so every term of the gradient is exercised."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    layout = Layout(DIMS)
    theta = rng.standard_normal(layout.size) * 0.8
    return X, Y, layout, theta


def assert_away_from_relu_kinks(theta, layout, X, masks=None, margin=1e-3):
    """Finite differences are only valid where no hidden Z crosses 0 within the step."""
    Zs, _z = reference_forward(layout.to_list(theta), X, "relu", masks)
    assert min(np.abs(Z).min() for Z in Zs) > margin


# --- finite-difference gradient checks ------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_gradient_matches_finite_differences(activation, lambd):
    X, Y, layout, theta = problem(seed=1)
    if activation == "relu":
        assert_away_from_relu_kinks(theta, layout, X)
    got = nnviz_gradient(theta, layout, X, Y, activation, lambd)
    want = numerical_gradient(lambda th: reference_cost(th, layout, X, Y, activation, lambd), theta)
    assert relative_error(got, want) < 1e-7


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_dropout_gradient_matches_finite_differences_under_a_fixed_mask(activation):
    X, Y, layout, theta = problem(seed=2)
    keep_prob = 0.7
    rng = np.random.default_rng(12)
    # inverted dropout masks, already divided by keep_prob, shaped (R=1, n, m) like the trainer's
    masks = [(rng.random((1, n, X.shape[1])) < keep_prob) / keep_prob for n in DIMS[1:-1]]
    assert all(0 < (D == 0).mean() < 1 for D in masks)  # some units dropped, some kept
    ref_masks = [D[0] for D in masks]
    if activation == "relu":
        assert_away_from_relu_kinks(theta, layout, X, ref_masks)
    lambd = 0.3
    got = nnviz_gradient(theta, layout, X, Y, activation, lambd, masks)
    want = numerical_gradient(
        lambda th: reference_cost(th, layout, X, Y, activation, lambd, ref_masks), theta
    )
    assert relative_error(got, want) < 1e-7


def test_l2_penalises_weights_only():
    X, Y, layout, theta = problem(seed=3)
    lambd, m = 0.7, X.shape[1]
    plain = nnviz_gradient(theta, layout, X, Y, "tanh", 0.0)
    regular = nnviz_gradient(theta, layout, X, Y, "tanh", lambd)
    gaps = layout.to_list(regular - plain)
    for (dW, db), (W, _b) in zip(gaps, layout.to_list(theta)):
        assert np.array_equal(db, np.zeros_like(db))  # biases: no L2 gradient at all
        np.testing.assert_allclose(dW, (lambd / m) * W, rtol=1e-12)
    # and the cost term: λ/(2m) Σ‖W‖², summed by hand over the weights only
    penalty = sum(float(np.sum(W * W)) for W, _b in layout.to_list(theta))
    assert l2_term(theta[None, :], layout.weight_mask)[0] == pytest.approx(penalty, rel=1e-14)


# --- the cost -----------------------------------------------------------------------------------


def test_cross_entropy_matches_the_reference_cost_for_moderate_logits():
    X, Y, layout, theta = problem(seed=4)
    Zs = forward(layout.blocks(theta[None, :]), with_ones(X), ACTIVATIONS["sigmoid"]).Z
    assert cross_entropy(Zs[-1], Y)[0] == pytest.approx(
        reference_cost(theta, layout, X, Y, "sigmoid"), rel=1e-13
    )


def decimal_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """-(1/m) Σ [y log σ(z) + (1-y) log(1-σ(z))] in 60-digit decimal arithmetic: ln(1+eᶻ) - y z."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for zi, yi in zip(z.tolist(), y.tolist()):
            Z = Decimal(zi)  # exact: every binary float is a finite decimal
            total += (1 + Z.exp()).ln() - Decimal(yi) * Z
        return float(total / len(z))


def test_cost_is_finite_and_warning_free_for_large_random_init():
    data = generate("circles", 400, 0.05, 0.25, seed=1)
    layout = Layout((2, 10, 5, 1))
    theta = initial_params(layout.dims, "random", np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / divide warning fails the test
        work = forward(layout.blocks(theta[None, :]), with_ones(data.X_train), ACTIVATIONS["relu"])
        Zs, As = work.Z, work.A
        cost = cross_entropy(Zs[-1], data.Y_train)[0]
    z = Zs[-1][0, 0]
    assert np.abs(z).max() > 100  # the premise: logits far beyond where log(σ(z)) underflows
    assert np.isfinite(cost) and cost > 10
    assert cost == pytest.approx(decimal_cross_entropy(z, data.Y_train[0]), rel=1e-13)
    assert np.isfinite(As[-1]).all()


def test_cross_entropy_at_extreme_logits_by_hand():
    # σ(±800) is 1 or 0 in float64; the cost from logits must still be exact:
    # z=800, y=0: ln(1+e^800) = 800 + ln(1+e^-800) = 800;  z=-800, y=1: ln(1+e^-800) + 800 = 800
    # z=800, y=1: ln(1+e^800) - 800 = ln(1+e^-800) ≈ e^-800 ≈ 0;  z=0: ln 2
    z = np.array([[[800.0, -800.0, 800.0, 0.0]]])
    y = np.array([[0.0, 1.0, 1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cross_entropy(z, y)[0]
    assert got == pytest.approx((800 + 800 + 0 + math.log(2)) / 4, rel=1e-15)


# --- forward, layout, prediction --------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_forward_matches_the_course_loop(activation):
    X, _Y, layout, theta = problem(seed=5, m=7)
    work = forward(layout.blocks(theta[None, :]), with_ones(X), ACTIVATIONS[activation])
    Zs, As = work.Z, work.A  # the course's indices: Z[l] for l = 1..L, A[0] = [X; 1]
    assert Zs[0] is None and len(Zs) == len(As) == layout.L + 1
    ref_Zs, ref_z = reference_forward(layout.to_list(theta), X, activation)
    for Z, ref in zip(Zs[1:], [*ref_Zs, ref_z]):
        np.testing.assert_allclose(Z[0], ref, rtol=1e-13, atol=1e-15)
    # hidden As are [A; 1]: g(Z) above the row of ones that multiplies the bias column
    assert [A.shape for A in As] == [(3, 7), (1, 5, 7), (1, 4, 7), (1, 1, 7)]
    for A, Z in zip(As[1:-1], Zs[1:-1]):
        np.testing.assert_allclose(A[0, :-1], REFERENCE_G[activation](Z[0]), rtol=1e-13)
        assert (A[0, -1] == 1.0).all()
    np.testing.assert_allclose(As[-1][0], 1 / (1 + np.exp(-ref_z)), rtol=1e-13)


def test_layout_stores_each_layer_as_w_then_b_column_row_by_row():
    layout = Layout((2, 3, 1))
    # [W1 | b1] is (3, 3): 9 numbers, row i = W1[i, 0], W1[i, 1], b1[i]; [W2 | b2] is (1, 4) -> 13
    assert layout.size == 13
    (W1, b1), (W2, b2) = layout.to_list(np.arange(13.0))
    assert W1.tolist() == [[0, 1], [3, 4], [6, 7]]
    assert b1.tolist() == [[2], [5], [8]]
    assert W2.tolist() == [[9, 10, 11]]
    assert b2.tolist() == [[12]]
    assert layout.weight_mask.tolist() == [1, 1, 0] * 3 + [1, 1, 1, 0]


def test_layout_views_write_through_and_round_trip():
    layout = Layout(DIMS)
    theta = np.zeros((2, layout.size))
    for W, b in layout.views(theta):
        W += 1.0
        b -= 2.0
    assert set(theta[:, layout.weight_mask == 1].ravel()) == {1.0}
    assert set(theta[:, layout.weight_mask == 0].ravel()) == {-2.0}
    row = np.random.default_rng(0).standard_normal(layout.size)
    assert np.array_equal(layout.from_list(layout.to_list(row)), row)
    bad = layout.to_list(row)
    bad[1] = (bad[1][0].T, bad[1][1])
    with pytest.raises(ValueError, match=r"W2 has shape \(4, 3\), expected \(3, 4\)"):
        layout.from_list(bad)
    with pytest.raises(ValueError, match="expected 3 layers, got 2"):
        layout.from_list(bad[:2])


def test_predict_proba_is_sigmoid_of_the_logit():
    X, _Y, layout, theta = problem(seed=6, m=9)
    p = predict_proba(layout.to_list(theta), X, "tanh")
    _Zs, z = reference_forward(layout.to_list(theta), X, "tanh")
    assert p.shape == (9,)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z[0])), rtol=1e-13)


def test_relu_derivative_is_zero_at_zero_like_the_course():
    Z = np.array([-1.0, 0.0, 2.0])
    assert ACTIVATIONS["relu"].dg(Z, np.maximum(Z, 0)).tolist() == [0, 0, 1]
