"""Class mode on the server side: N simulated students fill a grid while the board polls.

Each student (a thread, like a session of one Streamlit process) joins the class, is handed a cell
round-robin (``Classes.assign_cell`` over ``grid_cells``), predicts its band, trains the cell on the
server from its settings (``run_experiment``; a cell this process already trained is reused
through ``TrainedOnce``, as the pages do) and saves the result. A board poller reads the teacher's
``board`` every second and notes when each cell's result first shows.

  A  one process, SQLite in a temporary folder, N = 30 joining within 5 s;
  B  K = 2 worker processes sharing one PostgreSQL (tests/helpers/postgres.py), N = 100; then a
     second class where one worker is killed (SIGKILL) half-way through its students: every
     acknowledged record must still be in the database and its students can come back.

Lost records are counted in the database after the run (students, predictions and results the
benchmark was told were saved, but which are not there). Loopback and in-machine only; every wait
is bounded by ``--deadline``. The protocol-level half (through the page's websocket) is later work.

    python -m benchmarks.class_mode                 # A and B, a markdown table
    python -m benchmarks.class_mode --scenarios A --students 10
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from nnviz.engine.train import run_experiment
from nnviz.models import classroom as cm
from nnviz.models import lab_model as lab
from nnviz.models.turns import TrainedOnce
from nnviz.store import Classes, open_store
from nnviz.store.classes import digest
from nnviz.store.schema import classes as classes_table
from nnviz.store.schema import results, students

AXES = ("lambd=0,0.35,0.7", "lr=0.003,0.01,0.03")  # λ × α, 3×3
# issue 20's p95 targets in seconds: (join → cell, submit → result, saved → on board). B (two
# processes on PostgreSQL) has one for submit → result only; the others are measured, no verdict
TARGETS_A = (1.0, 5.0, 3.0)
TARGETS_B = (None, 10.0, None)
POLL = 1.0  # seconds between the board's reads, as the page's fragment
MEASURES = (  # the timed rows: join, submit, submit when the cell was trained, board
    "join → cell assigned (s)",
    "submit → own result saved (s)",
    "submit → saved, cell trained here (s)",
    "saved → visible on board (s)",
)


def grid_activity(epochs: int) -> cm.Activity:
    """λ × α over the lab's default experiment, one run of ``epochs`` epochs."""
    base = replace(lab.DEFAULT, runs=(replace(lab.DEFAULT.runs[0], epochs=epochs),))
    return cm.Activity("grid", base, axes=AXES)


# --- what each student was told --------------------------------------------------------------


@dataclass
class Ack:
    """What the store acknowledged to one student, and when (``time.time()``, comparable across
    processes on one machine)."""

    nickname: str
    token: str | None = None
    cell: str | None = None
    join_s: float | None = None  # join asked -> cell assigned
    predicted: bool = False
    submit_s: float | None = None  # training asked -> result saved
    saved_at: float | None = None
    trained: bool = False  # this student's session trained the cell (not reused)
    error: str | None = None


def one_student(
    classes: Classes,
    code: str,
    nickname: str,
    cells: Sequence[cm.Cell],
    trained: TrainedOnce,
    tell: Callable[[Ack], None],
) -> None:
    """Join, take a cell, predict, train it (once per process), save; ``tell`` after each step
    the store acknowledged (what a page would then show as saved)."""
    ack = Ack(nickname)
    try:
        start = time.time()
        ack.token = classes.join(code, nickname)
        tell(ack)
        ack.cell = classes.assign_cell(ack.token, [c.id for c in cells])
        ack.join_s = time.time() - start
        tell(ack)
        classes.predict(ack.token, ack.cell, cm.PREDICTIONS["band"][-1])
        ack.predicted = True
        tell(ack)
        submit = time.time()
        cell = next(c for c in cells if c.id == ack.cell)
        metrics, ack.trained = train_cell(cell, trained)
        classes.save_result(ack.token, ack.cell, metrics)
        ack.saved_at = time.time()
        ack.submit_s = ack.saved_at - submit
    except Exception as error:  # noqa: BLE001 - counted and shown, one line
        ack.error = f"{type(error).__name__}: {' '.join(str(error).split())}"
    tell(ack)


