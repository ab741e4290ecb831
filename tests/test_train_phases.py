"""The phases of an epoch in nnviz.engine.train, each on its own: batches, masks, gradient, update.

Oracles: the course's cost (tests/oracle.py) and its finite differences, with m = the batch's own
size; the course's training loop (nnviz/bench/reference.py, the notebook's random_mini_batches and
Adam with t counting updates); counts and values worked out by hand; probability bounds.
"""

import math

import numpy as np
import pytest

from nnviz.bench import measure, reference
from nnviz.engine import train as trainer
from nnviz.engine.config import RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.network import Layout, with_ones
from nnviz.engine.optim import Hyper, adam_init, adam_update, moments
from nnviz.engine.train import (
    SHUFFLE_STREAM,
    advance,
    dropout_masks,
    epoch_batches,
    start,
    stream,
    train,
    update,
)
from tests import oracle

DIMS = (2, 4, 3, 1)


def columns(m: int, B: int, rng, shuffle: bool = True, epochs: int = 1) -> list[list[list[int]]]:
    """Which data columns each batch of each epoch holds: epoch_batches on X = Y = 0, 1, .., m-1."""
    index = np.arange(m, dtype=float)[None, :]
    out = []
    for _ in range(epochs):
        batches = []
        for Xb, Yb in epoch_batches(index, index + 0.5, B, rng, shuffle):
            assert np.array_equal(Xb + 0.5, Yb)  # X and Y columns move together
            batches.append(Xb[0].astype(int).tolist())
        out.append(batches)
    return out


