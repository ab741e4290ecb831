"""The lessons of docs/design.md §3 reproduce the course's pattern.

Each lesson trains once, through the lockstep trainer (``run_experiment``), and is cached for the
module. Our initial weights come from our own generator, so the numbers are not the course's to
the digit: every tolerance below says what the course reports and what nnviz measured when it was
chosen, and leaves room for a different BLAS, not for a different pattern.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import fields

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons

from nnviz import RunConfig, generate, load_data, run_experiment, train
from nnviz.engine.lessons import (
    DECAY,
    EARLY_STOPPING,
    INITIALIZATION,
    LESSONS,
    OPTIMIZATION,
    REGULARIZATION,
)

LN2 = math.log(2)


@pytest.fixture(scope="module")
def trained(lesson_runs):
    """key -> the lesson's histories in run order (conftest.py: each trained at most once)."""
    return lesson_runs


def final(history, name: str) -> float:
    return history.final[name]


# --- the lessons as configured ------------------------------------------------------------------


@pytest.mark.lesson
def test_lessons_in_course_order_with_one_label_per_run():
    course = ["initialization", "regularization", "optimization", "decay"]
    assert [key for key in LESSONS if key in course] == course
    for lesson in LESSONS.values():
        assert len(lesson.labels) == len(lesson.experiment.runs)
        assert lesson.title and lesson.explain


def _varying(runs: tuple[RunConfig, ...]) -> set[str]:
    return {f.name for f in fields(RunConfig) if len({getattr(r, f.name) for r in runs}) > 1}


def _shared(runs: tuple[RunConfig, ...]) -> dict:
    return {f.name: getattr(runs[0], f.name) for f in fields(RunConfig)}


@pytest.mark.lesson
def test_each_lesson_varies_only_its_setting():
    assert _varying(INITIALIZATION.experiment.runs) == {"init"}
    assert _varying(REGULARIZATION.experiment.runs) == {"lambd", "keep_prob"}
    assert _varying(OPTIMIZATION.experiment.runs) == {"optimizer"}
    assert _varying(DECAY.experiment.runs) == {"optimizer", "lr", "decay"}
    assert _varying(EARLY_STOPPING.experiment.runs) == {"lambd", "keep_prob", "patience"}


@pytest.mark.lesson
def test_initialization_is_the_courses_setup():
    runs = INITIALIZATION.experiment.runs
    assert [r.init for r in runs] == ["zeros", "random", "he"]
    shared = _shared(runs)
    expected = dict(hidden=(10, 5), activation="relu", optimizer="gd", lr=0.01, batch_size=0)
    assert {k: shared[k] for k in expected} == expected
    assert shared["epochs"] == 15_000 and shared["lambd"] == 0 and shared["keep_prob"] == 1


@pytest.mark.lesson
def test_regularization_is_the_courses_setup():
    runs = REGULARIZATION.experiment.runs
    assert [(r.lambd, r.keep_prob) for r in runs] == [(0.0, 1.0), (0.7, 1.0), (0.0, 0.86)]
    shared = _shared(runs)
    expected = dict(hidden=(20, 3), activation="relu", init="xavier", optimizer="gd", lr=0.3)
    assert {k: shared[k] for k in expected} == expected
    assert shared["batch_size"] == 0 and shared["epochs"] == 8000  # the course: 30,000


@pytest.mark.lesson
def test_optimization_is_the_courses_setup():
    runs = OPTIMIZATION.experiment.runs
    assert [r.optimizer for r in runs] == ["gd", "momentum", "adam"]
    shared = _shared(runs)
    expected = dict(hidden=(5, 2), activation="relu", init="he", lr=0.0007, batch_size=64)
    assert {k: shared[k] for k in expected} == expected
    assert (shared["beta1"], shared["beta2"], shared["epsilon"]) == (0.9, 0.999, 1e-8)
    assert shared["epochs"] == 10_000


