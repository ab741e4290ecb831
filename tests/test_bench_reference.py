"""The benchmark's seed-style reference is the course's mathematics, and the benchmark runs.

The reference (nnviz/bench/reference.py) is written the course's way, dicts and loops; if it
computed something else, the speed ratios would compare different work. So: its gradients, cost,
Adam step and mini-batches agree with nnviz's on a tiny problem. No timing is asserted anywhere.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from nnviz.bench import engine, measure, reference
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    backward,
    cross_entropy,
    forward,
    initial_params,
    with_ones,
)
from nnviz.engine.optim import Hyper, adam_init, adam_update

DIMS = (2, 4, 3, 1)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 7))
    Y = (rng.random((1, 7)) < 0.5).astype(float)
    theta = initial_params(DIMS, "he", rng)
    return X, Y, theta


def test_reference_gradients_match_nnviz_backward(problem):
    X, Y, theta = problem
    layout, relu = Layout(DIMS), ACTIVATIONS["relu"]
    grad = np.zeros_like(theta)[None, :]
    work = forward(layout.blocks(theta[None, :]), with_ones(X), relu)
    backward(layout.blocks(theta[None, :]), work, Y, relu, layout.blocks(grad))
    As = work.A

    AL, caches = reference.forward_propagation(X, measure.reference_params(theta, DIMS))
    grads = reference.backward_propagation(X, Y, caches)

    np.testing.assert_allclose(AL, As[-1][0], rtol=1e-13)
    for l, (dW, db) in enumerate(layout.to_list(grad[0]), start=1):
        np.testing.assert_allclose(grads[f"dW{l}"], dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grads[f"db{l}"], db, rtol=1e-12, atol=1e-15)


def test_reference_cost_matches_nnviz_cross_entropy(problem):
    X, Y, theta = problem
    Zs = forward(Layout(DIMS).blocks(theta[None, :]), with_ones(X), ACTIVATIONS["relu"]).Z
    AL, _caches = reference.forward_propagation(X, measure.reference_params(theta, DIMS))
    assert reference.compute_cost(AL, Y) == pytest.approx(cross_entropy(Zs[-1], Y)[0], rel=1e-12)


def test_reference_adam_step_matches_nnviz_adam(problem):
    _X, _Y, theta = problem
    layout = Layout(DIMS)
    rng = np.random.default_rng(1)
    g = rng.standard_normal(theta.shape)
    params = measure.reference_params(theta, DIMS)
    grads = measure.reference_params(g, DIMS)
    grads = {"d" + k: v for k, v in grads.items()}  # {"dW1": ..., "db1": ...}
    v, s = reference.initialize_adam(params)
    state = adam_init(theta)
    h = Hyper(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)
    for t in (1, 2, 3):  # the bias corrections change with t: β₂ (not β₁) corrects s
        params, v, s = reference.update_parameters_with_adam(params, grads, v, s, t, 0.01)
        step, state = adam_update(g, state, h)
        theta = theta - step
    for l, (W, b) in enumerate(layout.to_list(theta), start=1):
        np.testing.assert_allclose(params[f"W{l}"], W, rtol=1e-13)
        np.testing.assert_allclose(params[f"b{l}"], b, rtol=1e-13, atol=1e-15)


def test_course_mini_batches_partition_a_permutation():
    X = np.arange(600.0).reshape(2, 300)
    Y = (np.arange(300.0) % 2).reshape(1, 300)
    batches = reference.random_mini_batches(X, Y, 64, np.random.default_rng(0))
    assert [b[0].shape[1] for b in batches] == [64, 64, 64, 64, 44]  # the last one smaller
    columns = np.hstack([b[0] for b in batches])
    assert sorted(columns[0]) == list(X[0]) and not np.array_equal(columns, X)
    np.testing.assert_array_equal(np.hstack([b[1] for b in batches]), columns[:1] % 2)


QUICK = ["--quick", "--seconds", "0.003", "--repeats", "1", "--lesson-epochs", "20"]


def test_bench_prints_a_markdown_table(capsys):
    assert engine.main([*QUICK, "--check-epochs", "20"]) == 0
    out = capsys.readouterr().out
    assert "| engine | full batch (300) | mini-batch 64 |" in out
    assert "| nnviz 1 run ÷ reference, mini-batch 64 |" in out
    assert "Like with like" in out


def test_bench_prints_json(capsys):
    assert engine.main([*QUICK, "--check-epochs", "10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["rates"]) == {"full", "mini"}
    assert all(rate > 0 for mode in report["rates"].values() for rate in mode.values())
    assert report["lesson"]["epochs"] == 20 and report["setup"]["quick"]
    # a shortened lesson is not held to the course lesson's 4 s target
    assert all(row["target"] is None for row in report["checks"] if "lesson" in row["name"])


def test_the_64_run_rows_are_held_to_15x_the_reference():
    rates = {
        mode: {"nnviz_1": 40.0, "nnviz_8": 100.0, "nnviz_64": 140.0 + k * 20, "reference": 10.0}
        | {"sklearn": 10.0}
        for k, mode in enumerate(("full", "mini"))
    }
    lesson = dict(runs=3, epochs=10, course_epochs=False, nnviz_seconds=1.0)
    lesson |= dict(reference_seconds=5.0, reference_estimated_from_epochs=None)
    rows = {row["name"]: row for row in engine.checks(rates, lesson)}
    full = rows["nnviz 64 lockstep runs ÷ reference 1 run, full batch (300)"]
    mini = rows["nnviz 64 lockstep runs ÷ reference 1 run, mini-batch 64"]
    assert (full["value"], full["target"], full["pass"]) == (14.0, 15.0, False)
    assert (mini["value"], mini["target"], mini["pass"]) == (16.0, 15.0, True)


def test_the_cpu_clock_counts_this_process_only():
    assert measure.CLOCKS["cpu"] is time.process_time
    busy = measure._seconds(lambda n: sum(range(n)), 200_000, measure.CLOCKS["cpu"])
    idle = measure._seconds(lambda n: time.sleep(n / 1000), 200, measure.CLOCKS["cpu"])
    assert busy > 0 and idle < 0.1  # 0.2 s of sleeping is not CPU time
