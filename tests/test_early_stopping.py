"""Early stopping (docs/design.md §7): patience P epochs on the test cost, the best epoch's weights
kept. The oracle is the same run trained without early stopping, every epoch recorded: its test
curve says where the best epoch is, and training it for exactly that many epochs gives the weights
early stopping must keep."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.network import Layout
from nnviz.engine.train import advance, histories, load_data, start, train
from nnviz.models.metrics import early_words, format_metrics, metrics_rows
from nnviz.views.curves import cost_figure
from tests.helpers.histories import assert_same_history

# few, partly mislabeled points and a network that overfits them: the test cost turns up early
NET = RunConfig(hidden=(20, 3), init="xavier", optimizer="gd", lr=0.3, batch_size=0, epochs=1500)
EXP = Experiment(data=DataConfig("mislabeled", samples=160, noise=0.15, test_fraction=0.5), seed=8)
P = 60


@pytest.fixture(scope="module")
def data():
    return load_data(EXP)


@pytest.fixture(scope="module")
def reference(data):
    """The run without early stopping, recorded at every epoch."""
    return train(data, [NET], EXP.seed, log_every=1)[0]


def alone(data, run, epochs=None):
    run = run if epochs is None else replace(run, epochs=epochs)
    return train(data, [run], EXP.seed, log_every=1)[0]


def test_it_stops_patience_epochs_after_the_lowest_test_cost(data, reference):
    h = alone(data, replace(NET, patience=P))
    assert h.stopped_at is not None and h.stopped_at < NET.epochs  # this data overfits early
    best = int(np.argmin(reference.test_cost[: h.stopped_at + 1]))  # the first lowest
    assert h.best_epoch == reference.epochs[best]
    assert h.stopped_at == h.best_epoch + P
    assert h.epochs[-1] == h.stopped_at  # the curves go on to the stop, the same as the reference
    np.testing.assert_array_equal(h.test_cost, reference.test_cost[: h.stopped_at + 1])


def test_it_keeps_the_best_epochs_weights_and_reports_their_numbers(data, reference):
    h = alone(data, replace(NET, patience=P))
    at_best = alone(data, NET, epochs=h.best_epoch)  # the same run, trained to the best epoch
    np.testing.assert_array_equal(h.theta, at_best.theta)
    k = h.best_epoch
    assert h.final == {
        "train_cost": reference.train_cost[k],
        "test_cost": reference.test_cost[k],
        "train_accuracy": reference.train_accuracy[k],
        "test_accuracy": reference.test_accuracy[k],
    }
    assert h.final["test_cost"] < reference.final["test_cost"]  # it did stop the overfitting


def test_without_running_out_of_patience_the_best_weights_are_kept_at_the_end(data, reference):
    h = alone(data, replace(NET, patience=NET.epochs))
    assert h.stopped_at is None and h.epochs[-1] == NET.epochs
    assert h.best_epoch == int(np.argmin(reference.test_cost))
    np.testing.assert_array_equal(h.theta, alone(data, NET, epochs=h.best_epoch).theta)
    assert early_words(h) == f"ran all epochs, best at {h.best_epoch}"


def test_lockstep_mates_train_on_unchanged_and_the_stopped_run_equals_itself_alone(data):
    runs = [
        NET,
        replace(NET, patience=P),
        replace(NET, lambd=0.7),
        replace(NET, optimizer="adam", lr=0.01, patience=P),
    ]
    together = train(data, runs, EXP.seed, log_every=1)
    for run, h in zip(runs, together):
        assert_same_history(h, alone(data, run))
        assert h.best_epoch == alone(data, run).best_epoch


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_a_stopped_run_leaves_its_group_which_trains_on_unchanged(data, optimizer):
    """Stopped runs stop costing: the group drops their rows (θ, moments, columns) and the run
    still training goes on with exactly the numbers it has alone."""
    run = replace(NET, optimizer=optimizer, lr=0.3 if optimizer in ("gd", "momentum") else 0.01)
    group = start(data, [replace(run, patience=P), run], EXP.seed, 1, [None, None])
    advance(group, seconds=1e9)
    assert group.progress.epoch == NET.epochs  # the other run went on to the end
    assert group.progress.theta.shape[0] == 1  # alone in its group after the stop
    stopped, plain = histories(group)
    assert stopped.stopped_at is not None
    assert_same_history(stopped, alone(data, replace(run, patience=P)))
    assert_same_history(plain, alone(data, run))


def test_without_a_test_set_patience_is_ignored_and_said_so():
    exp = replace(EXP, data=replace(EXP.data, test_fraction=0.0))
    data = load_data(exp)
    plain, patient = train(
        data, [replace(NET, epochs=200), replace(NET, epochs=200, patience=5)], 0
    )
    assert_same_history(plain, patient)
    assert patient.best_epoch is None and early_words(patient) == "off: needs a test set"


def test_patience_is_validated():
    with pytest.raises(ValueError, match="patience must be in"):
        RunConfig(patience=-1)
    with pytest.raises(ValueError, match="patience must be a whole number"):
        RunConfig(patience=2.5)


def test_the_table_says_where_it_stopped_and_the_curve_marks_it(data):
    runs = [NET, replace(NET, patience=P)]
    hs = train(data, runs, EXP.seed)
    rows = format_metrics(metrics_rows(hs, ["none", "early"]))
    assert rows[0]["early stopping"] == "—"
    assert rows[1]["early stopping"] == (
        f"stopped early at {hs[1].stopped_at}, best at {hs[1].best_epoch}"
    )
    assert "early stopping" not in format_metrics(metrics_rows(hs[:1], ["none"]))[0]
    marks = [t for t in cost_figure(hs, ["none", "early"]).data if t.hovertext]
    assert len(marks) == 1 and list(marks[0].x) == [hs[1].best_epoch, hs[1].stopped_at]


def test_the_cli_trains_with_patience_and_reports_the_stop(tmp_path):
    args = [
        "--dataset",
        "mislabeled",
        "--samples",
        "160",
        "--noise",
        "0.15",
        "--seed",
        "8",
        "--test-fraction",
        "0.5",
        "--hidden",
        "20,3",
        "--init",
        "xavier",
        "--optimizer",
        "gd",
        "--lr",
        "0.3",
        "--batch-size",
        "0",
        "--epochs",
        "1500",
        "--patience",
        str(P),
    ]
    out = subprocess.run(
        [sys.executable, "-m", "nnviz", "train", *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    record = json.loads(out)
    assert record["config"]["runs"][0]["patience"] == P
    assert record["stopped_at"] == record["best_epoch"] + P
    bad = subprocess.run(
        [sys.executable, "-m", "nnviz", "train", "--patience", "-3"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--patience must be in" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_boundary_past_the_stop_shows_the_kept_weights_and_their_numbers(data):
    from nnviz.views.figures import boundary_figure, percent

    h = train(data, [replace(NET, patience=P)], EXP.seed)[0]
    for upto in (None, NET.epochs, h.stopped_at):
        title = boundary_figure(h, data, "early", upto=upto).layout.title.text
        assert f"test {percent(h.final['test_accuracy'])}" in title
    k = int(np.searchsorted(h.epochs, h.best_epoch))  # a recorded epoch before the best one:
    before = boundary_figure(h, data, "early", upto=int(h.epochs[k - 5])).layout.title.text
    assert f"test {percent(h.test_accuracy[k - 5])}" in before  # the trajectory's numbers


MATES = {  # a run that trains on beside runs that leave the group: each setting's columns
    "decay, L1, dropout": dict(decay="scheduled", decay_interval=300, lambd1=0.05, keep_prob=0.8),
    "L2, rmsprop": dict(lambd=0.5, optimizer="rmsprop", lr=0.01),
    "batch norm, its own ρ and ε": dict(batch_norm=True, bn_momentum=0.3, bn_epsilon=1e-3),
}


@pytest.mark.parametrize("mate", list(MATES))
def test_runs_that_stop_or_diverge_leave_and_every_run_equals_itself_alone(data, mate):
    """Rows drop out at different epochs (an early stop, a divergence); every run, the ones that
    left and the one that trains on, has exactly the numbers it has alone."""
    extra = MATES[mate]
    on = replace(NET, epochs=800, **extra)
    runs = [
        replace(on, patience=P, lambd=0.0, keep_prob=1.0, bn_momentum=0.1),
        replace(on, optimizer="gd", lr=100.0, lambd=1000.0, decay="constant"),  # diverges
        on,
        replace(on, patience=2 * P, lambd=0.1),
    ]
    together = train(data, runs, EXP.seed, log_every=1)
    assert together[1].diverged_at is not None and together[0].stopped_at is not None
    for run, h in zip(runs, together):
        single = alone(data, run)
        assert_same_history(h, single)
        assert (h.stopped_at, h.best_epoch) == (single.stopped_at, single.best_epoch)


def test_a_run_diverged_at_epoch_0_leaves_before_the_first_update(data):
    """Its starting cost is not finite: it stops at once, and its mate trains as if alone."""
    run = replace(NET, epochs=50)
    bad = np.full(Layout(run.layer_dims).size, 1e300)  # σ(z) of such z: J overflows
    broken, mate = train(data, [run, run], EXP.seed, log_every=1, initial=[bad, None])
    assert broken.diverged_at == 0
    assert_same_history(mate, alone(data, run))
