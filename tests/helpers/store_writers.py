"""Processes that write class results, for the store's concurrency and kill tests: run by
``multiprocessing`` (spawn), so they must be importable functions."""

import threading

import sqlalchemy as sa

from nnviz.store import Classes, open_store


def write_results(url: str, students: list[tuple[str, str]], start) -> int:
    """Each (token, cell)'s result saved, after every writer is ready (``start``, a barrier)."""
    classes = Classes(open_store(url))
    start.wait()
    for token, cell in students:
        classes.save_result(token, cell, {"cell": cell, "accuracy": 0.5})
    return len(students)


def write_and_report(url: str, students: list[tuple[str, str]], pipe) -> None:
    """Save results one by one, sending each cell down ``pipe`` once it is committed; then
    wait to be killed (so the test's kill always lands on a live process)."""
    classes = Classes(open_store(url))
    for token, cell in students:
        classes.save_result(token, cell, {"cell": cell})
        pipe.send(cell)  # acknowledged: the page would now say "saved"
    threading.Event().wait()


def open_at_once(url: str, start) -> str:
    """Open the store as soon as every process is ready: the schema revision it then finds."""
    start.wait()
    with open_store(url).connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
