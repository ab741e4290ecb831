"""Download as Python (nnviz/models/script_export.py, docs/design.md §4b).

The oracle is nnviz's own trainer, a different implementation of the same mathematics: it trains
runs in lockstep on one (R, P) buffer with [W | b] blocks, where the script goes layer by layer in
the course's functions. The script runs in a fresh interpreter (``python -I`` in an empty folder)
and must print the cost ``train`` reports, to 1e-9 relative, for every setting it reproduces.
"""

from __future__ import annotations

import ast
import runpy
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from nnviz.cli.main import main
from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import GENERATORS, MULTICLASS, digest, from_csv, generate, to_csv
from nnviz.engine.features import FEATURES, transform
from nnviz.engine.network import INITS, Layout, initial_params, targets
from nnviz.engine.train import INIT_STREAM, run_experiment, stream
from nnviz.engine.weights import save_npz
from nnviz.models import exports
from nnviz.models.script_export import ScriptError, check_supported, script

XOR = DataConfig("xor", samples=120, noise=0.2, test_fraction=0.25)  # no scikit-learn: fast
EPOCHS = 12

# every setting the script reproduces, each at least once; the data set is XOR unless named
MATRIX = {
    "gd, full batch": dict(optimizer="gd", batch_size=0, lr=0.5),
    "momentum, inverse decay": dict(optimizer="momentum", lr=0.1, decay="inverse", decay_rate=0.3),
    "rmsprop, scheduled decay": dict(
        optimizer="rmsprop", decay="scheduled", decay_rate=1.0, decay_interval=4
    ),
    "adam, dropout": dict(keep_prob=0.7, hidden=(8, 4), batch_size=32),
    "adam, dropout, L2, no shuffle": dict(keep_prob=0.8, lambd=0.7, shuffle=False, batch_size=25),
    "momentum, L2, batch 7": dict(optimizer="momentum", lambd=0.3, batch_size=7),
    "tanh, xavier": dict(activation="tanh", init="xavier"),
    "sigmoid, random x10": dict(activation="sigmoid", init="random", optimizer="gd", lr=0.01),
    "zeros": dict(init="zeros", batch_size=40),
    "small, deep tanh": dict(init="small", hidden=(6, 6, 6), activation="tanh"),
    "no hidden layer": dict(hidden=(), optimizer="gd", lr=0.3, batch_size=0),
    "rmsprop, dropout, sigmoid": dict(optimizer="rmsprop", keep_prob=0.9, activation="sigmoid"),
    "early stopping, patience 2": dict(patience=2, lr=0.05, keep_prob=0.9),
    "patience longer than the run": dict(patience=50, optimizer="momentum", lr=0.2),
    "L1": dict(lambd1=0.3),
    "L1, adam, dropout, batch 25": dict(lambd1=0.2, keep_prob=0.8, batch_size=25),
    "L1 and L2, momentum": dict(optimizer="momentum", lambd1=0.2, lambd=0.3),
    # every weight starts at 0 and stays there only if sign(0) = 0 (with gd a wrong sign(0)
    # would only swing the weights between 0 and -αλ₁/m: Adam's steps do not retrace)
    "L1 from zeros": dict(lambd1=0.5, init="zeros", batch_size=0),
    "features x1, x1², sin x2": dict(features=("x1", "x1^2", "sinx2")),
    "all seven features, dropout, batch 32": dict(
        features=tuple(FEATURES), keep_prob=0.8, batch_size=32, lambd1=0.1
    ),
    "one feature, no hidden layer": dict(
        features=("x1x2",), hidden=(), optimizer="gd", lr=0.5, batch_size=0
    ),
    "batch norm, full batch, gd": dict(batch_norm=True, batch_size=0, optimizer="gd", lr=0.5),
    "batch norm, adam, dropout, batch 25": dict(
        batch_norm=True, keep_prob=0.8, batch_size=25, hidden=(6, 4, 3)
    ),
    "batch norm, its ρ and ε, L1, L2, tanh": dict(
        batch_norm=True, bn_momentum=0.3, bn_epsilon=0.01, lambd=0.1, lambd1=0.1, activation="tanh"
    ),
    # 90 training points: the last batch has one column, whose σ² is 0
    "batch norm, a last batch of one, features": dict(
        batch_norm=True, batch_size=89, features=("x1", "x1x2"), optimizer="rmsprop"
    ),
    # Σ dZ over the batch is 0 only up to rounding: with Adam's ε this small, a hidden db left
    # at that noise would move b[l] by about α a step, which the running μ lags behind
    "batch norm, adam with ε = 1e-20": dict(batch_norm=True, epsilon=1e-20, batch_size=0),
    "batch norm, no hidden layer (a plain run)": dict(batch_norm=True, hidden=(), batch_size=32),
    "batch norm, early stopping, momentum": dict(
        batch_norm=True, patience=2, optimizer="momentum", lr=0.05
    ),
}
NUMBERS = ("train_cost", "train_accuracy", "test_cost", "test_accuracy")

