"""How long does the app make a person wait? The lab and the playground, timed three ways.

(a) The lab's script at its default settings, run by streamlit.testing.v1.AppTest (no browser):
    cold (caches cleared: trains both runs, builds every figure), warm (a rerun with nothing
    changed), display only (the log-scale toggle), a change (λ of run 1: trains by itself).
(b) Headless Chromium against ``streamlit run`` on loopback ports (started and stopped here),
    next to a bare Streamlit page with two 3-point Plotly charts (benchmarks/floor_app.py), the
    floor the lab is compared with in the same run. Opens are fresh browser contexts with a warm
    HTTP cache, until every chart is drawn and the script has finished; the lab's experiment is
    already trained on the server. Changes: the λ slider until the boundary is redrawn (no
    button); the log-scale toggle; each lesson's first click (trains: the first live frame and
    the end) and, in a new session, its second (stored); the playground's β₁ step.
(c) In-process: the cost of watching — the default experiment and each lesson trained plainly
    and trained with every live frame the page would draw built and serialized as Streamlit does.

Targets: lab open ≤ 1.3× the floor; a change ≤ 1.5 s; a lesson's first frame ≤ 1 s and all of it
≤ 6 s; watching ≤ 1.25× plain training. Best and median of a few repeats (time.perf_counter);
the open ratio, the noisiest, of at least 10 pairs.

    python -m benchmarks.app_latency            # markdown table
    python -m benchmarks.app_latency --json
    python -m benchmarks.app_latency --repeats 3 --no-browser
    NNVIZ_PORTS=8601-8620 python -m benchmarks.app_latency   # servers on these ports only
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

from benchmarks.watching import watch_times
from tests.helpers.browser import (
    APP,
    FLOOR_KEYS,
    ROOT,
    WAIT_MS,
    find_chromium,
    lab_chart_keys,
    launch,
    playground_chart_keys,
    serve,
    signature,
    wait_changed,
    wait_ready,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page
    from streamlit.testing.v1 import AppTest


TARGETS = {"script": 1.0, "change": 1.5, "frame": 1.0, "lesson": 6.0}  # seconds
RATIO_TARGETS = {"open": 1.3, "watch": 1.25}  # lab ÷ floor; watched ÷ plain training


# --- (a) the script, with AppTest ---------------------------------------------------------------


_BARE_MODE_LOGGERS = (
    "streamlit.runtime.caching.cache_data_api",
    "streamlit.runtime.scriptrunner_utils.script_run_context",
)


class _NoBareModeNotice(logging.Filter):
    """Drops Streamlit's notices that it runs without a server: true here, and on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "No runtime found" not in message and "missing ScriptRunContext" not in message


def _timed_run(at: AppTest) -> float:
    """Seconds of one script run; raises if the page showed an exception or an error."""
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    failures = [e.value for e in (*at.exception, *at.error)]
    if failures:
        raise RuntimeError(f"the lab page failed: {failures}")
    return seconds


