"""What ``nnviz train`` prints: the JSON record of a run, or a few readable summary lines."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset
from nnviz.engine.features import PLANE
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.schedules import SCHEDULES
from nnviz.engine.train import History
from nnviz.models.metrics import early_words


def result_dict(exp: Experiment, h: History, args: argparse.Namespace) -> dict[str, Any]:
    """The JSON record: config, the aligned curves (epoch 0 first), final values, divergence."""
    files = {"data_file": args.data, "test_data_file": args.test_data, "init_from": args.init_from}
    return {
        "config": {**exp.to_dict(), **files},
        "epochs": [int(e) for e in h.epochs],
        "train_cost": json_numbers(h.train_cost),
        "test_cost": json_numbers(h.test_cost),
        "train_accuracy": json_numbers(h.train_accuracy),
        "test_accuracy": json_numbers(h.test_accuracy),
        "lr": json_numbers(h.lr),  # α in effect at each recorded epoch (after --decay)
        "final": {k: json_number(v) for k, v in h.final.items()},
        # K ≥ 3: each class's accuracy at each recorded epoch, [[class 0, class 1, ...], ...]
        **class_curves(h),
        "diverged": h.diverged_at is not None,
        "diverged_at": None if h.diverged_at is None else int(h.diverged_at),
        "stopped_at": h.stopped_at,  # early stopping (--patience): stopped after this epoch
        "best_epoch": h.best_epoch,  # and kept this epoch's weights, whose numbers are "final"
        "seconds": h.seconds,
    }


def class_curves(h: History) -> dict[str, Any]:
    """The per-class accuracy curves of a K-class run; nothing for a binary one."""
    if not h.train_class_accuracy.size:
        return {}
    return {
        name: [json_numbers(row) for row in getattr(h, name)]
        for name in ("train_class_accuracy", "test_class_accuracy")
    }


def json_number(x: float | None) -> float | None:
    """JSON has no NaN or infinity: such a value (never recorded by train) becomes null."""
    return float(x) if x is not None and math.isfinite(x) else None


def json_numbers(a: Sequence[float]) -> list[float | None]:
    return [json_number(float(x)) for x in a]


def summary(exp: Experiment, h: History, data: Dataset, args: argparse.Namespace) -> str:
    """A few readable lines: data, network, optimizer, final values, divergence, time."""
    run, final = exp.runs[0], h.final
    files = " + ".join(shown(p) for p in (args.data, args.test_data) if p)
    source = files or f"{exp.data.name} (noise {exp.data.noise})"
    source += f", {exp.data.classes} classes" if exp.data.classes > 2 else ""
    n_train, n_test = data.X_train.shape[1], data.X_test.shape[1]
    start = f"weights from {shown(args.init_from)}" if args.init_from else f"{run.init} init"
    lines = [
        f"data       {source}, seed {exp.seed}: {n_train} training, {n_test} test points",
        f"network    {'-'.join(map(str, run.dims_for(exp.data.classes)))}{_inputs(run)}, "
        f"{output_words(exp)}, {run.activation}, {start}",
        f"training   {training_line(run)}",
        f"train      {_final_values(final['train_cost'], final['train_accuracy'])}",
    ]
    if data.has_test:
        lines.append(f"test       {_final_values(final['test_cost'], final['test_accuracy'])}")
    diverged = "no" if h.diverged_at is None else f"yes, at epoch {h.diverged_at}"
    lines.append(f"diverged   {diverged}")
    if run.patience:
        lines.append(f"early stop {early_words(h)}")
    lines.append(f"time       {h.seconds:.2f} s")
    if args.save:
        lines.append(f"saved      {shown(args.save)}")
    return "\n".join(lines)


def output_words(exp: Experiment) -> str:
    """How the network's last layer reads its units: one sigmoid, or a softmax over K."""
    K = exp.data.classes
    return "sigmoid output" if K == 2 else f"softmax over {K} classes"


def _final_values(cost: float | None, accuracy: float | None) -> str:
    if cost is None or accuracy is None:  # diverged before the first record
        return "no finite values"
    return f"cost {cost:.4g}, accuracy {accuracy:.1%}"


def training_line(run: RunConfig) -> str:
    """The optimizer with only the hyperparameters its rule reads, then the rest of training."""
    uses = OPTIMIZERS[run.optimizer].uses
    used = [f"{k} {getattr(run, k):g}" for k in ("lr", "beta1", "beta2", "epsilon") if k in uses]
    batch = "full batch" if run.batch_size == 0 else f"batch {run.batch_size}"
    l1 = f", l1 {run.lambd1:g}" if run.lambd1 else ""
    rest = f"lambd {run.lambd:g}{l1}, keep-prob {run.keep_prob:g}, {batch}, {run.epochs} epochs"
    rest += f", patience {run.patience}" if run.patience else ""
    return f"{run.optimizer} ({', '.join(used)}{_decay_words(run)}), {rest}"


def _inputs(run: RunConfig) -> str:
    """' (inputs x1^2, x2^2)' when the run's input features are not the plain x1, x2."""
    return "" if run.features == PLANE else f" (inputs {', '.join(run.features)})"


def _decay_words(run: RunConfig) -> str:
    """', inverse decay rate 1' or ', scheduled decay rate 1 every 1000 epochs'; '' if constant."""
    uses = SCHEDULES[run.decay].uses
    words = f", {run.decay} decay" if run.decay != "constant" else ""
    words += f" rate {run.decay_rate:g}" if "decay_rate" in uses else ""
    return words + (f" every {run.decay_interval} epochs" if "decay_interval" in uses else "")


def shown(path: str) -> str:
    """A file name printable on any UTF-8 terminal (argv may hold undecodable bytes)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")
