"""Class mode through the Class page: N students and a teacher in Streamlit's own protocol.

Each student is a tab kept open on ``/class`` (tests/helpers/students.py ``Session``): it types
the class code and a nickname into the join form and clicks Join, is handed a cell, picks a
prediction in the radio and clicks "Save my prediction", then "Train my cell"; its page keeps
polling for the reveal as a browser's does. The teacher creates the grid class on the same page
(the lab's experiment in the link, "The class is the grid", λ × α) and keeps the board open: its
fragment reruns every 1.5 s and each refresh's table says which cells have a result.

Measured from what the pages drew (the ForwardMsg deltas), against issue 20's targets:
  join → cell assigned       the Join click → the student page's "Your cell" line;
  submit → result on screen  the "Train my cell" click → the line "Your cell's run: …";
  saved → on the board       the student's "Saved." → the teacher's table first showing a result
                             for that cell (per cell, from its first save);
  errors                     an exception or error on any page, a step that never came;
  lost records               what the pages acknowledged (joined, cell, prediction, "Saved."),
                             missing from the database after the run (plain SQL).

  A  one ``streamlit run`` process, SQLite in a temporary folder, N = 30 joining within 5 s;
  B  deploy/serve.sh with K = 2 processes behind nginx sharing a throwaway PostgreSQL, N = 100;
     then a second class where one app process is killed (SIGKILL) once half of its class's
     results are saved: the students whose connection dropped reopen their own link through
     nginx and must come back as themselves, with their cell; nothing acknowledged may be lost.

    python -m benchmarks.class_page                 # A and B, a markdown table
    python -m benchmarks.class_page --scenarios A --students 10

Loopback only; ports picked free; every wait is for a state, bounded by ``--deadline``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa

from benchmarks import class_mode as cmode
from benchmarks.class_mode import Ack, Report, lost_records, visibility
from tests.helpers.students import Closed, Seen, Session

MEASURES = (
    "join → cell assigned (s)",
    "submit → own result on screen (s)",
    "submit → on screen, training spinner shown (s)",
    "saved → visible on the teacher's board (s)",
)
CELL = re.compile(r"Your cell \*\*([^*]+)\*\*")
RESULT = "Your cell's run:"
SAVED = "Saved."
STEP = 120.0  # seconds one click may take on a loaded machine before it counts as an error


# --- what the pages drew ------------------------------------------------------------------------


def first(seen: Sequence[Seen], kind: str, test: Callable[[str], bool]) -> Seen | None:
    return next((s for s in seen if s.kind == kind and test(s.text)), None)


def board_results(seen: Sequence[Seen]) -> dict[str, float]:
    """Each cell's first moment in the board's table with a result (its test accuracy)."""
    shown: dict[str, float] = {}
    for s in seen:
        for row in s.rows or ():
            accuracy = row.get("test_accuracy")
            if accuracy is not None and accuracy == accuracy:  # not None, not NaN
                shown.setdefault(str(row.get("cell")), s.at)
    return shown


# --- the teacher --------------------------------------------------------------------------------


@dataclass
class Teacher:
    """The teacher's tabs: the one that created the class, then any reopened after a drop."""

    base: str
    tabs: list[Session] = field(default_factory=list)
    code: str = ""
    errors: list[str] = field(default_factory=list)

    async def create(self, epochs: int, timeout: float) -> str:
        """The grid class, made on the Class page from the lab's link ("Use in class")."""
        experiment = cmode.grid_activity(epochs).experiment
        from nnviz.models import lab_model

        tab = Session(self.base, "class", urlencode(lab_model.url_params(experiment)))
        self.tabs.append(tab)
        await tab.open(timeout)
        await tab.rerun(timeout, kind="The class is the grid")
        axis1, axis2 = cmode.AXES
        await tab.rerun(timeout, click="create", axis1=axis1, axis2=axis2)
        link = parse_qs(tab.query)
        if "teacher" not in link:
            raise RuntimeError(f"the Class page made no class: {tab.result.error or tab.query}")
        self.code = link["code"][0]
        return self.code

    async def keep_open(self, stop: asyncio.Event, timeout: float) -> None:
        """The board stays open; a dropped tab is reopened on its own link (as the browser
        reconnects), until ``stop``."""
        while not stop.is_set():
            tab = self.tabs[-1]
            if tab.closed:
                again = Session(self.base, "class", tab.query)
                self.tabs.append(again)
                with contextlib.suppress(Exception):
                    await again.open(timeout)
            await asyncio.sleep(0.2)

    def shown(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for tab in self.tabs:
            for cell, at in board_results(tab.seen).items():
                out[cell] = min(at, out.get(cell, at))
        return out


# --- a student ----------------------------------------------------------------------------------


@dataclass
class Student:
    """One student's tabs and what their pages acknowledged."""

    base: str
    code: str
    ack: Ack
    tabs: list[Session] = field(default_factory=list)
    cut: bool = False  # their connection dropped (their app process died)
    reopened: bool = False  # they reopened their own link (after a drop)
    back: bool = False  # and it brought them back as themselves, with their cell
    joining: bool = False  # they clicked Join and their page has not come back yet
    renamed: bool = False  # cut while joining: joined again under a new nickname
    done: asyncio.Event = field(default_factory=asyncio.Event)  # their steps are over, or failed
    busy: bool = False  # in their steps (joining, or coming back)

    async def run(self, delay: float, timeout: float, stop: asyncio.Event) -> None:
        """Join, predict, train, then keep the tab open until ``stop``; after a dropped
        connection, reopen their link (as the browser reconnects) and go on."""
        await asyncio.sleep(delay)
        for _ in range(3):
            try:
                self.busy = True
                await self.steps(timeout)
                self.busy = False
                self.done.set()
                if not await dropped(self.tabs[-1], stop):
                    return
            except Closed:
                pass
            self.cut = True
        self.ack.error = "dropped three times"

    async def steps(self, timeout: float) -> None:
        ack = self.ack
        if ack.token is None:  # (again) from the join form
            if self.joining:  # cut while joining: saved unseen, their nickname may be taken
                ack.nickname, self.renamed = f"{ack.nickname} again", True
            tab = await self.open(f"code={self.code}", timeout)
            start, self.joining = time.time(), True
            seen = await tab.rerun(timeout, "join", join_code=self.code, join_nickname=ack.nickname)
            self.joining = False
            ack.token = parse_qs(tab.query).get("student", [None])[0]
            assigned = first(seen, "markdown", CELL.search)
            if ack.token is None or assigned is None:
                raise Fault(f"join: {tab.result.error or 'no cell on the page'}")
            ack.cell, ack.join_s = CELL.search(assigned.text)[1], assigned.at - start
        else:  # their own link, as a reload or a reconnect opens it
            self.reopened = True
            tab = await self.open(f"code={self.code}&student={ack.token}", timeout)
            me = first(tab.seen, "markdown", lambda t: f"you are **{ack.nickname}**" in t)
            mine = first(tab.seen, "markdown", CELL.search)
            shown = CELL.search(mine.text)[1] if mine else None
            ack.cell = ack.cell or shown  # cut between their link and their cell: shown now
            self.back = bool(me and shown and shown == ack.cell)
            if not self.back:
                raise Fault("reopened link: not back as themselves with their cell")
        if not ack.predicted:
            await self.predict(tab, timeout)
        if ack.saved_at is None:
            await self.train(tab, timeout)

    async def open(self, query: str, timeout: float) -> Session:
        tab = Session(self.base, "class", query)
        self.tabs.append(tab)
        await tab.open(timeout)
        return tab

    async def predict(self, tab: Session, timeout: float) -> None:
        key = f"predict_{self.ack.cell}"
        choice = tab.elements[key].options[-1]
        seen = await tab.rerun(timeout, "save_prediction", **{key: choice})
        if first(seen, "alert", SAVED.__eq__) is None:
            raise Fault(f"prediction: no {SAVED!r} ({tab.result.error})")
        self.ack.predicted = True

    async def train(self, tab: Session, timeout: float) -> None:
        start = time.time()
        seen = await tab.rerun(timeout, "train")
        saved = first(seen, "alert", SAVED.__eq__)
        shown = first(seen, "markdown", lambda t: t.startswith(RESULT))
        if saved is None or shown is None:
            raise Fault(f"training: no result on the page ({tab.result.error})")
        self.ack.saved_at, self.ack.submit_s = saved.at, shown.at - start
        self.ack.trained = first(seen, "spinner", bool) is not None  # it waited for training

    def errors(self) -> list[str]:
        """The student's error, if any: a step that failed, else the first error a page showed."""
        seen = [t.result.error for t in self.tabs if t.result.error]
        return [self.ack.error] if self.ack.error else seen[:1]


class Fault(Exception):
    """A step whose page did not show what it should: counted as the student's error."""


async def dropped(tab: Session, stop: asyncio.Event) -> bool:
    """Keep ``tab`` open until ``stop`` (False) or until its connection drops (True)."""
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(tab.until_closed())]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waits[1] in done


