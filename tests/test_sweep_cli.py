"""``python -m nnviz sweep``: the table, --json and --csv, one row per run, and one-line errors.

The oracle for a row is ``nnviz train`` with the same options and that row's settings: a sweep's
row holds what its run gives trained alone.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz.cli.main import main
from nnviz.engine import sweep as sweep_module

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--epochs", "4", "--samples", "60"]
FINAL = ("train_cost", "test_cost", "train_accuracy", "test_accuracy")


def sweep_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["sweep", *args])
    out, err = capsys.readouterr()
    return code, out, err


def sweep_json(capsys: pytest.CaptureFixture, *args: str) -> dict:
    code, out, err = sweep_cli(capsys, *args, "--json")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    return json.loads(out)


def train_json(capsys: pytest.CaptureFixture, *args: str) -> dict:
    assert main(["train", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_json_row_is_what_train_gives_that_run_alone(capsys):
    base = [*FAST, "--keep-prob", "0.8", "--lambd", "0.2", "--batch-size", "16"]
    r = sweep_json(capsys, "--vary", "lr=1e-3:1:3:log", "--vary", "optimizer=gd,adam", *base)
    lr, optimizer = r["vary"]
    assert lr["field"] == "lr" and lr["values"] == pytest.approx([1e-3, 10**-1.5, 1], rel=1e-11)
    assert optimizer == {"field": "optimizer", "values": ["gd", "adam"]}
    assert r["runs"] == len(r["rows"]) == 6
    row = r["rows"][3]  # row-major: the middle lr, adam
    assert (row["lr"], row["optimizer"]) == (lr["values"][1], "adam")
    alone = train_json(capsys, *base, "--lr", repr(row["lr"]), "--optimizer", "adam")
    assert {k: row[k] for k in FINAL} == alone["final"]
    assert (row["diverged"], row["diverged_at"]) == (alone["diverged"], alone["diverged_at"])
    assert r["config"]["runs"][0]["keep_prob"] == 0.8 and (r["jobs"], r["backend"]) == (1, "loky")


def test_csv_has_a_header_and_one_line_per_run_with_the_json_numbers(capsys):
    args = ["--vary", "beta1=0.5,0.9,0.99", *FAST, "--test-fraction", "0"]
    code, out, err = sweep_cli(capsys, *args, "--csv")
    assert (code, err) == (0, "")
    lines = list(csv.DictReader(io.StringIO(out)))
    assert [float(line["beta1"]) for line in lines] == [0.5, 0.9, 0.99]
    rows = sweep_json(capsys, *args)["rows"]
    assert [float(line["train_cost"]) for line in lines] == [row["train_cost"] for row in rows]
    assert lines[0]["test_cost"] == "" and rows[0]["test_cost"] is None  # no test set


def test_the_table_shows_the_base_run_and_one_aligned_line_per_run(capsys):
    code, out, err = sweep_cli(capsys, "--vary", "init=he,xavier", "--vary", "lambd=0,0.5", *FAST)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "varied     init (2) × lambd (2) = 4 runs" in lines
    header = next(line for line in lines if line.lstrip().startswith("init"))
    assert header.split() == ["init", "lambd", "train", "cost", "train", "acc", "test", "cost",
                              "test", "acc", "diverged"]  # fmt: skip
    body = lines[lines.index(header) + 1 : lines.index(header) + 5]
    assert [line.split()[:2] for line in body] == [
        ["he", "0"], ["he", "0.5"], ["xavier", "0"], ["xavier", "0.5"],
    ]  # fmt: skip
    assert len({len(line) for line in [header, *body]}) <= 2  # right-aligned columns
    assert lines[-1].startswith("time") and "jobs 1 (loky)" in lines[-1]


def test_a_diverged_run_is_a_row_not_an_error(capsys):
    diverging = ["--optimizer", "gd", "--lambd", "1000", "--batch-size", "0", "--epochs", "40"]
    r = sweep_json(capsys, "--vary", "lr=0.01,100", *diverging, "--samples", "60")
    assert [row["diverged"] for row in r["rows"]] == [False, True]
    code, out, _err = sweep_cli(capsys, "--vary", "lr=0.01,100", *diverging, "--samples", "60")
    assert code == 0 and "at " in out.splitlines()[-3]


def test_jobs_and_a_dask_cluster_give_the_same_rows(capsys, dask_cluster):
    args = ["--vary", "optimizer=gd,momentum,adam", "--vary", "lr=0.01,0.1", *FAST]
    one = sweep_json(capsys, *args)
    two = sweep_json(capsys, *args, "--jobs", "2")
    dask = sweep_json(
        capsys, *args, "--backend", "dask", "--scheduler", dask_cluster.scheduler_address
    )
    assert one["rows"] == two["rows"] == dask["rows"]
    assert (two["jobs"], dask["backend"]) == (2, "dask")


def test_a_csv_file_of_points_can_be_swept(capsys, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x1,x2,label\n" + "".join(f"{k / 7},{k % 3},{k % 2}\n" for k in range(30)))
    r = sweep_json(capsys, "--vary", "lr=0.1,0.2", "--data", str(points), "--epochs", "3")
    assert r["config"]["data_file"] == str(points) and r["runs"] == 2


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give one or two --vary FIELD=VALUES, got 0"),
        (["--vary", "lr=0.1", "--vary", "beta1=0.5", "--vary", "beta2=0.9"], "got 3"),
        (["--vary", "lr"], "--vary: write a swept setting as FIELD=VALUES"),
        (["--vary", "lr=0:1:3:log"], "--vary: lr: a log range needs start and stop > 0"),
        (["--vary", "lr=0.1,abc"], "--vary: lr: 'abc' is not a number"),
        (["--vary", "lr=0:1:3"], "--vary: lr must be in (0, 100], got 0.0"),
        (["--vary", "hidden=3,4"], "--vary: cannot vary 'hidden' (the runs of a sweep share it)"),
        (["--vary", "lr=0.1,0.2", "--vary", "lr=0.3"], "--vary: lr is varied twice"),
        (["--vary", "lr=1e-4:1:65:log", "--vary", "lambd=0:1:64"], "at most 4096 runs"),
        (["--vary", "lr=0.1,0.2", "--lr", "0.3"], "--lr is also varied (--vary lr=...)"),
        (["--vary", "keep_prob=0.5,1", "--keep-prob=0.3"], "--keep-prob is also varied"),
        (["--vary", "optimizer=gd,adam", "--optimizer", "gd"], "--optimizer is also varied"),
        (["--vary", "lr=0.1", "--epochs", "-1"], "--epochs must be in [0, 200000], got -1"),
        (["--vary", "lr=0.1", "--jobs", "0"], "--jobs must be in [1, 1024], got 0"),
        (["--vary", "lr=0.1", "--backend", "dask"], "--backend dask needs --scheduler ADDRESS"),
        (["--vary", "lr=0.1", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler needs --backend"),
        (["--vary", "lr=0.1", "--backend", "ray"], "argument --backend: invalid choice: 'ray'"),
        (["--vary", "lr=0.1", "--json", "--csv"], "argument --csv: not allowed with argument"),
        (["--vary", "lr=0.1", "--init-from", "w.npz"], "--init-from is not available"),
        (["--vary", "lr=0.1", "--data", "missing.csv"], "--data cannot read missing.csv"),
        (["--vary", "lr=0.1", "--speed", "3"], "unrecognized arguments: --speed 3"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    code, out, err = sweep_cli(capsys, *FAST, *args)  # the last --epochs wins
    assert (code, out) == (2, "")
    assert err.startswith("nnviz sweep: error: ") and err.count("\n") == 1, err
    assert message in err


def test_an_unreachable_scheduler_exits_2_with_one_line(capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_module, "CONNECT_SECONDS", 0.5)
    args = ["--vary", "lr=0.1", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9", *FAST]
    code, out, err = sweep_cli(capsys, *args)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith(
        "nnviz sweep: error: cannot reach the dask scheduler at tcp://127.0.0.1:9"
    )


def test_help_lists_the_sweep_and_its_options(capsys):
    assert main(["--help"]) == 0 and "sweep" in capsys.readouterr().out
    code, out, _err = sweep_cli(capsys, "--help")
    assert code == 0 and "--vary FIELD=VALUES" in out and "--lambd" in out and "--jobs" in out


def test_python_m_nnviz_sweep_prints_csv_and_exits_0():
    p = subprocess.run(
        [sys.executable, "-m", "nnviz", "sweep", "--vary", "lr=0.01,0.1", *FAST, "--csv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.splitlines()[0].startswith("lr,train_cost,") and p.stdout.count("\n") == 3


# --- --random: random search ---------------------------------------------------------------------

RANDOM = ["--random", "5", "--vary", "lr=1e-4:1:log", "--vary", "beta1=0.9:0.999:1-log", *FAST]


def test_random_json_rows_are_sampled_in_range_and_trained_as_alone(capsys):
    r = sweep_json(capsys, *RANDOM, "--sample-seed", "3", "--batch-size", "16")
    assert (r["random"], r["sample_seed"], r["runs"]) == (5, 3, 5)
    assert r["vary"][1] == {"field": "beta1", "low": 0.9, "high": 0.999, "scale": "1-log"}
    rows = r["rows"]
    assert all(row["round"] == 0 for row in rows)
    assert all(1e-4 <= row["lr"] <= 1 and 0.9 <= row["beta1"] <= 0.999 for row in rows)
    assert len({row["lr"] for row in rows}) == 5
    row = rows[2]
    alone = train_json(
        capsys, *FAST, "--batch-size", "16", "--lr", repr(row["lr"]), "--beta1", repr(row["beta1"])
    )
    assert {k: row[k] for k in FINAL} == alone["final"]


def test_the_sample_seed_reproduces_the_runs(capsys):
    one = sweep_json(capsys, *RANDOM, "--sample-seed", "11")["rows"]
    assert sweep_json(capsys, *RANDOM, "--sample-seed", "11")["rows"] == one
    other = sweep_json(capsys, *RANDOM, "--sample-seed", "12")["rows"]
    assert [row["lr"] for row in other] != [row["lr"] for row in one]
    # --seed moves the data and weights, not the sampled settings
    reseeded = sweep_json(capsys, *RANDOM, "--sample-seed", "11", "--seed", "9")["rows"]
    assert [row["lr"] for row in reseeded] == [row["lr"] for row in one]


def test_random_table_and_csv_carry_the_round_and_the_sampled_values(capsys):
    code, out, _ = sweep_cli(capsys, *RANDOM)
    assert code == 0
    assert "lr=0.0001:1:log, beta1=0.9:0.999:1-log: 5 random runs, sample seed 0" in out
    header = next(line for line in out.splitlines() if "train cost" in line)
    assert header.split()[:3] == ["round", "lr", "beta1"]
    code, out, _ = sweep_cli(capsys, *RANDOM, "--csv")
    lines = list(csv.DictReader(io.StringIO(out)))
    assert len(lines) == 5 and list(lines[0])[:3] == ["round", "lr", "beta1"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--random", "0", "--vary", "lr=1e-4:1:log"], "--random must be at least 1, got 0"),
        (["--random", "3", "--vary", "lr=0:1:log"], "--vary: lr must be in (0, 100], got 0.0"),
        (["--random", "3", "--vary", "lambd=0:1:log"], "--vary: lambd: a log range needs low > 0"),
        (["--random", "3", "--vary", "beta1=0.9:1:1-log"], "beta1 must be in [0, 1), got 1.0"),
        (["--random", "3", "--vary", "lr=1e-4:1:9:log"], "a sampled range is LOW:HIGH[:scale]"),
        (["--random", "3", "--vary", "lr=0.1,0.2"], "--vary: lr: a sampled range is LOW:HIGH"),
        (["--random", "3", "--vary", "optimizer=gd:adam"], "optimizer is not a number to sample"),
        (["--random", "3", "--vary", "lr=1:0.1"], "lr: low must be below high"),
        (["--random", "5000", "--vary", "lr=1e-4:1:log"], "at most 4096 runs, got 5000"),
        (["--random", "3"], "give 1 to 4 --vary FIELD=LOW:HIGH[:SCALE], got 0"),
        (["--random", "x", "--vary", "lr=1e-4:1:log"], "argument --random: invalid int value"),
        (["--random", "3", "--vary", "lr=1e-4:1:log", "--sample-seed", "-1"], "--sample-seed"),
        (["--vary", "lr=0.1,0.2", "--sample-seed", "4"], "--sample-seed needs --random N"),
        (["--random", "3", "--vary", "lr=1e-4:1:log", "--lr", "0.1"], "--lr is also varied"),
    ],
)
def test_bad_random_input_exits_2_with_one_line(capsys, args, message):
    code, out, err = sweep_cli(capsys, *FAST, *args)
    assert (code, out) == (2, "")
    assert err.startswith("nnviz sweep: error: ") and err.count("\n") == 1, err
    assert message in err


def test_help_documents_random_search_and_its_scales(capsys):
    code, out, _err = sweep_cli(capsys, "--help")
    assert code == 0 and "--random N" in out and "--sample-seed S" in out
    assert "1-log" in " ".join(out.split()) and "lr=1e-4:1:log" in out
