"""Threads that take a training turn (nnviz/models/turns.py) and hold it until released, and a
bounded wait for a condition. No timed assertions: the bound only turns a hang into a failure."""

from __future__ import annotations

import threading
import time

import pytest

from nnviz.models.turns import Turns

BOUND = 10.0  # seconds before a stuck thread counts as a failure


def until(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {BOUND:.0f} s: {what}")
        time.sleep(0.005)


class Session(threading.Thread):
    """Takes a turn, notes when it got in, and holds the place until released."""

    def __init__(self, turns: Turns, log: list, name: str, fail_waiting: bool = False):
        super().__init__(daemon=True)
        self.turns, self.log, self.label = turns, log, name
        self.release = threading.Event()
        self.aheads: list[int] = []
        self.fail_waiting = fail_waiting
        self.error: BaseException | None = None

    def waiting(self, ahead: int) -> None:
        self.aheads.append(ahead)
        if self.fail_waiting:
            raise InterruptedError("the student left")

    def run(self) -> None:
        try:
            with self.turns.turn(self.waiting, every=0.01):
                self.log.append(self.label)
                self.release.wait(BOUND)
        except InterruptedError as e:
            self.error = e
