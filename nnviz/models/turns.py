"""Trainings take turns: at most ``n`` at once in a server process, the others wait in order.

Every session's script runs in a thread of one interpreter, so trainings at once only slow each
other down; in turns the first result comes after one training and the last no later than before.
A waiting session is told how many trainings are ahead and may stop waiting at any moment. The page
passes the function that shows the wait (no streamlit here). ``KeyedLocks``: sessions that ask for
the same experiment at the same moment train it once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Turns:
    """A first-come, first-served gate for ``n`` trainings at once."""

    def __init__(self, n: int = 1):
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        self._n = n
        self._running = 0
        self._queue: list[object] = []  # the waiting sessions, in arrival order
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @contextmanager
    def turn(
        self, wait: Callable[[int], None] = lambda ahead: None, every: float = 0.25
    ) -> Iterator[None]:
        """Hold one of the ``n`` places for the ``with`` block. Until a place is free, call
        ``wait(ahead)`` at least every ``every`` seconds (``ahead``: the sessions waiting or
        training before this one); an exception from ``wait`` leaves the queue and propagates."""
        me = object()
        with self._changed:
            self._queue.append(me)
        try:
            while True:
                with self._changed:
                    ahead = self._queue.index(me)
                    if ahead < self._n - self._running:
                        self._queue.remove(me)
                        self._running += 1
                        break
                    self._changed.wait(every)
                    ahead = self._queue.index(me) + self._running
                wait(ahead)
        except BaseException:
            with self._changed:
                if me in self._queue:
                    self._queue.remove(me)
                self._changed.notify_all()
            raise
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()


class KeyedLocks:
    """One lock per key, so that sessions asking for the same experiment at the same moment (a
    class opening the teacher's link) train it once: the first trains, the others wait for the
    lock and then find the result in the cache. Different experiments do not wait for each other.
    At most ``keep`` idle locks are kept."""

    def __init__(self, keep: int = 64):
        self._guard = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}
        self._keep = keep

    def lock(self, key: Any) -> threading.Lock:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            if len(self._locks) > self._keep:
                for k in [k for k, v in self._locks.items() if k != key and not v.locked()]:
                    del self._locks[k]
            return lock