def train_cell(cell: cm.Cell, trained: TrainedOnce) -> tuple[dict[str, Any], bool]:
    """The cell's outcome, trained on the server from its settings or reused from this
    process's ``trained``; and whether it was trained here."""
    ran = []
    histories = trained.once(
        cell.experiment, lambda: ran.append(1) or run_experiment(cell.experiment)
    )
    got = cm.outcome(histories[0])
    return {"test_accuracy": got.test_accuracy, "band": got.band, "fit": got.fit}, bool(ran)


def run_students(
    classes: Classes,
    code: str,
    names: Sequence[str],
    cells: Sequence[cm.Cell],
    spread: float,
    tell: Callable[[Ack], None],
    deadline: float,
) -> None:
    """One thread per student, the i-th starting at i·spread/N seconds; waits at most until
    ``deadline`` (time.time())."""
    trained: TrainedOnce = TrainedOnce(keep=len(cells))
    threads = []
    for i, name in enumerate(names):
        delay = i * spread / max(len(names), 1)
        target = lambda n=name, d=delay: (  # noqa: E731
            time.sleep(d),
            one_student(classes, code, n, cells, trained, tell),
        )
        threads.append(threading.Thread(target=target, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.time()))


class Acks:
    """The latest acknowledgement of each student, collected from threads or processes."""

    def __init__(self) -> None:
        self.by_name: dict[str, Ack] = {}
        self._guard = threading.Lock()

    def tell(self, ack: Ack) -> None:
        with self._guard:
            self.by_name[ack.nickname] = replace(ack)

    def all(self) -> list[Ack]:
        with self._guard:
            return list(self.by_name.values())


# --- the board and the database ---------------------------------------------------------------


