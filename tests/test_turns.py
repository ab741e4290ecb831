"""Trainings take turns (nnviz/models/turns.py): threads that hold and release places on cue.

No timed assertions: every wait below is bounded only so that a bug fails instead of hanging."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from nnviz.models.turns import KeyedLocks, TrainedOnce, Turns
from tests.helpers.threads import BOUND, Session, until

ROOT = Path(__file__).resolve().parents[1]


def test_one_at_a_time_and_the_next_is_told_it_waits():
    turns, log = Turns(1), []
    first, second = Session(turns, log, "first"), Session(turns, log, "second")
    first.start()
    until(lambda: log == ["first"], "the first session trains")
    second.start()
    until(lambda: second.aheads, "the second is told it waits")
    assert log == ["first"] and turns.running == 1 and turns.waiting == 1
    assert set(second.aheads) == {1}  # one training ahead of it
    first.release.set()
    until(lambda: log == ["first", "second"], "the second trains once the first is done")
    second.release.set()
    for s in (first, second):
        s.join(BOUND)
    assert turns.running == 0 and turns.waiting == 0


def test_first_come_first_served():
    turns, log = Turns(1), []
    holder = Session(turns, log, "holder")
    holder.start()
    until(lambda: log == ["holder"], "the holder trains")
    queue = [Session(turns, log, f"s{i}") for i in range(5)]
    for i, s in enumerate(queue):
        s.start()
        until(lambda i=i: turns.waiting == i + 1, f"s{i} is in the queue")
    until(lambda: queue[4].aheads, "the last is told it waits")
    holder.release.set()
    for s in queue:
        until(lambda s=s: s.label in log, f"{s.label} trains")
        s.release.set()
    assert log == ["holder", "s0", "s1", "s2", "s3", "s4"]
    assert max(queue[4].aheads) == 5  # the last saw four waiting and one training before it


def test_two_places_let_two_train_at_once():
    turns, log = Turns(2), []
    a, b, c = (Session(turns, log, n) for n in "abc")
    a.start()
    b.start()
    until(lambda: sorted(log) == ["a", "b"], "two train at once")
    c.start()
    until(lambda: turns.waiting == 1, "the third waits")
    b.release.set()
    until(lambda: "c" in log, "the third trains when a place is free")
    a.release.set()
    c.release.set()
    for s in (a, b, c):
        s.join(BOUND)
    assert turns.running == 0


def test_a_session_that_stops_waiting_leaves_the_queue():
    turns, log = Turns(1), []
    holder = Session(turns, log, "holder")
    holder.start()
    until(lambda: log == ["holder"], "the holder trains")
    leaver = Session(turns, log, "leaver", fail_waiting=True)
    leaver.start()
    leaver.join(BOUND)
    assert isinstance(leaver.error, InterruptedError) and "leaver" not in log
    assert turns.waiting == 0
    holder.release.set()
    holder.join(BOUND)
    late = Session(turns, log, "late")
    late.start()
    until(lambda: "late" in log, "a later session gets the free place at once")
    assert late.aheads == []  # it never waited
    late.release.set()


def test_at_least_one_place():
    with pytest.raises(ValueError):
        Turns(0)


def test_the_lab_trains_in_turns():
    """The page's training waits for its turn (held here by a test thread), then trains."""
    from streamlit.testing.v1 import AppTest

    from app_pages import server
    from tests.helpers.apptest import charts

    turns, log = server.training_turns(), []
    assert turns is server.training_turns()  # one per server process
    holder = Session(turns, log, "another session")
    holder.start()
    until(lambda: log == ["another session"], "the other session trains")
    seen: list[int] = []

    def release_when_the_lab_waits() -> None:
        until(lambda: turns.waiting == 1, "the lab's session waits for its turn")
        seen.append(turns.waiting)
        holder.release.set()

    releaser = threading.Thread(target=release_when_the_lab_waits, daemon=True)
    releaser.start()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"epochs": "30,30", "seed": "424242"})  # not trained in this process
    at.run()
    releaser.join(BOUND)
    assert seen == [1] and not at.exception and not at.error
    assert any(k and k.startswith("boundary_") for k in charts(at))
    assert turns.running == 0 and turns.waiting == 0  # nothing left held


def test_keyed_locks_let_concurrent_sessions_train_an_experiment_once():
    locks, cache, calls = KeyedLocks(keep=2), {}, []

    def session(key: str) -> None:  # what the page does: lock, then the cached training
        with locks.lock(key):
            if key not in cache:
                calls.append(key)
                time.sleep(0.05)  # training takes a while; the others arrive meanwhile
                cache[key] = key.upper()

    threads = [threading.Thread(target=session, args=(k,)) for k in ["a"] * 8 + ["b"] * 4]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(calls) == ["a", "b"]  # each experiment trained once, not 8 and 4 times
    for k in "cdef":  # idle locks are dropped beyond `keep`
        locks.lock(k)
    assert len(locks._locks) <= 3


# --- TrainedOnce: what the server trained, shared by every session -------------------------------


def test_trained_once_trains_a_key_once_and_a_second_session_waits_for_its_result():
    store: TrainedOnce[str, object] = TrainedOnce(keep=4)
    release, calls, waited, got = threading.Event(), [], [], {}

    def train() -> object:
        calls.append("trained")
        release.wait(BOUND)
        return object()

    first = threading.Thread(target=lambda: got.setdefault("first", store.once("a", train)))
    first.start()
    until(lambda: calls == ["trained"], "the first session trains")
    second = threading.Thread(
        target=lambda: got.setdefault("second", store.once("a", train, waited.append, 0.01))
    )
    second.start()
    until(lambda: len(waited) >= 2, "the second session is told it waits, again and again")
    assert waited[1] > waited[0] >= 0.0  # seconds waited, growing
    release.set()
    first.join(BOUND)
    second.join(BOUND)
    assert calls == ["trained"] and got["first"] is got["second"] is store.get("a")
    assert store.once("a", lambda: pytest.fail("trained again")) is got["first"]


def test_trained_once_keeps_at_most_keep_the_least_recently_used_dropped_first():
    store: TrainedOnce[str, str] = TrainedOnce(keep=2)
    store.put("a", "A")
    store.put("b", "B")
    assert store.get("a") == "A"  # a is now the most recently used
    store.put("c", "C")
    assert len(store) == 2 and store.get("b") is None
    assert (store.get("a"), store.get("c")) == ("A", "C")


def test_a_failed_training_keeps_nothing_and_frees_its_key():
    store: TrainedOnce[str, str] = TrainedOnce(keep=2)

    def fail() -> str:
        raise InterruptedError("the student left")

    with pytest.raises(InterruptedError):
        store.once("a", fail)
    assert store.get("a") is None and not store.lock("a").locked()
    assert store.once("a", lambda: "A") == "A"


def test_trained_once_keeps_at_least_one():
    with pytest.raises(ValueError, match="keep must be at least 1"):
        TrainedOnce(keep=0)
