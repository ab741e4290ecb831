"""A sweep's or a search round's runs trained one lockstep group per server turn (the lab's
trainings on this server go in between), the page redrawn as each group finishes."""

from __future__ import annotations

import time
from collections.abc import Callable

from app_pages.server import training_turns
from nnviz.engine.data import Dataset
from nnviz.engine.sweep import Plan, SweepRow, iter_sweep
from nnviz.models import sweep_model as sm


def train_in_turns(
    plan: Plan, data: Dataset, place, draw: Callable[[list[SweepRow], float], None]
) -> sm.TrainedMap:
    """Train ``plan``'s runs; after each group, ``draw(rows so far, seconds so far)``."""
    rows, start = [], time.perf_counter()
    groups = iter_sweep(plan, data)
    while True:
        with training_turns().turn(lambda ahead: waiting(place, ahead)):
            group = next(groups, None)
        if group is None:
            return sm.TrainedMap(tuple(rows), time.perf_counter() - start)
        rows += group
        draw(rows, time.perf_counter() - start)


def waiting(place, ahead: int) -> None:
    place.caption(f"Waiting for the server: {ahead} training(s) ahead of these runs…")