class BoardPoller(threading.Thread):
    """Reads the teacher's board every ``POLL`` s; notes when each cell's result first shows."""

    def __init__(self, classes: Classes, code: str, secret: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.classes, self.code, self.secret, self.stop = classes, code, secret, stop
        self.first_seen: dict[str, float] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                board = self.classes.board(self.code, self.secret)
                now = time.time()
                for c in board.cells or ():
                    if c.metrics is not None:
                        self.first_seen.setdefault(c.cell, now)
            except Exception as error:  # noqa: BLE001 - counted as the board's error
                self.errors.append(f"board: {type(error).__name__}: {error}")
            self.stop.wait(POLL)


def visibility(acks: Sequence[Ack], first_seen: dict[str, float]) -> list[float]:
    """Per saved cell: first seen on the board − its first acknowledged save (a result the board
    showed before the save returned counts 0; one never shown counts ∞)."""
    saved: dict[str, float] = {}
    for a in acks:
        if a.saved_at is not None:
            saved[a.cell] = min(a.saved_at, saved.get(a.cell, a.saved_at))
    return [max(0.0, first_seen.get(c, np.inf) - t) for c, t in saved.items()]


def lost_records(engine: sa.Engine, code: str, acks: Sequence[Ack]) -> list[str]:
    """Each acknowledged record not in the database: a joined student (by token), their cell,
    their prediction, their cell's result. Read with plain SQL, not through the repository."""
    with engine.connect() as connection:
        class_id = connection.scalar(
            sa.select(classes_table.c.id).where(classes_table.c.code == code)
        )
        rows = connection.execute(students.select().where(students.c.class_id == class_id)).all()
        done = connection.execute(
            sa.select(results.c.cell).where(results.c.class_id == class_id)
        ).scalars()
        done = set(done)
    by_token = {r.token_hash: r for r in rows}
    lost = []
    for a in acks:
        row = by_token.get(digest(a.token)) if a.token else None
        if a.token and row is None:
            lost.append(f"{a.nickname}: student")
            continue
        if a.join_s is not None and row.cell != a.cell:
            lost.append(f"{a.nickname}: cell")
        if a.predicted and row.prediction is None:
            lost.append(f"{a.nickname}: prediction")
        if a.saved_at is not None and a.cell not in done:
            lost.append(f"{a.nickname}: result of {a.cell}")
    return lost


def rejoined(classes: Classes, acks: Sequence[Ack]) -> int:
    """How many acknowledged students come back as themselves (same nickname and cell)."""
    back = 0
    for a in acks:
        if a.token is None:
            continue
        try:
            me = classes.student(a.token)
        except Exception:  # noqa: BLE001 - not back
            continue
        back += me.nickname == a.nickname and (a.join_s is None or me.cell == a.cell)
    return back


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    """One scenario's numbers; ``rows`` renders them against the targets."""

    name: str
    students: int
    join: list[float] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)
    submit_trained: list[float] = field(default_factory=list)  # those that trained the cell
    visible: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    targets: tuple[float | None, float | None, float | None] = TARGETS_A
    extra: list[tuple[str, str, str, bool]] = field(default_factory=list)  # kill rows
    measures: tuple[str, str, str, str] = MEASURES  # the timed rows' names

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        join, submit, visible = self.targets
        values = (self.join, self.submit, self.submit_trained, self.visible)
        timed = zip(self.measures, values, (join, submit, submit, visible))
        out = []
        for measure, values, target in timed:
            p50, p95 = percentile(values, 50), percentile(values, 95)
            subset = measure == self.measures[2]  # none may have trained: then no verdict
            verdict = (
                ""
                if target is None or subset and not values
                else mark(bool(values) and p95 <= target)
            )
            limit = "—" if target is None else f"≤ {target:g}"
            out.append((measure, str(len(values)), fmt(p50), fmt(p95), limit, verdict))
        out.append(("errors", str(len(self.errors)), "", "", "0", mark(not self.errors)))
        out.append(("lost records", str(len(self.lost)), "", "", "0", mark(not self.lost)))
        out += [(m, n, "", "", t, mark(ok)) for m, n, t, ok in self.extra]
        return out


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank (never interpolated: an ∞ stays ∞); NaN for no values."""
    return float(np.percentile(values, q, method="higher")) if len(values) else float("nan")


def fmt(x: float) -> str:
    return "—" if np.isnan(x) else ("∞" if np.isinf(x) else f"{x:.3f}")


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def table(reports: Sequence[Report]) -> str:
    lines = [
        "| scenario | measure | n | p50 | p95 | target | |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in reports:
        for row in r.rows():
            lines.append(f"| {r.name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def summarize(name: str, n: int, acks: Sequence[Ack], poller: BoardPoller) -> Report:
    return Report(
        name=name,
        students=n,
        join=[a.join_s for a in acks if a.join_s is not None],
        submit=[a.submit_s for a in acks if a.submit_s is not None],
        submit_trained=[a.submit_s for a in acks if a.submit_s is not None and a.trained],
        visible=visibility(acks, poller.first_seen),
        errors=[f"{a.nickname}: {a.error}" for a in acks if a.error] + poller.errors,
    )


# --- scenario A: threads in one process, SQLite -----------------------------------------------


def scenario_a(
    n: int,
    spread: float,
    epochs: int,
    deadline: float,
    url: str | None = None,
    store: Callable[[sa.Engine], Classes] = Classes,
) -> Report:
    """N student threads in this process on one store (a temporary SQLite file unless ``url``);
    ``store`` makes the repository (a test plants a faulty one)."""
    with tempfile.TemporaryDirectory(prefix="nnviz-class-bench-") as folder:
        engine = open_store(url or f"sqlite:///{Path(folder) / 'class.sqlite3'}")
        try:
            return run_a(engine, store(engine), n, spread, epochs, deadline)
        finally:
            engine.dispose()


def run_a(
    engine: sa.Engine, classes: Classes, n: int, spread: float, epochs: int, deadline: float
) -> Report:
    code, secret = new_class(classes, epochs)
    cells = cm.grid_cells(grid_activity(epochs))
    acks, poller = Acks(), BoardPoller(Classes(engine), code, secret, threading.Event())
    poller.start()
    names = [f"student {i + 1}" for i in range(n)]
    run_students(classes, code, names, cells, spread, acks.tell, deadline)
    report = finish("A", n, acks.all(), poller, deadline)
    report.errors += [f"{name}: never started" for name in names if name not in acks.by_name]
    report.lost = lost_records(engine, code, acks.all())
    return report


def new_class(classes: Classes, epochs: int) -> tuple[str, str]:
    """A grid class on the benchmark's activity: its code and the teacher's secret."""
    activity = grid_activity(epochs)
    return classes.create_class("grid", activity.experiment.to_dict(), grid=list(AXES))


def finish(
    name: str, n: int, acks: list[Ack], poller: BoardPoller, deadline: float, cut: list[Ack] = ()
) -> Report:
    """Once the board shows every saved cell (or at the deadline): the report, with students
    that neither saved nor failed counted as errors (except those ``cut`` off by a kill)."""
    wait_visible(poller, acks, deadline)
    poller.stop.set()
    poller.join(POLL + 5)
    report = summarize(name, n, acks, poller)
    unfinished = [a for a in acks if not finished(a) and a not in cut]
    report.errors += [f"{a.nickname}: unfinished" for a in unfinished]
    return report


def finished(a: Ack) -> bool:
    return a.saved_at is not None or a.error is not None


def wait_visible(poller: BoardPoller, acks: Sequence[Ack], deadline: float) -> None:
    """Until every saved cell has shown on the board, or the deadline."""
    cells = {a.cell for a in acks if a.saved_at is not None}
    while time.time() < deadline and not cells <= set(poller.first_seen):
        time.sleep(0.1)


# --- scenario B: worker processes sharing PostgreSQL -----------------------------------------


def worker(url: str, code: str, names: list[str], spread: float, epochs: int, pipe) -> None:
    """A server process (run by multiprocessing): its students' acknowledgements sent down
    ``pipe`` as they come; then it waits to be told to stop (or to be killed)."""
    engine = open_store(url)
    guard = threading.Lock()

    def tell(ack: Ack) -> None:
        with guard:
            pipe.send(ack)

    cells = cm.grid_cells(grid_activity(epochs))
    deadline = time.time() + 3600
    run_students(Classes(engine), code, names, cells, spread, tell, deadline)
    with guard:
        pipe.send("done")
    pipe.recv()


@dataclass
class Worker:
    process: Any
    pipe: Any
    names: list[str]
    done: bool = False
    acks: dict[str, Ack] = field(default_factory=dict)

    def read(self) -> None:
        """Everything the worker has sent so far (nothing more once it died mid-message)."""
        try:
            while not self.done and self.pipe.poll():
                got = self.pipe.recv()
                if got == "done":
                    self.done = True
                else:
                    self.acks[got.nickname] = got
        except (EOFError, OSError):
            self.done = True

    def saves(self) -> int:
        return sum(a.saved_at is not None for a in self.acks.values())


def start_workers(url: str, code: str, n: int, k: int, spread: float, epochs: int) -> list[Worker]:
    context = mp.get_context("spawn")
    workers = []
    for w in range(k):
        names = [f"student {i + 1}" for i in range(w, n, k)]
        parent, child = context.Pipe()
        args = (url, code, names, spread, epochs, child)
        process = context.Process(target=worker, args=args, daemon=True)
        process.start()
        workers.append(Worker(process, parent, names))
    return workers


def stop_workers(workers: Sequence[Worker]) -> None:
    for w in workers:
        if w.process.is_alive():
            try:
                w.pipe.send("stop")
            except OSError:
                pass
            w.process.join(10)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(10)


def run_b(
    url: str,
    n: int,
    k: int,
    spread: float,
    epochs: int,
    deadline: float,
    kill_after: int | None = None,
) -> tuple[Report, list[Ack], str]:
    """N students over K worker processes on ``url``; with ``kill_after``, the last worker is
    killed (SIGKILL) once it has acknowledged that many saves. The report, the killed worker's
    acknowledgements (empty without a kill) and the class code."""
    engine = open_store(url)
    try:
        classes = Classes(engine)
        code, secret = new_class(classes, epochs)
        poller = BoardPoller(Classes(engine), code, secret, threading.Event())
        poller.start()
        workers = start_workers(url, code, n, k, spread, epochs)
        try:
            victim = watch(workers, deadline, kill_after)
        finally:
            stop_workers(workers)
        killed = list(victim.acks.values()) if victim else []
        acks = [a for w in workers for a in w.acks.values()]
        name = "B" if victim is None else "B, one worker killed"
        report = finish(name, n, acks, poller, deadline, cut=killed)
        report.targets = TARGETS_B
        missing = [m for w in workers if w is not victim for m in w.names if m not in w.acks]
        report.errors += [f"{m}: never started" for m in missing]
        report.lost = lost_records(engine, code, acks)
        if victim is not None:
            report.extra = kill_rows(classes, killed)
        return report, killed, code
    finally:
        engine.dispose()


def watch(workers: Sequence[Worker], deadline: float, kill_after: int | None) -> Worker | None:
    """Read the workers until all are done (or the deadline); kill the last one (SIGKILL) once
    it has acknowledged ``kill_after`` saves. The killed worker, if any."""
    victim = None
    while time.time() < deadline and not all(w.done for w in workers):
        for w in workers:
            w.read()
        last = workers[-1]
        if kill_after is not None and victim is None and last.saves() >= kill_after:
            os.kill(last.process.pid, signal.SIGKILL)
            last.process.join(10)
            last.read()  # what it sent before dying is acknowledged; then its pipe ends
            last.done, victim = True, last
        time.sleep(0.02)
    return victim


def kill_rows(classes: Classes, killed: Sequence[Ack]) -> list[tuple]:
    joined = [a for a in killed if a.token is not None]
    saved = sum(a.saved_at is not None for a in killed)
    back = rejoined(classes, joined)
    return [
        ("killed worker: students acknowledged / saves", f"{len(joined)} / {saved}", "", True),
        (
            "killed worker: students who rejoin",
            f"{back} of {len(joined)}",
            "all",
            back == len(joined),
        ),
    ]


def scenario_b(
    n: int, k: int, spread: float, epochs: int, budget: float, out=sys.stdout
) -> list[Report]:
    """B on a throwaway PostgreSQL: the run, then a second class with one worker killed."""
    from tests.helpers import postgres

    programs = postgres.bindir()
    if programs is None:
        print("Scenario B skipped: no PostgreSQL initdb (apt-get install postgresql)", file=out)
        return []
    server = postgres.start(programs)
    try:
        url = server.fresh_database()
        report, *_ = run_b(url, n, k, spread, epochs, time.time() + budget)
        half = max(1, n // k // 2)  # the killed worker's saves before the kill
        killed, *_ = run_b(url, n, k, spread, epochs, time.time() + budget, kill_after=half)
        return [report, killed]
    finally:
        postgres.stop(server)


# --- the command -----------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = options(
        "python -m benchmarks.class_mode",
        "Class mode, server side: N simulated students fill a λ × α grid while the board "
        "polls; p50/p95 against issue 20's targets, errors and lost records.",
        deadline=120.0,
    )
    return checked(p, p.parse_args(argv))


def options(prog: str, description: str, deadline: float) -> argparse.ArgumentParser:
    """The options both class benchmarks take (benchmarks/class_page.py adds its own)."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--scenarios", default="A,B", help="A, B or A,B (default A,B)")
    p.add_argument("--students", type=int, default=30, help="N in scenario A (default 30)")
    p.add_argument("--students-b", type=int, default=100, help="N in scenario B (default 100)")
    p.add_argument("--workers", type=int, default=2, help="K processes in scenario B (default 2)")
    p.add_argument("--spread", type=float, default=5.0, help="seconds over which students join")
    p.add_argument("--epochs", type=int, default=100, help="epochs of each cell's run")
    p.add_argument(
        "--deadline", type=float, default=deadline, help="seconds each scenario may take"
    )
    return p


