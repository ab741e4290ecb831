"""What "inside the network" costs next to training, measured in the same process.

For each experiment: training (``run_experiment``), then what the lab's panel computes from the
snapshots — ``inspect`` of every run (gradients and per-layer norms at every snapshot epoch, in one
batched pass) and ``inside`` of every run at one epoch (activations on the training set and the
unit maps) — and the panel's figures. Best of N, one BLAS thread (as training uses).

    python -m benchmarks.inside            # markdown table, ready for the README
    python -m benchmarks.inside --repeat 5
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from nnviz.engine.config import Experiment
from nnviz.engine.inspect import inside, inspect
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import load_data, run_experiment
from nnviz.models import lab_model as lab
from nnviz.views import layer_figures as lf
from nnviz.views import network_figures as nf


def best(f: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(exp: Experiment, repeat: int) -> dict[str, float]:
    data = load_data(exp)
    histories = run_experiment(exp)
    last = int(histories[0].snapshot_epochs[-1])

    def figures() -> None:
        views = [inside(h, data, last) for h in histories]
        nf.network_figure(views[0], "W")
        nf.unit_maps_figure(views[0])
        nf.unit_map_figure(views[0], data, 1, 1)
        lf.activations_figure(views, [str(k) for k in range(len(views))])
        lf.norms_figure(inspect(histories[0], data), last)

    figures()  # warm plotly's validators: a one-time cost per process
    return {
        "train": best(lambda: run_experiment(exp), repeat),
        "inspect": best(lambda: [inspect(h, data) for h in histories], repeat),
        "inside": best(lambda: [inside(h, data, last) for h in histories], repeat),
        "figures": best(figures, repeat),
        "snapshots": len(histories[0].snapshot_epochs),
        "runs": len(histories),
    }


EXPERIMENTS = {
    "lab defaults": lab.DEFAULT,
    "deep initialization lesson": LESSONS["deep_initialization"].experiment,
    "optimization lesson": LESSONS["optimization"].experiment,
}


def table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| experiment | runs × snapshots | training | inspect (all snapshots) | inside (one epoch) "
        "| engine overhead | figures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        engine = r["inspect"] + r["inside"]
        lines.append(
            f"| {name} | {r['runs']} × {r['snapshots']} | {r['train']:.2f} s | "
            f"{1000 * r['inspect']:.0f} ms | {1000 * r['inside']:.0f} ms | "
            f"{100 * engine / r['train']:.1f}% | {1000 * r['figures']:.0f} ms |"
        )
    return "\n".join(lines)


def report(doc: str, measure: Callable, experiments: dict, table: Callable) -> None:
    """The command line of a benchmark: --repeat N, then its markdown table and the load."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    args = parser.parse_args()
    results = {name: measure(exp, args.repeat) for name, exp in experiments.items()}
    print(table(results))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (2 cores)")


def main() -> None:
    report(__doc__, measure, EXPERIMENTS, table)


if __name__ == "__main__":
    main()
