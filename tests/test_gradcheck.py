"""nnviz.engine.gradcheck against oracles outside it: hand-worked differences, the tests' oracle
(tests/oracle.py: J and central differences one layer and one coordinate at a time), the closed-form
gradient of logistic regression, the Recorder's own J, and the mathematics of each planted bug
(which layers it can and cannot reach)."""

import math

import numpy as np
import pytest

from nnviz.engine import gradcheck as gc
from nnviz.engine.config import RunConfig
from nnviz.engine.data import generate
from nnviz.engine.network import Layout, initial_params
from nnviz.engine.train import train
from tests import oracle

DATA = generate("moons", 120, 0.2, 0.25, 0)


def problem(hidden=(5, 2), activation="relu", lambd=0.0, init="he", seed=0):
    """A Problem on DATA and a θ drawn by the engine's initialization."""
    layout = Layout((2, *hidden, 1))
    theta = initial_params(layout.dims, init, np.random.default_rng(seed))
    theta[layout.weight_mask == 0] = np.random.default_rng(seed + 1).normal(0, 0.1, 1 + sum(hidden))
    p = gc.Problem(layout, activation, lambd, DATA.X_train, DATA.Y_train)
    return p, theta


# --- the difference and the numerical gradient -------------------------------------------------


def test_difference_is_the_courses_relative_distance_by_hand():
    # ‖(1,0) − (0,1)‖ = √2; ‖g‖ + ‖g_approx‖ = 2
    assert gc.difference(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(
        math.sqrt(2) / 2, rel=1e-15
    )
    # g = (3, 4), g_approx = (3, 4.001): 0.001 / (5 + √(9 + 4.001²))
    expected = 0.001 / (5 + math.sqrt(9 + 4.001**2))
    assert gc.difference(np.array([3.0, 4.0]), np.array([3.0, 4.001])) == pytest.approx(expected)
    assert gc.difference(np.array([1.0, 2.0]), -np.array([1.0, 2.0])) == 1.0  # opposite: 1
    assert gc.difference(np.zeros(3), np.zeros(3)) == 0.0  # nothing to disagree on


def test_flagged_above_the_threshold_or_not_a_number():
    assert [gc.flagged(d) for d in (0.0, 2e-7, 2.0001e-7, 1.0, math.nan)] == [
        False, False, True, True, True
    ]  # fmt: skip


def test_the_courses_epsilon_and_threshold():
    assert gc.EPSILON == 1e-7 and gc.THRESHOLD == 2e-7


def test_cost_is_the_courses_J_with_its_L2_term():
    p, theta = problem(hidden=(4, 3), activation="tanh", lambd=0.7)
    params = p.layout.to_list(theta)
    thetas = np.stack([theta, 0.5 * theta])
    want = [oracle.cost(p.layout.to_list(t), p.X, p.Y, "tanh", 0.7) for t in thetas]
    assert params and p.cost(thetas) == pytest.approx(want, rel=1e-12)


def test_numerical_gradient_is_the_oracles_central_differences():
    """The oracle's own loop, one coordinate at a time on its own J, with h = 1e-5."""
    p, theta = problem(hidden=(4, 3), activation="sigmoid", lambd=0.4)

    def J(t):
        return oracle.cost(p.layout.to_list(t), p.X, p.Y, "sigmoid", 0.4)

    want = oracle.numerical_gradient(J, theta)
    got = gc.numerical_gradient(p, theta, np.arange(theta.size))
    assert oracle.relative_error(got, want) < 1e-8


def test_numerical_gradient_of_logistic_regression_is_its_closed_form():
    """No hidden layer: dJ/dw = (1/m)(σ(wx + b) − y) xᵀ + (λ/m) w, db = (1/m) Σ (σ − y)."""
    p, theta = problem(hidden=(), lambd=0.3)
    w, b = theta[:2], theta[2]
    m = p.Y.shape[1]
    err = 1 / (1 + np.exp(-(w @ p.X + b))) - p.Y[0]
    closed = np.append(p.X @ err / m + 0.3 / m * w, err.sum() / m)
    numeric = gc.numerical_gradient(p, theta, np.arange(3))
    assert numeric == pytest.approx(closed, rel=1e-7)
    assert gc.difference(closed, numeric) < gc.THRESHOLD


def test_the_check_evaluates_the_recorded_J_without_dropout():
    """Dropout in training, none in the check: its J at a snapshot is the Recorder's J (whole set,
    L2 term, no dropout) there."""
    run = RunConfig(hidden=(6, 3), activation="tanh", lambd=0.4, keep_prob=0.7, epochs=40)
    h = train(DATA, [run], seed=3)[0]
    p = gc.problem(h, DATA, max_examples=10_000)
    epoch, theta = gc.snapshot(h, 25)
    assert epoch <= 25 and epoch in h.snapshot_epochs
    recorded = h.train_cost[list(h.epochs).index(epoch)]
    assert p.cost(theta[None, :])[0] == pytest.approx(recorded, rel=1e-12)


def test_the_check_uses_a_fixed_subset_of_the_training_set():
    h = train(DATA, [RunConfig(epochs=2)], seed=0)[0]
    p = gc.problem(h, DATA, max_examples=50)
    assert p.m == 50 and np.array_equal(p.X, DATA.X_train[:, :50])
    assert gc.problem(h, DATA).m == min(gc.MAX_EXAMPLES, DATA.X_train.shape[1])


def test_coordinates_are_every_parameter_of_a_small_network_and_a_fixed_sample_of_a_large_one():
    for dims in [(2, 5, 2, 1), (2, 16, 16, 8, 1)]:  # 30 and 465 parameters: checked whole
        small = Layout(dims)
        assert np.array_equal(np.concatenate(gc.coordinates(small)), np.arange(small.size))
    large = Layout((2, 16, 16, 16, 16, 1))
    index = gc.coordinates(large)
    for s, i in zip(large.slices, index):
        assert np.all((i >= s.start) & (i < s.stop)) and len(np.unique(i)) == len(i)
    W2 = index[1]
    assert (large.weight_mask[W2] == 1).sum() == gc.MAX_WEIGHTS
    assert (large.weight_mask[W2] == 0).sum() == gc.MAX_BIASES
    assert all(np.array_equal(a, b) for a, b in zip(index, gc.coordinates(large)))


# --- the real backprop passes -----------------------------------------------------------------

SETTINGS = [
    ((5, 2), "relu", "he", 0.0),
    ((5, 2), "relu", "he", 0.5),
    ((8, 8, 8), "tanh", "xavier", 0.1),
    ((4,), "sigmoid", "random", 0.2),
    ((), "relu", "small", 1.0),
    ((3, 3, 3), "sigmoid", "he", 0.0),
]


@pytest.mark.parametrize("hidden,activation,init,lambd", SETTINGS)
def test_the_engines_backprop_passes_the_check(hidden, activation, init, lambd):
    p, theta = problem(hidden, activation, lambd, init)
    c = gc.check(p, theta)
    assert len(c.layers) == len(hidden) + 1
    assert max(c.layers) < gc.THRESHOLD and c.network < gc.THRESHOLD
    assert c.checked == c.sizes  # a small network is checked whole
    assert all(n > 0 for n in c.g_norm)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backprop_passes_at_trained_snapshots_of_a_dropout_run(activation):
    run = RunConfig(hidden=(6, 4), activation=activation, lambd=0.3, keep_prob=0.8, epochs=200)
    h = train(DATA, [run], seed=1)[0]
    p = gc.problem(h, DATA)
    for epoch in (0, 100, 200):
        c = gc.check(p, gc.snapshot(h, epoch)[1])
        assert max(c.layers) < gc.THRESHOLD and c.network < gc.THRESHOLD, (epoch, c.layers)


def test_a_vanished_gradient_is_flagged_at_the_noise_floor_of_central_differences():
    """Where that does not hold: a deep sigmoid network's first layer has ‖g‖ ≈ 1e-4, and J's
    rounding (about 1e-16 of each loss) divided by 2ε leaves about 1e-10 in each g_approx[i]: the
    relative difference passes 2e-7 while backprop is right to that noise."""
    p, theta = problem((3, 3, 3, 3), "sigmoid", 0.0, "xavier")
    approx = gc.approximate(p, theta)
    c = gc.compare(approx, p.gradient(theta))
    assert c.flagged[0] and c.g_norm[0] < 1e-3 and not c.flagged[-1]
    assert np.max(np.abs(p.gradient(theta)[approx.index[0]] - approx.values[0])) < 1e-9


def test_the_copy_of_backprop_without_a_bug_is_the_engines():
    for hidden, activation, init, lambd in SETTINGS:
        p, theta = problem(hidden, activation, lambd, init)
        assert gc.backprop_copy(p, theta) == pytest.approx(p.gradient(theta), rel=1e-10, abs=1e-14)


# --- the planted bugs -------------------------------------------------------------------------


@pytest.mark.parametrize("hidden,activation", [((5, 2), "relu"), ((6, 4, 3), "tanh")])
def test_every_planted_bug_is_flagged_in_its_layer_and_not_above(hidden, activation):
    """A bug in dW[l] or db[l] touches layer l alone: the other layers' differences are the real
    backprop's. A forgotten g′(Z[l]) spoils dZ[l], so layer l and may spoil those below it, never
    those above (they are computed before it)."""
    p, theta = problem(hidden, activation, lambd=0.2)
    approx = gc.approximate(p, theta)
    real = gc.compare(approx, p.gradient(theta))
    L = len(hidden) + 1
    for name, bug in gc.BUGS.items():
        for layer in range(1, L + (0 if bug.hidden_only else 1)):
            c = gc.compare(approx, gc.backprop_copy(p, theta, gc.Planted(name, layer)))
            assert c.flagged[layer - 1] and c.network > gc.THRESHOLD, (name, layer)
            assert not any(c.flagged[layer:]), (name, layer, c.layers)
            if name != "g′ forgotten":
                others = [d for k, d in enumerate(c.layers) if k != layer - 1]
                assert others == pytest.approx(
                    [d for k, d in enumerate(real.layers) if k != layer - 1]
                )


def test_the_courses_doubled_dW_by_hand():
    """dW doubled with λ = 0: g = (2 g_W, g_b) against (g_W, g_b), so the layer's difference is
    ‖g_W‖ / (√(4‖g_W‖² + ‖g_b‖²) + √(‖g_W‖² + ‖g_b‖²))."""
    p, theta = problem((5, 2), "tanh")
    approx = gc.approximate(p, theta)
    c = gc.compare(approx, gc.backprop_copy(p, theta, gc.Planted("dW doubled", 2)))
    g = p.gradient(theta)[p.layout.slices[1]]
    is_W = p.layout.weight_mask[p.layout.slices[1]] == 1
    w, b = np.linalg.norm(g[is_W]), np.linalg.norm(g[~is_W])
    assert c.layers[1] == pytest.approx(w / (math.sqrt(4 * w * w + b * b) + math.hypot(w, b)))


def test_a_zero_network_hides_every_bug_but_the_output_bias():
    """Zeros init with ReLU: A[l] = 0 and W[l] = 0, so every dW and every hidden db is 0 and stays
    0 under any bug; λ = 0 hides a halved L2 term. Only db[L] = (1/m) Σ (σ(0) − y) can be wrong."""
    p, theta = problem((5, 2), "relu", init="zeros")
    theta[:] = 0.0
    p = gc.Problem(p.layout, "relu", 0.0, p.X[:, :9], p.Y[:, :9])  # Σ (σ(0) − y) ≠ 0 on these
    assert p.Y.sum() != 4.5
    found = gc.hunt_candidates(p, gc.approximate(p, theta))
    assert found == [gc.Planted("db × 4", 3)]


def test_hunt_candidates_leave_out_the_L2_bug_without_L2():
    p, theta = problem((5, 2), "tanh")
    found = gc.hunt_candidates(p, gc.approximate(p, theta))
    assert {c.bug for c in found} == set(gc.BUGS) - {"L2 halved"}
    assert len(found) == 4 * 3 + 2  # four bugs in any of 3 layers, g′ in the 2 hidden ones


def test_no_hunt_where_the_real_backprop_is_already_flagged():
    p, theta = problem((3, 3, 3, 3), "sigmoid", 0.0, "xavier")  # a vanished first layer
    assert gc.hunt_candidates(p, gc.approximate(p, theta)) == []


def test_highest_flagged_layer():
    assert gc.highest_flagged([True, False, True, False]) == 3
    assert gc.highest_flagged([False, False]) is None


def test_plant_draws_every_candidate_and_nothing_from_none():
    candidates = [gc.Planted("db × 4", 1), gc.Planted("dW doubled", 2), gc.Planted("L2 halved", 3)]
    rng = np.random.default_rng(5)
    drawn = [gc.plant(candidates, rng) for _ in range(60)]
    assert set(drawn) == set(candidates)
    assert gc.plant([], rng) is None
