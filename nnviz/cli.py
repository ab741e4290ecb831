"""The command line: train one network and print what happened, as JSON or as a short summary.

    python -m nnviz train --dataset circles --hidden 10,5 --init he --optimizer gd --lr 0.01 --json
    python -m nnviz train --data points.csv --test-data held_out.csv --save weights.npz
    python -m nnviz train --config nnviz-config.json --epochs 100   # the lab's experiment
    python -m nnviz bench ...            # the engine's speed tables (nnviz/bench/engine.py)

``train`` reads as its phases: parse -> validate (the config dataclasses do it, and their messages
are reused with field names turned into option names) -> load data -> train -> save -> print.
Every bad input ends with exit status 2 and ONE line on stderr naming the option and the value.
A run that diverges is a result, not an error: exit 0 and ``"diverged": true``.

``--config FILE.json`` (the lab's "Config (JSON)" download, or this command's --json output)
trains every run of that experiment (nnviz/cli_config.py); an option written next to it overrides
that setting in every run (``--run N`` keeps only run N). --json then prints one line per run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np

from nnviz.cli_output import result_dict, summary
from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import GENERATORS, MAX_BYTES, DataError, Dataset, digest, from_csv
from nnviz.engine.network import ACTIVATIONS, INITS, Layout
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.schedules import SCHEDULES
from nnviz.engine.train import load_data, train
from nnviz.engine.weights import WeightsError, load_npz, save_npz

PROG = "nnviz"
TRAIN = f"{PROG} train"
_DATA, _RUN, _EXP = DataConfig(), RunConfig(), Experiment()  # the defaults of every option


class UsageError(Exception):
    """A bad input, reported as one line ``<prog>: error: <message>`` with exit status 2."""

    def __init__(self, prog: str, message: str):
        super().__init__(f"{prog}: error: {message}")


class CsvFiles(NamedTuple):
    """The bytes of --data and --test-data; None when the option is not given."""

    data: bytes | None
    test: bytes | None


# --- parse ----------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, except that an error raises UsageError: one line, no usage text, no sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    """``nnviz {train,bench}``; the choices come from the registries, the defaults from config."""
    parser = _Parser(prog=PROG, description="nnviz: regularization, optimizers, initialization.")
    commands = parser.add_subparsers(dest="command", metavar="command")
    train_parser = commands.add_parser(
        "train",
        help="train one network; print a summary or --json",
        description="Train one network (or the runs of a --config file) on a toy data set or "
        "your CSV; print a summary or JSON.",
        allow_abbrev=False,
    )
    _add_config_options(train_parser.add_argument_group("experiment file"))
    _add_data_options(train_parser.add_argument_group("data"))
    _add_network_options(train_parser.add_argument_group("network"))
    _add_training_options(train_parser.add_argument_group("training"))
    out = train_parser.add_argument_group("output")
    out.add_argument("--save", metavar="FILE.npz", help="write the final W1, b1, ..., WL, bL")
    out.add_argument(
        "--json", action="store_true", help="print JSON instead: one object (a line) per run"
    )
    commands.add_parser("bench", help="speed tables (nnviz/bench/engine.py; its options follow)")
    commands.add_parser("sweep", help="train a grid of runs varying one or two settings (--help)")
    return parser


_DEFAULT = " (default: %(default)s)"

# Each numeric option: (option, the config whose field gives its default, type, help).
# The option's dest (--keep-prob -> keep_prob) is the config field's name.
_NUMBERS = {
    "data": [
        ("--samples", _DATA, int, "train + test points"),
        ("--noise", _DATA, float, "standard deviation of the jitter"),
        ("--test-fraction", _DATA, float, "share held out for testing; 0 = no test set"),
        ("--seed", _EXP, int, "one seed for data, weights, batches and dropout"),
    ],
    "training": [
        ("--lr", _RUN, float, "learning rate alpha"),
        ("--beta1", _RUN, float, "momentum / Adam first-moment decay"),
        ("--beta2", _RUN, float, "RMSprop / Adam second-moment decay"),
        ("--epsilon", _RUN, float, "keeps sqrt(s) + epsilon away from 0"),
        ("--lambd", _RUN, float, "L2 strength lambda"),
        ("--keep-prob", _RUN, float, "dropout keep probability; 1 = no dropout"),
        ("--batch-size", _RUN, int, "mini-batch size; 0 = full batch"),
        ("--epochs", _RUN, int, "full passes over the training set"),
        ("--decay-rate", _RUN, float, "how fast --decay shrinks alpha"),
        ("--decay-interval", _RUN, int, "scheduled decay: epochs between steps down"),
        ("--log-every", _EXP, int, "record every N epochs; 0 = about 500 records"),
    ],
}


def _add_numbers(group: argparse._ArgumentGroup, table: list[tuple]) -> None:
    for option, config, kind, text in table:
        default = getattr(config, option[2:].replace("-", "_"))
        metavar = "N" if kind is int else "F"
        group.add_argument(
            option, type=kind, metavar=metavar, default=default, help=text + _DEFAULT
        )


def _add_config_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--config",
        metavar="FILE.json",
        help="train the runs of a config JSON (the lab's download, or --json output); options "
        "given as well override that setting in every run",
    )
    group.add_argument("--run", type=int, metavar="N", help="with --config: only run N (1 = first)")


def _add_data_options(group: argparse._ArgumentGroup) -> None:
    source = group.add_mutually_exclusive_group()
    # no argparse default, so that --dataset next to --data is always seen as a conflict
    source.add_argument("--dataset", choices=list(GENERATORS), help=f"default: {_DATA.name}")
    source.add_argument("--data", metavar="FILE.csv", help="your points: header x1,x2,label")
    group.add_argument(
        "--test-data", metavar="FILE.csv", help="separate test points; all of --data trains"
    )
    _add_numbers(group, _NUMBERS["data"])


def _add_network_options(group: argparse._ArgumentGroup) -> None:
    hidden = ",".join(map(str, _RUN.hidden))
    group.add_argument(
        "--hidden", metavar="W,W", default=hidden, help="hidden widths; '' = none" + _DEFAULT
    )
    group.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        default=_RUN.activation,
        help="hidden g" + _DEFAULT,
    )
    group.add_argument(
        "--init", choices=list(INITS), default=_RUN.init, help="initial W" + _DEFAULT
    )
    group.add_argument("--init-from", metavar="FILE.npz", help="start from saved weights instead")


def _add_training_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default=_RUN.optimizer,
        help="update rule" + _DEFAULT,
    )
    group.add_argument(
        "--decay",
        choices=list(SCHEDULES),
        default=_RUN.decay,
        help="learning-rate decay after each epoch" + _DEFAULT,
    )
    _add_numbers(group, _NUMBERS["training"])
    group.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        help="mini-batches in the data's order every epoch (default: a new order each epoch)",
    )


# --- validate ----------------------------------------------------------------------------------


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


def experiment_from(args: argparse.Namespace, files: CsvFiles) -> Experiment:
    """The frozen config the options describe. Its ValueError becomes a UsageError."""
    try:
        run = RunConfig(
            hidden=parse_hidden(args.hidden),
            **{f.name: getattr(args, f.name) for f in fields(RunConfig) if f.name != "hidden"},
        )
        data = _data_config(args, files)
        return Experiment(data=data, runs=(run,), seed=args.seed, log_every=args.log_every)
    except ValueError as e:
        raise UsageError(TRAIN, _option_names(str(e))) from None


def _data_config(args: argparse.Namespace, files: CsvFiles) -> DataConfig:
    if files.data is None:
        name = args.dataset or _DATA.name
        return DataConfig(name, args.samples, args.noise, args.test_fraction)
    return _csv_config(args, files, args.test_fraction)


def _csv_config(args: argparse.Namespace, files: CsvFiles, test_fraction: float) -> DataConfig:
    names = "+".join(Path(p).name for p in (args.data, args.test_data) if p)
    source = f"{names}@{digest(files.data, files.test)}"  # the config changes when the file does
    return DataConfig("csv", test_fraction=test_fraction, source=source)


_FIELDS = {f.name for cls in (DataConfig, RunConfig, Experiment) for f in fields(cls)}


def _option_names(message: str) -> str:
    """'keep_prob must be in (0, 1], got 0' -> '--keep-prob must be in (0, 1], got 0'."""
    first, _, rest = message.partition(" ")
    if first in _FIELDS:
        return f"--{first.replace('_', '-')} {rest}"
    return message


# --- load data and weights -----------------------------------------------------------------------


def read_csv_files(args: argparse.Namespace) -> CsvFiles:
    """The raw bytes of --data and --test-data (at most one byte over the size limit)."""
    if args.test_data and not args.data:
        raise UsageError(TRAIN, f"--test-data {args.test_data} needs --data (the training points)")
    return CsvFiles(
        _read(args.data, "--data") if args.data else None,
        _read(args.test_data, "--test-data") if args.test_data else None,
    )


def _read(path: str, option: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)  # parse_csv reports a file over the limit
    except OSError as e:
        raise UsageError(TRAIN, f"{option} cannot read {path}: {e.strerror or e}") from None


def dataset_for(exp: Experiment, args: argparse.Namespace, files: CsvFiles) -> Dataset:
    """Generated points, or the user's CSV split by --test-fraction (or --test-data)."""
    if files.data is None:
        return load_data(exp)
    try:
        return from_csv(files.data, exp.data.test_fraction, exp.seed, files.test)
    except DataError as e:
        raise UsageError(TRAIN, _csv_message(str(e), args)) from None


