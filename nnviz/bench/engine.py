"""How fast does nnviz train, next to the course's own code and scikit-learn?

One process, one data set (moons, 300 training points), one network (hidden [5, 2] relu, He init,
Adam α = 0.0007), full batch and mini-batch 64. Measured, best of N after a warm-up:

- nnviz, one run:                  ``nnviz.engine.train`` with one RunConfig — epochs per second
- nnviz, 8 and 64 runs in lockstep: RunConfigs (α spread over ×17) in one group — run-epochs/s
- the seed-style reference:        the course notebook's code (below), one run — epochs per second
- scikit-learn's MLPClassifier:    solver adam, same sizes, every epoch run — epochs per second

and the course's optimization lesson (3 runs × 10,000 epochs, mini-batch 64) through nnviz and
through the reference, and a 12 × 12 sweep (α × λ) at the lab's defaults (RunConfig(),
Experiment()) with one and two processes, per run against training each run alone. Targets: one
run ≥ 3× the reference, 8 lockstep runs ≥ 10× and 64 ≥ 15× the reference's single-run rate, the
lesson ≤ 4 s.
Before timing anything it checks that the reference and nnviz learn the same thing (same final
cost from the same initial weights), so the ratios compare like with like.
The setup, the timings and that check are nnviz/bench/measure.py; this module runs them and
prints the report.

    python -m nnviz bench                 # markdown table, ready for the README
    python -m nnviz bench --quick    # the reference's lesson estimated from 1/10 of it
    python -m nnviz bench --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.bench.measure import (
    CLOCKS,
    HIDDEN,
    LESSON_SCALE,
    LOCKSTEP_RUNS,
    LR,
    MINI_BATCH,
    MODES,
    NOISE,
    SAMPLES,
    TARGETS,
    WIDE_RUNS,
    benchmark_data,
    check_like_with_like,
    measure_rates,
    time_lesson,
    time_sweep,
)
from nnviz.engine.lessons import OPTIMIZATION

# --- report ---------------------------------------------------------------------------------------


def sweep_rows(times: dict) -> list[dict]:
    """The sweep's wall times (for information) and its per-run speed-up over training alone."""
    name = f"{times['runs']}-run sweep (α × λ, defaults: {times['epochs']:,} epochs, mini-batch 64)"
    per_run = times["jobs_1_seconds"] / times["runs"]
    return [
        _row(f"{name}, nnviz, 1 process", times["jobs_1_seconds"], unit="s"),
        _row(f"{name}, nnviz, 2 processes", times["jobs_2_seconds"], unit="s"),
        _row(
            "one run alone ÷ one run in the sweep (1 process)",
            times["alone_seconds_per_run"] / per_run,
        ),
    ]


def checks(rates: dict, lesson: dict) -> list[dict]:
    """Every ratio and time, with its target (None: for information) and whether it passes."""
    out = []
    for key, name, target in (
        ("nnviz_1", "nnviz 1 run ÷ reference", TARGETS["single"]),
        ("nnviz_8", f"nnviz {LOCKSTEP_RUNS} lockstep runs ÷ reference 1 run", TARGETS["lockstep"]),
        ("nnviz_64", f"nnviz {WIDE_RUNS} lockstep runs ÷ reference 1 run", TARGETS["wide"]),
    ):
        for mode, _batch, title in MODES:
            out.append(
                _row(f"{name}, {title}", rates[mode][key] / rates[mode]["reference"], target)
            )
    for mode, _batch, title in MODES:
        out.append(
            _row(
                f"nnviz 1 run ÷ scikit-learn, {title}",
                rates[mode]["nnviz_1"] / rates[mode]["sklearn"],
            )
        )
    runs = f"{lesson['runs']} runs × {lesson['epochs']:,} epochs, mini-batch {MINI_BATCH}"
    target = TARGETS["lesson_seconds"] if lesson["course_epochs"] else None
    out.append(_row(f"optimization lesson ({runs}), nnviz", lesson["nnviz_seconds"], target, "s"))
    estimated = lesson["reference_estimated_from_epochs"]
    note = f" (estimated: {estimated:,} epochs × {LESSON_SCALE})" if estimated else ""
    out.append(
        _row(f"the same runs, seed-style reference{note}", lesson["reference_seconds"], unit="s")
    )
    speedup = lesson["reference_seconds"] / lesson["nnviz_seconds"]
    out.append(_row("optimization lesson, reference time ÷ nnviz time", speedup))
    return out


def _row(name: str, value: float, target: float | None = None, unit: str = "×") -> dict:
    """Ratios must reach their target (≥); times must stay under theirs (≤)."""
    passed = None if target is None else (value <= target if unit == "s" else value >= target)
    return {"name": name, "value": value, "unit": unit, "target": target, "pass": passed}


