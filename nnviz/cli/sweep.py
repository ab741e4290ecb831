"""``nnviz sweep``: vary one or two settings of a run over a grid; every run in lockstep.

    python -m nnviz sweep --vary lr=1e-4:1:9:log --vary beta1=0.5,0.9,0.99 --epochs 500
    python -m nnviz sweep --vary lambd=0:1:5 --vary optimizer=gd,adam --jobs 2 --csv
    python -m nnviz sweep --vary lr=1e-3:1:12:log --backend dask --scheduler tcp://10.0.0.5:8786
    python -m nnviz sweep --random 30 --vary lr=1e-4:1:log --vary beta1=0.9:0.999:1-log

Every option of ``nnviz train`` sets the base run, parsed and validated by the same code
(options.py). ``--vary FIELD=VALUES`` takes a list (a,b,c) or a range (start:stop:count[:lin|log],
both ends included). ``--random N`` samples N runs instead of a grid (search.py): then
``--vary FIELD=LOW:HIGH[:lin|log|1-log]`` (up to four), drawn from ``--sample-seed``.
Prints a table, or ``--json`` / ``--csv``: one row per run with its settings,
final costs and accuracies and divergence. Bad input: exit status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from collections.abc import Sequence
from typing import Any

from nnviz.cli import output
from nnviz.cli.options import (
    PROG,
    CsvFiles,
    Parser,
    UsageError,
    add_data_options,
    add_network_options,
    add_training_options,
    dataset_for,
    experiment_from,
    read_csv_files,
)
from nnviz.cli.progress import Progress, watched
from nnviz.engine.data import Dataset
from nnviz.engine.search import MAX_RANGES, RandomSearch, parse_range
from nnviz.engine.sweep import (
    BACKENDS,
    MAX_RUNS_CLI,
    METRICS,
    Sweep,
    SweepResult,
    iter_sweep,
    parse_axis,
)

SWEEP = f"{PROG} sweep"
HELP = "train a grid of runs varying one or two settings, or a random search (--help)"
MAX_VARY = 2
RANDOM_HELP = (
    "sample N runs instead of a grid; then each --vary is FIELD=LOW:HIGH[:SCALE], SCALE lin "
    "(the default), log (10^r, r uniform: even per decade, e.g. lr=1e-4:1:log) or 1-log "
    "(1 - 10^r: even per decade of 1 - beta, e.g. beta1=0.9:0.999:1-log); up to "
    f"{MAX_RANGES} settings. Coarse to fine: run again with narrower ranges"
)


def build_parser() -> argparse.ArgumentParser:
    """The train subcommand's data, network and training options, plus the sweep's own."""
    parser = Parser(
        prog=SWEEP,
        description="Train a grid of runs that differ in one or two settings; print a table.",
        allow_abbrev=False,
    )
    add_data_options(parser.add_argument_group("data"))
    add_network_options(parser.add_argument_group("network"))
    add_training_options(parser.add_argument_group("training"))
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="FIELD=VALUES",
        help="a setting and its values: lr=1e-4:1:9:log, beta1=0.5,0.9, optimizer=gd,adam, "
        "l1=0,0.01, features=x1+x2,x1^2+x2^2 (once or twice); with --random its range: "
        "lr=1e-4:1:log",
    )
    sweep.add_argument("--random", type=int, metavar="N", help=RANDOM_HELP)
    sweep.add_argument(
        "--sample-seed",
        type=int,
        default=0,
        metavar="S",
        help="the seed of --random's draws, apart from --seed's data and weights (default: 0)",
    )
    sweep.add_argument("--jobs", type=int, default=1, metavar="N", help="processes (default: 1)")
    sweep.add_argument("--backend", choices=BACKENDS, default="loky", help="default: loky")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="the dask scheduler, tcp://host:port")
    out = parser.add_argument_group("output").add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", action="store_true", help="print CSV, one line per run")
    return parser


# --- validate ------------------------------------------------------------------------------------


def sweep_from(
    args: argparse.Namespace, argv: Sequence[str], files: CsvFiles
) -> Sweep | RandomSearch:
    """The Sweep the options describe (or, with --random, the RandomSearch): the base run from
    the train options, the axes or ranges from --vary."""
    if args.init_from:
        raise UsageError(SWEEP, "--init-from is not available: the runs start from --init")
    check_random(args, argv)
    sampled = args.random is not None
    most, count, form = (MAX_RANGES, f"1 to {MAX_RANGES}", "LOW:HIGH[:SCALE]") if sampled else (
        MAX_VARY, "one or two", "VALUES")  # fmt: skip
    if not 1 <= len(args.vary) <= most:
        raise UsageError(SWEEP, f"give {count} --vary FIELD={form}, got {len(args.vary)}")
    parse = parse_range if args.random is not None else parse_axis
    try:
        axes = tuple(parse(text) for text in args.vary)
    except ValueError as e:
        raise UsageError(SWEEP, f"--vary: {e}") from None
    for axis in axes:
        option = "--" + axis.field.replace("_", "-")
        if any(a == option or a.startswith(option + "=") for a in argv):
            raise UsageError(SWEEP, f"{option} is also varied (--vary {axis.field}=...): drop one")
    base = experiment_from(args, files, SWEEP)
    try:
        if args.random is not None:
            return RandomSearch(base, axes, args.random, args.sample_seed, max_runs=MAX_RUNS_CLI)
        return Sweep(base, axes, max_runs=MAX_RUNS_CLI)
    except ValueError as e:
        raise UsageError(SWEEP, f"--vary: {e}") from None


def check_random(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """--random N and --sample-seed S: a count of at least 1, a seed >= 0, the seed with N."""
    if args.random is not None and args.random < 1:
        raise UsageError(SWEEP, f"--random must be at least 1, got {args.random}")
    if args.sample_seed < 0:
        raise UsageError(SWEEP, f"--sample-seed must be >= 0, got {args.sample_seed}")
    if args.random is None and any(a.startswith("--sample-seed") for a in argv):
        raise UsageError(SWEEP, "--sample-seed needs --random N")


def check_scale_out(args: argparse.Namespace) -> None:
    """--jobs, --backend and --scheduler make sense together (before any training)."""
    if not 1 <= args.jobs <= 1024:
        raise UsageError(SWEEP, f"--jobs must be in [1, 1024], got {args.jobs}")
    if args.scheduler and args.backend != "dask":
        raise UsageError(SWEEP, "--scheduler needs --backend dask")
    if args.backend == "dask" and not args.scheduler:
        raise UsageError(SWEEP, "--backend dask needs --scheduler ADDRESS (tcp://host:port)")


# --- train and print -----------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    """parse -> validate -> load data -> train the sweep -> print; returns the exit status."""
    argv = list(argv)
    args = build_parser().parse_args(argv)
    check_scale_out(args)
    files = read_csv_files(args, SWEEP)
    sweep = sweep_from(args, argv, files)
    data = dataset_for(sweep.base, args, files, SWEEP)
    try:
        result = swept(sweep, data, args, watched(args.json or args.csv))
    except (ValueError, ConnectionError) as e:  # dask missing, scheduler unreachable
        raise UsageError(SWEEP, str(e)) from None
    if args.json:
        print(json.dumps(result_dict(result, args), allow_nan=False))
    elif args.csv:
        print(csv_text(result), end="")
    else:
        print(table(result, data, args))
    return 0


def swept(
    sweep: Sweep | RandomSearch, data: Dataset, args: argparse.Namespace, shown: bool
) -> SweepResult:
    """``run_sweep``'s result, from iter_sweep, with a bar of the runs done (when ``shown``)."""
    started, rows = time.perf_counter(), []
    options = dict(jobs=args.jobs, backend=args.backend, scheduler=args.scheduler)
    with Progress(len(sweep.runs()), "run", shown) as bar:
        for group in iter_sweep(sweep, data, **options):
            rows += group
            bar.done = len(rows)
    return SweepResult(sweep, rows, time.perf_counter() - started)


