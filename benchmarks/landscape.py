"""The loss-landscape slice: 51 × 51 costs batched, against the same costs one run at a time.

At the lab's default experiment (trained first): the slice through run 2's final weights
(λ = 0.7, so J includes its L2 term) along filter-normalised random directions, as
``nnviz.engine.landscape.landscape`` computes it (directions, paths, 2,601 costs in chunks of
``CHUNK`` rows); then the same 2,601 costs evaluated one parameter vector at a time, as a loop
over single-run evaluations would. Best of N, one BLAS thread (as training uses); both in this
process, so the ratio holds on a busy machine.

    python -m benchmarks.landscape
    python -m benchmarks.landscape --repeat 5
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.inside import best
from nnviz.engine import landscape as ls
from nnviz.engine.network import ACTIVATIONS, with_ones
from nnviz.engine.train import load_data, run_experiment
from nnviz.models import lab_model as lab

CENTRE = 1  # the default's second run, λ = 0.7


def sequential(land: ls.Landscape, h, data) -> np.ndarray:
    """The slice's 2,601 costs, one (1, P) parameter vector per forward pass."""
    thetas = ls.plane(h.theta, land.d, land.alphas, land.betas)
    act, X1, Y = ACTIVATIONS[h.config.activation], with_ones(data.X_train), data.Y_train
    with threadpool_limits(limits=1, user_api="blas"):
        return np.array(
            [ls.costs(h.layout, act, t[None, :], X1, Y, h.config.lambd)[0] for t in thetas]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    args = parser.parse_args()
    exp = lab.DEFAULT
    data, histories = load_data(exp), run_experiment(exp)
    h = histories[CENTRE]
    land = ls.landscape(histories, data, CENTRE, "random", seed=0)
    batched = best(lambda: ls.landscape(histories, data, CENTRE, "random", seed=0), args.repeat)
    one_by_one = best(lambda: sequential(land, h, data), args.repeat)
    agree = np.max(np.abs(sequential(land, h, data) - land.J.ravel()))
    n = land.J.size
    print(f"network {h.layout.dims}, {data.X_train.shape[1]} training points, {n:,} costs")
    print(f"batched slice (landscape(), chunks of {ls.CHUNK}): {batched:.3f} s")
    print(f"{n:,} sequential single-run costs:            {one_by_one:.3f} s")
    ratio = one_by_one / batched
    print(f"ratio sequential / batched: {ratio:.1f}x; largest difference {agree:.1e}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