async def run_student(student: Student, delay: float, stop: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(student.run(delay, STEP, stop), timeout)
    except Exception as error:  # noqa: BLE001 - a student's failure is counted, never raised
        student.ack.error = student.ack.error or f"{type(error).__name__}: {error}"
    finally:
        student.busy = False
        student.done.set()


# --- one class ----------------------------------------------------------------------------------


@dataclass
class Kill:
    """Kill the app process on ``port`` once ``after`` results of the class are saved."""

    port: int
    after: int
    done: bool = False


async def a_class(
    base: str, n: int, spread: float, epochs: int, deadline: float, kill: Kill | None = None
) -> tuple[str, list[Student], Teacher]:
    """The teacher creates a class; N students join it over ``spread`` seconds and work; the
    board stays open until it shows every saved cell (or ``deadline``, ``time.time()``)."""
    teacher = Teacher(base)
    left = lambda: max(1.0, deadline - time.time())  # noqa: E731
    code = await teacher.create(epochs, min(STEP, left()))
    stop = asyncio.Event()
    board = asyncio.create_task(teacher.keep_open(stop, STEP))
    class_ = [Student(base, code, Ack(f"student {i + 1}")) for i in range(n)]
    last = left() + 2 * STEP  # past the deadline: then every step times out on its own
    work = [
        asyncio.create_task(run_student(s, i * spread / n, stop, last))
        for i, s in enumerate(class_)
    ]
    killer = asyncio.create_task(kill_when(kill, class_, deadline)) if kill else None

    def over() -> bool:  # every student done, none coming back, the kill (if any) done
        quiet = all(s.done.is_set() and not s.busy for s in class_)
        return quiet and (kill is None or kill.done)

    while time.time() < deadline and not over():
        await asyncio.sleep(0.2)
    saved = {s.ack.cell for s in class_ if s.ack.saved_at is not None}
    while time.time() < deadline and not saved <= set(teacher.shown()):
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(board, *work)
    if killer:
        killer.cancel()
    for tab in [t for s in class_ for t in s.tabs] + teacher.tabs:
        with contextlib.suppress(Exception):
            await tab.close()
    return code, class_, teacher


async def kill_when(kill: Kill, class_: Sequence[Student], deadline: float) -> None:
    """SIGKILL the app process on ``kill.port`` once ``kill.after`` results are saved."""
    from tests.helpers import procfs

    while time.time() < deadline:
        if sum(s.ack.saved_at is not None for s in class_) >= kill.after:
            for pid in procfs.listening_pids([kill.port]):
                os.kill(pid, signal.SIGKILL)
            kill.done = True
            return
        await asyncio.sleep(0.05)


def report_of(
    name: str, code: str, class_: Sequence[Student], teacher: Teacher, engine: sa.Engine
) -> Report:
    acks = [s.ack for s in class_]
    report = Report(
        name=name,
        students=len(class_),
        join=[a.join_s for a in acks if a.join_s is not None],
        submit=[a.submit_s for a in acks if a.submit_s is not None],
        submit_trained=[a.submit_s for a in acks if a.submit_s is not None and a.trained],
        visible=visibility(acks, teacher.shown()),
        errors=[f"{s.ack.nickname}: {e}" for s in class_ for e in s.errors()],
        measures=MEASURES,
    )
    report.errors += [f"teacher: {t.result.error}" for t in teacher.tabs if t.result.error]
    report.lost = lost_records(engine, code, acks)
    return report


def kill_rows(class_: Sequence[Student], kill: Kill) -> list[tuple[str, str, str, bool]]:
    cut = [s for s in class_ if s.cut]
    known = [s for s in cut if s.reopened]
    back = sum(s.back for s in known)
    renamed = sum(s.renamed for s in cut)
    return [
        ("killed process: students cut off", f"{len(cut)}", "≥ 1", kill.done and bool(cut)),
        ("… with their link: back as themselves", f"{back} of {len(known)}", "all",
         back == len(known)),
        ("… cut while joining: joined anew, another nickname", f"{renamed}", "—", True),
        ("… cut on the join form: joined", f"{len(cut) - len(known) - renamed}", "—", True),
    ]  # fmt: skip


# --- the scenarios ------------------------------------------------------------------------------


def scenario_a(n: int, spread: float, epochs: int, deadline: float) -> Report:
    """One ``streamlit run`` on a SQLite file in a temporary folder."""
    from tests.helpers.browser import serve

    with tempfile.TemporaryDirectory(prefix="nnviz-class-page-") as folder:
        url = f"sqlite:///{Path(folder) / 'class.sqlite3'}"
        with serve(timeout=120, env={"NNVIZ_DATABASE_URL": url}) as base:
            return measure("A", base, url, n, spread, epochs, deadline)


def measure(
    name: str, base: str, url: str, n: int, spread: float, epochs: int, deadline: float
) -> Report:
    """A class of N on the app at ``base``, its records counted in the database at ``url``."""
    code, class_, teacher = asyncio.run(a_class(base, n, spread, epochs, deadline))
    engine = sa.create_engine(url)
    try:
        return report_of(name, code, class_, teacher, engine)
    finally:
        engine.dispose()


def scenario_b(
    n: int, k: int, spread: float, epochs: int, budget: float, out: Any = sys.stdout
) -> list[Report]:
    """serve.sh -k K behind nginx on a throwaway PostgreSQL: a class of N, then one with a kill."""
    from tests.helpers import deploy, postgres

    programs = postgres.bindir()
    if programs is None or deploy.NGINX is None:
        print("Scenario B skipped: needs PostgreSQL's initdb and nginx", file=out)
        return []
    server = postgres.start(programs)
    try:
        url = server.fresh_database()
        engine = sa.create_engine(url)
        with deploy.serve_two(url, k) as serving:
            reports = []
            code, class_, teacher = asyncio.run(
                a_class(serving.url, n, spread, epochs, time.time() + budget)
            )
            reports.append(with_targets(report_of("B", code, class_, teacher, engine)))
            kill = Kill(serving.app_port + k - 1, after=max(1, n // 2))
            code, class_, teacher = asyncio.run(
                a_class(serving.url, n, spread, epochs, time.time() + budget, kill)
            )
            killed = with_targets(report_of("B, one killed", code, class_, teacher, engine))
            killed.extra = kill_rows(class_, kill)
            reports.append(killed)
        engine.dispose()
        return reports
    finally:
        postgres.stop(server)


def with_targets(report: Report) -> Report:
    report.targets = cmode.TARGETS_B
    return report


# --- the command --------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = cmode.options(
        "python -m benchmarks.class_page",
        "Class mode through the Class page: N protocol-level students fill a λ × α grid while "
        "the teacher's board refreshes; p50/p95 against issue 20's targets.",
        deadline=300.0,
    )
    p.add_argument("--spread-b", type=float, default=10.0, help="--spread for B (default 10)")
    args = cmode.checked(p, p.parse_args(argv))
    if args.workers < 2:
        p.error("--workers: at least 2 (one of them is killed)")
    return args


def main(argv: Sequence[str] | None = None, out: Any = sys.stdout) -> int:
    args = parse(argv)
    b = (args.students_b, args.workers, args.spread_b, args.epochs, args.deadline, out)
    return cmode.run_chosen(
        args, lambda end: scenario_a(args.students, args.spread, args.epochs, end),
        lambda: scenario_b(*b), out,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
