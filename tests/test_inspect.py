"""nnviz.engine.inspect against oracles outside it: finite differences of a cost written here in
plain NumPy (the course's loop over layers), hand-worked unit maps, and numpy.linalg.norm."""

import math

import numpy as np
import pytest

from nnviz.engine.config import RunConfig
from nnviz.engine.data import generate
from nnviz.engine.inspect import (
    frobenius,
    gradients,
    hidden_activations,
    inside,
    inspect,
    layer_stats,
    saturated_share,
    snapshot_index,
    unit_spread,
)
from nnviz.engine.network import Layout
from nnviz.engine.train import train

DATA = generate("moons", 80, 0.2, 0.25, 0)


def course_cost(params, X, Y, activation, lambd):
    """J of DESIGN §2, one layer at a time in the course's shapes (an independent oracle)."""
    g = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    }
    A = X
    for W, b in params[:-1]:
        A = g[activation](W @ A + b)
    W, b = params[-1]
    a = 1 / (1 + np.exp(-(W @ A + b)))
    m = Y.shape[1]
    ce = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / m
    return ce + lambd / (2 * m) * sum(np.sum(W * W) for W, _b in params)


def trained(activation="tanh", lambd=0.0, epochs=30, **kw):
    run = RunConfig(hidden=(4, 3), activation=activation, lambd=lambd, epochs=epochs, lr=0.05, **kw)
    return train(DATA, [run], seed=2)[0]


@pytest.mark.parametrize("activation,lambd", [("tanh", 0.0), ("tanh", 0.3), ("sigmoid", 0.1)])
def test_gradients_at_every_snapshot_are_the_finite_difference_of_J(activation, lambd):
    h = trained(activation, lambd, keep_prob=0.8)  # dropout in training, never in the gradient
    grads = gradients(h, DATA)
    assert grads.shape == h.snapshots.shape and len(h.snapshots) > 3
    layout, eps = h.layout, 1e-6
    for k in (0, len(h.snapshots) // 2, len(h.snapshots) - 1):
        theta = h.snapshots[k]
        numeric = np.zeros_like(theta)
        for p in range(theta.size):
            up, down = theta.copy(), theta.copy()
            up[p] += eps
            down[p] -= eps
            J = [
                course_cost(layout.to_list(t), DATA.X_train, DATA.Y_train, activation, lambd)
                for t in (up, down)
            ]
            numeric[p] = (J[0] - J[1]) / (2 * eps)
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-5, atol=1e-8)


def test_gradients_of_chosen_snapshots_equal_those_of_all():
    h = trained()
    every = gradients(h, DATA)
    np.testing.assert_array_equal(gradients(h, DATA, [2, 0]), every[[2, 0]])


def test_norms_are_numpys_frobenius_norms_of_each_layer():
    h = trained(lambd=0.2)
    ins = inspect(h, DATA)
    assert ins.W_norm.shape == ins.dW_norm.shape == (len(h.snapshot_epochs), 3)
    np.testing.assert_array_equal(ins.epochs, h.snapshot_epochs)
    for k in (0, -1):
        for l, ((W, _b), (dW, _db)) in enumerate(
            zip(h.layout.to_list(h.snapshots[k]), h.layout.to_list(ins.grads[k]))
        ):
            assert ins.W_norm[k, l] == pytest.approx(np.linalg.norm(W, "fro"), rel=1e-12)
            assert ins.dW_norm[k, l] == pytest.approx(np.linalg.norm(dW, "fro"), rel=1e-12)


def test_frobenius_ignores_the_biases():
    layout = Layout((2, 2, 1))
    W1, b1 = np.array([[3.0, 0], [0, 4]]), np.full((2, 1), 9.0)
    theta = layout.from_list([(W1, b1), (np.ones((1, 2)), np.array([[7.0]]))])
    np.testing.assert_allclose(frobenius(layout, theta[None]), [[5.0, math.sqrt(2)]])


