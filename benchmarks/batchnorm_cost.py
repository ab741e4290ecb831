"""What batch normalization costs: training a BN run ÷ training the same run without it.

    python -m benchmarks.batchnorm_cost            # markdown table
    python -m benchmarks.batchnorm_cost --json

Each case trains one run with ``batch_norm`` off and on, the same data, seed and epochs (with
recording, as the lab trains), timed in turns (off, on, off, on, ...), best of N, by this
process's CPU time on one BLAS thread: time spent waiting for a core on a shared machine counts
for neither. Cases: the engine benchmark's network (moons, 300 points, hidden [5, 2] relu, Adam;
nnviz/bench/measure.py) full batch and mini-batch 64, the "Batch normalization" lesson's five
layers of 16 units, and a wider network (3 × 64 units, mini-batch 256 of 2,000 moons) where the
arithmetic, not NumPy's per-call overhead (about 1 µs a call), sets the pace. Batch norm adds
about 20 NumPy calls per hidden layer and step, so on the small networks it costs about 2×.
Target (issue 21): at most 1.5×.

A second table gives softmax's cost the same way: a K-class run (K = 3, 6: softmax output, one-hot
Y) ÷ the same network on K = 2 (one sigmoid unit), on the spiral, full batch and mini-batch 64.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace

from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.bench.measure import MINI_BATCH, NOISE, SEED, calibrate, nnviz_run
from nnviz.engine.config import RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.lessons import BATCH_NORM
from nnviz.engine.train import train

TARGET = 1.5

WIDE = RunConfig(hidden=(64, 64, 64), batch_size=256, epochs=1)
CASES = {  # name -> (the run, its data's size)
    "benchmark network, full batch": (nnviz_run(0, 1), 300),
    f"benchmark network, mini-batch {MINI_BATCH}": (nnviz_run(MINI_BATCH, 1), 300),
    "lesson network (5 × 16 relu), mini-batch 64": (
        replace(BATCH_NORM.experiment.runs[2], epochs=1),
        300,
    ),
    "wide network (3 × 64 relu, Adam), 2,000 points, mini-batch 256": (WIDE, 2000),
}


SOFTMAX_RUN = RunConfig(hidden=(20, 10), optimizer="adam", lr=0.01, epochs=1)
SOFTMAX_CASES = {  # name -> (the run, K)
    f"K = {k}, {'full batch' if b == 0 else f'mini-batch {b}'}": (
        replace(SOFTMAX_RUN, batch_size=b),
        k,
    )
    for b in (0, 64)
    for k in (3, 6)
}


def _trainer(data: Dataset, run: RunConfig):
    def fn(epochs: int) -> None:
        train(data, [replace(run, epochs=epochs)], SEED)

    return fn


def ratio(data: Dataset, run: RunConfig, seconds: float, repeats: int) -> dict:
    """Seconds per epoch without and with BN (best of ``repeats``, taken in turns), and their
    ratio."""
    fns = {bn: _trainer(data, replace(run, batch_norm=bn)) for bn in (False, True)}
    return paired(fns, seconds, repeats)


def softmax_ratio(run: RunConfig, K: int, seconds: float, repeats: int) -> dict:
    """Seconds per epoch of the run on a 2-class and on a K-class spiral of 300 points each."""
    fns = {
        k == K: _trainer(generate("spiral", 300, NOISE, 0.0, SEED, classes=k), run) for k in (2, K)
    }
    return paired(fns, seconds, repeats)


def paired(fns: dict, seconds: float, repeats: int) -> dict:
    """Best of ``repeats`` timings of fns[False] (the reference) and fns[True], in turns."""
    epochs = calibrate(fns[False], seconds, clock=time.process_time)
    best = {False: math.inf, True: math.inf}
    for _ in range(repeats):
        for which, fn in fns.items():
            start = time.process_time()
            fn(epochs)
            best[which] = min(best[which], time.process_time() - start)
    return {
        "epochs": epochs,
        "plain_ms_per_epoch": 1e3 * best[False] / epochs,
        "bn_ms_per_epoch": 1e3 * best[True] / epochs,
        "ratio": best[True] / best[False],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batchnorm_cost", description=__doc__)
    p.add_argument("--repeats", type=int, default=5, help="best of this many timings (5)")
    p.add_argument("--seconds", type=float, default=0.5, help="length of one timing (0.5)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with threadpool_limits(limits=1, user_api="blas"):
        rows = {
            name: ratio(generate("moons", m, NOISE, 0.0, SEED), run, args.seconds, args.repeats)
            for name, (run, m) in CASES.items()
        }
        softmax = {
            name: softmax_ratio(run, k, args.seconds, args.repeats)
            for name, (run, k) in SOFTMAX_CASES.items()
        }
    if args.json:
        print(json.dumps({"batch_norm": rows, "softmax": softmax}, indent=2))
        return 0
    print("| case | ms/epoch, no BN | ms/epoch, BN | BN ÷ no BN | target |")
    print("|---|---:|---:|---:|:---:|")
    for name, r in rows.items():
        verdict = "PASS" if r["ratio"] <= TARGET else "FAIL"
        print(
            f"| {name} | {r['plain_ms_per_epoch']:.3f} | {r['bn_ms_per_epoch']:.3f} "
            f"| {r['ratio']:.2f}× | ≤ {TARGET}× {verdict} |"
        )
    print("\n| softmax, 2-20-10-K Adam, spiral | ms/epoch, K = 2 | ms/epoch, K | K ÷ 2 |")
    print("|---|---:|---:|---:|")
    for name, r in softmax.items():
        print(
            f"| {name} | {r['plain_ms_per_epoch']:.3f} | {r['bn_ms_per_epoch']:.3f} "
            f"| {r['ratio']:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
