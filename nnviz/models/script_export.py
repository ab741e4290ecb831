"""A run as a standalone Python script, "Download as Python" (docs/design.md §4b).

``script(exp, i, data)`` writes run i of an experiment as a script that needs only NumPy (and
scikit-learn for its generated data sets), in the course's function names, with the run's settings
as constants at the top. It reproduces the run exactly: the same points, the same initial weights
(stream [seed, 1]), the same batch order ([seed, 2]) and dropout masks ([seed, 3]), the same
updates; it prints the final training cost, and the test cost and accuracies, with every digit.

Only the functions the run needs are written (nnviz/models/script_template.py holds them). A
setting the script cannot reproduce yet is refused with one line (ScriptError): a RunConfig,
DataConfig or Experiment field this module does not know, at a value other than its default, or
a name (activation, init, optimizer, decay, data set) it has no code for. To teach it a new
setting: add the field to HANDLED_RUN (or _DATA), its code to the template, its flag to ``flags``.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from string import Template

import numpy as np

from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset, split_counts
from nnviz.engine.features import PLANE, labels
from nnviz.models import script_template as T


class ScriptError(ValueError):
    """The run uses a setting the exported script cannot reproduce; the message says which."""


# the fields whose every value the script reproduces
HANDLED_EXPERIMENT = {"data", "runs", "seed", "log_every"}  # log_every only thins the curves
HANDLED_DATA = {"name", "samples", "noise", "test_fraction", "source", "classes"}
HANDLED_RUN = {
    "hidden",
    "activation",
    "init",
    "optimizer",
    "lr",
    "beta1",
    "beta2",
    "epsilon",
    "lambd",
    "lambd1",
    "keep_prob",
    "batch_size",
    "shuffle",
    "epochs",
    "decay",
    "decay_rate",
    "decay_interval",
    "patience",
    "features",
    "batch_norm",
    "bn_momentum",
    "bn_epsilon",
}

# init -> (the factor of the N(0, 1) draw, the formula in the docstring)
INIT_SCALES = {
    "zeros": ("0.0", "W[l] = 0"),
    "random": ("10.0", "W[l] ~ N(0, 1) · 10: too large, the course's bad example"),
    "xavier": ("np.sqrt(1.0 / n_prev)", "W[l] ~ N(0, 1) · √(1 / n[l-1]) (Xavier)"),
    "he": ("np.sqrt(2.0 / n_prev)", "W[l] ~ N(0, 1) · √(2 / n[l-1]) (He et al., 2015)"),
    "small": ("0.01", "W[l] ~ N(0, 1) · 0.01: too small for a deep network"),
}


def script(exp: Experiment, i: int, data: Dataset | None = None, file_name: str = "") -> str:
    """Run i (0-based) of ``exp`` as a script. ``data``: the experiment's points, needed for a
    csv experiment (they are written into the script); ignored for a generated data set."""
    run = exp.runs[i]
    check_supported(exp, run)
    if exp.data.name == "csv" and data is None:
        raise ScriptError("a CSV experiment's script needs its points: pass the Dataset")
    m_train = data.X_train.shape[1] if exp.data.name == "csv" else _counts(exp)[0]
    on = flags(exp, run, m_train, data)
    fill = _names(exp, i, run, on, file_name or f"nnviz-run{i + 1}.py", data)
    parts = [T.HEADER, *_data_parts(exp, on), *_network_parts(run, on), *_training_parts(run, on)]
    parts += [T.MODEL, T.MAIN]
    if exp.data.name == "csv":
        parts.append(T.EMBEDDED_POINTS)
    parts.append(T.FOOTER)
    return fit("".join(_render(p, on, fill) for p in parts))


def check_supported(exp: Experiment, run: RunConfig) -> None:
    """ScriptError, one line, for the first setting the script cannot reproduce."""
    for config, handled in (
        (exp, HANDLED_EXPERIMENT),
        (exp.data, HANDLED_DATA),
        (run, HANDLED_RUN),
    ):
        for f in fields(config):
            if f.name not in handled:
                value, default = getattr(config, f.name), _default(f)
                if value != default:
                    raise ScriptError(
                        f"the Python export cannot reproduce {f.name} = {value!r} yet "
                        f"(only {default!r})"
                    )
    names = (
        ("activation", run.activation, T.ACTIVATION),
        ("init", run.init, INIT_SCALES),
        ("optimizer", run.optimizer, T.OPTIMIZER),
        ("decay", run.decay, {"constant": "", **T.DECAY}),
        ("dataset", exp.data.name, {"csv": "", **_generators(exp)}),
    )
    names += tuple(("feature", name, T.FEATURE_ROWS) for name in run.features)
    for name, value, table in names:
        if value not in table:
            raise ScriptError(f"the Python export cannot reproduce {name} = {value!r} yet")
    K = exp.data.classes
    dims = run.dims_for(K)
    if dims != (len(run.features), *run.hidden, 1 if K == 2 else K):
        raise ScriptError(f"the Python export cannot reproduce layers {dims} yet")


def _generators(exp: Experiment) -> dict[str, str]:
    """The make_points of each data set, for two classes or for K ≥ 3."""
    return T.MAKE_POINTS if exp.data.classes == 2 else T.MAKE_POINTS_K


def _default(f) -> object:
    return f.default if f.default is not MISSING else f.default_factory()


def _counts(exp: Experiment) -> tuple[int, int]:
    return split_counts(exp.data.samples, exp.data.test_fraction)


def flags(exp: Experiment, run: RunConfig, m_train: int, data: Dataset | None) -> dict[str, bool]:
    """The template's line tags: which settings this run uses (script_template.py)."""
    full = run.batch_width(m_train) >= m_train  # nnviz draws no permutation for the full batch
    has_test = data.has_test if exp.data.name == "csv" else _counts(exp)[1] > 0
    on = {
        "fullbatch": full,
        "shuffle": not full and run.shuffle,
        "ordered": not full and not run.shuffle,
        "dropout": run.keep_prob < 1,
        "l2": run.lambd > 0,
        "l1": run.lambd1 > 0,
        "features": run.features != PLANE,
        "features_test": run.features != PLANE and bool(has_test),
        "bn": run.batch_norm,
        "trainbn": run.batch_norm,  # FORWARD's training copy; its evaluation copy: evalbn
        "evalbn": False,
        "test": bool(has_test),
        "decay": run.decay != "constant",
        "early": run.patience > 0 and bool(has_test),  # nnviz ignores patience without a test set
        "zeros": run.init == "zeros",
        "sklearn": exp.data.name in ("moons", "circles", "blobs", "mislabeled"),
        "softmax": exp.data.classes > 2,
        "softmax_test": exp.data.classes > 2 and bool(has_test),
    }
    on |= {name: name == run.optimizer for name in T.OPTIMIZER}
    return on | {name: name == run.decay for name in T.DECAY}