def _row_values(record: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe: a metric that is not finite (never recorded by train) becomes null."""
    return {k: output.json_number(v) if k in METRICS else v for k, v in record.items()}


def result_dict(result: SweepResult, args: argparse.Namespace) -> dict[str, Any]:
    """The JSON record: the base experiment, the axes, one row per run, how it was trained."""
    sweep = result.sweep
    files = {"data_file": args.data, "test_data_file": args.test_data}
    return {
        "config": {**sweep.base.to_dict(), **files},
        **_varied(sweep),
        "rows": [_row_values(r) for r in result.records()],
        "runs": len(result.rows),
        "seconds": result.seconds,
        "jobs": args.jobs,
        "backend": args.backend,
    }


def _varied(sweep: Sweep | RandomSearch) -> dict[str, Any]:
    """The grid's axes and their values, or the search's ranges, scales, N and sample seed."""
    if isinstance(sweep, Sweep):
        return {"vary": [{"field": a.field, "values": list(a.values)} for a in sweep.axes]}
    ranges = [{"field": r.field, "low": r.low, "high": r.high, "scale": r.scale}
              for r in sweep.ranges]  # fmt: skip
    return {"vary": ranges, "random": sweep.n, "sample_seed": sweep.seed}


def csv_text(result: SweepResult) -> str:
    """A header, then one line per run; a missing value is an empty cell."""
    out = io.StringIO()
    records = result.records()
    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def table(result: SweepResult, data: Dataset, args: argparse.Namespace) -> str:
    """What was swept around which base run, one aligned line per run, then the time."""
    sweep, run = result.sweep, result.sweep.template
    varied = _varied_line(sweep)
    source = " + ".join(output.shown(p) for p in (args.data, args.test_data) if p)
    source = source or f"{sweep.base.data.name} (noise {sweep.base.data.noise})"
    source += f", {sweep.base.data.classes} classes" if sweep.base.data.classes > 2 else ""
    head = [
        f"data       {source}, seed {sweep.base.seed}: "
        f"{data.X_train.shape[1]} training, {data.X_test.shape[1]} test points",
        f"network    {'-'.join(map(str, run.dims_for(sweep.base.data.classes)))}, "
        f"{output.output_words(sweep.base)}, {run.activation}, {run.init} init",
        f"base run   {output.training_line(run)}",
        f"varied     {varied}",
        "",
    ]
    names = list(result.rows[0].settings) if result.rows else []
    columns = [*names, "train cost", "train acc", "test cost", "test acc", "diverged"]
    cells = [[*(_cell(row.settings[n]) for n in names), *_metrics(row.record())]
             for row in result.rows]  # fmt: skip
    widths = [max(len(c), *(len(line[k]) for line in cells)) for k, c in enumerate(columns)]
    lines = [columns, *cells]
    body = ["  ".join(c.rjust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    groups = f"jobs {args.jobs} ({args.backend})"
    return "\n".join([*head, *body, "", f"time       {result.seconds:.2f} s, {groups}"])


def _varied_line(sweep: Sweep | RandomSearch) -> str:
    if isinstance(sweep, Sweep):
        axes = " × ".join(f"{a.field} ({len(a.values)})" for a in sweep.axes)
        return f"{axes} = {len(sweep.runs())} runs"
    ranges = ", ".join(r.text() for r in sweep.ranges)
    return f"{ranges}: {sweep.n} random runs, sample seed {sweep.seed}"


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _metrics(record: dict[str, Any]) -> list[str]:
    def cost(v: float | None) -> str:
        return "—" if v is None else f"{v:.4g}"

    def share(v: float | None) -> str:
        return "—" if v is None else f"{v:.1%}"

    diverged = "" if record["diverged_at"] is None else f"at {record['diverged_at']}"
    return [
        cost(record["train_cost"]),
        share(record["train_accuracy"]),
        cost(record["test_cost"]),
        share(record["test_accuracy"]),
        diverged,
    ]
