"""Sweeps (nnviz.engine.sweep): axes from text, the grid of runs, rows equal to training alone,
and the same numbers on one process, two processes and a dask cluster.

Oracles: values worked by hand (ranges, row order, first epoch below a threshold), and each run
trained alone by ``nnviz.engine.train.train``.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

from nnviz.engine import sweep as sweep_module
from nnviz.engine.config import GROUP_FIELDS, DataConfig, Experiment, RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.network import Layout
from nnviz.engine.sweep import (
    MAX_RUNS,
    SWEEPABLE,
    Axis,
    Sweep,
    first_epoch_below,
    iter_sweep,
    parse_axis,
    run_sweep,
)
from nnviz.engine.train import History, run_experiment, train
from tests.helpers.histories import assert_same_history

# mini-batches of 32 on 90 points (the last batch is 26), dropout and L2: every random stream used
BASE_RUN = RunConfig(hidden=(6, 4), batch_size=32, epochs=30, keep_prob=0.8, lambd=0.3)
BASE = Experiment(
    DataConfig("moons", samples=120, noise=0.2), runs=(BASE_RUN,), seed=4, log_every=3
)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate("moons", 120, 0.2, 0.25, 4)


def sweep_of(*texts: str, base: Experiment = BASE, **kw) -> Sweep:
    return Sweep(base, tuple(parse_axis(t) for t in texts), **kw)


# --- axes ----------------------------------------------------------------------------------------


def test_a_log_range_includes_both_ends_and_steps_by_a_constant_factor():
    axis = parse_axis("lr=1e-4:1:9:log")
    assert axis.field == "lr"
    expected = [10.0 ** (-4 + k / 2) for k in range(9)]  # 1e-4, 3.16e-4, 1e-3, ..., 1
    assert np.allclose(axis.values, expected, rtol=1e-11)
    assert axis.values[0] == 1e-4 and axis.values[2] == 1e-3 and axis.values[-1] == 1.0


def test_a_linear_range_is_the_default_scale():
    assert parse_axis("lambd=0:1:5").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_axis("lambd=0:1:5:lin").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_axis("beta1 = 0.9:0.9:1").values == (0.9,)  # count 1: just the start


def test_lists_of_numbers_and_of_names():
    assert parse_axis("beta1=0.5,0.9,0.99").values == (0.5, 0.9, 0.99)
    assert parse_axis("optimizer=gd,adam") == Axis("optimizer", ("gd", "adam"))
    assert parse_axis("init=he,xavier").values == ("he", "xavier")
    assert parse_axis("keep-prob=0.5,1").field == "keep_prob"  # spelled like --keep-prob


def test_every_per_run_setting_is_sweepable_and_of_the_group_settings_only_features():
    per_run = {f.name for f in fields(RunConfig)} - set(GROUP_FIELDS)
    assert set(SWEEPABLE) == per_run | {"features"}
    wanted = {"lr", "lambd", "lambd1", "beta1", "beta2", "epsilon", "keep_prob", "init"}
    wanted |= {"optimizer", "decay", "decay_rate", "decay_interval"}
    assert wanted <= set(SWEEPABLE)
    assert set(GROUP_FIELDS) & set(SWEEPABLE) == {"features"}


def test_a_sweep_over_features_and_l1_trains_each_as_it_trains_alone():
    """Feature sets differ in n[0]: train() trains them as separate groups inside one chunk, and
    every row is still what the run gives alone. Both spellings, l1= and lambd1=, are read."""
    axes = (parse_axis("features=x1+x2,x1^2+x2^2"), parse_axis("l1=0,0.05"))
    assert axes[0].values == ("x1+x2", "x1^2+x2^2") and axes[1].field == "lambd1"
    base = Experiment(
        data=DataConfig("circles", samples=80), runs=(RunConfig(hidden=(3,), epochs=30),)
    )
    result = run_sweep(Sweep(base, axes))
    assert [row.config.features for row in result.rows] == [("x1", "x2")] * 2 + [
        ("x1^2", "x2^2")
    ] * 2
    for row in result.rows:
        (alone,) = run_experiment(result.sweep.experiment_at(row.index))
        np.testing.assert_array_equal(row.history.train_cost, alone.train_cost)
    with pytest.raises(ValueError, match="features has no input 'x3'"):
        parse_axis("features=x1+x3")


def test_a_range_of_whole_numbers_must_give_whole_numbers():
    assert parse_axis("decay_interval=100:1000:4").values == (100, 400, 700, 1000)
    assert parse_axis("decay_interval=10,20").values == (10, 20)
    message = "decay_interval takes whole numbers; '1:10:3' gives 1, 5.5, 10"
    with pytest.raises(ValueError, match=message):
        parse_axis("decay_interval=1:10:3")
    with pytest.raises(ValueError, match="decay_interval: '2.5' is not a whole number"):
        parse_axis("decay_interval=2.5")


@pytest.mark.parametrize(
    "text, message",
    [
        ("lr", "write a swept setting as FIELD=VALUES"),
        ("=0.1", "write a swept setting as FIELD=VALUES"),
        ("lr=", "write a swept setting as FIELD=VALUES"),
        ("speed=1,2", "cannot vary 'speed': choose one of init, optimizer, lr"),
        ("hidden=3,4", "cannot vary 'hidden' (the runs of a sweep share it)"),
        ("epochs=10:100:3", "cannot vary 'epochs' (the runs of a sweep share it)"),
        ("lr=0.1,fast", "lr: 'fast' is not a number"),
        ("lr=0.1,,0.2", "lr: empty value in '0.1,,0.2'"),
        ("lr=0.1,0.1", "lr values repeat: 0.1"),
        ("lr=1e-3:1", "lr: a range is start:stop:count[:lin|log], got '1e-3:1'"),
        ("lr=1e-3:1:9:log:x", "a range is start:stop:count"),
        ("lr=1e-3:1:0:log", "lr: the range's count must be at least 1, got 0"),
        ("lr=1e-3:1:2.5", "lr count: '2.5' is not a whole number"),
        ("lr=1e-3:1:3:exp", "lr: a range's scale is lin or log, got 'exp'"),
        ("lambd=0:1:3:log", "lambd: a log range needs start and stop > 0, got '0:1:3:log'"),
        ("lr=1e-3:inf:3", "lr: '1e-3:inf:3' is not finite"),
        ("lr=0:1:3", "lr must be in (0, 100], got 0.0"),
        ("beta1=0.5,1", "beta1 must be in [0, 1), got 1.0"),
        ("epsilon=nan", "epsilon must be a finite number, got nan"),
        ("optimizer=gd,sgd", "optimizer must be one of gd, momentum, rmsprop, adam, got 'sgd'"),
        ("init=he:xavier:2", "init takes a list like a,b,c, not a range"),
    ],
)
def test_bad_axis_text_raises_one_line_naming_the_problem(text, message):
    with pytest.raises(ValueError) as e:
        parse_axis(text)
    assert message in str(e.value) and "\n" not in str(e.value)


# --- the grid ------------------------------------------------------------------------------------


def test_runs_are_the_cartesian_product_first_axis_slowest():
    sweep = sweep_of("lr=0.1,0.2,0.3", "optimizer=gd,adam")
    assert sweep.shape == (3, 2)
    assert sweep.cells() == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    runs = sweep.runs()
    assert [(r.lr, r.optimizer) for r in runs] == [
        (0.1, "gd"), (0.1, "adam"), (0.2, "gd"), (0.2, "adam"), (0.3, "gd"), (0.3, "adam"),
    ]  # fmt: skip
    assert all(replace(r, lr=BASE_RUN.lr, optimizer=BASE_RUN.optimizer) == BASE_RUN for r in runs)
    assert sweep.settings((2, 1)) == {"lr": 0.3, "optimizer": "adam"}


def test_the_base_experiments_first_run_is_the_template():
    base = BASE.with_runs(replace(BASE_RUN, lambd=0.7), RunConfig(optimizer="gd"))
    assert {r.lambd for r in sweep_of("lr=0.1,0.2", base=base).runs()} == {0.7}


@pytest.mark.parametrize(
    "axes, kw, message",
    [
        ((), {}, "a sweep varies one or two settings, got 0"),
        (("lr=0.1", "beta1=0.5", "beta2=0.9"), {}, "a sweep varies one or two settings, got 3"),
        (("lr=0.1,0.2", "lr=0.3"), {}, "lr is varied twice"),
        (("lr=1e-4:1:13:log", "lambd=0:1:12"), {}, "at most 144 runs, got 13 × 12 = 156"),
        (("lr=1e-4:1:5:log",), {"max_runs": 4}, "at most 4 runs, got 5"),
    ],
)
def test_a_bad_sweep_raises_one_line(axes, kw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sweep_of(*axes, **kw)


def test_the_page_can_have_twelve_by_twelve_and_the_cli_more():
    assert math.prod(sweep_of("lr=1e-4:1:12:log", "lambd=0:1:12").shape) == MAX_RUNS == 144
    assert sweep_of("lr=1e-4:1:13:log", "lambd=0:1:12", max_runs=4096).shape == (13, 12)


# --- every row equals training that run alone -------------------------------------------------


def test_every_row_equals_its_run_trained_alone_with_minibatches_dropout_and_divergence(data):
    # momentum, α up to 100 and λ up to 50: some runs diverge, in different chunks of 4
    base = BASE.with_runs(replace(BASE_RUN, optimizer="momentum"))
    sweep = sweep_of("lr=0.05,0.5,100", "lambd=0,0.3,50", base=base)
    result = run_sweep(sweep, data, group_size=4)
    assert [row.index for row in result.rows] == list(range(9))
    assert any(row.diverged for row in result.rows) and not all(row.diverged for row in result.rows)
    for row, run in zip(result.rows, sweep.runs()):
        assert row.config == run and row.cell == sweep.cells()[row.index]
        (alone,) = train(data, [run], BASE.seed, BASE.log_every)
        assert_same_history(row.history, alone)
        assert row.diverged_at == alone.diverged_at


def test_decay_settings_sweep_and_each_row_equals_its_run_alone(data):
    base = BASE.with_runs(replace(BASE_RUN, optimizer="gd", lr=0.5, decay_interval=7))
    sweep = sweep_of("decay=constant,inverse,scheduled", "decay_rate=0.3,2", base=base)
    result = run_sweep(sweep, data, group_size=4)
    for row, run in zip(result.rows, sweep.runs()):
        (alone,) = train(data, [run], BASE.seed, BASE.log_every)
        assert_same_history(row.history, alone)
    assert len({row.history.train_cost[-1] for row in result.rows[2:]}) == 4  # decay matters


def test_a_run_opened_on_its_own_trains_to_the_same_numbers(data):
    sweep = sweep_of("optimizer=gd,adam", "keep_prob=0.7,1")
    result = run_sweep(sweep, data)
    (alone,) = run_experiment(sweep.experiment_at(3), data)
    assert sweep.experiment_at(3).runs == (sweep.runs()[3],)
    assert_same_history(result.rows[3].history, alone)


def test_rows_arrive_group_by_group_and_closing_stops_training(data, monkeypatch):
    calls = []
    monkeypatch.setattr(sweep_module, "train", lambda *a: calls.append(a) or train(*a))
    sweep = sweep_of("lr=1e-3:1:9:log")
    assert [len(g) for g in iter_sweep(sweep, data, group_size=4)] == [4, 4, 1]
    calls.clear()
    groups = iter_sweep(sweep, data, group_size=4)
    first = next(groups)
    groups.close()
    assert [row.index for row in first] == [0, 1, 2, 3] and len(calls) == 1


def test_records_and_grids_lay_the_final_values_on_the_axes(data):
    result = run_sweep(sweep_of("lr=0.01,0.1,1", "optimizer=gd,adam"), data)
    grid = result.grid("test_accuracy")
    assert grid.shape == (3, 2)
    assert grid[2, 0] == result.rows[4].history.test_accuracy[-1]  # lr 1, gd: row 2·2 + 0
    record = result.records()[5]
    assert record["lr"] == 1 and record["optimizer"] == "adam"
    assert record["train_cost"] == result.rows[5].history.train_cost[-1]
    assert set(record) == {"lr", "optimizer", "diverged", "diverged_at"} | set(sweep_module.METRICS)
    with pytest.raises(ValueError, match="metric must be one of train_cost"):
        result.grid("speed")


def test_a_grid_without_test_set_is_nan_and_a_function_gives_any_measure():
    base = replace(BASE, data=DataConfig("moons", samples=120, test_fraction=0.0))
    result = run_sweep(sweep_of("lr=0.01,0.5", base=base))
    assert np.isnan(result.grid("test_cost")).all()
    speed = result.grid(lambda row: first_epoch_below(row.history, 10.0))
    assert speed.tolist() == [0.0, 0.0]  # every cost starts below 10


def history_with(epochs: list[int], cost: list[float]) -> History:
    empty = np.zeros(0)
    return History(
        config=RunConfig(), layout=Layout((2, 1)), epochs=np.array(epochs),
        train_cost=np.array(cost), test_cost=np.array(cost) + 0.1, train_accuracy=empty,
        test_accuracy=empty, lr=empty, diverged_at=None, seconds=0.0, theta=np.zeros(3),
        snapshot_epochs=empty, snapshots=empty,
    )  # fmt: skip


def test_first_epoch_below_a_threshold():
    h = history_with([0, 10, 20, 30], [0.7, 0.5, 0.3, 0.2])
    assert first_epoch_below(h, 0.4) == 20
    assert first_epoch_below(h, 0.5) == 20  # strictly below
    assert first_epoch_below(h, 0.8) == 0
    assert first_epoch_below(h, 0.1) is None
    assert first_epoch_below(h, 0.45, "test_cost") == 20
    assert first_epoch_below(history_with([0, 5], [0.7, math.nan]), 0.5) is None


# --- scale-out: the same numbers whatever the backend --------------------------------------------

SCALE_OUT = ("optimizer=gd,momentum,adam", "keep_prob=0.6,1")


@pytest.fixture(scope="module")
def one_process(data):
    return run_sweep(sweep_of(*SCALE_OUT), data, group_size=2)


def assert_same_rows(a, b) -> None:
    assert [r.settings for r in a.rows] == [r.settings for r in b.rows]
    for x, y in zip(a.rows, b.rows):
        assert_same_history(x.history, y.history)


def test_two_processes_give_the_same_numbers(data, one_process):
    assert_same_rows(run_sweep(sweep_of(*SCALE_OUT), data, jobs=2, group_size=2), one_process)
    assert_same_rows(run_sweep(sweep_of(*SCALE_OUT), data, jobs=2), one_process)  # 2 groups of 3


def test_a_dask_cluster_gives_the_same_numbers(data, one_process, dask_cluster):
    address = dask_cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    sweep = sweep_of(*SCALE_OUT)
    assert_same_rows(run_sweep(sweep, data, backend="dask", scheduler=address), one_process)


def test_dask_uses_the_running_client_when_no_address_is_given(data, one_process, dask_cluster):
    from distributed import Client

    with Client(dask_cluster):
        result = run_sweep(sweep_of(*SCALE_OUT), data, backend="dask", group_size=2)
    assert_same_rows(result, one_process)


def test_an_unreachable_scheduler_is_one_clear_line(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_module, "CONNECT_SECONDS", 0.5)
    with pytest.raises(
        ConnectionError, match="cannot reach the dask scheduler at tcp://127.0.0.1:9"
    ):
        run_sweep(sweep_of("lr=0.1"), backend="dask", scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"jobs": 0}, "jobs must be a whole number in [1, 1024], got 0"),
        ({"jobs": 1.5}, "jobs must be a whole number in [1, 1024], got 1.5"),
        ({"backend": "ray"}, "backend must be one of loky, dask, got 'ray'"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "a scheduler address needs backend 'dask'"),
        ({"group_size": 0}, "group_size must be a whole number >= 1, got 0"),
    ],
)
def test_bad_scale_out_options_raise_before_training(kw, message, monkeypatch):
    monkeypatch.setattr(sweep_module, "train", None)  # would fail if anything trained
    with pytest.raises(ValueError) as e:
        run_sweep(sweep_of("lr=0.1"), **kw)
    assert str(e.value) == message