# K ≥ 3 classes: a softmax output, one-hot Y, argmax accuracy (docs/design.md §7)
MATRIX_K = {
    "3-arm spiral, adam": (DataConfig("spiral", 120, 0.2, 0.25, classes=3), {}),
    "4 blobs, batch norm, dropout, L1, L2, sigmoid": (
        DataConfig("blobs", 120, 0.3, 0.25, classes=4),
        dict(batch_norm=True, keep_prob=0.8, lambd=0.1, lambd1=0.1, activation="sigmoid"),
    ),
    "5 arms, no hidden layer, features, no test set": (
        DataConfig("spiral", 120, 0.2, 0.0, classes=5),
        dict(hidden=(), optimizer="gd", lr=0.5, batch_size=0, features=("x1", "x2", "x1x2")),
    ),
    "6 arms, momentum, decay, early stopping": (
        DataConfig("spiral", 150, 0.2, 0.3, classes=6),
        dict(optimizer="momentum", lr=0.1, decay="inverse", patience=2, batch_size=30),
    ),
}


def run_script(text: str, folder: Path) -> dict[str, float]:
    """The numbers the script prints, run by a fresh interpreter that sees no nnviz: -I ignores
    PYTHONPATH and the current folder's modules, and the folder holds the script alone."""
    path = folder / "exported.py"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-I", str(path)], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    return {words[0]: float(words[1]) for words in lines if words[0] in NUMBERS}


def assert_same_numbers(printed: dict[str, float], final: dict[str, float | None]) -> None:
    assert printed["train_cost"] == pytest.approx(final["train_cost"], rel=1e-9, abs=0)
    assert printed["train_accuracy"] == final["train_accuracy"]
    if final["test_cost"] is None:
        assert "test_cost" not in printed and "test_accuracy" not in printed
    else:
        assert printed["test_cost"] == pytest.approx(final["test_cost"], rel=1e-9, abs=0)
        assert printed["test_accuracy"] == final["test_accuracy"]


@pytest.mark.parametrize("settings", MATRIX.values(), ids=MATRIX.keys())
def test_the_script_prints_the_cost_nnviz_trains_to(settings, tmp_path):
    exp = Experiment(XOR, (RunConfig(epochs=EPOCHS, **settings),), seed=4)
    assert_same_numbers(run_script(script(exp, 0), tmp_path), run_experiment(exp)[0].final)


@pytest.mark.parametrize("data, settings", MATRIX_K.values(), ids=MATRIX_K.keys())
def test_a_K_class_script_prints_the_cost_nnviz_trains_to(data, settings, tmp_path):
    exp = Experiment(data, (RunConfig(epochs=EPOCHS, **settings),), seed=4)
    assert_same_numbers(run_script(script(exp, 0), tmp_path), run_experiment(exp)[0].final)


def test_a_run_trained_in_lockstep_with_others_is_reproduced_alone(tmp_path):
    """Runs share the streams: run 2 (no dropout) and run 3 step through the same batches and,
    for run 3, masks as in the group where run 1 draws dropout masks for all."""
    runs = (
        RunConfig(epochs=EPOCHS, keep_prob=0.5),
        RunConfig(epochs=EPOCHS, lambd=0.2),
        RunConfig(epochs=EPOCHS, optimizer="momentum", keep_prob=0.8, decay="inverse"),
    )
    exp = Experiment(XOR, runs, seed=11)
    histories = run_experiment(exp)
    for i in (1, 2):
        assert_same_numbers(run_script(script(exp, i), tmp_path), histories[i].final)


