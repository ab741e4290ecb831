"""The lab's downloads: every run's curves as CSV, the experiment as JSON, a run's weights as .npz,
and a run as a standalone Python script ("Download as Python", script_export.py).

``downloads`` lists what the lab offers, each file made only when asked for (``make``).
The config JSON is ``Experiment.to_dict`` (the CLI's ``"config"`` record has the same fields), so
the lab's upload control and ``python -m nnviz train --config FILE.json`` load it back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.train import History
from nnviz.engine.weights import to_npz_bytes
from nnviz.models.script_export import ScriptError, check_supported, script

HISTORY_COLUMNS = (
    "run",
    "label",
    "epoch",
    "train_cost",
    "test_cost",
    "train_accuracy",
    "test_accuracy",
)


def histories_csv(histories: Sequence[History], labels: Sequence[str]) -> str:
    """Every recorded epoch of every run; test columns empty without a test set. With K ≥ 3
    classes, then each class's train accuracy and each class's test accuracy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    K = histories[0].train_class_accuracy.shape[1] if histories else 0  # 0: two classes
    per_class = [f"{part}_accuracy_class_{c}" for part in ("train", "test") for c in range(K)]
    writer.writerow((*HISTORY_COLUMNS, *per_class))
    for i, (h, label) in enumerate(zip(histories, labels), start=1):
        for k, epoch in enumerate(h.epochs):
            test = (h.test_cost[k], h.test_accuracy[k]) if len(h.test_cost) else ("", "")
            row = (i, label, int(epoch), h.train_cost[k], test[0], h.train_accuracy[k], test[1])
            row += _class_cells(h, k, K)
            writer.writerow([repr(float(v)) if isinstance(v, np.floating) else v for v in row])
    return out.getvalue()


def _class_cells(h: History, k: int, K: int) -> tuple:
    """Record k's per-class train and test accuracies (test ones empty without a test set)."""
    if not K:
        return ()
    test = h.test_class_accuracy[k] if len(h.test_class_accuracy) else [""] * K
    return (*h.train_class_accuracy[k], *test)


def config_json(exp: Experiment) -> str:
    """The experiment as indented JSON; Experiment.from_json reads it back."""
    return exp.to_json()


def weights_npz(h: History) -> bytes:
    """The run's final W1, b1, ..., WL, bL in the course's shapes (the CLI's format); with batch
    norm also gamma{l}, beta{l}, running_mean{l}, running_var{l} of each hidden layer."""
    return to_npz_bytes(h.params, h.layout.norm_list(h.theta))


def file_stem(i: int, label: str) -> str:
    """run2-lambda-0.7: a safe file name for run i's downloads ('run 2' alone: run2)."""
    text = label.replace("λ₁", "lambda1").replace("λ", "lambda").replace("α", "alpha")
    text = text.replace("β₁", "beta1").replace("β₂", "beta2").replace("ε", "eps")
    text = text.replace("₁", "1").replace("₂", "2").replace("²", "sq")  # x₁²: x1sq
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in text.lower())
    words = [p for p in safe.split("-") if p]
    return "-".join([f"run{i + 1}", *([] if words == ["run", str(i + 1)] else words)])


@dataclass(frozen=True)
class Download:
    """One file the lab offers: its button, its file, and how to make it when clicked."""

    label: str
    key: str  # the button's widget key
    file_name: str
    mime: str
    make: Callable[[], str | bytes]


def downloads(
    exp: Experiment,
    histories: Sequence[History],
    labels: Sequence[str],
    data: Dataset | None = None,
) -> list[Download]:
    """The curves, the config, each run's weights, then each run as a script (those the script
    can reproduce: script_notes says why not the others). Nothing is made until ``make()``.
    ``data``: the experiment's points, which a CSV experiment's scripts carry."""
    files = [
        Download(
            "Curves (CSV)",
            "download_curves",
            "nnviz-curves.csv",
            "text/csv",
            partial(histories_csv, histories, labels),
        ),
        Download(
            "Config (JSON)",
            "download_config",
            "nnviz-config.json",
            "application/json",
            partial(config_json, exp),
        ),
    ]
    files += [
        Download(
            f"Weights, run {i + 1} (.npz)",
            f"download_weights_{i}",
            f"{file_stem(i, label)}.npz",
            "application/octet-stream",
            partial(weights_npz, h),
        )
        for i, (h, label) in enumerate(zip(histories, labels))
    ]
    return files + script_downloads(exp, labels, data)


def script_downloads(
    exp: Experiment, labels: Sequence[str], data: Dataset | None
) -> list[Download]:
    """Download as Python: each run the script can reproduce, as run2-lambda-0.7.py."""
    names = [f"{file_stem(i, label)}.py" for i, label in enumerate(labels)]
    return [
        Download(
            f"Python, run {i + 1} (.py)",
            f"download_script_{i}",
            names[i],
            "text/x-python",
            partial(script, exp, i, data, names[i]),
        )
        for i, note in enumerate(script_notes(exp, data))
        if not note
    ]


def script_notes(exp: Experiment, data: Dataset | None = None) -> list[str]:
    """Per run, "" when its script can be downloaded, else one line saying why not."""
    notes = []
    for run in exp.runs:
        try:
            check_supported(exp, run)
            missing = exp.data.name == "csv" and data is None
            notes.append("its script needs the CSV's points" if missing else "")
        except ScriptError as e:
            notes.append(str(e))
    return notes
