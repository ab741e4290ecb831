"""The frozen configuration of nnviz.engine.config: validation messages, round trips, hashing."""

import dataclasses
import json
import math

import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig


def test_defaults_are_valid_and_are_designs():
    run = RunConfig()
    # docs/design.md §2: α 0.01, β₁ 0.9, β₂ 0.999, ε 1e-8; no L2, no dropout
    assert (run.lr, run.beta1, run.beta2, run.epsilon) == (0.01, 0.9, 0.999, 1e-8)
    assert (run.lambd, run.keep_prob) == (0.0, 1.0)
    assert run.layer_dims == (2, *run.hidden, 1)
    Experiment()  # validates without raising
    DataConfig()


INVALID = [
    # (config class, field, bad value, text the message must contain besides the field name)
    (RunConfig, "lr", 0, "got 0"),
    (RunConfig, "lr", -1, "got -1"),
    (RunConfig, "lr", math.nan, "got nan"),
    (RunConfig, "lr", math.inf, "got inf"),
    (RunConfig, "lr", True, "got True"),
    (RunConfig, "lr", "0.1", "got '0.1'"),
    (RunConfig, "beta1", 1.0, "got 1.0"),
    (RunConfig, "beta1", -0.5, "got -0.5"),
    (RunConfig, "beta2", -0.1, "got -0.1"),
    (RunConfig, "beta2", 1.0, "got 1.0"),
    (RunConfig, "epsilon", 0.0, "got 0.0"),
    (RunConfig, "lambd", -1, "got -1"),
    (RunConfig, "keep_prob", 0, "got 0"),
    (RunConfig, "keep_prob", 1.5, "got 1.5"),
    (RunConfig, "epochs", -1, "got -1"),
    (RunConfig, "epochs", 2.5, "got 2.5"),
    (RunConfig, "batch_size", -1, "got -1"),
    (RunConfig, "shuffle", 1, "got 1"),
    (RunConfig, "hidden", (5, 0), "got 0"),
    (RunConfig, "hidden", (101,), "got 101"),
    (RunConfig, "hidden", (4,) * 7, "got 7"),
    (RunConfig, "optimizer", "sgd", "got 'sgd'"),
    (RunConfig, "init", "glorot", "got 'glorot'"),
    (RunConfig, "activation", "softmax", "got 'softmax'"),
    (RunConfig, "decay", "exponential", "got 'exponential'"),
    (RunConfig, "decay_rate", -0.1, "got -0.1"),
    (RunConfig, "decay_rate", math.nan, "got nan"),
    (RunConfig, "decay_interval", 0, "got 0"),
    (RunConfig, "decay_interval", 10.5, "got 10.5"),
    (DataConfig, "name", "iris", "got 'iris'"),
    (DataConfig, "noise", -0.1, "got -0.1"),
    (DataConfig, "noise", 2.5, "got 2.5"),
    (DataConfig, "noise", math.nan, "got nan"),
    (DataConfig, "test_fraction", 0.95, "got 0.95"),
    (DataConfig, "test_fraction", -0.1, "got -0.1"),
    (DataConfig, "samples", 10, "got 10"),
    (DataConfig, "samples", 100.5, "got 100.5"),
    (Experiment, "seed", -1, "got -1"),
    (Experiment, "seed", 2**31, f"got {2**31}"),
    (Experiment, "seed", 1.5, "got 1.5"),
    (Experiment, "log_every", -1, "got -1"),
]
FIELD_WORD = {"name": "dataset"}  # the message says what the user knows the field as


@pytest.mark.parametrize(
    "cls, field, value, shown", INVALID, ids=[f"{c.__name__}.{f}={v!r}" for c, f, v, _ in INVALID]
)
def test_invalid_field_raises_naming_field_and_value(cls, field, value, shown):
    with pytest.raises(ValueError) as info:
        cls(**{field: value})
    message = str(info.value)
    assert FIELD_WORD.get(field, field) in message
    assert shown in message


def test_an_experiment_needs_a_run():
    with pytest.raises(ValueError, match="at least one run"):
        Experiment(runs=())


def example() -> Experiment:
    return Experiment(
        DataConfig("circles", samples=400, noise=0.05, test_fraction=0.25),
        runs=(
            RunConfig(hidden=(10, 5), init="zeros", optimizer="gd", lr=0.01, batch_size=0),
            RunConfig(hidden=(10, 5), init="he", lambd=0.7, keep_prob=0.86, beta1=0.95),
        ),
        seed=1,
        log_every=30,
    )