def test_early_stopping_stops_where_nnviz_stops_and_keeps_the_best_epoch(tmp_path):
    exp = Experiment(XOR, (RunConfig(epochs=200, patience=4, lr=0.05),), seed=4)
    h = run_experiment(exp)[0]
    assert h.stopped_at is not None and h.stopped_at < 200  # it does stop early
    text = script(exp, 0)
    (tmp_path / "exported.py").write_text(text)
    done = subprocess.run(
        [sys.executable, "-I", "exported.py"], cwd=tmp_path, capture_output=True, text=True
    )
    said = f"Stopped early after epoch {h.stopped_at}; the best was epoch {h.best_epoch}"
    assert said in done.stdout.splitlines()
    assert_same_numbers(run_script(text, tmp_path), h.final)
    without_test = Experiment(replace(XOR, test_fraction=0.0), (RunConfig(patience=4),))
    assert "PATIENCE" not in script(without_test, 0)  # nnviz ignores patience there too


def test_a_diverging_run_stops_in_the_epoch_nnviz_stops_it(tmp_path):
    run = RunConfig(epochs=30, optimizer="gd", lr=100, lambd=1000, batch_size=0)  # J overflows
    exp = Experiment(XOR, (run,), seed=4)
    (tmp_path / "exported.py").write_text(script(exp, 0))
    done = subprocess.run(
        [sys.executable, "-I", "exported.py"], cwd=tmp_path, capture_output=True, text=True
    )
    at = run_experiment(exp)[0].diverged_at
    assert at is not None and done.returncode == 1
    assert done.stderr == f"the run diverged in epoch {at}: nnviz stops it there\n"


def test_a_scikit_learn_data_set_without_a_test_set(tmp_path):
    exp = Experiment(DataConfig("moons", 200, 0.2, 0.0), (RunConfig(epochs=EPOCHS),), seed=3)
    printed = run_script(script(exp, 0), tmp_path)
    assert_same_numbers(printed, run_experiment(exp)[0].final)


def csv_experiment(test_fraction: float = 0.25, classes: int = 2) -> tuple[Experiment, object]:
    points = generate("spiral", 90, 0.1, 0.0, 5, classes)
    text = to_csv(points.X_train, points.Y_train)
    data = from_csv(text, test_fraction, seed=7)
    source = "points.csv:" + digest(text)
    config = DataConfig("csv", 90, 0.0, test_fraction, source, classes=classes)
    return Experiment(config, (RunConfig(epochs=EPOCHS, batch_size=16),), seed=7), data


def test_a_csv_run_carries_its_points_and_the_lab_offers_it(tmp_path):
    exp, data = csv_experiment()
    files = exports.downloads(exp, run_experiment(exp, data), ["run 1"], data)
    (python,) = [f for f in files if f.file_name.endswith(".py")]
    assert python.file_name == "run1.py" and python.label == "Python, run 1 (.py)"
    printed = run_script(python.make(), tmp_path)
    assert_same_numbers(printed, run_experiment(exp, data)[0].final)


def test_a_K_class_csv_run(tmp_path):
    exp, data = csv_experiment(classes=4)
    assert data.classes == 4
    printed = run_script(script(exp, 0, data), tmp_path)
    assert_same_numbers(printed, run_experiment(exp, data)[0].final)


def test_a_csv_run_without_its_points_is_refused_in_one_line():
    exp, _ = csv_experiment()
    with pytest.raises(ScriptError, match="needs its points"):
        script(exp, 0)
    assert exports.script_notes(exp) == ["its script needs the CSV's points"]
    assert not [f for f in exports.downloads(exp, [], []) if f.file_name.endswith(".py")]


def load(text: str, folder: Path) -> dict:
    """The script's functions and constants, without running main()."""
    path = folder / "exported.py"
    path.write_text(text)
    return runpy.run_path(str(path), run_name="exported")


@pytest.mark.parametrize(
    "name, K",
    [
        *((g, 2) for g in GENERATORS),
        *((g, 5) for g in MULTICLASS),
        ("csv", 2),
        ("csv without test", 2),
    ],
)
def test_the_script_makes_exactly_nnvizs_points(name, K, tmp_path):
    if name.startswith("csv"):
        exp, data = csv_experiment(0.0 if "without" in name else 0.25)
    else:
        exp = Experiment(DataConfig(name, 53, 0.3, 0.2, classes=K), (RunConfig(epochs=1),), seed=2)
        data = generate(name, 53, 0.3, 0.2, 2, K)
    train_X, train_Y, test_X, test_Y = load(script(exp, 0, data), tmp_path)["load_dataset"]()
    assert np.array_equal(train_X, data.X_train) and np.array_equal(train_Y, data.Y_train)
    if data.has_test:
        assert np.array_equal(test_X, data.X_test) and np.array_equal(test_Y, data.Y_test)
    else:
        assert test_X is None and test_Y is None


