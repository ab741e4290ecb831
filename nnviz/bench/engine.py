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

    python -m nnviz bench                 # markdown table, ready for the README
    python -m nnviz bench --quick    # the reference's lesson estimated from 1/10 of it
    python -m nnviz bench --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz import Dataset, Experiment, RunConfig, generate, load_data, run_experiment, train
from nnviz.bench.reference import compute_cost, forward_propagation, initialize_parameters_he, model
from nnviz.engine.lessons import OPTIMIZATION
from nnviz.engine.network import Layout
from nnviz.engine.sweep import Sweep, parse_axis, run_sweep

# ==================================================================================================
# The benchmark
# ==================================================================================================

SAMPLES, NOISE, SEED = 300, 0.2, 3
HIDDEN = (5, 2)
DIMS = (2, *HIDDEN, 1)
LR = 0.0007
MINI_BATCH = 64
LOCKSTEP_RUNS = 8
WIDE_RUNS = 64  # a sweep's worth of runs in one lockstep group
LESSON_SCALE = 10  # --quick runs the reference's lesson for 1/10 of the epochs and scales
TARGETS = {"single": 3.0, "lockstep": 10.0, "wide": 15.0, "lesson_seconds": 4.0}
MODES = (("full", 0, "full batch (300)"), ("mini", MINI_BATCH, f"mini-batch {MINI_BATCH}"))


def benchmark_data(seed: int = SEED) -> Dataset:
    """moons, 300 points, noise 0.2, training set only."""
    return generate("moons", SAMPLES, NOISE, 0.0, seed)


def nnviz_run(batch_size: int, epochs: int, lr: float = LR) -> RunConfig:
    return RunConfig(
        hidden=HIDDEN, init="he", optimizer="adam", lr=lr, batch_size=batch_size, epochs=epochs
    )


def reference_params(theta: np.ndarray, dims: tuple[int, ...] = DIMS) -> dict[str, np.ndarray]:
    """An nnviz flat parameter vector as the course's {"W1": ..., "b1": ...} dict."""
    parameters = {}
    for l, (W, b) in enumerate(Layout(dims).to_list(theta), start=1):
        parameters[f"W{l}"], parameters[f"b{l}"] = W, b
    return parameters


# --- what one measurement runs: fn(epochs) trains for that many epochs --------------------------


def _nnviz_fn(data: Dataset, batch: int, runs: int) -> Callable[[int], None]:
    def fn(epochs: int) -> None:
        # α from LR to LR·1.5⁷ (8 runs: LR·1.5^k), none diverges: every run does every epoch
        configs = [
            nnviz_run(batch, epochs, LR * 1.5 ** (7 * k / max(runs - 1, 1))) for k in range(runs)
        ]
        train(data, configs, SEED)

    return fn


def _reference_fn(data: Dataset, batch: int) -> Callable[[int], None]:
    def fn(epochs: int) -> None:
        with np.errstate(all="ignore"):
            model(data.X_train, data.Y_train, DIMS, "adam", LR, batch, num_epochs=epochs)

    return fn


