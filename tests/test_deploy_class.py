"""Class mode on deploy/serve.sh with K = 2 on one PostgreSQL (issue 20): a teacher's predict class
through nginx, one student answering on each app process, the board counting both; then one app
process killed (SIGKILL): both answers are still counted, nginx sends the browsers to the other
process, and the killed process's student reopens their link as the same student.

The students open the two app ports directly, bypassing nginx, so that each is known to be on its
own process (nginx's route cookie is random); the teacher, and the student coming back, go through
nginx. With no app process left, serve.sh stops everything. Skipped without nginx (and the browser
test without PostgreSQL's initdb or Chromium)."""

from __future__ import annotations

import os
import re
import signal
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from nnviz.engine.lessons import LESSONS
from nnviz.models import classroom as cr
from tests.helpers import procfs
from tests.helpers.browser import WAIT_MS, wait_idle
from tests.helpers.classes import start_predict, student_answers
from tests.helpers.deploy import NGINX, serve_two

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)"),
]

LESSON = "regularization"


def gone(pid: int, seconds: float = 30.0) -> bool:
    """The process has exited and been reaped (by serve.sh), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while os.path.exists(f"/proc/{pid}"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def reopen(page: Page, base: str) -> None:
    """The page's own link (path and query: its token), opened at ``base``."""
    link = urlsplit(page.url)
    page.goto(f"{base}{link.path}?{link.query}")


def rows(database_url: str) -> list[tuple[str, str]]:
    """Every student of the database and their answer, read with plain SQL."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT nickname, answer FROM students ORDER BY nickname"
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def test_two_processes_share_the_class_and_survive_losing_one(browser, postgres_server):
    question = cr.question_for(LESSONS[LESSON].experiment)
    amy_says, bob_says = question.answers[0], question.answers[1]
    database_url = postgres_server.fresh_database()
    with serve_two(database_url) as serving:
        url, app_port, server = serving.url, serving.app_port, serving.server
        teacher = start_predict(browser, url, LESSON)
        code = re.search(r"code=(\w+)", teacher.url).group(1)
        amy = student_answers(browser, f"http://127.0.0.1:{app_port}", code, "amy", amy_says)
        bob = student_answers(browser, f"http://127.0.0.1:{app_port + 1}", code, "bob", bob_says)
        expect(teacher.get_by_text("2 of 2")).to_be_visible(timeout=WAIT_MS)  # polled

        (killed,) = procfs.listening_pids([app_port + 1])  # bob's process
        os.kill(killed, signal.SIGKILL)
        assert gone(killed) and server.poll() is None  # serve.sh and nginx serve on
        reopen(teacher, url)  # a fresh page through nginx: whichever process it reaches
        expect(teacher.get_by_text("2 of 2")).to_be_visible(timeout=WAIT_MS)

        reopen(bob, url)  # his link, through nginx to the process left
        expect(bob.get_by_text("you are bob")).to_be_visible(timeout=WAIT_MS)
        expect(bob.get_by_text(f"Your saved answer: {bob_says}")).to_be_visible(timeout=WAIT_MS)
        wait_idle(bob)
        reopen(teacher, url)
        expect(teacher.get_by_text("2 of 2")).to_be_visible(timeout=WAIT_MS)  # not a third
        reopen(amy, url)  # amy's process is the one left: she is herself there too
        expect(amy.get_by_text(f"Your saved answer: {amy_says}")).to_be_visible(timeout=WAIT_MS)
        for page in (teacher, amy, bob):
            page.context.close()
    assert rows(database_url) == [("amy", amy_says), ("bob", bob_says)]  # in PostgreSQL, once each
    assert server.returncode == 143, serving.err  # stopped by the test's SIGTERM, not the kill
    assert "an app process exited; nginx sends its browsers to the other 1" in serving.err


def test_when_the_last_app_process_dies_everything_stops(tmp_path):
    with serve_two(f"sqlite:///{tmp_path / 'class.sqlite3'}", k=1) as serving:
        (killed,) = procfs.listening_pids([serving.app_port])
        os.kill(killed, signal.SIGKILL)
        serving.server.wait(timeout=30)  # no app process left: serve.sh stops nginx and exits
    assert serving.server.returncode == 1, serving.err
    assert "a process exited; stopping the others" in serving.err
    assert "nginx sends its browsers" not in serving.err