def _data_parts(exp: Experiment, on: dict[str, bool]) -> list[str]:
    parts = [T.LOAD_EMBEDDED] if exp.data.name == "csv" else []
    parts += [T.LOAD_GENERATED, _generators(exp)[exp.data.name]] if not parts else []
    return parts + ([T.ONE_HOT] if on["softmax"] else [])


def _network_parts(run: RunConfig, on: dict[str, bool]) -> list[str]:
    parts = [T.FEATURES] if on["features"] else []
    parts.append(T.INITIALIZE)
    # σ: the binary output's, and the hidden layers' g when it is the sigmoid
    parts += [T.SOFTMAX] if on["softmax"] else []
    parts += [T.SIGMOID] if not on["softmax"] or run.activation == "sigmoid" else []
    parts.append(T.ACTIVATION[run.activation])
    parts += [T.BATCHNORM] if on["bn"] else []
    # with dropout or batch norm the forward pass is written twice: the costs are measured
    # without dropout, and with batch norm's running averages in place of a batch's statistics
    if on["dropout"] or on["bn"]:
        evaluation = on | {"dropout": False, "trainbn": False, "evalbn": on["bn"]}
        parts.append(Template(_keep(T.FORWARD, evaluation)).safe_substitute(_EVAL_FORWARD))
    parts += [T.FORWARD, T.COST_SOFTMAX if on["softmax"] else T.COST]
    parts += [T.COST_L2] if on["l2"] else []
    return parts + ([T.COST_L1] if on["l1"] else []) + [T.BACKWARD]


def _training_parts(run: RunConfig, on: dict[str, bool]) -> list[str]:
    parts = [] if on["fullbatch"] else [T.MINI_BATCHES]
    parts.append(T.OPTIMIZER[run.optimizer])
    return parts + ([T.DECAY[run.decay]] if on["decay"] else [])


def _backward_name(on: dict[str, bool]) -> str:
    """The course's names: backward_propagation_with_regularization, ..._with_dropout."""
    words = (("dropout", on["dropout"]), ("regularization", on["l2"]), ("l1", on["l1"]))
    return _with("backward_propagation", [w for w, used in words if used])


_EVAL_FORWARD = {"forward": "forward_propagation", "forward_args": ""}


