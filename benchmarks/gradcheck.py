"""What the lab's gradient check costs: g_approx (2 forward passes per parameter checked), the
comparison with backprop, and the bug hunt's search for visible bugs, for the first run of each
experiment at its last snapshot. Best of N, one BLAS thread (as training uses).

    python -m benchmarks.gradcheck            # markdown table, ready for the README
    python -m benchmarks.gradcheck --repeat 5
"""

from __future__ import annotations

from dataclasses import replace

from benchmarks.inside import best, report
from nnviz.engine import gradcheck as gc
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import load_data, run_experiment
from nnviz.models import lab_model as lab


def measure(exp: Experiment, repeat: int) -> dict[str, float]:
    data = load_data(exp)
    h = run_experiment(exp)[0]
    p = gc.problem(h, data)
    theta = h.snapshots[-1]
    approx = gc.approximate(p, theta)
    c = gc.compare(approx, p.gradient(theta))
    return {
        "dims": "-".join(map(str, h.layout.dims)),
        "checked": f"{sum(c.checked):,} of {sum(c.sizes):,}",
        "m": p.m,
        "approx": best(lambda: gc.approximate(p, theta), repeat),
        "compare": best(lambda: gc.compare(approx, gc.gradient(p, theta)), repeat),
        "hunt": best(lambda: gc.hunt_candidates(p, approx), repeat),
        "worst": max(c.layers),
    }


LARGEST = RunConfig(hidden=(64,) * 6, epochs=5)
EXPERIMENTS = {
    "lab defaults": lab.DEFAULT,
    "deep initialization lesson": LESSONS["deep_initialization"].experiment,
    "largest network (6 × 64)": replace(lab.DEFAULT, runs=(LARGEST,)),
}


def table(results: dict[str, dict]) -> str:
    lines = [
        "| experiment | network | parameters checked | examples | g_approx | compare "
        "| bug-hunt search | worst layer difference |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['dims']} | {r['checked']} | {r['m']} | {1000 * r['approx']:.0f} ms "
            f"| {1000 * r['compare']:.1f} ms | {1000 * r['hunt']:.0f} ms | {r['worst']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    report(__doc__, measure, EXPERIMENTS, table)


if __name__ == "__main__":
    main()