def _fmt(value: float, unit: str) -> str:
    return f"{value:.2f} s" if unit == "s" else f"{value:.1f}×"


ENGINES = {
    "nnviz_1": "nnviz, 1 run (epochs/s)",
    "nnviz_8": f"nnviz, {LOCKSTEP_RUNS} runs in lockstep (run-epochs/s)",
    "nnviz_64": f"nnviz, {WIDE_RUNS} runs in lockstep (run-epochs/s)",
    "reference": "seed-style reference: the course's code, 1 run (epochs/s)",
    "sklearn": "scikit-learn MLPClassifier, adam, 1 run (epochs/s)",
}


def markdown(setup: dict, rates: dict, rows: list[dict], like: dict) -> str:
    """The report as markdown tables, ready to paste into the README."""
    lines = [
        f"moons, {SAMPLES} training points (noise {NOISE}), hidden {list(HIDDEN)} relu, He init, "
        f"Adam α = {LR}. Best of {setup['repeats']} timings of ~{setup['seconds']:g} s "
        f"({setup['clock']} time) after a "
        f"warm-up, one BLAS thread for every engine; Python {setup['python']}, NumPy "
        f"{setup['numpy']}, scikit-learn {setup['sklearn']}, {setup['cpus']} CPUs.",
        "",
        "| engine | " + " | ".join(title for _mode, _batch, title in MODES) + " |",
        "|---|" + "---:|" * len(MODES),
    ]
    for key, name in ENGINES.items():
        cells = " | ".join(f"{rates[mode][key]:,.0f}" for mode, _batch, _title in MODES)
        lines.append(f"| {name} | {cells} |")
    lines += ["", "| measure | measured | target | result |", "|---|---:|---:|:---:|"]
    for row in rows:
        target = "—"
        if row["target"] is not None:
            target = ("≤ " if row["unit"] == "s" else "≥ ") + _fmt(row["target"], row["unit"])
        result = {True: "PASS", False: "FAIL", None: ""}[row["pass"]]
        lines.append(f"| {row['name']} | {_fmt(row['value'], row['unit'])} | {target} | {result} |")
    lines += [
        "",
        f"Like with like: from the same initial weights, after {setup['check_epochs']} epochs, "
        f"final J full batch {like['full_reference']:.6f} (reference) vs {like['full_nnviz']:.6f} "
        f"(nnviz); mini-batch {MINI_BATCH}, each with its own batch order, "
        f"{like['mini_reference']:.4f} vs {like['mini_nnviz']:.4f}.",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nnviz bench",
        description="Time nnviz against the course's code and scikit-learn; print a table.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"estimate the reference's lesson time from 1/{LESSON_SCALE} of its epochs",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    p.add_argument("--repeats", type=int, default=3, help="best of this many timings (3)")
    p.add_argument("--seconds", type=float, default=0.7, help="length of one timing (0.7)")
    p.add_argument(
        "--lesson-epochs",
        type=int,
        default=OPTIMIZATION.experiment.runs[0].epochs,
        help="epochs per run of the timed lesson (the course's 10,000; fewer drops its target)",
    )
    p.add_argument(
        "--check-epochs", type=int, default=300, help="epochs of the like-with-like check (300)"
    )
    p.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="time the engine rates by wall time (default) or by this process's CPU time",
    )
    p.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if min(args.repeats, args.lesson_epochs, args.check_epochs) < 1 or not args.seconds > 0:
        parser.error("--repeats, --seconds, --lesson-epochs and --check-epochs must be positive")
    data = benchmark_data()
    # every engine on one BLAS thread, as nnviz trains: tiny matrices gain nothing from more
    with threadpool_limits(limits=1, user_api="blas"):
        like = check_like_with_like(data, args.check_epochs)
        rates = measure_rates(data, args.seconds, args.repeats, CLOCKS[args.clock])
        lesson = time_lesson(args.repeats, args.lesson_epochs, args.quick)
        sweep = time_sweep(min(args.repeats, 2))  # one sweep takes seconds: best of two is enough
    rows = checks(rates, lesson) + sweep_rows(sweep)
    setup = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "seconds": args.seconds,
        "check_epochs": args.check_epochs,
        "quick": args.quick,
        "clock": args.clock,
    }
    if args.json:
        report = dict(setup=setup, rates=rates, checks=rows, lesson=lesson, like_with_like=like)
        report["sweep"] = sweep
        print(json.dumps(report, indent=2))
    else:
        print(markdown(setup, rates, rows, like))
    return 1 if args.strict and any(row["pass"] is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