def test_to_dict_from_dict_round_trip_through_json():
    exp = example()
    d = json.loads(json.dumps(exp.to_dict()))
    assert d["runs"][0]["hidden"] == [10, 5]
    back = Experiment.from_dict(d)
    assert back == exp and hash(back) == hash(exp)
    assert isinstance(back.runs, tuple) and isinstance(back.runs[0].hidden, tuple)


def test_from_dict_fills_defaults():
    assert Experiment.from_dict({}) == Experiment()
    partial = Experiment.from_dict({"runs": [{"optimizer": "gd"}], "seed": 3})
    assert partial == Experiment(runs=(RunConfig(optimizer="gd"),), seed=3)


@pytest.mark.parametrize(
    "d, message",
    [
        ({"sed": 1}, "unknown Experiment field(s): sed"),
        ({"data": {"nam": "moons"}}, "unknown DataConfig field(s): nam"),
        (
            {"runs": [{}, {"learning_rate": 0.1, "b1": 0.9}]},
            "RunConfig field(s): b1, learning_rate",
        ),
    ],
)
def test_from_dict_rejects_unknown_keys(d, message):
    with pytest.raises(ValueError) as info:
        Experiment.from_dict(d)
    assert message in str(info.value)


def test_configs_are_frozen_hashable_cache_keys():
    a, b = example(), example()
    assert a == b and hash(a) == hash(b)
    cache = {a: "trained"}
    assert cache[b] == "trained"
    assert dataclasses.replace(a, seed=2) not in cache
    assert RunConfig(hidden=[5, 2]) == RunConfig(hidden=(5, 2))  # lists become tuples
    assert hash(RunConfig(hidden=[5, 2])) == hash(RunConfig(hidden=(5, 2)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.seed = 3  # type: ignore[misc]


def test_group_key_groups_runs_that_can_train_in_lockstep():
    a = RunConfig(optimizer="gd", lr=0.1, lambd=0.5, keep_prob=0.8, init="zeros")
    assert a.group_key == RunConfig(optimizer="adam").group_key
    # decay is per run: runs with different schedules still train together
    assert a.group_key == RunConfig(decay="scheduled", decay_rate=3, decay_interval=7).group_key
    changes = ({"hidden": (4,)}, {"activation": "tanh"}, {"batch_size": 0}, {"epochs": 5})
    for change in (*changes, {"shuffle": False}):
        assert dataclasses.replace(a, **change).group_key != a.group_key


def test_with_runs_replaces_the_runs_only():
    exp = example()
    new = exp.with_runs(RunConfig(optimizer="rmsprop"))
    assert new.runs == (RunConfig(optimizer="rmsprop"),)
    assert (new.data, new.seed, new.log_every) == (exp.data, exp.seed, exp.log_every)


def test_config_json_round_trips_and_reads_the_clis_output_too():
    exp = Experiment(
        DataConfig("circles", samples=100), (RunConfig(lr=0.1), RunConfig(hidden=(), lambd=2.0))
    )
    assert Experiment.from_json(exp.to_json()) == exp
    assert Experiment.from_json(exp.to_json().encode()) == exp
    config = {**exp.to_dict(), "data_file": "a.csv", "test_data_file": None, "init_from": "w.npz"}
    assert Experiment.from_json(json.dumps({"config": config, "epochs": []})) == exp
    assert Experiment.from_json(json.dumps(config)) == exp  # the output's config alone


def test_a_csv_config_counts_the_files_rows():
    """A user's file holds 4 to 20,000 rows (parse_csv's limits), not the generators' 20..5000."""
    assert DataConfig("csv", samples=4, noise=0.0).samples == 4
    assert DataConfig("csv", samples=20_000, noise=0.0).samples == 20_000
    for rows in (3, 20_001):
        with pytest.raises(ValueError, match=f"samples must be in \\[4, 20000\\], got {rows}"):
            DataConfig("csv", samples=rows)
    with pytest.raises(ValueError, match="samples must be in \\[20, 5000\\], got 4"):
        DataConfig("moons", samples=4)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("{", "not a JSON file"),
        ("[1, 2]", "a config is a JSON object"),
        ('{"runs": 3}', "runs must be a list"),
        ('{"runs": []}', "at least one run"),
        ('{"data": "moons"}', "data must be a JSON object"),
        ('{"runs": [{"hidden": 5}]}', "wrong type"),
        ('{"runs": [{"lr": -1}]}', "lr must be in (0, 100], got -1"),
        ('{"seed": 1, "colour": "red"}', "unknown Experiment field(s): colour"),
    ],
)
def test_a_bad_config_json_is_one_value_error_line(text, needle):
    with pytest.raises(ValueError) as err:
        Experiment.from_json(text)
    assert needle in str(err.value) and "\n" not in str(err.value)
