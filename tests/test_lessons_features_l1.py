"""The lessons "Features or depth" and "L1 or L2" (docs/design.md §3, §7) teach their pattern.

Each is checked on the lesson as configured and over other data draws (seeds), so the pattern is
not a lucky draw. The numbers measured when the tolerances were chosen are in the comments.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnviz import run_experiment
from nnviz.engine.inspect import NEAR_ZERO
from nnviz.engine.lessons import FEATURES_OR_DEPTH, L1_OR_L2

SEEDS = (1, 2, 3)


def at_seed(lesson, seed: int):
    return run_experiment(dataclasses.replace(lesson.experiment, seed=seed))


def weights(h) -> np.ndarray:
    return np.abs(h.theta[h.layout.weight_mask == 1])


# --- features or depth ----------------------------------------------------------------------------
# Measured (train / test): seed 1 (the lesson) 50% / 51%, 98.3% / 93%, 99.3% / 94%;
# seed 2 49% / 49%, 99% / 98%, 100% / 95%; seed 3 51% / 50%, 97% / 98%, 98.3% / 99%.


@pytest.mark.lesson
def test_features_or_depth_varies_only_the_network():
    runs = FEATURES_OR_DEPTH.experiment.runs
    assert [(r.hidden, r.features) for r in runs] == [
        ((), ("x1", "x2")),
        ((), ("x1^2", "x2^2")),
        ((8,), ("x1", "x2")),
    ]
    assert len({dataclasses.replace(r, hidden=(), features=("x1", "x2")) for r in runs}) == 1


@pytest.mark.lesson
@pytest.mark.parametrize("seed", SEEDS)
def test_squared_features_solve_the_circles_without_a_hidden_layer(lesson_runs, seed):
    plain, squares, deep = (
        lesson_runs("features_or_depth") if seed == 1 else at_seed(FEATURES_OR_DEPTH, seed)
    )
    assert plain.final["train_accuracy"] < 0.6  # a line cannot separate a ring from a disc
    assert plain.final["test_accuracy"] < 0.6
    for solved in (squares, deep):
        assert solved.final["train_accuracy"] >= 0.95
        assert solved.final["test_accuracy"] >= 0.9


@pytest.mark.lesson
def test_the_squared_features_boundary_is_a_circle_between_the_rings(lesson_runs):
    """Linear in feature space: w₁x₁² + w₂x₂² + b = 0, with w₁ ≈ w₂, is a circle of radius
    √(−b/w) in the plane; the circles' rings have radii 0.8 and 1 (make_circles' factor)."""
    _plain, squares, _deep = lesson_runs("features_or_depth")
    ((W, b),) = squares.params
    w1, w2 = W[0]
    assert w1 * w2 > 0 and abs(w1 - w2) < 0.25 * abs(w1 + w2) / 2
    radius = np.sqrt(-b[0, 0] / ((w1 + w2) / 2))
    assert 0.8 < radius < 1.0


# --- L1 or L2 -------------------------------------------------------------------------------------
# Measured (test accuracy; share of weights with |W| < 1e-3; mean |W|), none / L2 / L1:
# seed 8 (the lesson) 92.0% / 92.7% / 94.0%; 0% / 0% / 53%; 1.02 / 0.32 / 0.48
# seed 1 87.3% / 89.3% / 88.0%; 0% / 0% / 77%;  seed 2 94.0% / 93.3% / 94.7%; 0% / 0% / 70%


@pytest.mark.lesson
def test_l1_or_l2_varies_only_the_penalty():
    runs = L1_OR_L2.experiment.runs
    assert [(r.lambd, r.lambd1) for r in runs] == [(0.0, 0.0), (0.7, 0.0), (0.0, 0.2)]
    assert len({dataclasses.replace(r, lambd=0.0, lambd1=0.0) for r in runs}) == 1


@pytest.mark.lesson
@pytest.mark.parametrize("seed", (8, 1, 2))
def test_l1_zeroes_many_weights_l2_shrinks_all_at_matched_accuracy(lesson_runs, seed):
    none, l2, l1 = lesson_runs("l1_or_l2") if seed == 8 else at_seed(L1_OR_L2, seed)
    assert abs(l1.final["test_accuracy"] - l2.final["test_accuracy"]) <= 0.03
    assert np.mean(weights(l1) < NEAR_ZERO) >= 0.4  # many weights at about 0
    assert np.mean(weights(l2) < NEAR_ZERO) <= 0.05  # L2: hardly any
    assert np.mean(weights(none) < NEAR_ZERO) <= 0.05
    assert np.median(weights(l2)) < 0.6 * np.median(weights(none))  # but all of them smaller