@pytest.mark.parametrize("init", INITS)
def test_the_initial_weights_are_nnvizs_draws(init, tmp_path):
    run = RunConfig(hidden=(4, 3), init=init, epochs=1)
    exp = Experiment(XOR, (run,), seed=9)
    initialize = load(script(exp, 0), tmp_path)[f"initialize_parameters_{init}"]
    params = initialize([2, 4, 3, 1], np.random.default_rng([9, 1]))
    layout = Layout(run.layer_dims)
    want = layout.to_list(initial_params(run.layer_dims, init, stream(9, INIT_STREAM)))
    for l, (W, b) in enumerate(want, start=1):
        assert np.array_equal(params["W"][l], W) and np.array_equal(params["b"][l], b)


def test_the_scripts_one_hot_Y_is_nnvizs_targets(tmp_path):
    exp = Experiment(DataConfig("spiral", 60, classes=4), (RunConfig(epochs=1),))
    one_hot = load(script(exp, 0), tmp_path)["one_hot"]
    labels = np.array([[3.0, 0.0, 2.0, 1.0, 1.0]])
    assert np.array_equal(one_hot(labels), targets(labels, 4))
    assert np.array_equal(one_hot(labels)[:, 0], [0, 0, 0, 1])  # column 0 is class 3


def test_the_scripts_inputs_are_nnvizs_features(tmp_path):
    """Each feature's row, in nnviz's order, on points where every feature differs."""
    run = RunConfig(features=tuple(FEATURES), epochs=1)
    input_features = load(script(Experiment(XOR, (run,)), 0), tmp_path)["input_features"]
    X = generate("xor", 50, 0.3, 0.0, 2).X_train
    assert np.array_equal(input_features(X), transform(X, run.features))
    plane = script(Experiment(XOR, (RunConfig(),)), 0)
    assert "input_features" not in plane  # (x₁, x₂) as they are: nothing written


def imported_modules(text: str) -> set[str]:
    tree = ast.parse(text)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def test_a_script_imports_numpy_and_scikit_learn_only_when_its_data_needs_it():
    for name in GENERATORS:
        exp = Experiment(DataConfig(name), (RunConfig(keep_prob=0.5, lambd=0.1),))
        needs = {"numpy", "sklearn"} if name not in ("xor", "spiral") else {"numpy"}
        assert imported_modules(script(exp, 0)) == needs, name
    for name in MULTICLASS:
        exp = Experiment(DataConfig(name, classes=3), (RunConfig(),))
        needs = {"numpy", "sklearn"} if name == "blobs" else {"numpy"}
        assert imported_modules(script(exp, 0)) == needs, name
    exp, data = csv_experiment()
    assert imported_modules(script(exp, 0, data)) == {"numpy"}


