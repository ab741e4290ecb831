"""The class-mode benchmark's parts on tiny classes: its table, its lost count read from the
database (a save acknowledged but never committed must show as lost), and its kill scenario's
counts on a real PostgreSQL; then a small class through the Class page itself, in Streamlit's
protocol (benchmarks/class_page.py): nothing lost, no error, and a wrong step counted as one."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
import sqlalchemy as sa

from benchmarks import class_mode, class_page
from nnviz.store import Classes, open_store
from nnviz.store.classes import digest
from nnviz.store.schema import students

MEASURES = [
    "join → cell assigned (s)",
    "submit → own result saved (s)",
    "submit → saved, cell trained here (s)",
    "saved → visible on board (s)",
    "errors",
    "lost records",
]
TINY = dict(spread=0.0, epochs=5)


def test_a_tiny_class_fills_every_row_of_the_table():
    report = class_mode.scenario_a(4, deadline=time.time() + 60, **TINY)
    rows = report.rows()
    assert [r[0] for r in rows] == MEASURES
    assert [r[1] for r in rows] == ["4", "4", "4", "4", "0", "0"]  # 4 students, 4 distinct cells
    assert all(r[-1] == "ok" for r in rows), rows
    text = class_mode.table([report])
    assert len(text.splitlines()) == 2 + len(MEASURES)
    assert all(f"| A | {m} |" in text for m in MEASURES)


class SavesOnceWithoutCommit(Classes):
    """The first save is acknowledged (its metrics returned) but never written."""

    planted = False

    def save_result(self, token, cell, metrics, now=None):
        if not self.planted:
            self.planted = True
            return metrics
        return super().save_result(token, cell, metrics, now)


def test_an_acknowledged_save_never_committed_counts_as_lost():
    report = class_mode.scenario_a(
        4, deadline=time.time() + 6, store=SavesOnceWithoutCommit, **TINY
    )
    assert len(report.lost) == 1 and "result of r" in report.lost[0], report.lost
    rows = {r[0]: r for r in report.rows()}
    assert rows["lost records"][1:2] == ("1",) and rows["lost records"][-1] == "MISSED"
    assert rows["saved → visible on board (s)"][3] == "∞"  # that cell never shows


def test_a_student_missing_from_the_database_counts_as_lost(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    classes = Classes(engine)
    code, _ = classes.create_class("grid", {}, grid=[])
    token = classes.join(code, "ada")
    acks = [class_mode.Ack("ada", token=token), class_mode.Ack("bob", token="never-stored")]
    assert class_mode.lost_records(engine, code, acks) == ["bob: student"]


def test_a_student_rejoins_only_as_themselves(tmp_path):
    classes = Classes(open_store(f"sqlite:///{tmp_path / 'c.sqlite3'}"))
    code, _ = classes.create_class("grid", {}, grid=[])
    token = classes.join(code, "ada")
    cell = classes.assign_cell(token, ["r1c1", "r1c2"])
    assert class_mode.rejoined(classes, [class_mode.Ack("ada", token, cell, join_s=0.1)]) == 1
    elsewhere = class_mode.Ack("ada", token, "r1c2", join_s=0.1)  # not the cell acknowledged
    assert class_mode.rejoined(classes, [elsewhere, class_mode.Ack("bob", "no-such")]) == 0


def test_a_killed_worker_loses_nothing_acknowledged_and_its_students_rejoin(postgres_server):
    url = postgres_server.fresh_database()
    report, killed, code = class_mode.run_b(
        url, 4, 2, deadline=time.time() + 120, kill_after=1, **TINY
    )
    assert report.lost == [] and report.errors == []
    joined = [a for a in killed if a.token is not None]
    assert joined and any(a.saved_at is not None for a in killed)
    rows = {r[0]: r for r in report.rows()}
    assert rows["join → cell assigned (s)"][4:] == ("—", "")  # B: no target, no verdict
    assert rows["submit → own result saved (s)"][4:] == ("≤ 10", "ok")
    assert rows["killed worker: students who rejoin"][1] == f"{len(joined)} of {len(joined)}"
    # plant a loss: one acknowledged student of the killed worker removed from the database
    engine = open_store(url)
    with engine.begin() as connection:
        gone = students.c.token_hash == digest(joined[0].token)
        connection.execute(students.delete().where(gone))
    assert class_mode.lost_records(engine, code, killed) == [f"{joined[0].nickname}: student"]
    assert class_mode.rejoined(Classes(engine), joined) == len(joined) - 1
    engine.dispose()


def test_bad_options_are_one_line_errors(capsys):
    with pytest.raises(SystemExit):
        class_mode.main(["--scenarios", "C"], out=io.StringIO())
    assert "--scenarios takes A, B or A,B" in capsys.readouterr().err


# --- through the Class page: students in Streamlit's protocol (benchmarks/class_page.py) ------


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    """One ``streamlit run`` of the app on its own SQLite file: its URL and the database's."""
    from tests.helpers.browser import serve

    url = f"sqlite:///{tmp_path_factory.mktemp('class-page') / 'class.sqlite3'}"
    with serve(timeout=120, env={"NNVIZ_DATABASE_URL": url}) as base:
        yield base, url


def test_a_small_class_through_the_page_loses_nothing(class_app):
    base, url = class_app
    report = class_page.measure("A", base, url, 4, deadline=time.time() + 120, **TINY)
    assert report.errors == [] and report.lost == []
    assert len(report.join) == len(report.submit) == 4  # every student got a cell and a result
    cells = report.visible  # one per cell saved, each seen on the teacher's board
    assert len(cells) == 4 and all(v < float("inf") for v in cells)
    engine = open_store(url)
    with engine.connect() as connection:  # the page's saves, counted with plain SQL
        assert connection.execute(sa.text("SELECT count(*) FROM results")).scalar() >= 4
        joined = connection.execute(sa.text("SELECT count(*) FROM students")).scalar()
    engine.dispose()
    assert joined == 4


def test_a_student_with_an_unknown_code_is_an_error_not_a_join(class_app):
    base, _ = class_app
    student = class_page.Student(base, "NOSUCH", class_mode.Ack("eve"))
    asyncio.run(class_page.run_student(student, 0.0, asyncio.Event(), 60.0))
    assert student.ack.token is None and student.ack.join_s is None
    assert student.errors() and "join" in student.errors()[0], student.errors()
