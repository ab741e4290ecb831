"""The Class page in a real browser (Debian's Chromium, Playwright, ``streamlit run``): a teacher
starts a grid class, three students join from their own browser contexts, each predicts and trains
their cell, and the teacher's board fills in by itself (its fragment polls the store). Screenshots
of the board at 1920×1080 and of a student at 390×844 go to artifacts/browser/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from nnviz.engine.lessons import LESSONS
from nnviz.models import classroom as cr
from tests.helpers.browser import (
    WAIT_MS,
    point_at,
    serve,
    signature,
    wait_changed,
    wait_ready,
)
from tests.helpers.classes import start_predict, student_answers

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
STUDENTS = ("amy", "bob", "<b>cy</b>")  # the last one's HTML must show as text
AXIS = "lr=0.01,0.1,1.5"  # three cells, one each
LESSON = "regularization"


@pytest.fixture(scope="module")
def server(browser: Browser, tmp_path_factory) -> Iterator[str]:
    """The app on its own SQLite file (the server process inherits the variable)."""
    folder = tmp_path_factory.mktemp("class")
    before = os.environ.get("NNVIZ_DATABASE_URL")
    os.environ["NNVIZ_DATABASE_URL"] = f"sqlite:///{folder / 'class.sqlite3'}"
    try:
        with serve(timeout=60) as url:
            yield url
    finally:
        if before is None:
            os.environ.pop("NNVIZ_DATABASE_URL", None)
        else:
            os.environ["NNVIZ_DATABASE_URL"] = before


def query(page: Page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def no_errors(page: Page) -> None:
    for testid in ("stException", "stAlertContentError"):
        expect(page.locator(f'[data-testid="{testid}"]')).to_have_count(0)


def start_grid(browser: Browser, url: str) -> tuple[Page, dict[str, str]]:
    """The teacher, from the lab's short default experiment: a one-setting grid."""
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    page.goto(f"{url}/class?epochs=30,30")
    page.get_by_text("The class is the grid").click()
    page.get_by_label("Setting 1").fill(AXIS)
    page.get_by_label("Setting 2 (optional)").fill("")
    page.get_by_label("Setting 2 (optional)").press("Enter")
    page.get_by_text("fails / fits / overfits").click()
    page.get_by_role("button", name="Create the class").click()
    page.wait_for_url(re.compile(r"teacher="), timeout=WAIT_MS)
    expect(page.get_by_text("0 of 3 cells trained")).to_be_visible(timeout=WAIT_MS)
    return page, query(page)


def student_trains(browser: Browser, url: str, code: str, nickname: str) -> Page:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{url}/class?code={code}")
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(re.compile(r"student="), timeout=WAIT_MS)
    page.get_by_text("fits", exact=True).click()
    page.get_by_role("button", name="Save my prediction").click()
    expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Train my cell").click()
    wait_ready(page, ["my_cell"])
    no_errors(page)
    return page


def test_three_students_fill_the_teachers_grid(browser, server):
    teacher, params = start_grid(browser, server)
    join_link = f"{server}/class?code={params['code']}"  # absolute: to read out or paste
    expect(teacher.get_by_role("link", name=join_link)).to_be_visible()
    students = [student_trains(browser, server, params["code"], n) for n in STUDENTS]
    cells = {re.search(r"Your cell (r\d+c\d+)", s.inner_text("body")).group(1) for s in students}
    assert cells == {"r1c1", "r1c2", "r1c3"}
    expect(teacher.get_by_text("3 of 3 cells trained")).to_be_visible(timeout=WAIT_MS)
    wait_ready(teacher, ["class_map", "class_cell"])
    no_errors(teacher)
    before = signature(teacher, "class_cell", "layout")  # the first cell's boundary
    at = point_at(teacher, "class_map", 2, 0)
    teacher.mouse.click(at["x"], at["y"])  # the third cell: its boundary replaces it
    wait_changed(teacher, "class_cell", before, "layout")
    assert "α = 1.5 · &lt;b&gt;cy&lt;/b&gt;" in signature(teacher, "class_cell", "layout")
    last = students[-1]
    expect(last.get_by_text("you are <b>cy</b>")).to_be_visible()  # as typed, not bold
    SHOTS.mkdir(parents=True, exist_ok=True)
    teacher.screenshot(path=SHOTS / "class_teacher_1920x1080.png")
    last.screenshot(path=SHOTS / "class_student_390x844.png", full_page=True)
    for page in (teacher, *students):
        page.context.close()


def test_three_students_predict_and_the_reveal_reaches_every_screen(browser, server):
    teacher = start_predict(browser, server, LESSON)
    params = query(teacher)
    question = cr.question_for(LESSONS[LESSON].experiment)
    choices = [question.answers[0], question.answers[1], question.answers[1]]
    students = [
        student_answers(browser, server, params["code"], n, c) for n, c in zip(STUDENTS, choices)
    ]
    expect(teacher.get_by_text("3 of 3")).to_be_visible(timeout=WAIT_MS)  # polled, no reload
    assert question.answers[1] not in teacher.inner_text("body")
    teacher.get_by_role("button", name="Reveal").click()
    wait_ready(teacher, ["run_0", "run_1", "run_2"])
    expect(teacher.get_by_role("table")).to_contain_text(question.answers[1])
    for page in students:  # each screen shows the reveal by itself (its fragment polls)
        expect(page.get_by_text("Your answer:")).to_be_visible(timeout=WAIT_MS)
        no_errors(page)
    no_errors(teacher)
    teacher.screenshot(path=SHOTS / "class_teacher_revealed_1920x1080.png", full_page=True)
    students[0].screenshot(path=SHOTS / "class_student_revealed_390x844.png", full_page=True)
    for page in (teacher, *students):
        page.context.close()
