"""The sweep-maps page in a real browser (Debian's Chromium, Playwright, ``streamlit run``).

The map draws with its boundary, a click on a cell picks that run (its boundary is redrawn and the
lab link points at it), and screenshots at 1280×800 and 1920×1080 go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser

from nnviz.models import lab_model as lab
from nnviz.models import sweep_model as sm
from tests.helpers.browser import (
    point_at,
    serve,
    signature,
    wait_changed,
    wait_idle,
    wait_ready,
)

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080)}
KEYS = ["sm_map", "sm_boundary"]
# a quick map: 6 × 6 runs of 100 epochs, α × β₁ of momentum (the largest α diverges)
QUICK = {
    "preset": "momentum",
    "axis1": "lr=0.01:100:6:log",
    "axis2": "beta1=0,0.5,0.8,0.9,0.95,0.99",
    "epochs": "100",
    "metric": "test_accuracy",
}


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[str]:
    with serve(timeout=60, port=8681) as url:  # this page's own port on the shared machine
        yield url


def open_page(browser: Browser, url: str, size: str):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.goto(f"{url}/sweep?{urlencode(QUICK)}")
    wait_ready(page, KEYS, timeout=120_000)
    return context, page, errors


def assert_clean(page, errors: list[str]) -> None:
    for testid in ("stException", "stAlertContentError"):
        shown = page.locator(f'[data-testid="{testid}"]')
        assert shown.count() == 0, shown.all_inner_texts()
    assert not errors


def lab_link(page) -> dict[str, str]:
    href = page.locator('[data-testid="stLinkButton"] a').first.get_attribute("href")
    return dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))


@pytest.mark.parametrize("size", SIZES)
def test_sweep_map_draws_and_a_click_picks_a_cell(browser, server, size):
    context, page, errors = open_page(browser, server, size)
    try:
        assert_clean(page, errors)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"sweep-{size}.png")
        before = signature(page, "sm_boundary", "layout")
        # click the cell of row 1, column 4 (α = 0.0631, β₁ = 0.95): its invisible click target
        target = point_at(page, "sm_map", 4, 1)
        page.mouse.click(target["x"], target["y"])
        wait_changed(page, "sm_boundary", before, "layout", timeout=60_000)
        wait_ready(page, KEYS, timeout=60_000)
        assert_clean(page, errors)
        settings, _ = sm.settings_from_url(QUICK)
        exp, _ = lab.experiment_from_url(lab_link(page))
        assert exp == settings.sweep().experiment_at(1 * 6 + 4)
        page.screenshot(path=SHOTS / f"sweep-{size}-picked.png")
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_lab_fair_race_draws_beside_its_alpha_scan(browser, server, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(error.message))
        page.goto(f"{server}/?epochs=200,200")
        page.locator(".st-key-race_on").wait_for(timeout=120_000)
        page.locator(".st-key-race_on label").first.click(timeout=90_000)
        for key in ("race_cost", "race_scan"):
            page.locator(f".st-key-{key} .js-plotly-plot").wait_for(timeout=120_000)
        page.locator(".st-key-race_scan").scroll_into_view_if_needed()
        assert_clean(page, errors)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"race-{size}.png")
    finally:
        context.close()


RANDOM = {"mode": "random", "n": "12", "epochs": "100", "metric": "train_cost"}


def zoom_value(page, key: str) -> str:
    return page.locator(f".st-key-{key} input").input_value()


def test_random_search_zooms_into_a_box_drawn_on_the_chart(browser, server):
    """Drag a box over α 1e-3…1e-1, β₁ 0.99…0.999 (a log axis of 1 − β₁): the zoom inputs take
    it, and sampling N more adds round 1 inside it."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(error.message))
        page.goto(f"{server}/sweep?{urlencode(RANDOM)}")
        keys = ["sm_scatter", "sm_boundary"]
        wait_ready(page, keys, timeout=120_000)
        assert_clean(page, errors)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "random-1280x800.png")
        suggested = zoom_value(page, "sm_zlo1")
        start, end = point_at(page, "sm_scatter", -3, -2), point_at(page, "sm_scatter", -1, -3)
        page.mouse.move(start["x"], start["y"])
        page.mouse.down()
        page.mouse.move(end["x"], end["y"], steps=8)
        page.mouse.up()
        page.wait_for_function(
            "([key, before]) => document.querySelector(`.st-key-${key} input`).value !== before",
            arg=["sm_zlo1", suggested],
            timeout=60_000,
        )
        wait_idle(page)
        low, high = float(zoom_value(page, "sm_zlo1")), float(zoom_value(page, "sm_zhi1"))
        assert 0.0009 < low < 0.0011 and 0.09 < high < 0.11  # what was drawn, to the pixel
        assert 0.989 < float(zoom_value(page, "sm_zlo2")) < 0.991
        before = signature(page, "sm_scatter")
        page.get_by_role("button", name="Sample 12 more inside the box").click()
        wait_changed(page, "sm_scatter", before, timeout=120_000)
        wait_ready(page, keys, timeout=120_000)
        assert_clean(page, errors)
        query = dict(parse_qsl(urlsplit(page.url).query))
        settings, warnings = sm.settings_from_url(query)
        assert warnings == [] and settings.search().rounds == 2
        (a_lo, a_hi), _ = settings.search().boxes[0]
        assert (a_lo, a_hi) == (low, high)
        page.screenshot(path=SHOTS / "random-1280x800-zoomed.png")
    finally:
        context.close()
