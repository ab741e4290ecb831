"""What ``nnviz train`` and ``nnviz sweep`` share: their data, network and training options, the
checks that turn options into the frozen config, and the one-line error both report.

Every bad input is a UsageError: ``<prog>: error: <message>``, exit status 2, one line on stderr.
Each check takes the ``prog`` it speaks for, so ``nnviz sweep`` names itself in its errors.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import (
    GENERATORS,
    MAX_BYTES,
    DataError,
    Dataset,
    digest,
    parse_csv,
    split_points,
)
from nnviz.engine.features import FEATURES
from nnviz.engine.network import ACTIVATIONS, INITS
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.schedules import SCHEDULES
from nnviz.engine.train import load_data

PROG = "nnviz"
DATA, RUN, EXP = DataConfig(), RunConfig(), Experiment()  # the defaults of every option


class UsageError(Exception):
    """A bad input, reported as one line ``<prog>: error: <message>`` with exit status 2."""

    def __init__(self, prog: str, message: str):
        super().__init__(f"{prog}: error: {message}")
        self.prog, self.message = prog, message


Points = tuple[np.ndarray, np.ndarray]  # X (2, m), Y (1, m)


class CsvFiles(NamedTuple):
    """The bytes of --data and --test-data and their points; None when the option is not given."""

    data: bytes | None
    test: bytes | None
    data_points: Points | None = None
    test_points: Points | None = None


class Parser(argparse.ArgumentParser):
    """argparse, except that an error raises UsageError: one line, no usage text, no sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


# --- the options ---------------------------------------------------------------------------------

DEFAULT = " (default: %(default)s)"

# Each numeric option: (option, the config whose field gives its default, type, help).
# The option's dest (--keep-prob -> keep_prob) is the config field's name.
NUMBERS = {
    "data": [
        ("--samples", DATA, int, "train + test points"),
        ("--noise", DATA, float, "standard deviation of the jitter"),
        ("--test-fraction", DATA, float, "share held out for testing; 0 = no test set"),
        ("--seed", EXP, int, "one seed for data, weights, batches and dropout"),
    ],
    "training": [
        ("--lr", RUN, float, "learning rate alpha"),
        ("--beta1", RUN, float, "momentum / Adam first-moment decay"),
        ("--beta2", RUN, float, "RMSprop / Adam second-moment decay"),
        ("--epsilon", RUN, float, "keeps sqrt(s) + epsilon away from 0"),
        ("--lambd", RUN, float, "L2 strength lambda"),
        ("--l1", RUN, float, "L1 strength lambda1: J += (lambda1/m) sum|W|, weights only"),
        ("--keep-prob", RUN, float, "dropout keep probability; 1 = no dropout"),
        ("--batch-size", RUN, int, "mini-batch size; 0 = full batch"),
        ("--epochs", RUN, int, "full passes over the training set"),
        ("--decay-rate", RUN, float, "how fast --decay shrinks alpha"),
        ("--decay-interval", RUN, int, "scheduled decay: epochs between steps down"),
        ("--patience", RUN, int, "early stopping: epochs without a better test cost; 0 = off"),
        (
            "--bn-momentum",
            RUN,
            float,
            "batch norm: the new batch's weight in the running mean"
            " and variance (PyTorch's convention; Keras's momentum 0.99 is 0.01 here)",
        ),
        ("--bn-epsilon", RUN, float, "batch norm: epsilon in sqrt(var + epsilon) (Keras: 1e-3)"),
        ("--log-every", EXP, int, "record every N epochs; 0 = about 500 records"),
    ],
}


# options named otherwise than their config field (the field's name is the course's symbol)
RENAMED = {"lambd1": "--l1"}
DESTS = {option: field for field, option in RENAMED.items()}


def add_numbers(group: argparse._ArgumentGroup, table: list[tuple]) -> None:
    for option, config, kind, text in table:
        dest = DESTS.get(option, option[2:].replace("-", "_"))
        metavar = "N" if kind is int else "F"
        default = getattr(config, dest)
        group.add_argument(
            option, dest=dest, type=kind, metavar=metavar, default=default, help=text + DEFAULT
        )


def add_data_options(group: argparse._ArgumentGroup) -> None:
    source = group.add_mutually_exclusive_group()
    # no argparse default, so that --dataset next to --data is always seen as a conflict
    source.add_argument("--dataset", choices=list(GENERATORS), help=f"default: {DATA.name}")
    source.add_argument("--data", metavar="FILE.csv", help="your points: header x1,x2,label")
    group.add_argument(
        "--test-data", metavar="FILE.csv", help="separate test points; all of --data trains"
    )
    add_numbers(group, NUMBERS["data"])
    # no argparse default: for a CSV, K is read from its labels and --classes, if given, must agree
    group.add_argument(
        "--classes",
        type=int,
        metavar="K",
        help="classes: 2 = one sigmoid output, 3..6 = softmax (spiral, blobs); a CSV's labels "
        f"0..K-1 give K (default: {DATA.classes})",
    )


def add_network_options(group: argparse._ArgumentGroup) -> None:
    hidden = ",".join(map(str, RUN.hidden))
    group.add_argument(
        "--hidden", metavar="W,W", default=hidden, help="hidden widths; '' = none" + DEFAULT
    )
    group.add_argument(
        "--activation", choices=list(ACTIVATIONS), default=RUN.activation, help="hidden g" + DEFAULT
    )
    group.add_argument("--init", choices=list(INITS), default=RUN.init, help="initial W" + DEFAULT)
    group.add_argument("--init-from", metavar="FILE.npz", help="start from saved weights instead")
    group.add_argument(
        "--features",
        metavar="F,F",
        default=",".join(RUN.features),
        help=f"the network's inputs, any of {', '.join(FEATURES)} (x1^2 is x1 squared, sinx1 "
        "is sin x1); n[0] = their count" + DEFAULT,
    )


