"""Batch normalization (nnviz/engine/batchnorm.py, docs/design.md §7) against outside oracles.

Oracles: tests/oracle.py's layer-by-layer BN network (np.mean, np.var) and its central finite
differences; a hand-worked normalization; the running averages' recurrence worked step by step
from the recorded snapshots; Adam's first step, α g / (|g| + ε), worked by hand.
"""

import numpy as np
import pytest

from nnviz.engine import gradcheck as gc
from nnviz.engine.batchnorm import batch_stats, normalize
from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import generate
from nnviz.engine.inspect import gradients, hidden_activations
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    backward,
    forward,
    initial_params,
    predict_proba,
    with_ones,
)
from nnviz.engine.train import gradient, start, train, update
from tests import oracle

DIMS = (2, 4, 3, 1)
EPS = 1e-5
DATA = generate("moons", 120, 0.2, 0.25, 3)


def random_theta(layout: Layout, rng: np.random.Generator) -> np.ndarray:
    """Every parameter random: W, b, γ around 1, β, and running μ, σ² (σ² > 0)."""
    theta = rng.normal(size=layout.size)
    for gamma, _beta, _mu, var in layout.norms(theta[None, :])[1:]:
        gamma[...] = rng.uniform(0.5, 1.5, gamma.shape)
        var[...] = rng.uniform(0.5, 2.0, var.shape)
    return theta


def split(layout: Layout, theta: np.ndarray):
    return layout.to_list(theta), layout.norm_list(theta)


def engine_pass(layout: Layout, theta: np.ndarray, X: np.ndarray, Y: np.ndarray, activation: str):
    """nnviz's training-mode forward and backward for one run: (gradient (P,), workspace)."""
    act, T = ACTIVATIONS[activation], theta[None, :].copy()
    G = np.zeros_like(T)
    norm = layout.norm(T, EPS)
    work = forward(layout.blocks(T), with_ones(X), act, norm=norm)
    backward(layout.blocks(T), work, Y, act, layout.blocks(G), norm, layout.norm(G))
    return G[0], work


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_gradients_match_finite_differences_in_training_mode(activation):
    """W, b, γ, β and the running entries: ∂J/∂θ against central differences of the oracle's
    cost with the batch's own μ and σ² (b's true gradient is 0: μ cancels it; μ_run, σ²_run
    do not enter training)."""
    rng = np.random.default_rng(0)
    layout = Layout(DIMS, batch_norm=True)
    theta = random_theta(layout, rng)
    X, Y = DATA.X_train[:, :16], DATA.Y_train[:, :16]
    grad, _work = engine_pass(layout, theta, X, Y, activation)
    numeric = oracle.numerical_gradient(
        lambda t: oracle.bn_cost(*split(layout, t), X, Y, activation, EPS), theta
    )
    assert oracle.relative_error(grad, numeric) < 1e-7
    gammas = [s[0] for s in layout.norm_list(grad)]
    assert all(np.abs(g).max() > 1e-4 for g in gammas)  # γ really is learned
    hidden_b = [b for _W, b in layout.to_list(grad)[:-1]]
    assert all(np.all(b == 0.0) for b in hidden_b)  # held at exactly 0
    np.testing.assert_allclose(np.concatenate(hidden_b).ravel(), 0.0)