def _forward(on: dict[str, bool]) -> dict[str, str]:
    """The training forward pass: forward_propagation, ..._with_dropout, ..._with_batchnorm."""
    words = [w for w, used in (("dropout", on["dropout"]), ("batchnorm", on["bn"])) if used]
    name = _with("forward_propagation", words)
    args, call = (", keep_prob, rng", ", KEEP_PROB, dropout_rng") if on["dropout"] else ("", "")
    return {
        "forward": name,
        "forward_args": args,
        "train_forward": name,
        "train_forward_call": call,
    }


def _parameters(on: dict[str, bool]) -> dict[str, str]:
    """The parameters' names, as the optimizers, the copies and the finite test go over them."""
    pairs = [("W", "dW"), ("b", "db")] + (
        [("gamma", "dgamma"), ("beta", "dbeta")] if on["bn"] else []
    )
    kept = [p for p, _d in pairs] + (["running_mean", "running_var"] if on["bn"] else [])
    return {
        "pairs": repr(tuple(pairs)),
        "kept": repr(tuple(kept)),
        "thetas": "W[l], b[l], γ[l] and β[l]" if on["bn"] else "W[l] and b[l]",
        "grads": "dW[l], db[l], dγ[l] and dβ[l]" if on["bn"] else "dW[l] and db[l]",
    }


def _cost_name(on: dict[str, bool]) -> tuple[str, str]:
    """The training cost's function (compute_cost_with_regularization for L2, ..._with_l1 for
    L1, ..._with_l1_and_l2 for both) and the constants its call passes after (ZL, Y)."""
    if on["l1"]:
        words, call = (["l1", "l2"], ", LAMBD1, LAMBD") if on["l2"] else (["l1"], ", LAMBD1")
        return _with("compute_cost", words), ", parameters" + call
    if on["l2"]:
        return "compute_cost_with_regularization", ", parameters, LAMBD"
    return "compute_cost", ""


def _with(name: str, words: list[str]) -> str:
    return name + ("_with_" + "_and_".join(words) if words else "")


def _names(
    exp: Experiment, i: int, run: RunConfig, on: dict, file_name: str, data: Dataset | None
) -> dict[str, str]:
    """What the template's $names stand for."""
    uses = (("lambd", on["l2"]), ("lambd1", on["l1"]), ("keep_prob", on["dropout"]))
    args = [a for a, used in uses if used]
    scale, formula = INIT_SCALES[run.init]
    cost, cost_call = _cost_name(on)
    fill = {
        "title": f"nnviz run {i + 1} of {len(exp.runs)}: {describe(exp, run)}",
        "file_name": file_name,
        "needs": ", scikit-learn" if on["sklearn"] else "",
        "constants": constants(exp, run, on),
        "init": run.init,
        "scale": scale,
        "formula": formula,
        "g": run.activation,
        "output": "softmax" if on["softmax"] else "sigmoid",
        "labels_of": f"0..{exp.data.classes - 1}" if on["softmax"] else "0/1",
        "g_backward": f"{run.activation}_backward",
        "backward": _backward_name(on),
        "backward_args": "".join(f", {a}" for a in args),
        "backward_call": "".join(f", {a.upper()}" for a in args),
        "cost": cost,
        "cost_call": cost_call,
        "labels": ", ".join(labels(run.features)),
        "rows": ", ".join(T.FEATURE_ROWS[name] for name in run.features),
    }
    fill |= _forward(on) | _parameters(on)
    if exp.data.name == "csv":
        fill |= _points(data)
    return fill


def describe(exp: Experiment, run: RunConfig) -> str:
    """One line: the data set, the network and the optimizer."""
    layers = "-".join(str(n) for n in run.dims_for(exp.data.classes))
    data = exp.data.name + (f" with {exp.data.classes} classes" if exp.data.classes > 2 else "")
    return f"{data}, a {layers} {run.activation} network, {run.optimizer}"


