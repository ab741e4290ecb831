"""Learning-rate decay (nnviz.engine.schedules): the course's worked numbers, per-run columns, and
the trainer applying α ← f(e) after each epoch, checked against constant-α training in pieces."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nnviz import RunConfig, generate, train
from nnviz.engine.schedules import SCHEDULES, constant, inverse, lr_after, scheduled

# --- the formulas, on hand-worked numbers --------------------------------------------------------


def test_scheduled_decay_is_the_courses_worked_check():
    # the 2021 notebook: schedule_lr_decay(0.5, 100, 0.3) with time_interval 100 -> 0.3846...
    # 0.5 / (1 + 0.3 · 1) = 5/13
    assert scheduled(0.5, 100, 0.3, 100) == pytest.approx(5 / 13, rel=1e-15)
    assert round(scheduled(0.5, 100, 0.3, 100), 4) == 0.3846


@pytest.mark.parametrize(
    "e, expected",
    [(0, 0.5), (99, 0.5), (100, 5 / 13), (199, 5 / 13), (200, 0.5 / 1.6), (350, 0.5 / 1.9)],
)
def test_scheduled_decay_steps_down_once_every_interval(e, expected):
    assert scheduled(0.5, e, 0.3, 100) == pytest.approx(expected, rel=1e-15)


def test_inverse_decay_is_the_courses_update_lr():
    # the notebook: update_lr(0.5, epoch_num 2, decay_rate 1) -> 0.5 / 3 = 0.1666...
    assert inverse(0.5, 2, 1, 1000) == pytest.approx(1 / 6, rel=1e-15)
    assert inverse(0.5, 0, 1, 1000) == 0.5
    assert inverse(0.1, 9, 0.5, 1000) == pytest.approx(0.1 / 5.5, rel=1e-15)


def test_constant_ignores_epoch_and_rate():
    assert constant(0.5, 12345, 7.0, 3) == 0.5
    np.testing.assert_array_equal(constant(0.5, np.arange(4), 1.0, 10), [0.5] * 4)


def test_every_schedule_starts_at_alpha0_and_rate_zero_is_no_decay():
    for schedule in SCHEDULES.values():
        assert schedule.alpha(0.3, 0, 2.0, 5) == 0.3
        assert schedule.alpha(0.3, 777, 0.0, 5) == 0.3


def test_registry_entries_name_themselves_and_say_their_formula():
    for name, schedule in SCHEDULES.items():
        assert schedule.name == name
        assert schedule.title and schedule.describe and "α₀" in schedule.text
        assert r"\alpha_0" in schedule.formula
        assert schedule.uses <= {"decay_rate", "decay_interval"}
    assert list(SCHEDULES) == ["constant", "inverse", "scheduled"]


# --- one column per run: what a lockstep group asks ---------------------------------------------


def test_lr_after_follows_the_notebook_update_after_each_epoch():
    # after 0 passes: α₀; after n passes: f(n - 1). inverse, rate 1: α₀, α₀, α₀/2, α₀/3, α₀/4
    one = np.ones((1, 1))
    got = [float(lr_after(["inverse"], 0.6 * one, one, 10 * one, n)[0, 0]) for n in range(5)]
    np.testing.assert_allclose(got, [0.6, 0.6, 0.3, 0.2, 0.15], rtol=1e-15)


def test_lr_after_gives_each_run_its_own_schedule_as_if_alone():
    names = ["scheduled", "constant", "inverse", "scheduled"]
    lr0 = np.array([[0.5], [0.1], [0.2], [0.01]])
    rate = np.array([[0.3], [9.0], [1.0], [2.0]])
    interval = np.array([[100.0], [1.0], [1.0], [7.0]])
    got = lr_after(names, lr0, rate, interval, 101)
    assert got.shape == (4, 1)
    for r, name in enumerate(names):  # each row bit for bit what the run alone gets
        alone = SCHEDULES[name].alpha(float(lr0[r, 0]), 100, float(rate[r, 0]), interval[r, 0])
        assert got[r, 0] == alone
    np.testing.assert_allclose(got[:, 0], [5 / 13, 0.1, 0.2 / 101, 0.01 / 29], rtol=1e-15)


# --- the trainer --------------------------------------------------------------------------------

DATA = generate("moons", 60, 0.2, 0.25, seed=4)
GD = RunConfig(hidden=(4,), optimizer="gd", lr=0.3, batch_size=0, epochs=6)


def test_history_records_the_alpha_in_effect_at_each_epoch():
    run = replace(GD, decay="scheduled", decay_rate=1.0, decay_interval=2)
    [h] = train(DATA, [run], seed=0, log_every=1)
    # after e passes α = f(e - 1), f(e) = 0.3 / (1 + ⌊e/2⌋)
    # epochs 0..6 -> α₀ α₀ α₀ α₀/2 α₀/2 α₀/3 α₀/3
    np.testing.assert_allclose(h.lr, [0.3, 0.3, 0.3, 0.15, 0.15, 0.1, 0.1], rtol=1e-15)
    [flat] = train(DATA, [GD], seed=0, log_every=1)
    np.testing.assert_array_equal(flat.lr, [0.3] * 7)


def test_scheduled_gd_equals_constant_alpha_pieces_chained():
    # the same schedule as above: passes 1-3 use α₀, passes 4-5 α₀/2, pass 6 α₀/3. Full-batch GD
    # has no state and no shuffling, so three constant-α trainings chained through their weights
    # must land exactly where the decaying run lands.
    run = replace(GD, decay="scheduled", decay_rate=1.0, decay_interval=2)
    [decayed] = train(DATA, [run], seed=0)
    [a] = train(DATA, [replace(GD, epochs=3)], seed=0)
    [b] = train(DATA, [replace(GD, lr=0.15, epochs=2)], seed=0, initial=[a.theta])
    [c] = train(DATA, [replace(GD, lr=0.1, epochs=1)], seed=0, initial=[b.theta])
    np.testing.assert_allclose(decayed.theta, c.theta, rtol=1e-13, atol=1e-15)
    assert not np.allclose(decayed.theta, train(DATA, [GD], seed=0)[0].theta)


def test_a_decaying_run_in_a_group_equals_it_alone():
    base = RunConfig(hidden=(5, 3), batch_size=16, epochs=25, keep_prob=0.9)
    runs = [
        replace(base, optimizer="adam", decay="scheduled", decay_rate=1.0, decay_interval=4),
        replace(base, optimizer="momentum", lr=0.1, decay="inverse", decay_rate=0.2),
        replace(base, optimizer="gd", lr=0.2),
        replace(base, optimizer="adam", lr=0.02, decay="scheduled", decay_rate=0.5),
    ]
    together = train(DATA, runs, seed=5, log_every=5)
    for run, h in zip(runs, together):
        [alone] = train(DATA, [run], seed=5, log_every=5)
        np.testing.assert_array_equal(h.theta, alone.theta)
        np.testing.assert_array_equal(h.train_cost, alone.train_cost)
        np.testing.assert_array_equal(h.lr, alone.lr)
        assert len(h.lr) == len(h.epochs)