def _csv_message(message: str, args: argparse.Namespace) -> str:
    """'data file line 3: ...' -> '--data points.csv line 3: ...': the option and the file."""
    for label, option, path in (
        ("data file", "--data", args.data),
        ("test file", "--test-data", args.test_data),
        ("test share", "--test-fraction", None),
    ):
        if message.startswith(label):
            return f"{option} {path or ''}".rstrip() + message[len(label) :]
    return message


def initial_weights(path: str | None, layout: Layout) -> np.ndarray | None:
    """The flat parameters stored in --init-from, or None for the --init scheme."""
    if path is None:
        return None
    try:
        return load_npz(path, layout)
    except WeightsError as e:
        raise UsageError(TRAIN, f"--init-from {e}") from None


# --- train, save, print ----------------------------------------------------------------------


def run_train(args: argparse.Namespace, given: frozenset[str] = frozenset()) -> int:
    """parse -> validate -> load -> train -> save -> print; returns the exit status."""
    files = read_csv_files(args)
    if args.run is not None and not args.config:
        raise UsageError(
            TRAIN, f"--run {args.run} needs --config FILE.json, the runs to choose from"
        )
    if args.config:
        from nnviz.cli_config import configured_experiment  # it reuses this module's checks

        exp = configured_experiment(args, files, given)
    else:
        exp = experiment_from(args, files)
    data = dataset_for(exp, args, files)
    initial = initial_weights(args.init_from, _one_layout(exp, args.init_from))
    check_save_path(args.save, len(exp.runs))  # before training: a typo costs no long run
    histories = train(data, exp.runs, exp.seed, exp.log_every, initial=[initial] * len(exp.runs))
    if args.save:
        try:
            save_npz(args.save, histories[0].params)
        except OSError as e:
            raise UsageError(TRAIN, f"--save cannot write {args.save}: {e.strerror or e}") from None
    alone = [exp.with_runs(h.config) for h in histories]  # each run's own experiment
    if args.json:
        for one, h in zip(alone, histories):
            print(json.dumps(result_dict(one, h, args), allow_nan=False))
    elif len(histories) == 1:
        print(summary(exp, histories[0], data, args))
    else:
        print(
            "\n\n".join(
                f"run        {i} of {len(histories)}\n" + summary(one, h, data, args)
                for i, (one, h) in enumerate(zip(alone, histories), start=1)
            )
        )
    return 0


