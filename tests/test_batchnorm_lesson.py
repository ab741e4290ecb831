"""The "Batch normalization" lesson and the α × batch norm sweep preset teach their point.

Pattern, over seeds (the data, the initial weights and the batches all change with the seed): a
five-layer ReLU network started at W × 0.01, or stepped with α = 2, stays at chance (the cost at
ln 2) without batch norm and trains with it. Measured (train accuracy, seeds 1-8, 300 epochs):
without BN 0.50 every time for both; with BN 0.96-0.99 (×0.01 init) and 0.75-0.98 (α 2).
"""

from dataclasses import fields, replace

import numpy as np
import pytest

from nnviz.engine.config import RunConfig
from nnviz.engine.lessons import BATCH_NORM, LESSONS
from nnviz.engine.sweep import run_sweep
from nnviz.engine.train import run_experiment
from nnviz.models import lab_model as lab
from nnviz.models import sweep_model as sm

SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def over_seeds() -> dict[int, list]:
    exp = BATCH_NORM.experiment
    return {seed: run_experiment(replace(exp, seed=seed)) for seed in SEEDS}


@pytest.mark.lesson
def test_the_lesson_varies_batch_norm_init_and_alpha_only():
    runs = BATCH_NORM.experiment.runs
    varying = {f.name for f in fields(RunConfig) if len({getattr(r, f.name) for r in runs}) > 1}
    assert varying == {"batch_norm", "init", "lr"}
    assert [r.batch_norm for r in runs] == [False, True, False, True]
    assert len(runs[0].hidden) == 5 and LESSONS["batch_norm"] is BATCH_NORM
    assert BATCH_NORM.week == 3 and 3 in lab.lesson_weeks()
    assert lab.lesson_for(BATCH_NORM.experiment) is BATCH_NORM
    assert len({r.group_key for r in runs}) == 2  # BN and plain runs: two lockstep groups


@pytest.mark.lesson
def test_without_bn_both_fail_and_with_bn_both_train_over_seeds(over_seeds):
    accuracy = {seed: [h.final["train_accuracy"] for h in hs] for seed, hs in over_seeds.items()}
    for seed, (poor, poor_bn, large, large_bn) in accuracy.items():
        assert poor < 0.6 and large < 0.6, seed  # chance: the circles are half and half
        assert poor_bn > 0.93, seed
        assert large_bn > 0.7, seed
    assert np.mean([a[3] for a in accuracy.values()]) > 0.9
    for hs in over_seeds.values():  # the cost of a chance guess, ln 2, without BN
        assert hs[0].final["train_cost"] == pytest.approx(np.log(2), abs=0.01)


@pytest.mark.lesson
def test_bn_runs_generalise_like_they_fit(over_seeds):
    for hs in over_seeds.values():
        assert hs[1].final["test_accuracy"] > 0.9


@pytest.mark.lesson
def test_the_sweep_preset_shows_bn_widening_the_range_of_alpha():
    """α from 1e-3 to 10: the largest α that reaches 85% test accuracy is larger with BN, and
    every α that works without BN works with it."""
    settings = sm.with_preset(sm.Settings(), "lr_batch_norm")
    grid = run_sweep(settings.sweep()).grid("test_accuracy")  # (12 α, [off, on])
    works = grid > 0.85
    assert np.all(works[:, 1] >= works[:, 0])
    largest = [np.flatnonzero(works[:, k]).max() for k in (0, 1)]
    assert largest[1] > largest[0]
    assert not works[-1, 0] and not works[-2, 0]  # α 4.3 and 10 fail without
