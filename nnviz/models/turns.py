"""Trainings take turns: at most ``n`` at once in a server process, the others wait in order.

Every session's script runs in a thread of one interpreter, so trainings at once only slow each
other down; in turns the first result comes after one training and the last no later than before.
A waiting session is told how many trainings are ahead and may stop waiting at any moment. The page
passes the function that shows the wait (no streamlit here). ``KeyedLocks``: sessions that ask for
the same experiment at the same moment train it once;
``TrainedOnce`` keeps what was trained, for every session, within a bound.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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


class TrainedOnce(Generic[K, V]):
    """Results trained once per server and shared by every session, by key (a frozen config).

    At most ``keep`` results are kept, the least recently asked for dropped first. ``once``
    trains a key that is not kept yet, and a session asking for a key that another session is
    training waits for that result instead of training it again. Results are shared, never copied:
    callers treat them as read-only."""

    def __init__(self, keep: int):
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        self._keep = keep
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._guard = threading.Lock()
        self._locks = KeyedLocks()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: K) -> V | None:
        """The kept result of ``key``, or None."""
        with self._guard:
            value = self._kept.get(key)
            if value is not None:
                self._kept.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``; past ``keep`` results, drop the least recently used."""
        with self._guard:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)

    def lock(self, key: K) -> threading.Lock:
        """The lock held while ``key`` trains."""
        return self._locks.lock(key)

    def once(
        self,
        key: K,
        train: Callable[[], V],
        wait: Callable[[float], None] = lambda seconds: None,
        every: float = 0.25,
    ) -> V:
        """The kept result of ``key``, else ``train()``'s, kept. While another session trains
        ``key``, call ``wait(seconds waited)`` every ``every`` seconds, then use its result. An
        exception from ``train`` or ``wait`` keeps nothing and propagates."""
        found = self.get(key)
        if found is not None:
            return found
        lock, start = self.lock(key), time.monotonic()
        while not lock.acquire(timeout=every):
            wait(time.monotonic() - start)
        try:
            found = self.get(key)  # it may have finished while this session waited
            if found is None:
                found = train()
                self.put(key, found)
            return found
        finally:
            lock.release()