def add_training_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default=RUN.optimizer, help="update rule" + DEFAULT
    )
    group.add_argument(
        "--decay",
        choices=list(SCHEDULES),
        default=RUN.decay,
        help="learning-rate decay after each epoch" + DEFAULT,
    )
    add_numbers(group, NUMBERS["training"])
    group.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        help="mini-batches in the data's order every epoch (default: a new order each epoch)",
    )
    group.add_argument(
        "--batch-norm",
        action="store_true",
        help="normalize every hidden layer's Z over the mini-batch, then gamma Z_norm + beta"
        " (default: off)",
    )


# --- validate ------------------------------------------------------------------------------------


def parse_hidden(text: str) -> tuple[int, ...]:
    """'20,3' -> (20, 3); '' -> () (no hidden layer: logistic regression)."""
    if not text.strip():
        return ()
    try:
        return tuple(int(width) for width in text.split(","))
    except ValueError:
        raise ValueError(
            f"hidden must be comma-separated whole numbers like 20,3 (or '' for none), got {text!r}"
        ) from None


def experiment_from(args: argparse.Namespace, files: CsvFiles, prog: str) -> Experiment:
    """The frozen config the options describe. Its ValueError becomes a UsageError."""
    try:
        run = RunConfig(
            hidden=parse_hidden(args.hidden),
            **{f.name: getattr(args, f.name) for f in fields(RunConfig) if f.name != "hidden"},
        )
        data = data_config(args, files)
        return Experiment(data=data, runs=(run,), seed=args.seed, log_every=args.log_every)
    except ValueError as e:
        raise UsageError(prog, option_names(str(e))) from None


def data_config(args: argparse.Namespace, files: CsvFiles) -> DataConfig:
    if files.data is None:
        name = args.dataset or DATA.name
        classes = DATA.classes if args.classes is None else args.classes
        return DataConfig(name, args.samples, args.noise, args.test_fraction, classes=classes)
    return csv_config(args, files, args.test_fraction)


def csv_config(args: argparse.Namespace, files: CsvFiles, test_fraction: float) -> DataConfig:
    """A CSV experiment's data as the file is: its rows as the samples, no noise added, and the
    files' names and digest as the source (the config changes when they do)."""
    names = "+".join(Path(p).name for p in (args.data, args.test_data) if p)
    source = f"{names}@{digest(files.data, files.test)}"
    rows = files.data_points[0].shape[1]
    K = int(files.data_points[1].max()) + 1  # parse_csv saw every label 0..K-1
    if args.classes is not None and args.classes != K:
        raise ValueError(f"classes {args.classes} does not match the data's labels 0..{K - 1}")
    return DataConfig("csv", rows, 0.0, test_fraction, source, classes=K)


FIELDS = {f.name for cls in (DataConfig, RunConfig, Experiment) for f in fields(cls)}


def option_names(message: str) -> str:
    """'keep_prob must be in (0, 1], got 0' -> '--keep-prob must be in (0, 1], got 0'."""
    first, _, rest = message.partition(" ")
    if first in FIELDS:
        return f"{RENAMED.get(first, '--' + first.replace('_', '-'))} {rest}"
    return message


# --- load data -----------------------------------------------------------------------------------


def read_csv_files(args: argparse.Namespace, prog: str) -> CsvFiles:
    """The bytes of --data and --test-data (at most one byte over the size limit), parsed once."""
    if args.test_data and not args.data:
        raise UsageError(prog, f"--test-data {args.test_data} needs --data (the training points)")
    data = read_file(args.data, "--data", prog) if args.data else None
    test = read_file(args.test_data, "--test-data", prog) if args.test_data else None
    return CsvFiles(
        data, test, parsed(data, "data file", args, prog), parsed(test, "test file", args, prog)
    )


def parsed(content: bytes | None, label: str, args: argparse.Namespace, prog: str) -> Points | None:
    """The points of a file's content, or None for no file; a bad file is a UsageError."""
    if content is None:
        return None
    try:
        return parse_csv(content, label)
    except DataError as e:
        raise UsageError(prog, csv_message(str(e), args)) from None


def read_file(path: str, option: str, prog: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)  # parse_csv reports a file over the limit
    except OSError as e:
        raise UsageError(prog, f"{option} cannot read {path}: {e.strerror or e}") from None


def dataset_for(exp: Experiment, args: argparse.Namespace, files: CsvFiles, prog: str) -> Dataset:
    """Generated points, or the user's CSV split by --test-fraction (or --test-data)."""
    if files.data_points is None:
        return load_data(exp)
    try:
        return split_points(*files.data_points, exp.data.test_fraction, exp.seed, files.test_points)
    except DataError as e:
        raise UsageError(prog, csv_message(str(e), args)) from None


def csv_message(message: str, args: argparse.Namespace) -> str:
    """'data file line 3: ...' -> '--data points.csv line 3: ...': the option and the file."""
    for label, option, path in (
        ("data file", "--data", args.data),
        ("test file", "--test-data", args.test_data),
        ("test share", "--test-fraction", None),
    ):
        if message.startswith(label):
            return f"{option} {path or ''}".rstrip() + message[len(label) :]
    return message
