"""The training loop of nnviz.engine.train: history semantics, mini-batches, lockstep, divergence.

Oracles: the course's formulas in tests/oracle.py (cost, finite differences), the course's own
training loop (nnviz/bench/reference.py, the notebook's code), counts worked by hand, the same run
trained alone, and properties (ln 2 for zeros init, smaller weights for larger λ).
"""

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.network import Layout
from nnviz.engine.train import (
    load_data,
    record_epochs,
    run_experiment,
    train,
    train_live,
)
from tests import oracle
from tests.helpers.histories import FIELDS, assert_same_history

SMALL = dict(hidden=(6, 4), batch_size=32, epochs=30)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate("moons", 120, 0.2, 0.25, 0)  # 90 train, 30 test


def evaluate(params, X, Y, activation="relu", lambd=0.0):
    """(J, accuracy) by the course's formulas (tests/oracle.py), without dropout."""
    return oracle.cost(params, X, Y, activation, lambd), oracle.accuracy(params, X, Y, activation)


# --- lockstep ------------------------------------------------------------------------------------


def test_lockstep_group_equals_each_run_alone(data):
    runs = [
        RunConfig(optimizer="adam", lr=0.01, **SMALL),
        RunConfig(optimizer="gd", lr=0.3, lambd=0.4, **SMALL),
        RunConfig(optimizer="momentum", lr=0.1, beta1=0.8, keep_prob=0.7, init="xavier", **SMALL),
        RunConfig(optimizer="rmsprop", lr=0.005, beta2=0.99, epsilon=1e-6, **SMALL),
        RunConfig(
            optimizer="adam", lr=0.02, beta1=0.85, beta2=0.99, lambd=0.1, keep_prob=0.9, **SMALL
        ),
        RunConfig(optimizer="momentum", lr=0.05, init="random", **SMALL),
    ]
    together = train(data, runs, seed=5, log_every=3)
    assert [h.config for h in together] == runs  # results in the order given
    for run, h in zip(runs, together):
        (alone,) = train(data, [run], seed=5, log_every=3)
        assert_same_history(h, alone)
    # the runs really differ from each other (so equality above is not vacuous)
    assert len({h.train_cost[-1] for h in together}) == len(runs)


def test_runs_of_different_architectures_are_grouped_apart_and_each_equals_alone(data):
    runs = [
        RunConfig(hidden=(4,), optimizer="gd", lr=0.2, batch_size=0, epochs=20),
        RunConfig(hidden=(6, 4), optimizer="adam", lr=0.01, batch_size=16, epochs=12),
        RunConfig(hidden=(4,), activation="tanh", optimizer="momentum", lr=0.1, epochs=15),
        RunConfig(hidden=(4,), optimizer="adam", lr=0.02, batch_size=0, epochs=20),
        RunConfig(hidden=(), optimizer="rmsprop", lr=0.01, epochs=10),
    ]
    together = train(data, runs, seed=2, log_every=4)
    assert [h.config for h in together] == runs
    for run, h in zip(runs, together):
        assert h.epochs[-1] == run.epochs
        assert h.layout.dims == run.layer_dims
        (alone,) = train(data, [run], seed=2, log_every=4)
        assert_same_history(h, alone)


def test_keep_prob_one_beside_a_dropout_run_equals_no_dropout(data):
    plain = RunConfig(optimizer="adam", lr=0.02, **SMALL)
    dropout = replace(plain, keep_prob=0.5)
    with_dropout_group, dropped = train(data, [plain, dropout], seed=1, log_every=5)
    (alone,) = train(data, [plain], seed=1, log_every=5)  # no masks drawn at all
    assert_same_history(with_dropout_group, alone)
    assert not np.array_equal(dropped.theta, alone.theta)  # dropout did change its run


# --- determinism and random streams --------------------------------------------------------------


def experiment(seed=0, *runs) -> Experiment:
    runs = runs or (RunConfig(optimizer="gd", lr=0.1, keep_prob=0.8, **SMALL),)
    return Experiment(DataConfig("moons", 100, 0.2, 0.2), runs, seed=seed, log_every=5)


