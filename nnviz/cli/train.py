"""``nnviz train``: train one network and print what happened, as JSON or as a short summary.

    nnviz train --dataset circles --hidden 10,5 --init he --optimizer gd --lr 0.01 --json
    nnviz train --data points.csv --test-data held_out.csv --save weights.npz
    nnviz train --config nnviz-config.json --epochs 100   # the lab's experiment
    nnviz train --dataset moons --keep-prob 0.8 --export-script run.py   # the run as a script

It reads as its phases: parse -> validate (the config dataclasses do it; their messages name
options) -> load data -> train -> save -> print. A run that diverges is a result, not an error:
exit 0 and ``"diverged": true``. ``--config FILE.json`` (the lab's "Config (JSON)" download, or
this command's --json output) trains every run of that experiment (config.py); an option written
next to it overrides that setting in every run (``--run N`` keeps only run N).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnviz.cli.config import configured_experiment
from nnviz.cli.options import (
    PROG,
    Parser,
    UsageError,
    add_data_options,
    add_network_options,
    add_training_options,
    dataset_for,
    experiment_from,
    read_csv_files,
)
from nnviz.cli.output import result_dict, summary
from nnviz.cli.progress import REDRAW, Progress, watched
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset
from nnviz.engine.network import Layout
from nnviz.engine.train import History, train_live
from nnviz.engine.weights import WeightsError, load_npz, save_npz
from nnviz.models.script_export import ScriptError, script

TRAIN = f"{PROG} train"
HELP = "train one network; print a summary or --json"


def parser() -> Parser:
    """The options of ``nnviz train``; choices from the registries, defaults from the config."""
    p = Parser(
        prog=TRAIN,
        description="Train one network (or the runs of a --config file) on a toy data set or "
        "your CSV; print a summary or JSON.",
        allow_abbrev=False,
    )
    config = p.add_argument_group("experiment file")
    config.add_argument(
        "--config",
        metavar="FILE.json",
        help="train the runs of a config JSON (the lab's download, or --json output); options "
        "given as well override that setting in every run",
    )
    config.add_argument(
        "--run", type=int, metavar="N", help="with --config: only run N (1 = first)"
    )
    add_data_options(p.add_argument_group("data"))
    add_network_options(p.add_argument_group("network"))
    add_training_options(p.add_argument_group("training"))
    out = p.add_argument_group("output")
    out.add_argument("--save", metavar="FILE.npz", help="write the final W1, b1, ..., WL, bL")
    out.add_argument(
        "--export-script",
        metavar="FILE.py",
        help="write the run as a standalone NumPy script in the course's functions; it prints "
        "the same final cost",
    )
    out.add_argument(
        "--export-run",
        type=int,
        metavar="K",
        help="with --export-script: which run (1 = first, the default)",
    )
    out.add_argument(
        "--json", action="store_true", help="print JSON instead: one object (a line) per run"
    )
    return p


def given_options(argv: Sequence[str]) -> frozenset[str]:
    """The options written on the command line (their dests), as opposed to defaulted ones."""
    p = parser()
    for action in p._actions:
        action.default = argparse.SUPPRESS
    return frozenset(vars(p.parse_args(list(argv))))


def initial_weights(path: str | None, layout: Layout) -> np.ndarray | None:
    """The flat parameters stored in --init-from, or None for the --init scheme."""
    if path is None:
        return None
    try:
        return load_npz(path, layout)
    except WeightsError as e:
        raise UsageError(TRAIN, f"--init-from {e}") from None


def one_layout(exp: Experiment, init_from: str | None) -> Layout:
    """The network shape --init-from must fit: the same for every run."""
    dims = {(run.dims_for(exp.data.classes), run.batch_norm) for run in exp.runs}
    if init_from and len(dims) > 1:
        raise UsageError(
            TRAIN, f"--init-from {init_from} fits one network; the runs have {len(dims)}"
        )
    return Layout(exp.runs[0].dims_for(exp.data.classes), exp.runs[0].batch_norm)


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


def export_script(args: argparse.Namespace, exp: Experiment, data: Dataset) -> None:
    """Write --export-script: run --export-run K (default 1) as a script (script_export.py)."""
    if args.export_script is None:
        if args.export_run is not None:
            raise UsageError(TRAIN, f"--export-run {args.export_run} needs --export-script FILE.py")
        return
    k = 1 if args.export_run is None else args.export_run
    if not 1 <= k <= len(exp.runs):
        raise UsageError(TRAIN, f"--export-run must be in [1, {len(exp.runs)}] (the runs), got {k}")
    if args.init_from:
        raise UsageError(
            TRAIN,
            "--export-script draws the initial weights from the seed: it "
            "cannot start from --init-from yet",
        )
    path = Path(args.export_script)
    try:
        path.write_text(script(exp, k - 1, data, path.name))
    except ScriptError as e:
        raise UsageError(TRAIN, f"--export-script: {e}") from None
    except OSError as e:
        raise UsageError(TRAIN, f"--export-script cannot write {path}: {e.strerror or e}") from None


def train_watched(
    data: Dataset, exp: Experiment, initial: list[np.ndarray | None], shown: bool
) -> list[History]:
    """``train``'s histories, from train_live, with a bar of the epochs done (when ``shown``)."""
    lengths = {run.group_key: run.epochs for run in exp.runs}  # the groups train one by one
    with Progress(sum(lengths.values()), "epoch", shown) as bar:
        for partial in train_live(data, exp.runs, exp.seed, exp.log_every, initial, every=REDRAW):
            bar.done = epochs_done(exp.runs, partial)
    return partial  # the last list is complete


def epochs_done(runs: Sequence[RunConfig], partial: list[History | None]) -> int:
    """The epochs each lockstep group has recorded so far, summed over the groups."""
    done: dict[tuple, int] = {}
    for run, h in zip(runs, partial):
        if h is not None:
            done[run.group_key] = max(done.get(run.group_key, 0), int(h.epochs[-1]))
    return sum(done.values())


def main(argv: Sequence[str]) -> int:
    """parse -> validate -> load -> train -> save -> print; returns the exit status."""
    args = parser().parse_args(list(argv))
    files = read_csv_files(args, TRAIN)
    if args.run is not None and not args.config:
        raise UsageError(
            TRAIN, f"--run {args.run} needs --config FILE.json, the runs to choose from"
        )
    if args.config:  # the options written next to it override the file's settings
        exp = configured_experiment(args, files, given_options(argv), TRAIN)
    else:
        exp = experiment_from(args, files, TRAIN)
    data = dataset_for(exp, args, files, TRAIN)
    initial = initial_weights(args.init_from, one_layout(exp, args.init_from))
    check_save_path(args.save, len(exp.runs))  # before training: a typo costs no long run
    export_script(args, exp, data)  # needs no training: the script trains by itself
    histories = train_watched(data, exp, [initial] * len(exp.runs), watched(args.json))
    if args.save:
        try:
            h = histories[0]
            save_npz(args.save, h.params, h.layout.norm_list(h.theta))
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