def constants(exp: Experiment, run: RunConfig, on: dict[str, bool]) -> str:
    """The settings the script reads, one a line, each with what it means."""
    rows = [("SEED", exp.seed, "every random stream derives from it")]
    rows += _data_constants(exp)
    rows += [("CLASSES", exp.data.classes, "K: the labels 0..K-1")] if on["softmax"] else []
    rows += [
        ("LAYERS_DIMS", list(run.dims_for(exp.data.classes)), _dims_note(on)),
        ("NUM_EPOCHS", run.epochs, "passes over the training set"),
        ("LEARNING_RATE", float(run.lr), "α (α₀ when it decays)"),
    ]
    used = {
        "BETA1": (on["momentum"] or on["adam"], float(run.beta1), "β₁: the first moment's decay"),
        "BETA2": (on["rmsprop"] or on["adam"], float(run.beta2), "β₂: the second moment's decay"),
        "EPSILON": (on["rmsprop"] or on["adam"], float(run.epsilon), "ε: keeps √s + ε from 0"),
        "LAMBD": (on["l2"], float(run.lambd), "λ: the L2 strength"),
        "LAMBD1": (on["l1"], float(run.lambd1), "λ₁: the L1 strength"),
        "KEEP_PROB": (on["dropout"], float(run.keep_prob), "the share of hidden units kept"),
        "MINI_BATCH_SIZE": (not on["fullbatch"], run.batch_size, "columns per update"),
        "DECAY_RATE": (on["decay"], float(run.decay_rate), f"α's {run.decay} decay"),
        "TIME_INTERVAL": (on["scheduled"], run.decay_interval, "epochs between steps of α"),
        "PATIENCE": (on["early"], run.patience, "early stopping: epochs to wait for a better J"),
        "BN_MOMENTUM": (
            on["bn"],
            float(run.bn_momentum),
            "ρ: the new batch's weight in μ_run, σ²_run",
        ),
        "BN_EPSILON": (on["bn"], float(run.bn_epsilon), "ε in √(σ² + ε) of batch norm"),
    }
    rows += [(name, value, why) for name, (use, value, why) in used.items() if use]
    rows.append(("PRINT_EVERY", max(1, run.epochs // 10), "epochs between progress lines"))
    return "\n".join(f"{name} = {value!r}  # {why}" for name, value, why in rows)


def _dims_note(on: dict[str, bool]) -> str:
    output = "n[L] = K softmax outputs" if on["softmax"] else "n[L] = 1 output"
    return f"n[0] inputs, the hidden widths, {output}"


def _data_constants(exp: Experiment) -> list[tuple[str, object, str]]:
    if exp.data.name == "csv":
        return []
    n_train, n_test = _counts(exp)
    return [
        ("TRAIN_SAMPLES", n_train, f"{exp.data.name} training points"),
        ("TEST_SAMPLES", n_test, "test points, 0: no test set"),
        ("NOISE", float(exp.data.noise), "the jitter of the points"),
    ]


def _points(data: Dataset) -> dict[str, str]:
    """The points as list literals; repr keeps every float exact."""
    return {
        "train_X": _literal(data.X_train),
        "train_Y": _literal(data.Y_train.astype(int)),
        "test_X": _literal(data.X_test),
        "test_Y": _literal(data.Y_test.astype(int)),
    }


def _literal(a: np.ndarray) -> str:
    """A 2-D array as a nested list literal, a few numbers a line."""
    rows = (_wrap([repr(v) for v in row.tolist()]) for row in a)
    return "[\n    [" + "],\n    [".join(rows) + "],\n]"


def _wrap(items: list[str], width: int = 90) -> str:
    """Items joined by commas, broken into lines of about ``width`` characters."""
    lines, line = [], []
    for item in items:
        if line and sum(len(x) + 2 for x in line) + len(item) > width:
            lines.append(", ".join(line))
            line = []
        line.append(item)
    return ",\n     ".join([*lines, ", ".join(line)])


def fit(text: str, width: int = 100) -> str:
    """Each line longer than ``width`` that is a call or a def broken as ruff format breaks it:
    its arguments on a line of their own, one level deeper."""
    out = []
    for line in text.splitlines():
        start, end = line.find("("), line.rfind(")")
        if len(line) <= width or start < 0 or end < start:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out += [line[: start + 1], indent + "    " + line[start + 1 : end], indent + line[end:]]
    return "\n".join(out) + "\n"


_TAG = re.compile(r"\s*#\?(!?)(\w+)$")


def _render(piece: str, on: dict[str, bool], fill: dict[str, str]) -> str:
    """The lines of ``piece`` whose tags hold, tags removed, $names filled in."""
    return Template(_keep(piece, on)).substitute(fill)


def _keep(piece: str, on: dict[str, bool]) -> str:
    """The lines of ``piece`` whose tags hold, without their tags."""
    kept = []
    for line in piece.splitlines(keepends=True):
        tag = _TAG.search(line.rstrip("\n"))
        if tag is None:
            kept.append(line)
        elif on[tag.group(2)] != bool(tag.group(1)):
            kept.append(_TAG.sub("", line.rstrip("\n")) + "\n")
    return "".join(kept)