def checked(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """The options' values checked (one line and exit 2 if wrong); ``args.chosen`` the scenarios."""
    chosen = {s.strip().upper() for s in args.scenarios.split(",") if s.strip()}
    if not chosen or not chosen <= {"A", "B"}:
        p.error(f"--scenarios takes A, B or A,B, got {args.scenarios!r}")
    if min(args.students, args.students_b, args.workers, args.epochs) < 1:
        p.error("--students, --students-b, --workers and --epochs must be at least 1")
    if min(args.spread, getattr(args, "spread_b", 0.0)) < 0 or args.deadline <= 0:
        p.error("--spread and --spread-b must be ≥ 0 and --deadline > 0")
    args.chosen = chosen
    return args


def main(argv: Sequence[str] | None = None, out=sys.stdout) -> int:
    args = parse(argv)
    b = (args.students_b, args.workers, args.spread, args.epochs, args.deadline, out)
    return run_chosen(
        args, lambda end: scenario_a(args.students, args.spread, args.epochs, end),
        lambda: scenario_b(*b), out,
    )  # fmt: skip


def run_chosen(
    args: argparse.Namespace,
    a: Callable[[float], Report],
    b: Callable[[], list[Report]],
    out=sys.stdout,
) -> int:
    """The chosen scenarios (A given its deadline, ``time.time()``), their table, their first
    errors and lost records, the load average around them; 0 if every target was met."""
    print(f"load average at start: {load()}", file=out)
    reports = []
    if "A" in args.chosen:
        reports.append(a(time.time() + args.deadline))
    if "B" in args.chosen:
        reports += b()
    print(table(reports), file=out)
    for r in reports:
        for line in (r.errors + r.lost)[:5]:
            print(f"{r.name}: {line}", file=out)
    print(f"load average at end: {load()}", file=out)
    return 0 if all(row[-1] != "MISSED" for r in reports for row in r.rows()) else 1


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


if __name__ == "__main__":  # through the package, so worker processes share its classes
    from benchmarks import class_mode

    sys.exit(class_mode.main())