def problem(m: int, seed: int = 4):
    """Points, labels and parameters with nonzero biases, as a Dataset without a test set."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    theta = rng.standard_normal(Layout(DIMS).size) * 0.8
    return Dataset(X, Y, np.zeros((2, 0)), np.zeros((1, 0))), theta


def one_run(**kw) -> RunConfig:
    return RunConfig(hidden=DIMS[1:-1], **{"activation": "tanh", "epochs": 1, **kw})


# --- epoch_batches --------------------------------------------------------------------------------


def test_every_epoch_draws_a_new_permutation():
    m, B = 10, 4
    epochs = columns(m, B, np.random.default_rng(0), epochs=6)
    for batches in epochs:
        assert [len(b) for b in batches] == [4, 4, 2]  # ⌈10/4⌉ batches, the last one smaller
        assert sorted(sum(batches, [])) == list(range(m))  # every point once per epoch
    orders = [tuple(sum(batches, [])) for batches in epochs]
    assert len(set(orders)) == len(orders)  # a new order every epoch
    assert orders[0] != tuple(range(m))
    # the same seed repeats the orders; another seed gives others
    assert columns(m, B, np.random.default_rng(0), epochs=6) == epochs
    assert columns(m, B, np.random.default_rng(1), epochs=6) != epochs


def test_without_shuffling_batches_follow_the_data_order_every_epoch():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    expected = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # like sklearn's gen_batches(10, 4)
    assert columns(10, 4, rng, shuffle=False, epochs=3) == [expected] * 3
    assert columns(10, 10, rng, epochs=2) == [[list(range(10))]] * 2  # B ≥ m: the full batch
    assert columns(10, 25, rng, epochs=1) == [[list(range(10))]]
    assert rng.bit_generator.state == state  # and none of these drew a random number


def test_the_trainer_shuffles_like_the_course_notebook():
    """train() on shuffled mini-batches = the notebook's model() fed the same batch-order stream.

    Different code (dicts, one layer at a time) doing the course's random_mini_batches and Adam
    with t counting mini-batch updates; it agrees only if both shuffle anew every epoch, in the
    same way, and count t the same.
    """
    data = generate("moons", 90, 0.2, 0.0, 2)
    dims, seed, epochs, B = (2, 5, 2, 1), 7, 12, 32  # 90 = 2·32 + 26
    theta0 = np.random.default_rng(3).standard_normal(Layout(dims).size) * 0.7
    for optimizer, lr in (("gd", 0.3), ("momentum", 0.3), ("adam", 0.01)):
        run = RunConfig(hidden=dims[1:-1], optimizer=optimizer, lr=lr, batch_size=B, epochs=epochs)
        (ours,) = train(data, [run], seed, initial=[theta0])
        with np.errstate(all="ignore"):
            params, _costs = reference.model(
                data.X_train,
                data.Y_train,
                dims,
                optimizer,
                lr,
                B,
                num_epochs=epochs,
                rng=stream(seed, SHUFFLE_STREAM),
                parameters=measure.reference_params(theta0, dims),
            )
        theirs = Layout(dims).from_list(
            [(params[f"W{l}"], params[f"b{l}"]) for l in range(1, len(dims))]
        )
        assert np.abs(ours.theta - theta0).max() > 0.05  # the premise: training moved θ
        np.testing.assert_allclose(ours.theta, theirs, rtol=1e-9, atol=1e-11, err_msg=optimizer)


# --- dropout_masks --------------------------------------------------------------------------------


def test_dropout_masks_are_inverted_and_fresh():
    keep = np.array([0.5, 0.8, 1.0])[:, None, None]  # three runs
    hidden, B = (5, 3), 4000
    rng = np.random.default_rng(0)
    first = dropout_masks(rng, keep, hidden, B)
    assert [D.shape for D in first] == [(3, 5, B), (3, 3, B)]
    for D in first:
        for r, k in enumerate((0.5, 0.8, 1.0)):
            assert set(np.unique(D[r]).tolist()) <= {0.0, 1 / k}  # D / keep_prob, D ∈ {0, 1}
            # E[D/keep] = 1, so E[A ⊙ D/keep] = A: each unit's mean over B draws, within 5 σ
            sigma = math.sqrt((1 - k) / (k * B))
            assert np.abs(D[r].mean(axis=-1) - 1).max() <= 5 * sigma
        assert (D[2] == 1.0).all()  # keep_prob 1: exact ones, the run is untouched
        assert 0.4 < (D[0] == 0).mean() < 0.6 and 0.15 < (D[1] == 0).mean() < 0.25
    second = dropout_masks(rng, keep, hidden, B)
    assert not any(np.array_equal(a[0], b[0]) for a, b in zip(first, second))  # drawn anew


def test_every_update_gets_a_fresh_mask(monkeypatch):
    data, _theta = problem(20)
    seen = []

    def spy(group, Xb, Yb, masks):
        seen.append([D.copy() for D in masks])
        return update(group, Xb, Yb, masks)

    monkeypatch.setattr(trainer, "update", spy)
    run = one_run(keep_prob=0.6, batch_size=5, epochs=3)  # 4 updates an epoch, all 5 wide
    train(data, [run], seed=0, log_every=1)
    assert len(seen) == 12
    for a, b in zip(seen, seen[1:]):
        assert not np.array_equal(a[0], b[0]), "a mask was reused"


# --- gradient and update --------------------------------------------------------------------------


@pytest.mark.parametrize("keep_prob", [1.0, 0.7])
def test_one_minibatch_update_is_the_finite_difference_step(keep_prob):
    """θ ← θ − α g where g is the central difference of the course's J on this batch, m = B."""
    data, theta = problem(23)
    lr, lambd, B = 0.1, 0.7, 7
    run = one_run(optimizer="gd", lr=lr, lambd=lambd, keep_prob=keep_prob, batch_size=B)
    group = start(data, [run], 0, 0, [theta])
    Xb, Yb = data.X_train[:, 3 : 3 + B], data.Y_train[:, 3 : 3 + B]
    masks = None
    if keep_prob < 1:
        masks = dropout_masks(np.random.default_rng(1), group.setup.keep, DIMS[1:-1], B)
        assert all(0 < (D == 0).mean() < 1 for D in masks)
    layout = Layout(DIMS)
    own = [D[0] for D in masks] if masks else None

    def J(th):
        return oracle.cost(layout.to_list(th), Xb, Yb, "tanh", lambd, own)  # m = B inside

    want = oracle.numerical_gradient(J, theta)
    update(group, with_ones(Xb), Yb, masks)
    assert [rule.state.t for rule in group.progress.rules] == [1]
    got = (theta - group.progress.theta[0]) / lr
    assert oracle.relative_error(got, want) < 1e-8
    # the L2 part alone is (λ/B)·W on weights and 0 on biases: B, not the 23 points of the set
    plain = oracle.numerical_gradient(
        lambda th: oracle.cost(layout.to_list(th), Xb, Yb, "tanh", 0.0, own), theta
    )
    l2 = layout.to_list(got - plain)
    for (dW, db), (W, _b) in zip(l2, layout.to_list(theta)):
        np.testing.assert_allclose(dW, lambd / B * W, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(db, 0.0, atol=1e-9)


def test_adam_t_counts_minibatch_updates():
    """Two batches in one epoch are two Adam updates, t = 1 then t = 2 (not one per epoch)."""
    data, theta0 = problem(10)
    h = Hyper(lr=0.05, beta1=0.9, beta2=0.999, epsilon=1e-8)
    run = one_run(optimizer="adam", lr=h.lr, batch_size=5, shuffle=False)
    (ours,) = train(data, [run], seed=0, initial=[theta0])
    layout, X, Y = Layout(DIMS), data.X_train, data.Y_train
    theta, state = theta0.copy(), adam_init(theta0)
    for t, (Xb, Yb) in enumerate(((X[:, :5], Y[:, :5]), (X[:, 5:], Y[:, 5:])), start=1):
        g = oracle.numerical_gradient(
            lambda th, Xb=Xb, Yb=Yb: oracle.cost(layout.to_list(th), Xb, Yb, "tanh"), theta
        )
        step, state = adam_update(g, state, h)
        assert state.t == t
        theta = theta - step
    assert oracle.relative_error(ours.theta, theta) < 1e-8


# --- stopping a diverged run ----------------------------------------------------------------------


def test_a_stopped_run_leaves_no_nan_in_any_state():
    """After divergence: θ of the dead run is 0 for good, and every moment it keeps is finite."""
    data = generate("moons", 120, 0.2, 0.25, 0)
    base = dict(hidden=(4, 3), batch_size=32, epochs=40)
    runs = [
        RunConfig(optimizer="momentum", lr=50, lambd=100, **base),  # |1 - αλ/m| ≫ 1 on W
        RunConfig(optimizer="adam", lr=0.01, **base),
        RunConfig(optimizer="momentum", lr=0.1, **base),
    ]
    group = start(data, runs, 1, 1, [None] * 3)
    now = group.progress
    dead_at = None
    while not group.done:
        advance(group, 0.0)  # one epoch per call
        if dead_at is None and not now.alive.all():
            dead_at = now.epoch
        if dead_at is not None:
            assert math.isfinite(now.theta.sum())  # the trainer's cheap test keeps working
            dead = ~now.alive
            assert (now.theta[dead] == 0).all()
            for rule in now.rules:
                assert all(np.isfinite(moment).all() for moment in moments(rule.state))
    assert dead_at is not None and dead_at < 40  # the premise: it did diverge, early
    assert now.alive.sum() == 2  # only the exploding run stopped
    assert trainer.histories(group)[0].diverged_at == dead_at


def first_epoch_theta_leaves_the_floats(data: Dataset, run: RunConfig) -> int | None:
    """Step ``run`` through the phases by hand, without the trainer's checks; look at θ after
    every epoch."""
    probe = start(data, [run], 1, 0, [None])
    s = probe.setup
    with np.errstate(all="ignore"):
        for epoch in range(1, run.epochs + 1):
            for Xb, Yb in epoch_batches(s.X1, s.Y, s.batch, s.shuffle_rng, s.shuffle):
                update(probe, Xb, Yb, None)
            if not np.isfinite(probe.progress.theta).all():
                return epoch
    return None


def test_divergence_between_records_is_reported_at_its_own_epoch():
    """Recording every 7th epoch, a run whose θ leaves the floats at an epoch in between is
    stopped and marked diverged at that epoch, not at the next recorded one."""
    data = generate("moons", 120, 0.2, 0.25, 0)
    run = RunConfig(hidden=(4, 3), optimizer="gd", lr=2, lambd=30, batch_size=32, epochs=20)
    bad = first_epoch_theta_leaves_the_floats(data, run)
    group = start(data, [run], 1, 7, [None])
    recorded = sorted(group.progress.rec.wanted)
    assert recorded == [0, 7, 14, 20]
    assert bad is not None and bad not in recorded  # the premise: θ goes between two records
    while not group.done:
        advance(group, 0.0)  # one epoch per call
        assert group.progress.alive[0] == (group.progress.epoch < bad), group.progress.epoch
    (h,) = trainer.histories(group)
    assert h.diverged_at == bad
    assert h.epochs.tolist() == [e for e in recorded if e < bad]
    assert np.isfinite(h.train_cost).all() and np.isfinite(h.theta).all()


def test_a_run_whose_first_cost_overflows_is_stopped_before_any_update():
    data = generate("moons", 60, 0.2, 0.0, 0)
    run = RunConfig(hidden=(4, 3), optimizer="momentum", lr=0.1, batch_size=0, epochs=5)
    layout = Layout(run.layer_dims)
    huge = np.full(layout.size, 1e155)  # finite θ, but Z[2] ~ 1e310: the cost is not finite
    good = np.random.default_rng(0).standard_normal(layout.size) * 0.5
    with np.errstate(all="ignore"):
        bad, fine = train(data, [run, run], seed=0, initial=[huge, good])
    assert bad.diverged_at == 0 and len(bad.train_cost) == 0
    (alone,) = train(data, [run], seed=0, initial=[good])
    assert np.array_equal(fine.theta, alone.theta) and fine.diverged_at is None