def _sklearn_fn(data: Dataset, batch: int) -> Callable[[int], None]:
    m = data.X_train.shape[1]

    def fn(epochs: int) -> None:
        clf = MLPClassifier(
            hidden_layer_sizes=HIDDEN,
            activation="relu",
            solver="adam",
            alpha=0.0,  # no L2, like the other engines here
            batch_size=batch or m,
            learning_rate_init=LR,
            max_iter=epochs,
            shuffle=0 < batch < m,
            tol=0.0,
            n_iter_no_change=epochs + 1,  # never stop early: every epoch is run
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(data.X_train.T, data.Y_train[0])
        if clf.n_iter_ != epochs:
            raise AssertionError(f"scikit-learn ran {clf.n_iter_} of {epochs} epochs")

    return fn


# --- timing ---------------------------------------------------------------------------------------


Clock = Callable[[], float]
# wall: what a user waits; cpu: this process's CPU time (one thread), which on a shared machine
# leaves out the time spent waiting for a core
CLOCKS: dict[str, Clock] = {"wall": time.perf_counter, "cpu": time.process_time}


def _seconds(fn: Callable[[int], None], epochs: int, clock: Clock = time.perf_counter) -> float:
    start = clock()
    fn(epochs)
    return clock() - start


def calibrate(
    fn: Callable[[int], None],
    seconds: float,
    max_epochs: int = 200_000,
    clock: Clock = time.perf_counter,
) -> int:
    """How many epochs take about ``seconds``; the growing trial runs also warm the engine up."""
    epochs = 16
    while True:
        elapsed = _seconds(fn, epochs, clock)
        if elapsed >= seconds / 4 or epochs >= max_epochs:
            return max(1, min(max_epochs, round(epochs * seconds / max(elapsed, 1e-9))))
        epochs = min(max_epochs, epochs * 4)


def measure_rates(
    data: Dataset, seconds: float, repeats: int, clock: Clock = time.perf_counter
) -> dict[str, dict[str, float]]:
    """Epochs per second of each engine (run-epochs per second for the lockstep group).

    Best of ``repeats``; the repeats take turns across the engines, so a busy moment on a shared
    machine slows all of them rather than one.
    """
    engines = {}
    for mode, batch, _title in MODES:
        engines[mode, "nnviz_1"] = (_nnviz_fn(data, batch, 1), 1)
        engines[mode, "nnviz_8"] = (_nnviz_fn(data, batch, LOCKSTEP_RUNS), LOCKSTEP_RUNS)
        engines[mode, "nnviz_64"] = (_nnviz_fn(data, batch, WIDE_RUNS), WIDE_RUNS)
        engines[mode, "reference"] = (_reference_fn(data, batch), 1)
        engines[mode, "sklearn"] = (_sklearn_fn(data, batch), 1)
    epochs = {key: calibrate(fn, seconds, clock=clock) for key, (fn, _runs) in engines.items()}
    best = dict.fromkeys(engines, math.inf)
    for _ in range(repeats):
        for key, (fn, _runs) in engines.items():
            best[key] = min(best[key], _seconds(fn, epochs[key], clock))
    rates: dict[str, dict[str, float]] = {mode: {} for mode, _batch, _title in MODES}
    for (mode, name), (_fn, runs) in engines.items():
        rates[mode][name] = runs * epochs[mode, name] / best[mode, name]
    return rates


# --- like with like -------------------------------------------------------------------------------


def check_like_with_like(data: Dataset, epochs: int) -> dict[str, float]:
    """Final J of the reference and of nnviz from the same initial weights; raise if they differ.

    Full batch, the two compute the same numbers, so they must agree to rounding. With mini-batches
    each draws its own batch order: the costs differ, but only a little.
    """
    X, Y = data.X_train, data.Y_train
    start = initialize_parameters_he(DIMS, np.random.default_rng(SEED))
    theta0 = Layout(DIMS).from_list([(start[f"W{l}"], start[f"b{l}"]) for l in range(1, len(DIMS))])
    out = {}
    for mode, batch, _title in MODES:
        params = reference_params(theta0)
        with np.errstate(all="ignore"):
            params, _costs = model(
                X, Y, DIMS, "adam", LR, batch, num_epochs=epochs, parameters=params
            )
            J_ref = float(compute_cost(forward_propagation(X, params)[0], Y))
        J_nnviz = float(
            train(data, [nnviz_run(batch, epochs)], SEED, initial=[theta0])[0].train_cost[-1]
        )
        out[f"{mode}_reference"], out[f"{mode}_nnviz"] = J_ref, J_nnviz
        allowed = (1e-8 if mode == "full" else 0.05) * J_ref
        if not abs(J_ref - J_nnviz) <= allowed:
            raise AssertionError(
                f"{mode}: after {epochs} epochs the reference's J is {J_ref:.10g} and nnviz's "
                f"{J_nnviz:.10g} (allowed difference {allowed:.3g}): not like with like"
            )
    return out


# --- the optimization lesson ----------------------------------------------------------------------


def time_lesson(repeats: int, epochs: int, quick: bool) -> dict:
    """The course's optimization lesson through nnviz (best of repeats) and the reference (once).

    With ``quick`` the reference trains 1/LESSON_SCALE of the epochs and its time is scaled up.
    """
    exp = OPTIMIZATION.experiment
    if epochs != exp.runs[0].epochs:
        exp = exp.with_runs(*(replace(r, epochs=epochs) for r in exp.runs))
    nnviz_seconds = math.inf
    for _ in range(repeats):
        begin = time.perf_counter()
        run_experiment(exp)
        nnviz_seconds = min(nnviz_seconds, time.perf_counter() - begin)
    scale = LESSON_SCALE if quick and epochs >= LESSON_SCALE else 1
    data = load_data(exp)
    reference_seconds = 0.0
    for r in exp.runs:
        hyper = dict(beta=r.beta1, beta1=r.beta1, beta2=r.beta2, epsilon=r.epsilon)
        args = (data.X_train, data.Y_train, r.layer_dims, r.optimizer, r.lr, r.batch_size)
        rng = np.random.default_rng(exp.seed)
        begin = time.perf_counter()
        with np.errstate(all="ignore"):
            model(*args, **hyper, num_epochs=epochs // scale, rng=rng)
        reference_seconds += (time.perf_counter() - begin) * scale
    return {
        "runs": len(exp.runs),
        "epochs": epochs,
        "course_epochs": epochs == OPTIMIZATION.experiment.runs[0].epochs,
        "nnviz_seconds": nnviz_seconds,
        "reference_seconds": reference_seconds,
        "reference_estimated_from_epochs": epochs // scale if scale > 1 else None,
    }


# --- a 12 × 12 sweep at the lab's defaults -------------------------------------------------------


def time_sweep(repeats: int, side: int = 12) -> dict:
    """A side × side sweep of α × λ at the defaults, jobs 1 and 2, and a sample of its runs alone.

    The two processes are started by a warm-up sweep first: their start-up is not timed.
    """
    sweep = Sweep(
        Experiment(), (parse_axis(f"lr=1e-4:1:{side}:log"), parse_axis(f"lambd=0:1:{side}"))
    )
    data = load_data(sweep.base)
    warm_up = Sweep(sweep.base, (parse_axis("lr=0.01,0.1"),))
    run_sweep(warm_up, data, jobs=2)  # starts the two worker processes
    seconds = {
        jobs: min(run_sweep(sweep, data, jobs=jobs).seconds for _ in range(repeats))
        for jobs in (1, 2)
    }
    sample = sweep.runs()[:: side + 1]  # the diagonal: one run per α and per λ
    alone = math.inf
    for _ in range(repeats):
        begin = time.perf_counter()
        for run in sample:
            train(data, [run], sweep.base.seed)
        alone = min(alone, (time.perf_counter() - begin) / len(sample))
    runs = len(sweep.runs())
    return {"runs": runs, "epochs": sweep.template.epochs, "jobs_1_seconds": seconds[1],
            "jobs_2_seconds": seconds[2], "alone_seconds_per_run": alone}  # fmt: skip


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


# --- report ---------------------------------------------------------------------------------------


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