def test_same_config_twice_gives_identical_numbers():
    runs = (RunConfig(keep_prob=0.8, **SMALL), RunConfig(optimizer="momentum", lr=0.1, **SMALL))
    first, second = run_experiment(experiment(4, *runs)), run_experiment(experiment(4, *runs))
    for a, b in zip(first, second):
        assert_same_history(a, b)


def test_changing_one_runs_optimizer_keeps_its_initial_weights():
    adam = RunConfig(optimizer="adam", **SMALL)
    gd, momentum = replace(adam, optimizer="gd"), replace(adam, optimizer="momentum")
    a = run_experiment(experiment(3, gd, adam))
    b = run_experiment(experiment(3, momentum, adam))
    assert a[0].train_cost[0] == b[0].train_cost[0]
    assert np.array_equal(a[0].snapshots[0], b[0].snapshots[0])
    assert a[0].snapshot_epochs[0] == 0
    assert_same_history(a[1], b[1])  # the untouched run is untouched
    assert a[0].train_cost[-1] != b[0].train_cost[-1]


def test_changing_the_seed_changes_data_and_initial_weights():
    e0, e1 = experiment(0), experiment(1)
    d0, d1 = load_data(e0), load_data(e1)
    assert d0.X_train.shape == d1.X_train.shape and not np.array_equal(d0.X_train, d1.X_train)
    (h0,), (h1,) = run_experiment(e0), run_experiment(e1)
    assert not np.array_equal(h0.snapshots[0], h1.snapshots[0])
    assert np.array_equal(h0.snapshots[0], run_experiment(experiment(0))[0].snapshots[0])


# --- what a history records ----------------------------------------------------------------------


def test_epoch_zero_is_the_state_before_any_update(data):
    layout = Layout((2, 6, 4, 1))
    theta0 = np.random.default_rng(9).standard_normal(layout.size)
    run = RunConfig(optimizer="adam", lr=0.05, lambd=0.8, **SMALL)
    (h,) = train(data, [run], seed=0, log_every=10, initial=[theta0])
    params = layout.to_list(theta0)
    J, acc = evaluate(params, data.X_train, data.Y_train, lambd=0.8)
    test_ce, test_acc = evaluate(params, data.X_test, data.Y_test)  # no L2 in the test cost
    assert h.epochs[0] == 0
    assert h.train_cost[0] == pytest.approx(J, rel=1e-13)
    assert h.test_cost[0] == pytest.approx(test_ce, rel=1e-13)
    assert (h.train_accuracy[0], h.test_accuracy[0]) == (acc, test_acc)
    assert np.array_equal(h.snapshots[0], theta0)
    (untrained,) = train(data, [replace(run, epochs=0)], seed=0, initial=[theta0])
    assert untrained.epochs.tolist() == [0] and np.array_equal(untrained.theta, theta0)


def test_recorded_costs_are_those_of_the_recorded_parameters_without_dropout(data):
    run = RunConfig(optimizer="momentum", lr=0.1, lambd=0.3, keep_prob=0.6, **SMALL)
    (h,) = train(data, [run], seed=0, log_every=1)
    assert len(h.snapshot_epochs) > 5
    for epoch, theta in zip(h.snapshot_epochs, h.snapshots):
        k = int(np.flatnonzero(h.epochs == epoch)[0])
        J, acc = evaluate(h.layout.to_list(theta), data.X_train, data.Y_train, lambd=0.3)
        assert h.train_cost[k] == pytest.approx(J, rel=1e-12)
        assert h.train_accuracy[k] == acc
    assert np.array_equal(h.snapshots[-1], h.theta)


@pytest.mark.parametrize(
    "epochs, log_every, expected",
    [
        (10, 3, [0, 3, 6, 9, 10]),
        (10, 5, [0, 5, 10]),
        (10, 1, list(range(11))),
        (10, 25, [0, 10]),
        (0, 1, [0]),
    ],
)
def test_record_stride(epochs, log_every, expected):
    assert record_epochs(epochs, log_every).tolist() == expected


def test_automatic_stride_gives_about_500_evenly_spaced_points():
    for epochs in (30, 1200, 15_000):
        e = record_epochs(epochs, 0)
        assert e[0] == 0 and e[-1] == epochs
        assert len(e) <= 502
        assert len(np.unique(np.diff(e[:-1]))) <= 1  # one stride, then the last epoch
        assert len(e) >= min(epochs + 1, 250)


