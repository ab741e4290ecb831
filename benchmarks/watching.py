"""The cost of watching a training in the lab: plain training against training with every live
frame the page would draw, built and serialized as the lab's charts send it
(app_pages/parts/charts.py).
Used by app_latency.py."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnviz.engine.config import Experiment


def watch_times(repeats: int) -> dict[str, list[float]]:
    """Plain training against training with every live frame the lab draws, built and turned
    into JSON as the lab sends it (the websocket and the browser are not in this number)."""
    from app_pages.parts.charts import payload
    from nnviz.engine.lessons import LESSONS
    from nnviz.engine.train import run_experiment, train_live
    from nnviz.models import lab_model as lab
    from nnviz.models import live
    from nnviz.views import figures
    from nnviz.views.curves import cost_figure

    def frame_work(exp: Experiment, data, frame) -> None:
        labels = lab.run_labels(exp)
        for i, (h, label) in enumerate(zip(frame, labels)):
            if h is not None:  # as the lab: a run whose lockstep group has not started yet
                payload(figures.boundary_figure(h, data, label, i, 48))
        done, shown, places = live.started(frame, labels)
        if live.has_curves(done):  # as the lab: the starting point has no curve yet
            payload(cost_figure(done, shown, None, places))

    times: dict[str, list[float]] = {}
    cases = {"default": lab.DEFAULT} | {k: lesson.experiment for k, lesson in LESSONS.items()}
    for name, exp in cases.items():
        data = lab.load_dataset(exp)
        for _ in range(repeats):
            start = time.perf_counter()
            run_experiment(exp, data)
            plain = time.perf_counter() - start
            start = time.perf_counter()
            frames = train_live(
                data, exp.runs, exp.seed, exp.log_every, every=live.EVERY, first=True
            )
            estimate = lab.estimated_seconds(exp, data.X_train.shape[1])
            pacer = live.pacer_for(len(exp.runs) + 1, estimate)  # as the lab
            work = (lambda f, e=exp, d=data: frame_work(e, d, f)) if pacer else None
            live.watch(frames, work, lambda f: None, pacer, first=True)
            watched = time.perf_counter() - start
            times.setdefault(f"{name}_plain", []).append(plain)
            times.setdefault(f"{name}_watched", []).append(watched)
            times.setdefault(f"{name}_frames", []).append(pacer.drawn if pacer else 0)
    return times
