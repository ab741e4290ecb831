"""How long a 12 × 12 sweep map at the page's defaults takes until it is complete.

    python -m benchmarks.sweep_map [--repeats 2]

Three numbers per repeat, each on a seed not trained before (nothing cached):
    engine, first rows   iter_sweep until its first lockstep group (24 runs) is back
    engine, complete     iter_sweep until all 144 runs are back (what the map needs)
    page, complete       the sweep-maps page (AppTest, no browser) from start to the finished
                         script: training, the redraw after every group, the map, the picked
                         run's boundary
and the ratio page ÷ engine, measured in the same run. The machine's load is printed beside them.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

from nnviz.engine.sweep import iter_sweep
from nnviz.engine.train import load_data
from nnviz.models import sweep_model as sm

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "sweep.py")


def settings_for(seed: int) -> sm.Settings:
    default = sm.Settings()
    return replace(default, base=replace(default.base, seed=seed))


def time_engine(settings: sm.Settings) -> tuple[float, float]:
    sweep = settings.sweep()
    data = load_data(sweep.base)
    start = time.perf_counter()
    first = None
    for _ in iter_sweep(sweep, data):
        first = first or time.perf_counter() - start
    return first, time.perf_counter() - start


def time_page(settings: sm.Settings) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=600)
    at.query_params.update(sm.url_params(settings))
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception or not any("144 runs trained" in c.value for c in at.caption):
        raise RuntimeError(f"the page did not draw the map: {[e.value for e in at.exception]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.cache_data_api"):  # fmt: skip
        logging.getLogger(name).setLevel(logging.ERROR)  # AppTest's bare-mode notices
    time_page(settings_for(999))  # imports the page's modules once: the server's start-up
    rows = []
    for k in range(args.repeats):
        load = os.getloadavg()[0]
        first, engine = time_engine(settings_for(100 + k))
        page = time_page(settings_for(200 + k))
        rows.append((load, first, engine, page))
    run = sm.Settings().base.runs[0]
    print(f"144 runs (Adam's β₁ × β₂), {run.epochs} epochs, hidden {run.hidden}, "
          f"mini-batch {run.batch_size}, 225 train points; {os.cpu_count()} cores\n")  # fmt: skip
    print("| repeat | load (1 min) | engine, first rows (s) | engine, complete (s) "
          "| page, complete (s) | page ÷ engine |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for k, (load, first, engine, page) in enumerate(rows, 1):
        print(
            f"| {k} | {load:.1f} | {first:.2f} | {engine:.2f} | {page:.2f} | {page / engine:.2f} |"
        )
    median = statistics.median(page / engine for _, _, engine, page in rows)
    print(f"\nmedian page ÷ engine: {median:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