def test_every_variant_is_clean_python_for_ruff(tmp_path):
    """Undefined or unused names, which a flag left in or out could cause, and long lines."""
    for k, settings in enumerate(MATRIX.values()):
        exp = Experiment(XOR, (RunConfig(**settings),))
        (tmp_path / f"variant{k}.py").write_text(script(exp, 0))
    for k, (data, settings) in enumerate(MATRIX_K.values()):
        exp = Experiment(data, (RunConfig(**settings),))
        (tmp_path / f"classes{k}.py").write_text(script(exp, 0))
    exp, data = csv_experiment()
    (tmp_path / "csv.py").write_text(script(exp, 0, data))
    lint = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--quiet"]
    lint += ["--select", "E,F,W,B", "--ignore", "E741", "--line-length", "100", str(tmp_path)]
    done = subprocess.run(lint, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_script_is_written_in_the_courses_functions():
    run = RunConfig(keep_prob=0.8, lambd=0.5, decay="scheduled", init="he")
    text = script(Experiment(XOR, (run,)), 0)
    for name in (
        "initialize_parameters_he",
        "forward_propagation",
        "forward_propagation_with_dropout",
        "compute_cost_with_regularization",
        "backward_propagation_with_dropout_and_regularization",
        "random_mini_batches",
        "initialize_adam",
        "update_parameters_with_adam",
        "schedule_lr_decay",
    ):
        assert f"\ndef {name}(" in text
    run = RunConfig(lambd1=0.1, features=("x1", "x2", "x1x2"))
    text = script(Experiment(XOR, (run,)), 0)
    for name in ("input_features", "compute_cost_with_l1", "backward_propagation_with_l1"):
        assert f"\ndef {name}(" in text
    spiral = DataConfig("spiral", classes=3)
    text = script(Experiment(spiral, (RunConfig(batch_norm=True, keep_prob=0.9),)), 0)
    for name in (
        "initialize_batchnorm",
        "batchnorm_forward",
        "batchnorm_backward",
        "batchnorm_evaluate",
        "update_running_averages",
        "forward_propagation",
        "forward_propagation_with_dropout_and_batchnorm",
        "softmax",
        "one_hot",
    ):
        assert f"\ndef {name}(" in text
    plain = script(Experiment(XOR, (RunConfig(optimizer="momentum", batch_size=0),)), 0)
    defined = {
        node.name for node in ast.walk(ast.parse(plain)) if isinstance(node, ast.FunctionDef)
    }
    assert "update_parameters_with_momentum" in defined and "backward_propagation" in defined
    unused = ("dropout", "regularization", "mini_batches", "adam", "lr_decay", "batchnorm", "soft")
    for absent in unused:
        assert not [name for name in defined if absent in name]  # only what the run needs
    assert "\nLAMBD" not in plain and "KEEP_PROB" not in plain and "MINI_BATCH_SIZE" not in plain


@dataclass(frozen=True)
class WithSmoothing(RunConfig):
    """A setting nnviz might gain: the script must refuse it, not ignore it."""

    label_smoothing: float = 0.0


def test_a_setting_the_script_does_not_know_is_refused_in_one_line():
    exp = Experiment(XOR, (WithSmoothing(), WithSmoothing(label_smoothing=0.1)))
    check_supported(exp, exp.runs[0])  # at its default it changes nothing
    with pytest.raises(ScriptError) as e:
        script(exp, 1)
    assert str(e.value) == "the Python export cannot reproduce label_smoothing = 0.1 yet (only 0.0)"
    assert exports.script_notes(exp) == ["", str(e.value)]
    names = [f.file_name for f in exports.downloads(exp, [], ["run 1", "run 2"])]
    assert "run1.py" in names and "run2.py" not in names
    run = RunConfig()
    object.__setattr__(run, "activation", "leaky_relu")  # as if ACTIVATIONS had gained it
    with pytest.raises(ScriptError, match="activation = 'leaky_relu'"):
        script(Experiment(XOR, (run,)), 0)
    run = RunConfig(features=("x1", "x2"))
    object.__setattr__(run, "features", ("x1", "cosx1"))  # as if FEATURES had gained it
    with pytest.raises(ScriptError, match="feature = 'cosx1'"):
        script(Experiment(XOR, (run,)), 0)


# --- nnviz train --export-script -------------------------------------------------------------


def cli(capsys, *args: str) -> tuple[int, str]:
    status = main(["train", "--dataset", "xor", "--samples", "80", "--epochs", "5", *args])
    return status, capsys.readouterr().err


def test_train_exports_the_script_of_the_run_it_trains(capsys, tmp_path):
    out = tmp_path / "run.py"
    status, err = cli(capsys, "--keep-prob", "0.8", "--export-script", str(out))
    assert status == 0 and not err
    exp = Experiment(DataConfig("xor", 80), (RunConfig(keep_prob=0.8, epochs=5),))
    assert out.read_text() == script(exp, 0, file_name="run.py")


def test_export_run_chooses_a_run_of_the_config(capsys, tmp_path):
    exp = Experiment(XOR, (RunConfig(epochs=5), RunConfig(epochs=5, optimizer="gd", lambd=0.4)))
    config = tmp_path / "config.json"
    config.write_text(exp.to_json())
    out = tmp_path / "run2.py"
    args = ["--config", str(config), "--export-script", str(out), "--export-run", "2"]
    assert main(["train", *args]) == 0
    assert out.read_text() == script(exp, 1, file_name="run2.py")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--export-run", "2"], ["--export-run 2 needs --export-script"]),
        (["--export-script", "{tmp}/a.py", "--export-run", "2"], ["[1, 1]", "got 2"]),
        (["--export-script", "{tmp}/no/a.py"], ["cannot write", "no/a.py"]),
        (["--export-script", "{tmp}/a.py", "--init-from", "{tmp}/w.npz"], ["--init-from"]),
    ],
)
def test_export_errors_are_one_line(capsys, tmp_path, args, needles):
    layout = Layout(RunConfig().layer_dims)
    save_npz(str(tmp_path / "w.npz"), layout.to_list(np.zeros(layout.size)))
    status, err = cli(capsys, *(a.format(tmp=tmp_path) for a in args))
    assert status == 2 and err.count("\n") == 1 and err.startswith("nnviz train: error:")
    assert all(n in err for n in needles), err