def one_unit_history(activation: str):
    """hidden [1]: W1 = [[2, 0]], b1 = 0.5, so the hidden unit is g(2 x₁ + 0.5)."""
    layout = Layout((2, 1, 1))
    theta = layout.from_list(
        [(np.array([[2.0, 0.0]]), np.array([[0.5]])), (np.ones((1, 1)), np.zeros((1, 1)))]
    )
    run = RunConfig(hidden=(1,), activation=activation, epochs=0)
    return train(DATA, [run], seed=0, initial=[theta])[0]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_a_units_map_is_its_output_over_the_plane_by_hand(activation):
    h = one_unit_history(activation)
    view = inside(h, DATA, epoch=0, grid=9)
    z = 2 * view.xs + 0.5  # depends on x₁ only
    g = {"tanh": np.tanh(z), "relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z))}[activation]
    assert view.maps[0].shape == (1, 9, 9)
    np.testing.assert_allclose(view.maps[0][0], np.tile(g, (9, 1)), rtol=1e-12)
    lo, hi, lo2, hi2 = DATA.bounds
    assert (view.xs[0], view.xs[-1], view.ys[0], view.ys[-1]) == (lo, hi, lo2, hi2)
    z_train = 2 * DATA.X_train[0] + 0.5
    expected = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    }
    np.testing.assert_allclose(view.A[0][0], expected[activation](z_train), rtol=1e-12)


def test_inside_picks_the_snapshot_at_or_before_the_epoch():
    h = trained(epochs=300)
    e = h.snapshot_epochs
    assert snapshot_index(h, 0) == 0
    assert snapshot_index(h, int(e[3])) == 3
    assert snapshot_index(h, int(e[3]) + 1) == 3
    assert snapshot_index(h, 10**6) == len(e) - 1
    view = inside(h, DATA, int(e[3]) + 1)
    assert view.epoch == e[3]
    W1 = h.layout.to_list(h.snapshots[3])[0][0]
    np.testing.assert_array_equal(view.W[0], W1)
    np.testing.assert_array_equal(view.dW[0], h.layout.to_list(gradients(h, DATA)[3])[0][0])
    assert [A.shape for A in view.A] == [(4, DATA.X_train.shape[1]), (3, DATA.X_train.shape[1])]


def test_activations_of_several_snapshots_at_once_equal_one_by_one():
    h = trained()
    together = hidden_activations(h, DATA.X_train, [0, 1, 2])
    for k in range(3):
        alone = hidden_activations(h, DATA.X_train, [k])
        for a, b in zip(together, alone):
            np.testing.assert_allclose(a[k], b[0], rtol=1e-14, atol=1e-15)


def test_zeros_init_keeps_every_unit_of_a_layer_identical():
    h = trained(init="zeros")
    for e in (0, int(h.snapshot_epochs[-1])):
        stats = layer_stats(inside(h, DATA, e))
        assert [s["unit_spread"] for s in stats] == [0.0, 0.0]


def test_saturated_share_by_hand():
    A = np.array([[0.995, -0.999, 0.5, 0.0]])
    assert saturated_share(A, "tanh") == 0.5
    assert saturated_share(np.array([[0.999, 0.001, 0.5, 0.9]]), "sigmoid") == 0.5
    assert saturated_share(np.array([[50.0]]), "relu") == 0.0
    assert unit_spread(np.array([[1.0, 2.0], [1.0, 5.0]])) == 3.0


def test_a_diverged_run_is_inspected_without_warnings_or_nan():
    run = RunConfig(
        hidden=(4,), activation="relu", init="random", optimizer="gd", lr=100.0, epochs=50
    )
    h = train(DATA, [run], seed=0)[0]
    ins = inspect(h, DATA)  # RuntimeWarnings are errors in this suite
    assert np.isfinite(ins.W_norm).all()
    assert len(ins.epochs) == len(h.snapshot_epochs)


def test_gradients_in_chunks_of_one_snapshot_equal_all_at_once(monkeypatch):
    h = trained()
    together = gradients(h, DATA)
    monkeypatch.setattr("nnviz.engine.inspect.MAX_FLOATS", 1)
    np.testing.assert_allclose(gradients(h, DATA), together, rtol=1e-13, atol=1e-16)
