"""The Class page (app_pages/classroom.py) driven by AppTest, both roles on one temporary SQLite
database per test: a teacher starts a class, students join, answer, reload and train their cell;
the board counts before the reveal and shows the tally after; every refusal is one line."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages import server
from app_pages.parts import class_common
from app_pages.parts.class_common import activity_of as read_activity
from app_pages.parts.class_common import csv_text
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import run_experiment
from nnviz.models import classroom as cr
from nnviz.store.classes import CAP, LIFETIME, Classes
from tests.helpers.apptest import SHORT, chart, charts, open_app, params, plotly_array

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "classroom.py")
LESSON = "regularization"
ESCAPED = "&lt;i&gt;amy&lt;/i&gt;"  # "<i>amy</i>" in Plotly's text, which reads tags
GRID_AXIS = "lr=0.01,1.5"  # two cells: one that fits, one that does not


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    """A new SQLite file for each test, opened afresh by the page (the server's cache cleared)."""
    monkeypatch.setenv("NNVIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    server.class_store.clear()
    server.join_limit.clear()
    server.trained.clear()  # each test sees what it trains itself
    yield
    server.class_store.clear()


def page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(query or {})
    return at.run()


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error]


def words(at: AppTest) -> str:
    """Every text the page shows (markdown, captions, metrics), one string to search, with
    markdown's backslash escapes read as the characters they stand for."""
    found = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return re.sub(r"\\(.)", r"\1", "\n".join(found + [m.value for m in at.metric]))


def start(kind: str, source: str = LESSON, lab_query: dict[str, str] | None = None) -> dict:
    """A teacher creates a class; returns the teacher's URL parameters."""
    at = page(lab_query)
    at.selectbox(key="start_source").set_value(source).run()
    at.radio(key="kind").set_value(kind).run()
    if kind == "grid":
        at.text_input(key="axis1").input(GRID_AXIS)
        at.text_input(key="axis2").input("").run()
        at.radio(key="prediction").set_value("fit").run()
    clean(at)
    at.button(key="create").click().run()
    clean(at)
    found = params(at)
    assert set(found) == {"code", "teacher"}
    return found


def join(code: str, nickname: str) -> AppTest:
    at = page({"code": code})
    at.text_input(key="join_nickname").input(nickname)
    return at.button(key="join").click().run()


def student(code: str, nickname: str) -> dict:
    """A student joins; returns their URL parameters."""
    at = clean(join(code, nickname))
    found = params(at)
    assert set(found) == {"code", "student"} and found["code"] == code
    return found


def answer(query: dict, choice: str) -> AppTest:
    at = page(query)
    at.radio(key="answer").set_value(choice).run()
    return clean(at.button(key="save_answer").click().run())


def tally(at: AppTest) -> list[dict]:
    (table,) = at.table
    return table.value.to_dict("records")


# --- the teacher ------------------------------------------------------------------------------


def test_a_teacher_starts_a_predict_class_from_a_lesson():
    teacher = start("predict")
    at = clean(page(teacher))
    question = cr.question_for(LESSONS[LESSON].experiment)
    assert f"### Class {teacher['code']}" in words(at)
    assert f"/class?code={teacher['code']}" in words(at)
    assert question.text in words(at)
    assert [m.value for m in at.metric] == ["0 of 0"]


def test_a_teacher_starts_a_grid_class_from_the_labs_experiment():
    teacher = start("grid", "lab", SHORT)
    at = clean(page(teacher))
    assert "**0** of 2 cells trained · 0 taken" in words(at)
    assert np.isnan(plotly_array(chart(at, "class_map")["data"][0]["z"])).all()


def test_use_in_class_opens_the_class_page_with_the_labs_experiment():
    at = open_app(SHORT)
    at.button(key="use_in_class").click().run()
    clean(at)
    assert params(at)["epochs"] == "30,30"
    assert at.selectbox(key="start_source").value == "lab"


def test_a_tampered_teacher_link_is_refused_in_one_line():
    teacher = start("predict")
    secret = teacher["teacher"]
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    at = page({"code": teacher["code"], "teacher": tampered})
    assert len(errors(at)) == 1 and "not valid" in errors(at)[0]
    assert not at.metric and not at.button


# --- predict, then reveal ---------------------------------------------------------------------


def test_answers_are_counted_not_shown_until_the_reveal(lesson_runs):
    teacher = start("predict")
    question = cr.question_for(LESSONS[LESSON].experiment)
    first, second = question.answers[0], question.answers[1]
    amy = student(teacher["code"], "amy")
    at = answer(amy, first)
    assert [s.value for s in at.success] == ["Saved."]
    again = clean(page(amy))  # a reload: the same student, their answer kept
    assert "you are **amy**" in words(again) and again.radio(key="answer").value == first
    answer(student(teacher["code"], "bob"), second)
    board = clean(page(teacher))
    assert [m.value for m in board.metric] == ["2 of 2"]
    assert not board.table and first not in words(board)
    board.button(key="reveal").click().run()
    clean(board)
    right = cr.correct_answers(question, LESSONS[LESSON].experiment, lesson_runs(LESSON))
    expected = {a: int(a in (first, second)) for a in question.answers}
    assert {r["Answer"]: r["Students"] for r in tally(board)} == expected
    assert {r["Answer"] for r in tally(board) if r["Right"] == "✓"} == right
    shown = clean(page(amy))
    assert f"Your answer: **{first}**, {'right' if first in right else 'not right'}." in words(
        shown
    )
    assert tally(shown) == tally(board)


# --- the grid ---------------------------------------------------------------------------------


def test_two_students_get_different_cells_and_results_reach_the_board():
    teacher = start("grid", "lab", SHORT)
    amy = student(teacher["code"], "<i>amy</i>")  # on the board as text, never as markup
    bob = student(teacher["code"], "bob")
    amy_page, bob_page = clean(page(amy)), clean(page(bob))
    assert "Your cell **r1c1**" in words(amy_page) and "Your cell **r1c2**" in words(bob_page)
    assert amy_page.button(key="train").disabled  # no prediction yet
    amy_page.radio(key="predict_r1c1").set_value("fits").run()
    amy_page.button(key="save_prediction").click().run()
    amy_page.button(key="train").click().run()
    clean(amy_page)
    run = run_experiment(cr.grid_cells(activity_of(teacher))[0].experiment)[0]
    assert f"Your cell's run: **{cr.fit(run)}**" in words(amy_page)
    board = clean(page(teacher))
    spec = chart(board, "class_map")
    z = plotly_array(spec["data"][0]["z"])
    assert math.isclose(z[0, 0], run.final["test_accuracy"]) and np.isnan(z[0, 1])
    hover = json.dumps(spec["data"], ensure_ascii=False)
    assert f"{ESCAPED} · predicted fits · got {cr.fit(run)}" in hover and "bob · predicted" in hover
    assert board.selectbox(key="class_pick").options == ["r1c1: α = 0.01 · <i>amy</i>"]
    title = chart(board, "class_cell")["layout"]["title"]["text"]
    assert f"α = 0.01 · {ESCAPED}" in title and "<i>" not in title
    (cells,) = board.dataframe
    assert list(cells.value["nickname"]) == ["<i>amy</i>", "bob"]
    assert list(cells.value["outcome"].fillna("")) == [cr.fit(run), ""]
    assert "class_map" not in charts(clean(page(bob)))  # the class's grid: after the reveal
    board.button(key="reveal").click().run()
    assert "class_map" in charts(clean(page(bob)))


def activity_of(teacher: dict) -> cr.Activity:
    return read_activity(server.class_store().class_info(teacher["code"]))


# --- refusals, each one line -------------------------------------------------------------------


def one_line(at: AppTest, words_in_it: str) -> None:
    found = errors(at)
    assert len(found) == 1 and words_in_it in found[0], found


def refused(at: AppTest, words_in_it: str) -> None:
    """A join refused in one line: the browser is given no student link."""
    one_line(at, words_in_it)
    assert "student" not in params(at)


def test_refusals_each_give_one_line(monkeypatch):
    teacher = start("predict")
    student(teacher["code"], "amy")
    refused(join("ZZZZZZ", "bob"), "there is no class with code ZZZZZZ")
    refused(join(teacher["code"], "amy"), "is taken")
    refused(join(teacher["code"], "   "), "at least one visible character")
    server.class_store().close(teacher["code"], teacher["teacher"])
    refused(join(teacher["code"], "bob"), "is closed")


@pytest.mark.parametrize(
    ("cap", "lifetime", "said"), [(1, LIFETIME, "is full"), (CAP, 0.0, "expired")]
)
def test_a_full_or_expired_class_refuses_in_one_line(monkeypatch, cap, lifetime, said):
    monkeypatch.setattr(Classes.__init__, "__defaults__", (cap, lifetime))
    server.class_store.clear()
    teacher = start("predict")
    if cap == 1:
        student(teacher["code"], "amy")
    refused(join(teacher["code"], "bob"), said)


def test_joins_are_rate_limited_per_browser_session():
    at = page({"code": "ZZZZZZ"})
    for _ in range(server.JOINS_PER_MINUTE):
        at.text_input(key="join_nickname").input("bob")
        at.button(key="join").click().run()
    at.button(key="join").click().run()
    refused(at, "Too many tries")


def test_an_html_nickname_is_shown_as_text():
    teacher = start("predict")
    nickname = '<img src=x onerror="alert(1)">'
    at = clean(page(student(teacher["code"], nickname)))
    (title,) = [m for m in at.markdown if "you are" in m.value]
    assert re.search(r"(?<!\\)<", title.value) is None  # every < escaped: text, not a tag
    assert '<img src=x onerror="aler' in words(at)  # shown as typed (cut at 24 characters)
    assert not any(m.proto.allow_html for m in at.markdown)


def test_the_database_unreachable_is_one_line_and_the_lab_still_opens(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("NNVIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'a-file' / 'x.sqlite3'}")
    server.class_store.clear()
    at = page()
    (line,) = errors(at)
    assert line.startswith("Class mode is unavailable") and "\n" not in line
    assert not at.text_input
    lab = open_app(SHORT)
    assert not lab.exception and not lab.error


def test_close_reopen_and_delete_from_the_board():
    teacher = start("predict")
    question = cr.question_for(LESSONS[LESSON].experiment)
    amy = student(teacher["code"], "amy")
    board = clean(page(teacher))
    board.button(key="close").click().run()
    assert "the class is **closed**" in words(clean(board))
    at = page(amy)
    at.radio(key="answer").set_value(question.answers[0]).run()
    at.button(key="save_answer").click().run()
    one_line(at, "is closed")
    assert not at.success  # never "saved" for a write the store refused
    board.button(key="reopen").click().run()
    assert "the class is **open**" in words(clean(board))
    answer(amy, question.answers[0])
    assert board.button(key="delete").disabled  # only after "I am sure"
    board.checkbox(key="delete_sure").check().run()
    board.button(key="delete").click().run()
    assert params(clean(board)) == {}
    one_line(page(amy), "not valid")


def test_a_student_may_pick_a_free_cell_but_not_a_taken_one():
    teacher = start("grid", "lab", SHORT)
    student(teacher["code"], "amy")  # holds r1c1
    bob = page(student(teacher["code"], "bob"))
    assert "Your cell **r1c2**" in words(bob)
    bob.selectbox(key="pick").set_value("r1c1").run()
    bob.button(key="take").click().run()
    one_line(bob, "is taken")
    assert "Your cell **r1c2**" in words(bob)


def test_the_teacher_edits_the_question_and_drops_an_answer():
    at = page()
    at.selectbox(key="start_source").set_value(LESSON).run()
    question = cr.question_for(LESSONS[LESSON].experiment)
    at.text_input(key=f"q_{LESSON}").input("Which one overfits?")
    at.text_input(key=f"a0_{LESSON}").input("no regularization")
    at.text_input(key=f"a2_{LESSON}").input("").run()
    at.button(key="create").click().run()
    amy = page(student(params(clean(at))["code"], "amy"))
    assert "#### Which one overfits?" in words(amy)
    assert amy.radio(key="answer").options == ["no regularization", question.answers[1]]


def test_the_csv_has_one_row_per_student_with_their_answer():
    teacher = start("predict")
    question = cr.question_for(LESSONS[LESSON].experiment)
    tricky = 'amy, "the" 1st'  # a comma and quotes: the CSV quotes them
    answer(student(teacher["code"], tricky), question.answers[2])
    student(teacher["code"], "bob")
    board = clean(page(teacher))
    assert len(board.get("download_button")) == 1
    rows = server.class_store().export_rows(teacher["code"], teacher["teacher"])
    read = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert [(r["nickname"], r["answer"]) for r in read] == [
        (tricky, question.answers[2]),
        ("bob", ""),
    ]


def test_a_cell_trained_once_serves_its_student_the_board_and_the_class(monkeypatch):
    trainings = []

    def counted(exp, data=None):
        trainings.append(exp)
        return run_experiment(exp, data)

    monkeypatch.setattr(class_common, "run_experiment", counted)
    teacher = start("grid", "lab", SHORT)
    amy, bob = student(teacher["code"], "amy"), student(teacher["code"], "bob")
    at = page(amy)
    at.radio(key="predict_r1c1").set_value("fits").run()
    at.button(key="save_prediction").click().run()
    at.button(key="train").click().run()
    at.button(key="train").click().run()  # again: found trained, saved once
    board = clean(page(teacher))
    board.button(key="reveal").click().run()
    clean(page(bob))  # the revealed grid on a classmate's screen
    assert trainings == [cr.grid_cells(activity_of(teacher))[0].experiment]


def test_the_database_lost_mid_page_is_one_line(monkeypatch):
    teacher = start("predict")
    amy = student(teacher["code"], "amy")
    server.class_store().reveal(teacher["code"], teacher["teacher"])

    def lost(*args, **kwargs):
        raise server.StoreError("the class database is unavailable: disk I/O error")

    monkeypatch.setattr(server.class_store(), "board", lost)
    one_line(page(amy), "the class database is unavailable")