def test_history_follows_the_stride_and_recording_does_not_change_training(data):
    run = RunConfig(optimizer="adam", lr=0.01, **{**SMALL, "epochs": 10})
    (sparse,) = train(data, [run], seed=0, log_every=3)
    (dense,) = train(data, [run], seed=0, log_every=1)
    assert sparse.epochs.tolist() == [0, 3, 6, 9, 10]
    for name in FIELDS[1:5]:
        assert len(getattr(sparse, name)) == 5
        assert np.array_equal(getattr(sparse, name), getattr(dense, name)[sparse.epochs])
    assert np.array_equal(sparse.theta, dense.theta)
    (auto,) = train(data, [run], seed=0, log_every=0)  # automatic: 10 epochs -> every epoch
    assert auto.epochs.tolist() == list(range(11))


def test_history_without_a_test_set_has_empty_test_curves():
    no_test = generate("blobs", 60, 0.2, 0.0, 0)
    (h,) = train(no_test, [RunConfig(**SMALL)], seed=0, log_every=10)
    assert len(h.train_cost) == 4 and len(h.test_cost) == 0 and len(h.test_accuracy) == 0
    assert h.final["test_cost"] is None and h.final["train_cost"] == h.train_cost[-1]


def test_params_have_the_course_shapes_and_weight_norm_sums_them(data):
    (h,) = train(data, [RunConfig(hidden=(5, 2), epochs=3)], seed=0)
    assert [(W.shape, b.shape) for W, b in h.params] == [
        ((5, 2), (5, 1)),
        ((2, 5), (2, 1)),
        ((1, 2), (1, 1)),
    ]
    assert h.weight_norm == pytest.approx(sum(float(np.sum(W * W)) for W, _ in h.params))


# --- mini-batches -------------------------------------------------------------------------------


def bias_after(updates: int, lr: float) -> float:
    """Logistic regression on x = 0, y = 0: each batch's gradient of b is σ(b), any batch size."""
    b = 0.0
    for _ in range(updates):
        b -= lr / (1 + math.exp(-b))
    return b


@pytest.mark.parametrize(
    "batch_size, updates_per_epoch",  # ⌈10 / B⌉, worked by hand; 0 and B ≥ m mean full batch
    [(0, 1), (1, 10), (3, 4), (4, 3), (5, 2), (9, 2), (10, 1), (11, 1), (64, 1)],
)
def test_an_epoch_makes_ceil_m_over_b_updates(batch_size, updates_per_epoch):
    m, lr, epochs = 10, 0.5, 2
    zeros = Dataset(np.zeros((2, m)), np.zeros((1, m)), np.zeros((2, 0)), np.zeros((1, 0)))
    run = RunConfig(hidden=(), init="zeros", optimizer="gd", lr=lr, batch_size=batch_size)
    (h,) = train(zeros, [replace(run, epochs=epochs)], seed=0, log_every=1)
    b = h.params[0][1][0, 0]
    n = epochs * updates_per_epoch
    assert b == pytest.approx(bias_after(n, lr), rel=1e-13)
    assert abs(b - bias_after(n + 1, lr)) > 1e-3 and abs(b - bias_after(n - 1, lr)) > 1e-3


def test_batch_zero_and_batch_at_least_m_are_the_same_full_batch(data):
    m = data.X_train.shape[1]
    run = RunConfig(optimizer="adam", lr=0.02, hidden=(6, 4), epochs=15)
    full = [train(data, [replace(run, batch_size=B)], seed=0, log_every=3)[0] for B in (0, m, 500)]
    for h in full[1:]:
        for name in FIELDS:
            assert np.array_equal(getattr(h, name), getattr(full[0], name)), name
    (mini,) = train(data, [replace(run, batch_size=32)], seed=0, log_every=3)
    assert not np.array_equal(mini.theta, full[0].theta)


# --- the lessons' semantics --------------------------------------------------------------------