def _one_layout(exp: Experiment, init_from: str | None) -> Layout:
    """The network shape --init-from must fit: the same for every run."""
    dims = {run.layer_dims for run in exp.runs}
    if init_from and len(dims) > 1:
        raise UsageError(
            TRAIN, f"--init-from {init_from} fits one network; the runs have {len(dims)}"
        )
    return Layout(exp.runs[0].layer_dims)


def check_save_path(path: str | None, n_runs: int = 1) -> None:
    """--save must name a file in an existing folder, for one run."""
    if path is None:
        return
    if n_runs > 1:
        raise UsageError(TRAIN, f"--save writes one run's weights; there are {n_runs}: add --run N")
    if Path(path).is_dir():
        raise UsageError(TRAIN, f"--save {path} is a folder, not a file name")
    if not Path(path).parent.is_dir():
        raise UsageError(TRAIN, f"--save {path}: folder {Path(path).parent} does not exist")


# --- entry point ---------------------------------------------------------------------------------


def run_bench(argv: list[str]) -> int:
    """Hand the rest of the command line to the engine benchmark (imported only when asked)."""
    from nnviz.bench import engine

    return int(engine.main(argv) or 0)


def run_sweep(argv: list[str]) -> int:
    """The sweep subcommand (nnviz/sweep_cli.py): it reuses this module's options and checks."""
    from nnviz import sweep_cli

    return sweep_cli.main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0 done (even if diverged), 2 bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return run_bench(argv[1:])
    try:
        if argv[:1] == ["sweep"]:
            return run_sweep(argv[1:])
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError(PROG, "choose a command: train, sweep or bench (see --help)")
        if args.config:  # the options written next to it override the file's settings
            from nnviz.cli_config import given_options

            return run_train(args, given_options(argv))
        return run_train(args)
    except UsageError as e:
        print(str(e).replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)  # one line
        return 2
    except SystemExit as e:  # --help has printed; argparse exits
        return int(e.code or 0)
