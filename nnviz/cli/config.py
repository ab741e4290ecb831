"""``nnviz train --config FILE.json``: a config JSON's runs, with the options written next to it.

The file is the lab's "Config (JSON)" download, or ``nnviz train --json`` output (a line, or its
``config`` alone). An option given as well overrides that setting in every run; ``--run N`` keeps
only run N. The files such output names are given again: a CSV with --data, initial weights with
--init-from. Bad input is a UsageError (one line, exit status 2), with the checks of options.py.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace

from nnviz.cli.options import (
    CsvFiles,
    UsageError,
    csv_config,
    option_names,
    parse_hidden,
    read_file,
)
from nnviz.engine.config import DataConfig, Experiment, RunConfig


def read_config(path: str, prog: str) -> tuple[Experiment, str | None]:
    """The experiment in the file, and the initial weights' file it names (CLI output), if any."""
    text = read_file(path, "--config", prog)
    try:
        return Experiment.from_json(text), recorded_weights(text)
    except ValueError as e:
        raise UsageError(prog, f"--config {path}: {e}") from None


def recorded_weights(text: bytes) -> str | None:
    """The --init-from that ``train --json`` output records beside its experiment."""
    d = json.loads(text)  # read by Experiment.from_json already: a JSON object
    config = d.get("config", d)
    return config.get("init_from") if isinstance(config, dict) else None


def configured_experiment(
    args: argparse.Namespace, files: CsvFiles, given: frozenset[str], prog: str
) -> Experiment:
    """The experiment of --config, with every option ``given`` applied to it (to every run)."""
    exp, weights = read_config(args.config, prog)
    if weights and not {"init_from", "init"} & given:  # else other numbers, silently
        raise UsageError(
            prog,
            f"--config {args.config} started from the weights in {weights}: give them with "
            "--init-from FILE.npz (or --init to start afresh)",
        )
    try:
        changes = {f.name: getattr(args, f.name) for f in fields(RunConfig) if f.name in given}
        if "hidden" in given:
            changes["hidden"] = parse_hidden(args.hidden)
        runs = _chosen(tuple(replace(r, **changes) for r in exp.runs), args.run, prog)
        return Experiment(
            data=_configured_data(exp.data, args, files, given, prog),
            runs=runs,
            seed=args.seed if "seed" in given else exp.seed,
            log_every=args.log_every if "log_every" in given else exp.log_every,
        )
    except ValueError as e:
        raise UsageError(prog, option_names(str(e))) from None


def _chosen(runs: tuple[RunConfig, ...], n: int | None, prog: str) -> tuple[RunConfig, ...]:
    if n is None:
        return runs
    if not 1 <= n <= len(runs):
        raise UsageError(prog, f"--run must be in [1, {len(runs)}] (the config's runs), got {n}")
    return (runs[n - 1],)


def _configured_data(
    data: DataConfig, args: argparse.Namespace, files: CsvFiles, given: frozenset[str], prog: str
) -> DataConfig:
    test_fraction = args.test_fraction if "test_fraction" in given else data.test_fraction
    if files.data is not None:
        return csv_config(args, files, test_fraction)
    if "dataset" in given:
        data = replace(data, name=args.dataset, source="")
    if data.name == "csv":
        raise UsageError(
            prog,
            f"--config {args.config} trains on a CSV file ({data.source or 'not named'}): "
            "give it with --data FILE.csv",
        )
    changes = {n: getattr(args, n) for n in ("samples", "noise", "classes") if n in given}
    return replace(data, test_fraction=test_fraction, **changes)