def test_zeros_init_stays_at_ln2_and_fifty_percent():
    circles = generate("circles", 400, 0.05, 0.25, 1)  # the initialization lesson's data
    run = RunConfig(hidden=(10, 5), init="zeros", optimizer="gd", lr=0.01, batch_size=0, epochs=40)
    (h,) = train(circles, [run], seed=1, log_every=5)
    np.testing.assert_allclose(h.train_cost, math.log(2), rtol=1e-14)
    np.testing.assert_allclose(h.test_cost, math.log(2), rtol=1e-14)
    assert set(h.train_accuracy) == {0.5} and set(h.test_accuracy) == {0.5}
    assert not any(W.any() for W, _b in h.params)  # symmetry is never broken


def test_large_random_init_gives_a_large_finite_initial_cost():
    circles = generate("circles", 400, 0.05, 0.25, 1)
    run = RunConfig(hidden=(10, 5), init="random", optimizer="gd", lr=0.01, batch_size=0, epochs=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (h,) = train(circles, [run], seed=1, log_every=1)
    assert np.isfinite(h.train_cost).all() and h.train_cost[0] > 5
    J, _acc = evaluate(h.layout.to_list(h.snapshots[0]), circles.X_train, circles.Y_train)
    assert h.train_cost[0] == pytest.approx(J, rel=1e-12)


def test_l2_shrinks_weights(data):
    lambdas = [0.0, 0.1, 1.0, 5.0]
    runs = [
        RunConfig(optimizer="gd", lr=0.2, lambd=lam, batch_size=0, epochs=150) for lam in lambdas
    ]
    norms = [h.weight_norm for h in train(data, runs, seed=0, log_every=50)]
    assert all(a > b for a, b in zip(norms, norms[1:])), norms


def test_a_diverging_run_stops_quietly_and_leaves_its_group_alone(data):
    base = dict(hidden=(4, 3), batch_size=0, epochs=200)
    exploding = RunConfig(optimizer="gd", lr=50, lambd=100, **base)  # |1 - αλ/m| ≫ 1 on W
    fine = [RunConfig(optimizer="adam", lr=0.01, **base), RunConfig(optimizer="gd", lr=0.3, **base)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (or any other) reaches the user
        hs = train(data, [fine[0], exploding, fine[1]], seed=1, log_every=7)
    bad = hs[1]
    assert bad.diverged_at is not None and 0 < bad.diverged_at <= 200
    assert len(bad.epochs) >= 1 and (bad.epochs < bad.diverged_at).all()
    for name in FIELDS[1:]:
        values = getattr(bad, name)
        assert np.isfinite(values).all(), name
    assert len(bad.train_cost) == len(bad.epochs) == len(bad.test_cost)
    assert bad.train_cost[-1] > bad.train_cost[0]
    for run, h in zip(fine, (hs[0], hs[2])):
        assert h.diverged_at is None and h.epochs[-1] == 200
        (alone,) = train(data, [run], seed=1, log_every=7)
        assert_same_history(h, alone)
    (solo,) = train(data, [exploding], seed=1, log_every=7)  # a group of one stops early
    assert_same_history(solo, bad)


# --- training you can watch ---------------------------------------------------------------------


def test_train_live_yields_growing_partial_histories_and_ends_equal_to_train(data):
    runs = [
        RunConfig(
            optimizer="adam", lr=0.01, keep_prob=0.8, hidden=(6, 4), batch_size=32, epochs=300
        ),
        RunConfig(optimizer="gd", lr=0.3, lambd=0.4, hidden=(6, 4), batch_size=32, epochs=300),
        RunConfig(optimizer="gd", lr=0.3, hidden=(3,), batch_size=0, epochs=200),  # a second group
    ]
    frames = list(train_live(data, runs, seed=2, log_every=5, every=0.0))  # a frame every epoch
    assert len(frames) > 100
    first = frames[0]
    assert first[2] is None  # the second group has not started
    assert 0 < len(first[0].epochs) < len(frames[-1][0].epochs)
    lengths = [len(f[0].epochs) for f in frames]
    assert lengths == sorted(lengths)
    for live, alone in zip(frames[-1], train(data, runs, seed=2, log_every=5)):
        assert_same_history(live, alone)  # chunking changes no number


def test_closing_train_live_stops_training(data):
    runs = [RunConfig(optimizer="adam", hidden=(6, 4), batch_size=32, epochs=100_000)]
    live = train_live(data, runs, seed=0, every=0.05)
    partial = next(live)[0]
    live.close()
    assert partial.epochs[-1] < 100_000
