"""The Class page driven in a browser, as a teacher and a student do it (tests only)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from playwright.sync_api import Browser, Page, expect

from nnviz.engine.lessons import LESSONS
from nnviz.models import lab_model as lab
from tests.helpers.browser import WAIT_MS


def start_predict(browser: Browser, url: str, lesson: str) -> Page:
    """The teacher creates a predict class from a lesson's settings in the URL (as the lab's
    "Use in class" opens the page), on a 1920×1080 screen; the board shows "0 of 0"."""
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    page.goto(f"{url}/class?{urlencode(lab.url_params(LESSONS[lesson].experiment))}")
    page.get_by_role("button", name="Create the class").click()
    page.wait_for_url(re.compile(r"teacher="), timeout=WAIT_MS)
    expect(page.get_by_text("0 of 0")).to_be_visible(timeout=WAIT_MS)
    return page


def student_answers(browser: Browser, url: str, code: str, nickname: str, choice: str) -> Page:
    """A student on a phone joins class ``code`` and saves ``choice``; returns once "Saved."."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{url}/class?code={code}")
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(re.compile(r"student="), timeout=WAIT_MS)
    page.get_by_text(choice, exact=True).click()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Saved.")).to_be_visible(timeout=WAIT_MS)
    return page
