"""What the engine benchmark measures, and how: its setup, each engine's training, the timings.

The setup (moons, 300 points, hidden [5, 2] relu, He init, Adam α = 0.0007), the function each
engine trains with (nnviz, the seed-style reference, scikit-learn), the clocks and the best-of-N
timing, the like-with-like check, and the timed optimization lesson and 12 × 12 sweep.
nnviz/bench/engine.py runs them and prints the report (``python -m nnviz bench``).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from nnviz.bench.reference import compute_cost, forward_propagation, initialize_parameters_he, model
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.lessons import OPTIMIZATION
from nnviz.engine.network import Layout
from nnviz.engine.sweep import Sweep, parse_axis, run_sweep
from nnviz.engine.train import load_data, run_experiment, train

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