def script_times(repeats: int) -> dict[str, list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def fresh() -> AppTest:
        """A new AppTest with empty caches (clearing them outside a server warns: expected)."""
        st.cache_data.clear()
        st.cache_resource.clear()
        return AppTest.from_file(str(APP), default_timeout=120)

    for name in _BARE_MODE_LOGGERS:
        logging.getLogger(name).addFilter(_NoBareModeNotice())
    _timed_run(fresh())  # imports the page's modules once; not part of any timing
    times: dict[str, list[float]] = {"cold": [], "warm": [], "display": [], "change": []}
    for _ in range(repeats):
        at = fresh()
        times["cold"].append(_timed_run(at))
        times["warm"].append(_timed_run(at))
        at.button_group(key="cost_scale").set_value("log")
        times["display"].append(_timed_run(at))
        at.select_slider(key="run0_lambd").set_value(0.001)
        times["change"].append(_timed_run(at))
    return times


# --- (b) in Chromium -----------------------------------------------------------------------------
#
# A new page is a new Streamlit session. Pages of one browser context share its HTTP cache, as a
# returning visitor's browser does; the first page of each server fills it (plotly.js, ~5 MB).

VIEWPORT = {"width": 1280, "height": 800}


def _open(context: BrowserContext, url: str, keys: list[str]) -> tuple[Page, float]:
    """A new session opening ``url``; the page and the seconds until its charts are drawn."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    wait_ready(page, keys)
    return page, time.perf_counter() - start


def open_times(browser: Browser, url: str, keys: list[str], repeats: int) -> list[float]:
    """Seconds to open ``url`` in a new session, a returning browser (the first open not timed)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        _open(context, url, keys)[0].close()
        times = []
        for _ in range(repeats):
            page, seconds = _open(context, url, keys)
            times.append(seconds)
            page.close()
        return times
    finally:
        context.close()


def _lab_change(page: Page) -> float:
    """λ of run 1 one notch up, until its boundary is redrawn (it trains by itself)."""
    before = signature(page, "boundary_0")
    page.locator(".st-key-run0_lambd").get_by_role("slider").focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    wait_changed(page, "boundary_0", before)
    return time.perf_counter() - start


def _lab_toggle(page: Page) -> float:
    before = signature(page, "cost", "layout")
    start = time.perf_counter()
    page.locator(".st-key-cost_scale button", has_text="log").click()
    wait_changed(page, "cost", before, "layout")
    return time.perf_counter() - start


def lab_change_times(browser: Browser, url: str, repeats: int) -> dict[str, list[float]]:
    from nnviz.models import lab_model as lab

    keys = lab_chart_keys(lab.DEFAULT)
    times: dict[str, list[float]] = {"change": [], "toggle": []}
    context = browser.new_context(viewport=VIEWPORT)
    try:
        for _ in range(repeats):
            page, _seconds = _open(context, url, keys)
            times["change"].append(_lab_change(page))
            times["toggle"].append(_lab_toggle(page))
            page.close()
    finally:
        context.close()
    return times


# The page's own clock: the click as the page receives it (Playwright's click first waits for the
# element to be ready, 0.1-0.3 s that no person waits), and the first live frame as it appears.
_CLOCK = """(() => {
    window.__nnviz = {click: null, live: null};
    document.addEventListener('click', () => { window.__nnviz.click = performance.now(); }, true);
    new MutationObserver(() => {
        if (window.__nnviz.click !== null && window.__nnviz.live === null
            && document.querySelector('[class*="st-key-boundary_0_live"] .js-plotly-plot')) {
            window.__nnviz.live = performance.now();
        }
    }).observe(document, {subtree: true, childList: true});
})()"""


def lesson_times(browser: Browser, url: str) -> dict[str, list[float]]:
    """Each lesson's first click (the server trains it: first live frame, then the end) and a
    second click in another session (the stored result), from the click the page receives."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from nnviz.engine.lessons import LESSONS, WEEKS
    from nnviz.models import lab_model as lab

    times: dict[str, list[float]] = {}
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_CLOCK)
    try:
        for key, lesson in LESSONS.items():
            keys = lab_chart_keys(lesson.experiment)
            for attempt in ("first", "again"):
                page, _seconds = _open(context, url, lab_chart_keys(lab.DEFAULT))
                if lesson.week != lab.lesson_week(lab.DEFAULT):  # its week's buttons first
                    weeks = page.locator(".st-key-lesson_week button")
                    weeks.get_by_text(WEEKS[lesson.week], exact=True).click()
                page.locator(f".st-key-lesson_{key}").get_by_role("button").click()
                try:  # the lesson's note shows as its script starts; then it trains
                    page.get_by_text(lesson.title).first.wait_for(timeout=WAIT_MS)
                    wait_ready(page, keys, timeout=3 * WAIT_MS)
                    now, clock = page.evaluate("[performance.now(), window.__nnviz]")
                    if attempt == "first":  # a quick lesson draws no live frame: its result
                        first = clock["live"] if clock["live"] is not None else now  # is first
                        frame = (first - clock["click"]) / 1000
                        times.setdefault(f"{key}_frame", []).append(frame)
                    seconds = (now - clock["click"]) / 1000
                    times.setdefault(f"{key}_{attempt}", []).append(seconds)
                except PlaywrightTimeout:  # a row left empty rather than every number lost
                    print(f"lesson {key}, {attempt}: no result in time", file=sys.stderr)
                page.close()
    finally:
        context.close()
    return times


def playground_times(browser: Browser, url: str, repeats: int) -> dict[str, list[float]]:
    from nnviz.models import playground_settings as pg

    keys = playground_chart_keys(pg.default_config())
    times: dict[str, list[float]] = {"open": [], "beta1": []}
    context = browser.new_context(viewport=VIEWPORT)
    try:
        _open(context, f"{url}/playground", keys)[0].close()
        for _ in range(repeats):
            page, seconds = _open(context, f"{url}/playground", keys)
            times["open"].append(seconds)
            before = signature(page, "pg_race")
            start = time.perf_counter()
            page.locator('.st-key-pg_beta1 [data-testid="stNumberInputStepUp"]').click()
            wait_changed(page, "pg_race", before)
            times["beta1"].append(time.perf_counter() - start)
            page.close()
    finally:
        context.close()
    return times


OPEN_REPEATS = 10


def browser_times(repeats: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    from nnviz.models import lab_model as lab

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("no Chromium: apt-get install chromium")
    floor_app = ROOT / "benchmarks" / "floor_app.py"
    with serve() as url, serve(app=floor_app) as floor, sync_playwright() as playwright:
        browser = launch(playwright, executable)
        try:
            lab_keys = lab_chart_keys(lab.DEFAULT)
            opens = {"floor": [], "lab": []}
            # interleaved, so both see the same load on the machine; a ratio of two noisy page
            # loads (±0.2 s each here) needs more samples than the other timings
            for _ in range(max(OPEN_REPEATS, repeats)):
                opens["floor"] += open_times(browser, floor, FLOOR_KEYS, 1)
                opens["lab"] += open_times(browser, url, lab_keys, 1)
            return {
                "open": opens,
                "lab": lab_change_times(browser, url, repeats),
                "lessons": lesson_times(browser, url),
                "playground": playground_times(browser, url, repeats),
            }
        finally:
            browser.close()


# --- the report ----------------------------------------------------------------------------------


def _row(name: str, times: list[float] | None, target: str, limit: float) -> dict[str, Any]:
    median = statistics.median(times) if times else None
    return {
        "measurement": name,
        "n": len(times or []),
        "best": min(times) if times else None,
        "median": median,
        "target": f"{target} {limit:g}",
        "pass": median is not None and median <= limit,
    }


def report(results: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    from nnviz.engine.lessons import LESSONS

    script = results.get("script", {})
    rows = [
        _row("lab script, default settings, cold (trains 2 runs)", script.get("cold"), "≤ s", 1.0),
        _row("lab script, rerun with nothing changed", script.get("warm"), "≤ s", 1.0),
        _row("lab script, log-scale toggle", script.get("display"), "≤ s", 1.0),
        _row("lab script, λ changed (trains by itself)", script.get("change"), "≤ s", 1.5),
    ]
    opens = results.get("open", {})
    if opens:
        rows.append(
            _row("floor: open a page with two 3-point Plotly charts", opens["floor"], "—", 1e9)
        )
        rows.append(_row("lab: open (experiment already trained)", opens["lab"], "—", 1e9))
        ratio = [lab / floor for lab, floor in zip(opens["lab"], opens["floor"])]
        rows.append(_row("lab open ÷ floor open (same run, interleaved)", ratio, "≤ ×", 1.3))
    lab_times = results.get("lab", {})
    rows.append(
        _row("lab: λ slider → boundary redrawn (no button)", lab_times.get("change"), "≤ s", 1.5)
    )
    rows.append(
        _row("lab: log-scale toggle → cost chart redrawn", lab_times.get("toggle"), "≤ s", 1.5)
    )
    lessons = results.get("lessons", {})
    for key in LESSONS:
        rows.append(
            _row(f"lesson {key}: click → first live frame", lessons.get(f"{key}_frame"), "≤ s", 1.0)
        )
        rows.append(
            _row(
                f"lesson {key}: click → trained and drawn", lessons.get(f"{key}_first"), "≤ s", 6.0
            )
        )
        rows.append(
            _row(
                f"lesson {key}: again, another session (stored)",
                lessons.get(f"{key}_again"),
                "≤ s",
                3.0,
            )
        )
    pg = results.get("playground", {})
    rows.append(_row("playground: open", pg.get("open"), "≤ s", 3.0))
    rows.append(_row("playground: β₁ step → race redrawn", pg.get("beta1"), "≤ s", 1.5))
    watch = results.get("watch", {})
    for name in [k[: -len("_plain")] for k in watch if k.endswith("_plain")]:
        ratio = [w / p for w, p in zip(watch[f"{name}_watched"], watch[f"{name}_plain"])]
        frames = statistics.median(watch[f"{name}_frames"])
        plain = statistics.median(watch[f"{name}_plain"])
        label = f"watching {name} ({plain:.2f} s plain, {frames:.0f} frames): watched ÷ plain"
        rows.append(_row(label, ratio, "≤ ×", 1.25))
    return [r for r in rows if r["n"]]


def markdown(rows: list[dict[str, Any]]) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"nnviz app latency — Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}, load average {load:.1f} at the end",
        "",
        "| measurement | n | best | median | target | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        unit = "×" if "×" in r["target"] else "s"
        verdict = "—" if r["target"].startswith("—") else ("PASS" if r["pass"] else "FAIL")
        target = "—" if verdict == "—" else r["target"]
        lines.append(
            f"| {r['measurement']} | {r['n']} | {r['best']:.2f} {unit} | {r['median']:.2f} {unit} "
            f"| {target} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timings per measurement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium timings")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"script": script_times(args.repeats)}
    results["watch"] = watch_times(max(3, args.repeats))  # a noisy ratio: never fewer than 3
    if not args.no_browser:
        results.update(browser_times(args.repeats))
    rows = report(results)
    print(json.dumps({"rows": rows, "raw": results}, indent=2) if args.json else markdown(rows))
    verdicts = [r["pass"] for r in rows if not r["target"].startswith("—")]
    return 1 if args.strict and not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