def test_every_layers_activations_match_the_oracle():
    rng = np.random.default_rng(1)
    layout = Layout((2, 5, 4, 3, 1), batch_norm=True)
    theta = random_theta(layout, rng)
    _grad, work = engine_pass(layout, theta, DATA.X_train, DATA.Y_train, "tanh")
    Zts, As, z, _stats = oracle.bn_forward(
        *split(layout, theta), DATA.X_train, "tanh", EPS, running=False
    )
    for l, (Zt, A) in enumerate(zip(Zts, As), start=1):
        np.testing.assert_allclose(work.Z[l][0], Zt, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(work.A[l][0, :-1], A, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(work.Z[-1][0], z, rtol=1e-12, atol=1e-12)


def test_normalize_by_hand():
    """Z = [1 2 3 6]: μ = 3, σ² = (4 + 1 + 0 + 9)/4 = 3.5; γ = 2, β = 1, ε = 0.5:
    Z̃ = 2 (Z − 3)/√4 + 1 = [-1, 0, 1, 4]."""
    Z = np.array([[[1.0, 2.0, 3.0, 6.0]]])
    _flat, (stats,) = batch_stats(1, (1,), 4)
    normalize(Z, np.array([[[2.0]]]), np.array([[[1.0]]]), 0.5, stats)
    np.testing.assert_allclose(Z[0, 0], [-1.0, 0.0, 1.0, 4.0], rtol=1e-15)
    assert stats.mu[0, 0, 0] == 3.0 and stats.var[0, 0, 0] == 3.5


def test_normalised_preactivations_have_mean_0_std_1_then_beta_gamma():
    """Mean 0 and std 1 per unit with γ = 1, β = 0 (the std exactly √(σ²/(σ² + ε)), σ² the
    batch's variance of Z, from the oracle); mean β and std |γ| that much otherwise."""
    rng = np.random.default_rng(2)
    layout = Layout((2, 6, 5, 1), batch_norm=True)
    X, Y = DATA.X_train, DATA.Y_train
    for theta in (initial_params(layout.dims, "he", rng, True), random_theta(layout, rng)):
        _g, work = engine_pass(layout, theta, X, Y, "tanh")
        stats = oracle.bn_forward(*split(layout, theta), X, "tanh", EPS, running=False)[3]
        norms = layout.norm_list(theta)
        for l, ((gamma, beta, _m, _v), (_mu, var)) in enumerate(zip(norms, stats), start=1):
            Zt = work.Z[l][0]
            np.testing.assert_allclose(Zt.mean(axis=1, keepdims=True), beta, atol=1e-12)
            std = np.abs(gamma) * np.sqrt(var / (var + EPS))
            np.testing.assert_allclose(Zt.std(axis=1, keepdims=True), std, rtol=1e-10)
            assert np.all(np.abs(std - np.abs(gamma)) < 1e-3 * np.abs(gamma))  # ≈ |γ|
    assert np.all(norms[0][0] != 1.0)  # the second θ did have γ ≠ 1


def bn_experiment(**changes) -> Experiment:
    run = RunConfig(hidden=(5, 4), activation="tanh", batch_norm=True, epochs=4, batch_size=16)
    return Experiment(DataConfig("moons", 120, 0.2, 0.25), (RunConfig(**{**vars(run), **changes}),))


def test_evaluation_uses_the_running_statistics():
    """Costs, accuracies and predict_proba of a BN run are the oracle's with μ_run, σ²_run; the
    whole set's own statistics would give a clearly different cost."""
    (h,) = train(DATA, bn_experiment().runs, seed=0)
    params, norms = split(h.layout, h.theta)
    X, Y = DATA.X_train, DATA.Y_train
    with_running = oracle.bn_cost(params, norms, X, Y, "tanh", EPS, running=True)
    with_batch = oracle.bn_cost(params, norms, X, Y, "tanh", EPS, running=False)
    assert h.train_cost[-1] == pytest.approx(with_running, rel=1e-10)
    assert abs(with_running - with_batch) > 1e-3  # the two differ: the test can tell them apart
    z_test = oracle.bn_forward(params, norms, DATA.X_test, "tanh", EPS, running=True)[2]
    test_cost = np.sum(np.logaddexp(0, z_test) - DATA.Y_test * z_test) / DATA.X_test.shape[1]
    assert h.test_cost[-1] == pytest.approx(test_cost, rel=1e-10)
    assert h.test_accuracy[-1] == pytest.approx(np.mean((z_test > 0) == (DATA.Y_test == 1)))
    P = predict_proba(h.eval_params(), DATA.X_test, "tanh")  # what the boundaries draw
    np.testing.assert_allclose(P, 1 / (1 + np.exp(-z_test[0])), rtol=1e-10)


def test_running_averages_follow_the_recurrence_for_two_steps():
    """Full batch, two steps, ρ = 0.3: r₁ = 0.7 r₀ + 0.3 x₀, r₂ = 0.7 r₁ + 0.3 x₁, r₀ = (0, 1),
    x_k the batch statistics of the parameters after k steps (recorded snapshots)."""
    exp = bn_experiment(batch_size=0, epochs=2, bn_momentum=0.3)
    (h,) = train(DATA, exp.runs, seed=0, log_every=1)
    assert list(h.snapshot_epochs) == [0, 1, 2]
    mu, var = [np.zeros((5, 1)), np.zeros((4, 1))], [np.ones((5, 1)), np.ones((4, 1))]
    for k in (0, 1):
        params, norms = split(h.layout, h.snapshots[k])
        stats = oracle.bn_forward(params, norms, DATA.X_train, "tanh", EPS, running=False)[3]
        mu = [0.7 * r + 0.3 * x for r, (x, _v) in zip(mu, stats)]
        var = [0.7 * r + 0.3 * v for r, (_x, v) in zip(var, stats)]
        recorded = h.layout.norm_list(h.snapshots[k + 1])
        for l, (_g, _b, mu_run, var_run) in enumerate(recorded):
            np.testing.assert_allclose(mu_run, mu[l], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(var_run, var[l], rtol=1e-12)


def test_l2_never_touches_gamma_beta_or_b():
    """Two runs differing only in λ: the gradients differ by (λ/m) W on weights, nothing else."""
    runs = [bn_experiment().runs[0], bn_experiment(lambd=0.7).runs[0]]
    group = start(DATA, runs, 0, 0, [None, None])
    X1, Y = with_ones(DATA.X_train[:, :16]), DATA.Y_train[:, :16]
    g = gradient(group, X1, Y, None)
    layout, theta = group.setup.layout, group.progress.theta[0]
    gap = g[1] - g[0]
    for (dW, db), (W, _b) in zip(layout.to_list(gap), layout.to_list(theta)):
        np.testing.assert_allclose(dW, 0.7 / 16 * W, rtol=1e-9, atol=1e-15)
        assert np.all(db == 0.0)
    assert all(np.all(a == 0.0) for s in layout.norm_list(gap) for a in s)


def test_adam_moves_gamma_and_beta_with_its_own_moments():
    """Adam's first step is α g/(|g| + ε) per entry (v̂ = g, ŝ = g²): γ and β take it too, with
    t = 1 and v = (1 − β₁) g; the running μ, σ² do not (their gradient is 0)."""
    run = bn_experiment(optimizer="adam", lr=0.01).runs[0]
    group = start(DATA, [run], 0, 0, [None])
    X1, Y = with_ones(DATA.X_train[:, :16]), DATA.Y_train[:, :16]
    layout, before = group.setup.layout, group.progress.theta[0].copy()
    g = gradient(group, X1, Y, None)[0].copy()
    update(group, X1, Y, None)
    (rule,) = group.progress.rules
    moved = layout.norm_list(before - group.progress.theta[0])
    for (dgamma, dbeta, _m, _v), (ggamma, gbeta, gmu, gvar) in zip(moved, layout.norm_list(g)):
        np.testing.assert_allclose(dgamma, 0.01 * ggamma / (np.abs(ggamma) + 1e-8), rtol=1e-9)
        np.testing.assert_allclose(dbeta, 0.01 * gbeta / (np.abs(gbeta) + 1e-8), rtol=1e-9)
        assert np.all(gmu == 0.0) and np.all(gvar == 0.0)
    assert rule.state.t == 1
    np.testing.assert_allclose(rule.state.v[0], 0.1 * g, rtol=1e-12)
    assert np.abs(layout.norm_list(rule.state.v[0])[0][0]).max() > 0  # γ's moment is kept


def test_bn_and_plain_runs_train_side_by_side_as_alone():
    """One experiment with BN and non-BN runs (two lockstep groups): each run's numbers are
    exactly those it gets alone, and two BN runs with different momenta share a group."""
    plain = RunConfig(hidden=(5, 4), activation="tanh", epochs=3, batch_size=16)
    bn1 = bn_experiment(epochs=3).runs[0]
    bn2 = bn_experiment(epochs=3, bn_momentum=0.5, bn_epsilon=1e-3).runs[0]
    together = train(DATA, [plain, bn1, bn2], seed=4)
    assert bn1.group_key == bn2.group_key != plain.group_key
    for run, h in zip([plain, bn1, bn2], together):
        (alone,) = train(DATA, [run], seed=4)
        np.testing.assert_array_equal(h.theta, alone.theta)
        np.testing.assert_array_equal(h.train_cost, alone.train_cost)
    assert together[0].theta.size < together[1].theta.size  # γ, β, μ, σ² only where BN is on
    assert all(np.all(b == 0.0) for _W, b in together[1].params[:-1])


def test_bn_settings_are_validated_with_one_line():
    for bad, message in (
        (dict(batch_norm=1), "batch_norm must be true or false"),
        (dict(bn_momentum=0.0), "bn_momentum must be in (0, 1]"),
        (dict(bn_epsilon=-1.0), "bn_epsilon must be in (0, 1]"),
    ):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("]", r"\]")):
            RunConfig(**bad)


def test_the_inside_panel_sees_batch_norm():
    """inspect.gradients of a BN run: the oracle's finite differences on the whole training set
    (its own μ, σ²) plus (λ/m) W; hidden_activations: the oracle's with the running μ, σ²."""
    (h,) = train(DATA, bn_experiment(lambd=0.3, epochs=3).runs, seed=0, log_every=1)
    X, Y, theta = DATA.X_train, DATA.Y_train, h.snapshots[2]
    numeric = oracle.numerical_gradient(
        lambda t: oracle.bn_cost(*split(h.layout, t), X, Y, "tanh", EPS), theta
    )
    numeric += 0.3 / X.shape[1] * theta * h.layout.weight_mask
    (grad,) = gradients(h, DATA, [2])
    for (dW, _db), (nW, _nb) in zip(h.layout.to_list(grad), h.layout.to_list(numeric)):
        np.testing.assert_allclose(dW, nW, rtol=1e-6, atol=1e-9)
    for ours, theirs in zip(h.layout.norm_list(grad)[0][:2], h.layout.norm_list(numeric)[0][:2]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)  # dγ, dβ
    A = hidden_activations(h, X, [2])
    As = oracle.bn_forward(*split(h.layout, theta), X, "tanh", EPS, running=True)[1]
    for ours, theirs in zip(A, As):
        np.testing.assert_allclose(ours[0], theirs, rtol=1e-10, atol=1e-12)


def test_the_gradient_check_of_a_bn_run_passes_and_is_the_oracles():
    """The Inside panel's gradient check on a BN run: g_approx is the oracle's central
    differences of its BN cost on the same examples, and the engine's backprop passes (2e-7);
    no bug hunt (its course-style copy of backprop has no batch norm)."""
    (h,) = train(DATA, bn_experiment(epochs=2).runs, seed=0, log_every=1)
    p, theta = gc.problem(h, DATA, max_examples=24), h.snapshots[1]
    assert not any(gc.check(p, theta).flagged)
    approx = gc.approximate(p, theta)
    X, Y = DATA.X_train[:, :24], DATA.Y_train[:, :24]
    numeric = oracle.numerical_gradient(
        lambda t: oracle.bn_cost(*split(h.layout, t), X, Y, "tanh", EPS), theta
    )
    for index, values in zip(approx.index, approx.values):
        np.testing.assert_allclose(values, numeric[index], rtol=1e-5, atol=1e-8)
    assert gc.hunt_candidates(p, approx) == []


def test_without_a_hidden_layer_batch_norm_is_a_plain_run():
    """BN acts on hidden layers only: logistic (or softmax) regression with the box ticked must
    train, and give exactly the plain run's numbers."""
    run = RunConfig(hidden=(), epochs=30, batch_size=32)
    plain, bn = train(DATA, [run, RunConfig(**{**run.__dict__, "batch_norm": True})], 0)
    np.testing.assert_array_equal(bn.train_cost, plain.train_cost)
    np.testing.assert_array_equal(bn.theta, plain.theta)