def _course_shape(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X.T, y.reshape(1, -1).astype(float)


@pytest.mark.lesson
def test_initialization_data_is_the_courses_circles():
    data = load_data(INITIALIZATION.experiment)
    X, Y = _course_shape(*make_circles(300, noise=0.05, random_state=1))
    Xt, Yt = _course_shape(*make_circles(100, noise=0.05, random_state=2))
    np.testing.assert_array_equal(data.X_train, X)
    np.testing.assert_array_equal(data.Y_train, Y)
    np.testing.assert_array_equal(data.X_test, Xt)
    np.testing.assert_array_equal(data.Y_test, Yt)


@pytest.mark.lesson
def test_decay_is_the_2021_notebooks_setup():
    runs = DECAY.experiment.runs
    assert [(r.optimizer, r.lr, r.decay) for r in runs] == [
        ("gd", 0.0007, "constant"),
        ("gd", 0.1, "scheduled"),
        ("momentum", 0.1, "scheduled"),
        ("adam", 0.01, "scheduled"),
    ]
    shared = _shared(runs)
    expected = dict(hidden=(5, 2), activation="relu", init="he", batch_size=64, epochs=5000)
    assert {k: shared[k] for k in expected} == expected
    assert (shared["decay_rate"], shared["decay_interval"]) == (1.0, 1000)
    assert (shared["lambd"], shared["keep_prob"]) == (0.0, 1.0)


@pytest.mark.lesson
@pytest.mark.parametrize("lesson", [OPTIMIZATION, DECAY], ids=["optimization", "decay"])
def test_optimization_data_is_the_courses_moons_without_test_set(lesson):
    data = load_data(lesson.experiment)
    X, Y = _course_shape(*make_moons(300, noise=0.2, random_state=3))
    np.testing.assert_array_equal(data.X_train, X)
    np.testing.assert_array_equal(data.Y_train, Y)
    assert not data.has_test


@pytest.mark.lesson
def test_regularization_data_is_few_mislabeled_points_and_a_test_set_that_leaves_them_visible():
    data = load_data(REGULARIZATION.experiment)
    # no more test points than training points: drawn hollow on top, they leave the training
    # points visible (the course: 211 training and 200 test points)
    assert data.X_train.shape == (2, 150) and data.X_test.shape == (2, 150)
    assert 0.4 < data.Y_train.mean() < 0.6
    wrong = data.Y_train[0] != make_moons(150, noise=0.15, random_state=8)[1]
    assert 4 <= wrong.sum() <= 15  # about 6% of the labels are flipped: 9 of 150


# --- initialization: course zeros 50% / 50% at ln 2; random ≈ 83% / 86%; He ≈ 99% / 96% ----------


@pytest.mark.lesson
def test_zeros_init_never_breaks_symmetry(trained):
    zeros, _random, _he = trained("initialization")
    # every unit of a layer gets the same (here: zero) gradient, and the output bias stays 0 on
    # balanced labels, so the cost is ln 2 at every recorded epoch, to rounding
    np.testing.assert_allclose(zeros.train_cost, LN2, atol=1e-6)
    np.testing.assert_allclose(zeros.test_cost, LN2, atol=1e-6)
    assert final(zeros, "train_accuracy") == 0.5 and final(zeros, "test_accuracy") == 0.5
    assert zeros.weight_norm == 0.0


@pytest.mark.lesson
def test_large_random_init_starts_huge_and_ends_behind_he(trained):
    _zeros, random, he = trained("initialization")
    # measured: J(0) ≈ 1.2e3 (the course's notebook shows inf: it computes log(0) directly)
    assert random.train_cost[0] > 10 * LN2
    assert np.isfinite(random.train_cost).all() and random.diverged_at is None
    # measured 94.3% / 87.0% against He's 98.3% / 94.0% (course: 83% / 86% vs 99% / 96%)
    assert 0.7 <= final(random, "train_accuracy") <= final(he, "train_accuracy") - 0.02
    assert 0.7 <= final(random, "test_accuracy") <= final(he, "test_accuracy") - 0.04
    assert final(random, "test_cost") > 2 * final(he, "test_cost")  # measured 0.54 vs 0.13


@pytest.mark.lesson
def test_he_init_learns_the_circles(trained):
    _zeros, _random, he = trained("initialization")
    assert he.train_cost[0] < 1.0  # a sensible start: measured 0.79
    assert final(he, "train_accuracy") >= 0.95  # measured 98.3% (course 99%)
    assert final(he, "test_accuracy") >= 0.90  # measured 94.0% (course 96%)


# --- regularization: course none 94.8% / 91.5%, L2 93.8% / 93.0%, dropout 92.9% / 95.0% -----------
# Measured on the lesson (150 mislabeled moons, 150 test points, seed 8, 8,000 epochs):
# none 97.3% / 90.7%, L2 95.3% / 93.3%, dropout 96.0% / 94.7% (train / test).


@pytest.mark.lesson
def test_without_regularization_the_network_overfits(trained):
    none, _l2, _dropout = trained("regularization")
    gap = final(none, "train_accuracy") - final(none, "test_accuracy")
    assert gap >= 0.04  # measured 6.7 points (course 3.3)


@pytest.mark.lesson
@pytest.mark.parametrize("k", [1, 2], ids=["l2", "dropout"])
def test_regularization_trades_train_accuracy_for_test_accuracy(trained, k):
    none, reg = trained("regularization")[0], trained("regularization")[k]
    # course: train −1.0 / −1.9 points, test +1.5 / +3.5; measured −2.0 / −1.3, +2.7 / +4.0
    assert final(reg, "train_accuracy") < final(none, "train_accuracy")
    assert final(reg, "test_accuracy") >= final(none, "test_accuracy") + 0.015
    assert final(reg, "test_accuracy") >= 0.9  # believable: the course's 93% / 95%
    gap = final(reg, "train_accuracy") - final(reg, "test_accuracy")
    assert gap < final(none, "train_accuracy") - final(none, "test_accuracy")


@pytest.mark.lesson
def test_the_regularization_pattern_is_not_a_lucky_draw():
    # The lesson's 150 test points give its accuracies a spread of about ±2.5 points, so the
    # pattern must also hold on average over other data draws, each judged on 2,000 test points.
    # Measured means over seeds 1-3: none 95.6% / 89.7%, L2 93.8% / 92.4%, dropout 94.4% / 92.4%.
    runs = REGULARIZATION.experiment.runs
    finals = []
    for seed in (1, 2, 3):
        data = generate("mislabeled", 150 + 2000, 0.15, 2000 / 2150, seed)
        finals.append(
            [[h.final["train_accuracy"], h.final["test_accuracy"]] for h in train(data, runs, seed)]
        )
    (none_train, none_test), *regularized = np.mean(finals, axis=0)
    assert none_train - none_test >= 0.03
    for reg_train, reg_test in regularized:
        assert reg_train < none_train and reg_test >= none_test + 0.01


@pytest.mark.lesson
def test_l2_keeps_the_weights_small(trained):
    none, l2, _dropout = trained("regularization")
    assert l2.weight_norm < none.weight_norm / 4  # measured Σ‖W‖² 34 vs 240


# --- optimization: course gd 79.7%, momentum 79.7%, adam 94% (train; no test set) ---------------
# Measured: GD 87.3%, momentum 87.3%, Adam 93.7%; final J 0.320, 0.320, 0.133.


@pytest.mark.lesson
def test_adam_beats_gd_and_momentum(trained):
    gd, momentum, adam = trained("optimization")
    assert final(adam, "train_accuracy") >= 0.9
    assert final(adam, "train_accuracy") >= final(gd, "train_accuracy") + 0.04
    assert final(adam, "train_cost") < 0.6 * min(
        final(gd, "train_cost"), final(momentum, "train_cost")
    )


@pytest.mark.lesson
def test_momentum_barely_helps_at_this_learning_rate(trained):
    gd, momentum, _adam = trained("optimization")
    assert abs(final(momentum, "train_accuracy") - final(gd, "train_accuracy")) <= 0.02
    assert final(gd, "train_accuracy") <= 0.9  # still a nearly straight boundary
    assert gd.test_cost.size == 0  # the course's lesson has no test set


# --- decay (2021 notebook): constant GD ≈ 71.7%; scheduled GD > 94.6%, momentum > 95.6%, Adam ≈ 94%
# Measured: constant GD 85.7% (J 0.38); scheduled GD 95.7%, momentum 96.0%, Adam 95.3% (J ≈ 0.11).
# Our GD without decay gets further than the notebook's; the gap is still 10 points.


@pytest.mark.lesson
def test_scheduled_decay_lets_gd_and_momentum_learn_the_moons(trained):
    constant, *decayed = trained("decay")
    assert final(constant, "train_accuracy") <= 0.9  # a nearly straight boundary
    for h in decayed:
        assert final(h, "train_accuracy") >= 0.93
        assert final(h, "train_accuracy") >= final(constant, "train_accuracy") + 0.05
        assert final(h, "train_cost") < 0.5 * final(constant, "train_cost")


@pytest.mark.lesson
def test_decay_lesson_records_the_stepped_learning_rate(trained):
    constant, gd, momentum, adam = trained("decay")
    np.testing.assert_array_equal(constant.lr, 0.0007)
    # at epoch 5000 α = α₀ / (1 + ⌊4999 / 1000⌋) = α₀ / 5
    assert (gd.lr[-1], momentum.lr[-1], adam.lr[-1]) == pytest.approx((0.02, 0.02, 0.002))
    assert gd.lr[0] == 0.1 and np.all(np.diff(gd.lr) <= 0)
    assert len(np.unique(gd.lr)) == 5  # α₀, α₀/2, ..., α₀/5: one step every 1,000 epochs


@pytest.mark.lesson
def test_inverse_decay_every_epoch_stalls_as_the_lesson_says():
    # the lesson's "try it": GD from α₀ 0.1 with inverse decay shrinks α to 0.1/5000; the notebook
    # reports its cost stalling at about 0.65. Measured J 0.635, 78.7%.
    gd = DECAY.experiment.runs[1]
    inverse = dataclasses.replace(gd, decay="inverse")
    [h] = run_experiment(DECAY.experiment.with_runs(inverse))
    assert 0.55 <= final(h, "train_cost") <= 0.7
    assert final(h, "train_accuracy") <= 0.85


# --- early stopping beside L2 and dropout (docs/design.md §7) -------------------------------------


@pytest.mark.lesson
def test_early_stopping_lesson_is_the_regularization_lesson_plus_one_run():
    lesson, reg = EARLY_STOPPING.experiment, REGULARIZATION.experiment
    assert lesson.data == reg.data and lesson.seed == reg.seed
    none, early, *others = lesson.runs
    assert (none, *others) == reg.runs and early == dataclasses.replace(none, patience=200)


@pytest.mark.lesson
def test_early_stopping_cuts_the_overfitting_run_short_and_tests_better(trained):
    none, early, l2, dropout = trained("early_stopping")
    # measured: none 97.3% / 90.7%; early stopping 96.0% / 94.0%, best epoch 1518, stopped 1718
    assert early.stopped_at is not None and early.stopped_at < none.config.epochs / 2
    assert final(early, "test_accuracy") >= final(none, "test_accuracy") + 0.015
    assert final(early, "train_accuracy") < final(none, "train_accuracy")
    assert min(final(h, "test_accuracy") for h in (early, l2, dropout)) > final(
        none, "test_accuracy"
    )


@pytest.mark.lesson
def test_the_early_stopping_pattern_is_not_a_lucky_draw():
    # the dev set early stopping watches is also the test set judged here, as in the lab; with
    # 2,000 such points each, over seeds 1-3 it must still beat the run it cuts short
    none, early = EARLY_STOPPING.experiment.runs[:2]
    finals = []
    for seed in (1, 2, 3):
        data = generate("mislabeled", 150 + 2000, 0.15, 2000 / 2150, seed)
        finals.append([h.final["test_accuracy"] for h in train(data, [none, early], seed)])
    none_test, early_test = np.mean(finals, axis=0)
    assert early_test >= none_test + 0.01
