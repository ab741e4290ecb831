"""The command line: ``python -m nnviz train``, its JSON, its weights files and its one-line errors.

Most tests call ``nnviz.cli.main(argv)`` in-process; two run the real ``python -m nnviz`` to prove
the entry point, the exit status and a clean stderr.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnviz.cli.main import main
from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.network import Layout
from nnviz.engine.train import run_experiment
from nnviz.engine.weights import load_npz, save_npz, to_npz_bytes

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--epochs", "3", "--samples", "60"]
KEYS = {"config", "epochs", "train_cost", "test_cost", "train_accuracy", "test_accuracy"}
KEYS |= {"final", "diverged", "diverged_at", "seconds"}
KEYS |= {"lr"}  # the α in effect at each recorded epoch
KEYS |= {"stopped_at", "best_epoch"}  # early stopping (--patience); null without it
CURVES = ("train_cost", "test_cost", "train_accuracy", "test_accuracy")
# lr 100 with λ 1000 multiplies every weight by about (1 - 100·1000/m) per step: it must blow up
DIVERGING = ["--optimizer", "gd", "--lr", "100", "--lambd", "1000", "--batch-size", "0"]

GOOD_ROWS = [(x / 4, (x % 3) / 2, x % 2) for x in range(12)]
GOOD_CSV = "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in GOOD_ROWS)


def _no_constants(name: str) -> None:
    raise AssertionError(f"invalid JSON token {name}")


def train_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["train", *args])
    out, err = capsys.readouterr()
    return code, out, err


def train_json(capsys: pytest.CaptureFixture, *args: str) -> dict:
    code, out, err = train_cli(capsys, *args, "--json")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1  # exactly one JSON object
    return json.loads(out, parse_constant=_no_constants)


def assert_one_line_error(err: str, *needles: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("nnviz") and ": error: " in err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err


def assert_rejected(capsys: pytest.CaptureFixture, args: list[str], *needles: str) -> None:
    code, out, err = train_cli(capsys, *args)
    assert (code, out) == (2, "")
    assert_one_line_error(err, *needles)


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# --- JSON output ----------------------------------------------------------------------------------


def test_json_has_every_key_and_aligned_curves(capsys):
    r = train_json(capsys, *FAST, "--log-every", "1")
    assert set(r) == KEYS
    assert r["epochs"] == [0, 1, 2, 3]  # epoch 0, before any update, comes first
    for name in CURVES:
        assert len(r[name]) == len(r["epochs"])
        assert r["final"][name] == r[name][-1]
    assert (r["diverged"], r["diverged_at"]) == (False, None)
    assert r["seconds"] >= 0


def test_json_config_is_the_experiment_plus_the_file_names(capsys):
    r = train_json(capsys, *FAST, "--hidden", "20,3", "--optimizer", "momentum", "--lambd", "0.7")
    config = r["config"]
    assert {k: config.pop(k) for k in ("data_file", "test_data_file", "init_from")} == {
        "data_file": None,
        "test_data_file": None,
        "init_from": None,
    }
    exp = Experiment.from_dict(config)
    assert exp.runs[0].hidden == (20, 3)
    assert (exp.runs[0].optimizer, exp.runs[0].lambd, exp.runs[0].epochs) == ("momentum", 0.7, 3)
    assert (exp.data.name, exp.data.samples) == ("moons", 60)


def test_log_every_sets_the_recorded_epochs(capsys):
    r = train_json(capsys, "--epochs", "10", "--log-every", "4", "--samples", "60")
    assert r["epochs"] == [0, 4, 8, 10]  # the last epoch is always recorded


def test_test_fraction_zero_leaves_the_test_curves_empty(capsys):
    r = train_json(capsys, *FAST, "--test-fraction", "0")
    assert r["test_cost"] == r["test_accuracy"] == []
    assert r["final"]["test_cost"] is None and r["final"]["test_accuracy"] is None
    assert len(r["train_cost"]) == len(r["epochs"])


def test_same_arguments_give_the_same_numbers(capsys):
    args = [*FAST, "--keep-prob", "0.8", "--seed", "7"]
    first, second = train_json(capsys, *args), train_json(capsys, *args)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    third = train_json(capsys, *FAST, "--keep-prob", "0.8", "--seed", "8")
    assert third["train_cost"] != first["train_cost"]


def test_no_hidden_layer_is_logistic_regression(capsys, tmp_path):
    r = train_json(capsys, *FAST, "--hidden", "", "--save", str(tmp_path / "w.npz"))
    assert r["config"]["runs"][0]["hidden"] == []
    with np.load(tmp_path / "w.npz") as npz:
        assert {k: npz[k].shape for k in npz.files} == {"W1": (1, 2), "b1": (1, 1)}


def test_summary_without_json_is_a_few_readable_lines(capsys):
    code, out, err = train_cli(capsys, *FAST, "--optimizer", "gd", "--test-fraction", "0")
    lines = out.strip().splitlines()
    assert (code, err) == (0, "") and 4 <= len(lines) <= 10
    assert "moons" in out and "gd (lr 0.01)" in out and "2-5-2-1" in out
    assert "diverged   no" in out and not any(line.startswith("test") for line in lines)


# --- divergence is a result, not an error -------------------------------------------------------


def test_a_diverging_run_exits_0_and_says_where(capsys):
    r = train_json(capsys, *DIVERGING, "--epochs", "40", "--samples", "60")
    assert r["diverged"] is True
    assert isinstance(r["diverged_at"], int) and 0 < r["diverged_at"] <= 40
    assert r["epochs"][-1] < r["diverged_at"]  # what came before is kept, finite
    assert all(np.isfinite(r["train_cost"]))


# --- weights files -------------------------------------------------------------------------------


def test_save_writes_course_shapes_and_init_from_reproduces_the_cost(capsys, tmp_path):
    path = str(tmp_path / "weights.npz")
    saved = train_json(capsys, "--epochs", "5", "--hidden", "4,3", "--save", path)
    with np.load(path, allow_pickle=False) as npz:
        shapes = {k: npz[k].shape for k in npz.files}
    assert shapes == {
        "W1": (4, 2), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)
    }  # fmt: skip
    loaded = train_json(capsys, "--epochs", "0", "--hidden", "4,3", "--init-from", path)
    assert loaded["epochs"] == [0]
    assert loaded["train_cost"][0] == pytest.approx(saved["final"]["train_cost"], rel=1e-12)
    assert loaded["test_cost"][0] == pytest.approx(saved["final"]["test_cost"], rel=1e-12)
    assert loaded["config"]["init_from"] == path


def test_weights_round_trip_through_bytes_and_files(tmp_path):
    layout = Layout((2, 3, 1))
    theta = np.arange(layout.size, dtype=float) / 7
    params = layout.to_list(theta)
    assert np.array_equal(load_npz(to_npz_bytes(params), layout), theta)
    save_npz(tmp_path / "exact-name", params)  # no .npz appended behind the user's back
    assert np.array_equal(load_npz(tmp_path / "exact-name", layout), theta)


def _npz(path: Path, **arrays: np.ndarray) -> str:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return str(path)


def _bad_weights(tmp_path: Path, kind: str) -> str:
    """Files that must not load into a 2-3-1 network."""
    W1, b1, W2, b2 = np.ones((3, 2)), np.zeros((3, 1)), np.ones((1, 3)), np.zeros((1, 1))
    good = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    path = tmp_path / f"{kind}.npz"
    if kind == "shape":
        return _npz(path, **{**good, "W1": np.ones((4, 2))})
    if kind == "missing":
        return _npz(path, **{k: v for k, v in good.items() if k != "b2"})
    if kind == "extra":
        return _npz(path, **good, W3=np.ones((1, 1)))
    if kind == "nan":
        return _npz(path, **{**good, "W2": np.full((1, 3), np.nan)})
    if kind == "text":
        return _npz(path, **{**good, "b1": np.array([["a"], ["b"], ["c"]])})
    if kind == "objects":  # np.savez pickles object arrays
        return _npz(path, **{**good, "W1": np.array([[object()] * 2] * 3, dtype=object)})
    if kind == "huge":  # 2.4 MB of zeros that compress to a few kB
        with open(path, "wb") as f:
            np.savez_compressed(f, **{**good, "W1": np.zeros((1000, 300))})
    elif kind == "pickle":
        path.write_bytes(pickle.dumps(good))
    elif kind == "truncated":
        path.write_bytes(to_npz_bytes([(W1, b1), (W2, b2)])[:100])
    elif kind == "npy":
        np.save(path.with_suffix(".npy"), good["W1"])
        path = path.with_suffix(".npy")
    return str(path)


@pytest.mark.parametrize(
    "kind, needles",
    [
        ("shape", ["W1", "(4, 2)", "expected (3, 2)"]),
        ("missing", ["no array b2"]),
        ("extra", ["unexpected array W3"]),
        ("nan", ["W2", "NaN"]),
        ("text", ["b1", "dtype"]),
        ("objects", ["W1", "pickled"]),
        ("pickle", ["pickled"]),
        ("huge", ["too large"]),
        ("truncated", ["cannot read"]),
        ("npy", ["single array"]),
    ],
)
def test_init_from_rejects_a_bad_file_in_one_line(capsys, tmp_path, kind, needles):
    path = _bad_weights(tmp_path, kind)
    args = [*FAST, "--hidden", "3", "--init-from", path]
    assert_rejected(capsys, args, "--init-from", Path(path).name, *needles)


def test_init_from_a_missing_file(capsys, tmp_path):
    path = str(tmp_path / "nowhere.npz")
    assert_rejected(capsys, [*FAST, "--init-from", path], "nowhere.npz", "No such file")


def test_save_into_a_missing_folder_is_refused_before_training(capsys, tmp_path):
    path = str(tmp_path / "no-such-folder" / "w.npz")
    assert_rejected(capsys, [*FAST, "--save", path], "--save", "no-such-folder")


# --- train --json output loads back with --config and gives the same numbers ---------------------


def same_run(first: dict, second: dict) -> None:
    """The same config and every number (the wall time aside)."""
    assert {k: v for k, v in first.items() if k != "seconds"} == {
        k: v for k, v in second.items() if k != "seconds"
    }


@pytest.mark.parametrize("part", ["config", "whole line"])
def test_json_output_loads_back_with_config_and_trains_the_same(capsys, tmp_path, part):
    args = ["--dataset", "circles", "--samples", "80", "--noise", "0.1", "--seed", "3"]
    args += ["--hidden", "6", "--optimizer", "momentum", "--lambd", "0.3", "--keep-prob", "0.9"]
    args += ["--batch-size", "16", "--epochs", "7", "--log-every", "2", "--decay", "inverse"]
    first = train_json(capsys, *args)
    saved = first["config"] if part == "config" else first
    again = train_json(capsys, "--config", write(tmp_path / "c.json", json.dumps(saved)))
    same_run(again, first)


def test_a_csv_experiments_config_describes_the_file_and_loads_back(capsys, tmp_path):
    points = write(tmp_path / "points.csv", GOOD_CSV)
    first = train_json(capsys, "--data", points, "--epochs", "4", "--test-fraction", "0.25")
    data = first["config"]["data"]
    assert (data["name"], data["samples"], data["noise"]) == ("csv", len(GOOD_ROWS), 0.0)
    config = write(tmp_path / "c.json", json.dumps(first["config"]))
    assert_rejected(capsys, ["--config", config], "points.csv@", "--data FILE.csv")
    same_run(train_json(capsys, "--config", config, "--data", points), first)


def test_a_config_started_from_saved_weights_needs_them_again(capsys, tmp_path):
    weights = str(tmp_path / "w.npz")
    train_cli(capsys, *FAST, "--save", weights)
    first = train_json(capsys, *FAST, "--epochs", "5", "--init-from", weights)
    config = write(tmp_path / "c.json", json.dumps(first["config"]))
    assert_rejected(capsys, ["--config", config], "w.npz", "--init-from FILE.npz")
    same_run(train_json(capsys, "--config", config, "--init-from", weights), first)
    fresh = train_json(capsys, "--config", config, "--init", "xavier")
    assert fresh["train_cost"][0] != first["train_cost"][0]


# --- a user's CSV ------------------------------------------------------------------------------


def test_a_good_csv_trains_and_is_recorded(capsys, tmp_path):
    path = write(tmp_path / "good.csv", GOOD_CSV)
    r = train_json(capsys, "--data", path, "--epochs", "2")
    data = r["config"]["data"]
    assert data["name"] == "csv" and data["source"].startswith("good.csv@")
    assert r["config"]["data_file"] == path and r["config"]["test_data_file"] is None
    assert len(r["test_cost"]) == len(r["epochs"])  # default test fraction 0.25: 9 + 3 points
    write(tmp_path / "good.csv", GOOD_CSV + "5,5,1\n")
    changed = train_json(capsys, "--data", path, "--epochs", "2")
    assert changed["config"]["data"]["source"] != data["source"]  # the key follows the content


def test_test_data_is_a_separate_test_set(capsys, tmp_path):
    train_path = write(tmp_path / "train.csv", GOOD_CSV)
    test_path = write(tmp_path / "test.csv", "x1,x2,label\n0,0,0\n1,1,1\n2,0,0\n3,1,1\n4,0,1\n")
    args = ["--data", train_path, "--test-data", test_path, "--epochs", "2"]
    code, out, err = train_cli(capsys, *args)
    assert (code, err) == (0, "") and "12 training, 5 test points" in out
    r = train_json(capsys, *args)
    assert r["config"]["test_data_file"] == test_path
    assert "train.csv+test.csv@" in r["config"]["data"]["source"]
    assert len(r["test_accuracy"]) == len(r["epochs"])


ROWS = "0,0,0\n1,1,1\n0,1,0\n1,0,1\n"


@pytest.mark.parametrize(
    "text, needles",
    [
        ("a,b,c\n" + ROWS, ["header", "'a,b,c'"]),
        ("x1,x2,label\n" + ROWS + "0,abc,1\n", ["line 6", "'abc'"]),
        ("x1,x2,label\n" + ROWS + "nan,0,1\n", ["line 6", "nan"]),
        ("x1,x2,label\n" + ROWS + "0,inf,1\n", ["line 6", "inf"]),
        ("x1,x2,label\n" + ROWS + "0,0,6\n", ["line 6", "label", "got 6"]),
        ("x1,x2,label\n0,0,0\n1,1,1\n", ["rows", "got 2"]),
        ("x1,x2,label\n" + ROWS + '"nan\n",0,1\n', ["line 6", "nan"]),  # newline in a cell
        ("", ["empty"]),
    ],
)
def test_a_bad_csv_is_one_line_naming_the_problem(capsys, tmp_path, text, needles):
    path = write(tmp_path / "points.csv", text)
    assert_rejected(capsys, ["--data", path, "--epochs", "1"], "--data", "points.csv", *needles)


def test_a_bad_test_file_is_named_as_the_test_file(capsys, tmp_path):
    train_path = write(tmp_path / "train.csv", GOOD_CSV)
    test_path = write(tmp_path / "test.csv", "x1,x2,label\n" + ROWS.replace("1,0,1", "1,0,7"))
    args = ["--data", train_path, "--test-data", test_path]
    assert_rejected(capsys, args, "--test-data", "test.csv", "line 5", "got 7")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--data", "missing.csv"], ["--data", "missing.csv", "No such file"]),
        (["--test-data", "x.csv"], ["--test-data", "needs --data"]),
        (["--data", "x.csv", "--dataset", "moons"], ["--data", "--dataset"]),
    ],
)
def test_csv_option_errors(capsys, tmp_path, monkeypatch, args, needles):
    monkeypatch.chdir(tmp_path)
    assert_rejected(capsys, args, *needles)


def test_a_test_share_that_leaves_too_few_training_points(capsys, tmp_path):
    path = write(tmp_path / "small.csv", "x1,x2,label\n" + ROWS + "2,2,1\n")
    assert_rejected(capsys, ["--data", path, "--test-fraction", "0.5"], "--test-fraction", "0.5")


# --- every bad number is one line naming the option and the value --------------------------


@pytest.mark.parametrize(
    "option, value, needles",
    [
        ("--lr", "-1", ["must be in (0, 100]", "-1"]),
        ("--lr", "0", ["(0, 100]", "0"]),
        ("--lr", "nan", ["finite", "nan"]),
        ("--lr", "inf", ["finite", "inf"]),
        ("--lr", "-inf", ["finite", "-inf"]),
        ("--lr", "1e999", ["finite", "inf"]),
        ("--lr", "abc", ["'abc'"]),
        ("--lambd", "-1", ["[0, 1000]", "-1"]),
        ("--lambd", "nan", ["finite", "nan"]),
        ("--beta1", "1", ["[0, 1)", "1"]),
        ("--beta1", "-0.1", ["[0, 1)", "-0.1"]),
        ("--beta2", "1.5", ["[0, 1)", "1.5"]),
        ("--epsilon", "0", ["(0, 1]", "0"]),
        ("--keep-prob", "0", ["(0, 1]", "0"]),
        ("--keep-prob", "1.5", ["(0, 1]", "1.5"]),
        ("--epochs", "-1", ["-1"]),
        ("--epochs", "2.5", ["'2.5'"]),
        ("--batch-size", "-3", ["-3"]),
        ("--log-every", "-1", ["-1"]),
        ("--seed", "-1", ["-1"]),
        ("--seed", "x", ["'x'"]),
        ("--samples", "5", ["[20, 5000]", "5"]),
        ("--noise", "inf", ["finite", "inf"]),
        ("--test-fraction", "0.95", ["[0, 0.9]", "0.95"]),
        ("--test-fraction", "nan", ["finite", "nan"]),
        ("--hidden", "3,,x", ["'3,,x'"]),
        ("--hidden", "0", ["[1, 100]", "got 0"]),
        ("--hidden", "101", ["[1, 100]", "got 101"]),
        ("--hidden", "1,1,1,1,1,1,1", ["at most 6 layers", "got 7"]),
        ("--activation", "softmax", ["'softmax'"]),
        ("--dataset", "mnist", ["'mnist'"]),
        ("--optimizer", "sgd", ["'sgd'"]),
        ("--init", "ones", ["'ones'"]),
    ],
)
def test_bad_values_are_one_line_naming_option_and_value(capsys, option, value, needles):
    args = ["--epochs", "1", f"{option}={value}"]  # "=" lets a value start with "-"
    assert_rejected(capsys, args, "nnviz train: error: ", option, *needles)


@pytest.mark.parametrize(
    "argv, needles",
    [
        ([], ["command"]),
        (["fit"], ["'fit'"]),
        (["train", "--lr"], ["--lr", "expected one argument"]),
        (["train", "--lambda", "0.1"], ["unrecognized", "--lambda"]),
        (["train", "--lamb", "0.1"], ["unrecognized", "--lamb"]),  # no silent abbreviations
    ],
)
def test_usage_errors_are_one_line(capsys, argv, needles):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, *needles)


def test_help_works_normally(capsys):
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--keep-prob" in out and "{gd,momentum,rmsprop,adam}" in out


# --- bench --------------------------------------------------------------------------------------


def test_bench_hands_its_arguments_to_the_engine(monkeypatch):
    from nnviz.bench import engine

    seen = []
    monkeypatch.setattr(engine, "main", lambda argv: seen.append(argv) or 0)
    assert main(["bench", "--quick", "--help"]) == 0
    assert seen == [["--quick", "--help"]]


# --- the real entry point ------------------------------------------------------------------------


def python_m_nnviz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnviz", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_python_m_nnviz_diverging_run_exits_0_without_warnings():
    p = python_m_nnviz("train", *DIVERGING, "--epochs", "40", "--samples", "60", "--json")
    assert (p.returncode, p.stderr) == (0, "")
    r = json.loads(p.stdout, parse_constant=_no_constants)
    assert r["diverged"] is True and isinstance(r["diverged_at"], int)


def test_python_m_nnviz_bad_value_exits_2_with_one_line():
    p = python_m_nnviz("train", "--lr", "nan")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == "nnviz train: error: --lr must be a finite number, got nan\n"


LONG_JSON = ["--epochs", "3000", "--log-every", "1", "--samples", "60", "--json"]


@pytest.mark.parametrize(
    "args, read",
    [
        (LONG_JSON, 10),  # | head -c 10: ~300 kB of JSON, more than a pipe holds, so the
        # writer is still writing when the reader goes
        (FAST, 0),  # | true: the reader is gone before the summary is written
    ],
)
def test_a_reader_that_closes_stdout_early_ends_it_quietly(args, read):
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as in a shell
    p = subprocess.Popen(
        [sys.executable, "-m", "nnviz", "train", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=buffered,
    )
    assert len(p.stdout.read(read)) == read
    p.stdout.close()
    _, err = p.communicate(timeout=60)
    assert (p.returncode, err.decode()) == (1, "")


# --- learning-rate decay ------------------------------------------------------------------------


def test_decay_flags_reach_the_config_and_lr_follows_the_schedule(capsys):
    args = ["--samples", "60", "--epochs", "7", "--log-every", "1", "--lr", "0.2"]
    r = train_json(
        capsys, *args, "--decay", "scheduled", "--decay-rate", "3", "--decay-interval", "2"
    )
    run = r["config"]["runs"][0]
    assert (run["decay"], run["decay_rate"], run["decay_interval"]) == ("scheduled", 3.0, 2)
    assert len(r["lr"]) == len(r["epochs"])
    # after e passes α = 0.2 / (1 + 3·⌊(e - 1)/2⌋): 0.2 0.2 0.2 0.05 0.05 0.2/7 0.2/7 0.02
    expected = [0.2, 0.2, 0.2, 0.05, 0.05, 0.2 / 7, 0.2 / 7, 0.02]
    np.testing.assert_allclose(r["lr"], expected, rtol=1e-15)
    assert train_json(capsys, *args)["lr"] == [0.2] * 8  # constant by default


def test_summary_names_the_decay(capsys):
    code, out, _ = train_cli(capsys, *FAST, "--decay", "inverse", "--decay-rate", "0.5")
    assert code == 0 and "inverse decay rate 0.5" in out
    code, out, _ = train_cli(capsys, *FAST, "--decay", "scheduled", "--decay-interval", "50")
    assert code == 0 and "scheduled decay rate 1 every 50 epochs" in out


@pytest.mark.parametrize(
    "option, value, needles",
    [
        ("--decay", "exponential", ["invalid choice", "'exponential'"]),
        ("--decay-rate", "-0.5", ["[0, 1000]", "-0.5"]),
        ("--decay-rate", "nan", ["finite", "nan"]),
        ("--decay-rate", "x", ["'x'"]),
        ("--decay-interval", "0", ["[1, 200000]", "got 0"]),
        ("--decay-interval", "2.5", ["'2.5'"]),
    ],
)
def test_bad_decay_values_are_one_line_naming_option_and_value(capsys, option, value, needles):
    assert_rejected(capsys, ["--epochs", "1", f"{option}={value}"], option, *needles)


def test_no_shuffle_trains_the_batches_in_the_data_order(capsys):
    args = ["--samples", "60", "--epochs", "5", "--batch-size", "16", "--log-every", "1"]
    shuffled, ordered = train_json(capsys, *args), train_json(capsys, *args, "--no-shuffle")
    assert shuffled["config"]["runs"][0]["shuffle"] is True
    assert ordered["config"]["runs"][0]["shuffle"] is False
    assert shuffled["train_cost"][0] == ordered["train_cost"][0]  # same start, same data
    assert shuffled["train_cost"][-1] != ordered["train_cost"][-1]  # other batches


# --- --config FILE.json: the lab's download, trained again -----------------------------------


def lab_config(tmp_path: Path, **data) -> str:
    exp = Experiment(
        DataConfig(samples=60, **data),
        (RunConfig(epochs=3, lambd=0.0), RunConfig(epochs=3, lambd=0.7, optimizer="gd")),
        seed=4,
    )
    return write(tmp_path / "nnviz-config.json", exp.to_json())


def json_lines(capsys: pytest.CaptureFixture, *args: str) -> list[dict]:
    code, out, err = train_cli(capsys, *args, "--json")
    assert (code, err) == (0, "")
    return [json.loads(line, parse_constant=_no_constants) for line in out.splitlines()]


def test_config_trains_every_run_of_the_experiment_one_json_line_each(capsys, tmp_path):
    path = lab_config(tmp_path)
    exp = Experiment.from_json(Path(path).read_text())
    lines = json_lines(capsys, "--config", path)
    assert [set(r) for r in lines] == [KEYS, KEYS]
    for r, run in zip(lines, exp.runs):
        config = {
            k: v
            for k, v in r["config"].items()
            if k not in ("data_file", "test_data_file", "init_from")
        }
        assert Experiment.from_dict(config) == exp.with_runs(run)  # each line reloads as its run
    # the same numbers as the lab's trainer on the same experiment
    histories = run_experiment(exp)
    for r, h in zip(lines, histories):
        assert r["train_cost"] == pytest.approx(list(h.train_cost), rel=1e-12)


def test_options_given_next_to_config_override_every_run(capsys, tmp_path):
    path = lab_config(tmp_path)
    lines = json_lines(capsys, "--config", path, "--epochs", "5", "--seed", "9", "--noise", "0.1")
    assert [r["config"]["runs"][0]["epochs"] for r in lines] == [5, 5]
    assert [r["config"]["runs"][0]["lambd"] for r in lines] == [0.0, 0.7]  # not given: kept
    assert {(r["config"]["seed"], r["config"]["data"]["noise"]) for r in lines} == {(9, 0.1)}
    # a default written out is still an override
    lines = json_lines(capsys, "--config", path, "--lambd", "0.0")
    assert [r["config"]["runs"][0]["lambd"] for r in lines] == [0.0, 0.0]


def test_run_n_keeps_one_run_and_save_needs_one(capsys, tmp_path):
    path = lab_config(tmp_path)
    (line,) = json_lines(capsys, "--config", path, "--run", "2")
    assert line["config"]["runs"][0]["optimizer"] == "gd"
    assert_rejected(capsys, ["--config", path, "--save", str(tmp_path / "w.npz")], "--run N")
    assert_rejected(capsys, ["--config", path, "--run", "3"], "--run must be in [1, 2]", "got 3")
    assert_rejected(capsys, ["--run", "1"], "--run 1 needs --config")
    code, out, _ = train_cli(
        capsys, "--config", path, "--run", "1", "--save", str(tmp_path / "w.npz")
    )
    assert code == 0 and (tmp_path / "w.npz").exists()


def test_config_summary_names_each_run(capsys, tmp_path):
    code, out, err = train_cli(capsys, "--config", lab_config(tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith("run        1 of 2\n") and "\n\nrun        2 of 2\n" in out
    assert "lambd 0.7" in out


@pytest.mark.parametrize(
    "text, needles",
    [
        ("{", ["--config", "not a JSON file"]),
        ('{"runs": [{"lr": -1}]}', ["--config", "lr must be in (0, 100], got -1"]),
        ('{"runs": [{"speed": 1}]}', ["--config", "unknown RunConfig field(s): speed"]),
        (
            '{"data": {"name": "csv", "source": "pts.csv@ab12"}}',
            ["pts.csv@ab12", "--data FILE.csv"],
        ),
    ],
)
def test_a_bad_config_file_is_one_line(capsys, tmp_path, text, needles):
    assert_rejected(capsys, ["--config", write(tmp_path / "c.json", text)], *needles)


def test_a_missing_config_file_and_a_bad_override(capsys, tmp_path):
    assert_rejected(capsys, ["--config", str(tmp_path / "none.json")], "--config cannot read")
    assert_rejected(capsys, ["--config", lab_config(tmp_path), "--lr", "-1"], "--lr must be in")


def test_a_csv_config_trains_on_the_file_given_with_data(capsys, tmp_path):
    points = write(tmp_path / "points.csv", GOOD_CSV)
    exp = Experiment(
        DataConfig("csv", test_fraction=0.25, source="points.csv@x"), (RunConfig(epochs=2),)
    )
    path = write(tmp_path / "c.json", exp.to_json())
    (line,) = json_lines(capsys, "--config", path, "--data", points)
    assert line["config"]["data"]["name"] == "csv" and line["config"]["data_file"] == points


# --- L1 and input features (docs/design.md §7) ------------------------------------------------


def test_l1_and_features_reach_the_config_and_load_back(capsys, tmp_path):
    args = ("--dataset", "circles", "--samples", "80", "--epochs", "20", "--hidden", "")
    r = train_json(capsys, *args, "--l1", "0.05", "--features", "x2^2,x1^2")
    run = r["config"]["runs"][0]
    assert (run["lambd1"], run["features"]) == (0.05, ["x1^2", "x2^2"])  # in the features' order
    (h,) = run_experiment(Experiment.from_json(json.dumps(r)))  # the lab's trainer: same numbers
    assert r["train_cost"] == pytest.approx(list(h.train_cost), rel=1e-12)
    path = write(tmp_path / "out.json", json.dumps(r))
    (again,) = json_lines(capsys, "--config", path)
    assert again["train_cost"] == r["train_cost"]
    (other,) = json_lines(capsys, "--config", path, "--features", "x1,x2,sin(x1)")
    assert other["config"]["runs"][0]["features"] == ["x1", "x2", "sinx1"]  # given: overrides
    assert other["config"]["runs"][0]["lambd1"] == 0.05  # not given: kept


def test_summary_names_the_inputs_and_l1_only_when_set(capsys):
    code, out, _ = train_cli(capsys, "--epochs", "2", "--features", "x1,x1x2", "--l1", "0.1")
    assert code == 0 and "network    2-5-2-1 (inputs x1, x1x2)," in out and ", l1 0.1," in out
    code, out, _ = train_cli(capsys, "--epochs", "2")
    assert "inputs" not in out and "l1" not in out


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--features", "x1,x3"], ["--features has no input 'x3'", "x1^2"]),
        (["--features", "x1,x1"], ["--features repeats an input"]),
        (["--features", ""], ["--features needs at least one of"]),
        (["--l1", "-1"], ["--l1 must be in [0, 1000], got -1"]),
        (["--l1", "abc"], ["--l1", "abc"]),
    ],
)
def test_bad_l1_and_features_are_one_line(capsys, args, needles):
    assert_rejected(capsys, args, *needles)
