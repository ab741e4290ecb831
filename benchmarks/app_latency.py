"""How long does the app make a person wait? The lab and the playground, timed two ways.

(a) The lab's script at its default settings, run by streamlit.testing.v1.AppTest (no browser):
    - cold: caches cleared, so the run trains both runs and builds every figure (the page's
      modules are imported once before timing: that is the server's start-up, not a run);
    - warm: a rerun with nothing changed (what every widget interaction pays at least);
    - display only: the cost chart's log-scale toggle (indexes into finished results).
(b) Headless Chromium against ``streamlit run`` on a free port (started and stopped here):
    - open: from ``page.goto`` to every chart drawn and the script finished — the first visit
      after the server starts; a browser with an empty cache (it downloads the chart bundle);
      a returning browser, with settings not trained yet (another seed) and cached ones;
    - change: the lab's λ slider (its fragment reruns and offers "train now"), the click on that
      button until the run's boundary is redrawn, the log-scale toggle until the cost chart is
      redrawn; the playground's β₁ step button until the race is redrawn.

Targets: a script run ≤ 1 s, charts visible ≤ 3 s after opening, ≤ 1.5 s after a change. Best and
median of a few repeats, time.perf_counter; PASS/FAIL compares the median.

    python -m benchmarks.app_latency            # markdown table
    python -m benchmarks.app_latency --json
    python -m benchmarks.app_latency --repeats 3 --no-browser
    python -m benchmarks.app_latency --strict   # exit 1 if a median misses its target

The server and browser helpers here are shared with tests/test_browser.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright
    from streamlit.testing.v1 import AppTest

    from nnviz.engine.config import Experiment
    from nnviz.playground.settings import Playground

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TARGETS = {"script": 1.0, "open": 3.0, "change": 1.5}  # seconds
WAIT_MS = 60_000  # a bounded wait for anything in the browser; generous for a busy 2-core machine


# --- the server ---------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """Debian's Chromium (Playwright cannot download its own browsers here)."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve(timeout: float = 60.0, port: int | None = None, app: Path = APP) -> Iterator[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port`` (default: a free one); yields its base URL;
    stops it and its children."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false"]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would block the server
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-4000:]
                    code = server.poll()
                    why = f"no answer within {timeout:.0f} s" if code is None else f"exit {code}"
                    raise RuntimeError(
                        f"streamlit run: {url}/_stcore/health did not answer 'ok' ({why}). "
                        f"Server output:\n{output}"
                    )
                time.sleep(0.2)
            yield url
        finally:
            _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (it and anything it started), SIGKILL if it hangs."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        try:
            server.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- what each page shows, from the same objects the page is built from ------------------------


def lab_chart_keys(exp: Experiment) -> list[str]:
    """The lab's plotly charts: one boundary per run, then the cost, accuracy and replay charts."""
    return [f"boundary_{i}" for i in range(len(exp.runs))] + ["cost", "accuracy", "replay"]


def playground_chart_keys(cfg: Playground) -> list[str]:
    """The playground's charts: the race, and Adam's two panels when Adam races."""
    adam = ["pg_bias", "pg_steps_chart"] if cfg.racer("adam") is not None else []
    return ["pg_race", *adam]


# --- the page, seen from the browser ------------------------------------------------------------

# stApp carries the script's state: running, notRunning, rerunRequested, ...; each keyed element
# sits in a container with the class st-key-<key>.
_IDLE = """(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    return Boolean(app) && app.dataset.testScriptState === 'notRunning' && !running;
})()"""
_READY = f"""keys => {{
    if (!{_IDLE}) return false;
    const drawn = keys.every(k => document.querySelector(`.st-key-${{k}} .js-plotly-plot`));
    return drawn && document.querySelectorAll('.js-plotly-plot').length === keys.length;
}}"""
_CHART = "document.querySelector(`.st-key-${key} .js-plotly-plot`)"
_SIGNATURE = f"""([key, part]) => {{
    const gd = {_CHART};
    return gd ? JSON.stringify(part === 'layout' ? gd.layout : gd.data) : null;
}}"""
_CHANGED = f"""([key, part, before]) => {{
    const gd = {_CHART};
    if (!gd || !{_IDLE}) return false;
    return JSON.stringify(part === 'layout' ? gd.layout : gd.data) !== before;
}}"""


def wait_idle(page: Page, timeout: float = WAIT_MS) -> None:
    """Until no script or fragment is running."""
    page.wait_for_function(f"() => {_IDLE}", timeout=timeout)


def wait_ready(page: Page, keys: list[str], timeout: float = WAIT_MS) -> None:
    """Until the script has finished and exactly these charts are drawn."""
    page.wait_for_function(_READY, arg=keys, timeout=timeout)


def signature(page: Page, key: str, part: str = "data") -> str:
    """The chart's traces (or layout) as JSON, as Plotly holds them in the page."""
    return page.evaluate(_SIGNATURE, [key, part])


def wait_changed(
    page: Page, key: str, before: str, part: str = "data", timeout: float = WAIT_MS
) -> None:
    page.wait_for_function(_CHANGED, arg=[key, part, before], timeout=timeout)


def launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


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
    times: dict[str, list[float]] = {"cold": [], "warm": [], "display": []}
    for _ in range(repeats):
        at = fresh()
        times["cold"].append(_timed_run(at))
        times["warm"].append(_timed_run(at))
        at.toggle(key="log_cost").set_value(True)
        times["display"].append(_timed_run(at))
    return times


# --- (b) in Chromium -----------------------------------------------------------------------------
#
# A new page is a new Streamlit session. A new browser context also starts with an empty HTTP cache,
# so it downloads and compiles Streamlit's chart bundle (about 5 MB of plotly.js) again: that is a
# person's first visit. Pages of one context share the cache, as a returning visitor's browser does.

VIEWPORT = {"width": 1280, "height": 800}


def _open(context: BrowserContext, url: str, keys: list[str]) -> tuple[Page, float]:
    """A new session opening ``url``; the page and the seconds until its charts are drawn."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    wait_ready(page, keys)
    return page, time.perf_counter() - start


def _open_fresh(browser: Browser, url: str, keys: list[str]) -> float:
    """Seconds to open ``url`` in a browser with an empty cache."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return _open(context, url, keys)[1]
    finally:
        context.close()


def lab_browser_times(browser: Browser, url: str, repeats: int) -> dict[str, list[float]]:
    from nnviz.views import lab_model as lab

    keys = lab_chart_keys(lab.DEFAULT)
    names = ("first", "fresh", "new", "cached", "slider", "train", "toggle")
    times: dict[str, list[float]] = {name: [] for name in names}
    times["first"].append(_open_fresh(browser, url, keys))
    context = browser.new_context(viewport=VIEWPORT)
    try:
        _open(context, url, keys)[0].close()  # fills this browser's cache
        for k in range(repeats):
            times["fresh"].append(_open_fresh(browser, url, keys))
            params = lab.url_params(replace(lab.DEFAULT, seed=1000 + k))  # not trained yet
            page, seconds = _open(context, f"{url}/?{urlencode(params)}", keys)
            times["new"].append(seconds)
            page.close()
            page, seconds = _open(context, url, keys)
            times["cached"].append(seconds)
            times["slider"].append(_lab_slider(page))
            times["train"].append(_lab_train(page))
            times["toggle"].append(_lab_toggle(page))
            page.close()
    finally:
        context.close()
    return times


def _lab_slider(page: Page) -> float:
    """λ of run 1 one notch up, until its fragment has rerun and offers to train."""
    page.locator(".st-key-run0_lambd").get_by_role("slider").focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.locator(".st-key-train_0 button").wait_for(timeout=WAIT_MS)
    wait_idle(page)
    return time.perf_counter() - start


def _lab_train(page: Page) -> float:
    before = signature(page, "boundary_0")
    start = time.perf_counter()
    page.locator(".st-key-train_0 button").click()
    wait_changed(page, "boundary_0", before)
    return time.perf_counter() - start


def _lab_toggle(page: Page) -> float:
    before = signature(page, "cost", "layout")
    start = time.perf_counter()
    page.locator(".st-key-log_cost label").click()
    wait_changed(page, "cost", before, "layout")
    return time.perf_counter() - start


def playground_browser_times(browser: Browser, url: str, repeats: int) -> dict[str, list[float]]:
    from nnviz.playground import settings as pg

    keys = playground_chart_keys(pg.default_config())
    times: dict[str, list[float]] = {"fresh": [], "cached": [], "beta1": []}
    context = browser.new_context(viewport=VIEWPORT)
    try:
        _open(context, f"{url}/playground", keys)[0].close()  # fills this browser's cache
        for _ in range(repeats):
            times["fresh"].append(_open_fresh(browser, f"{url}/playground", keys))
            page, seconds = _open(context, f"{url}/playground", keys)
            times["cached"].append(seconds)
            before = signature(page, "pg_race")
            start = time.perf_counter()
            page.locator('.st-key-pg_beta1 [data-testid="stNumberInputStepUp"]').click()
            wait_changed(page, "pg_race", before)
            times["beta1"].append(time.perf_counter() - start)
            page.close()
    finally:
        context.close()
    return times


def browser_times(repeats: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("no Chromium: apt-get install chromium")
    with serve() as url, sync_playwright() as playwright:
        browser = launch(playwright, executable)
        try:
            return {
                "lab": lab_browser_times(browser, url, repeats),
                "playground": playground_browser_times(browser, url, repeats),
            }
        finally:
            browser.close()


# --- the report ----------------------------------------------------------------------------------

ROWS = (  # (measurement, where its times are, target)
    ("lab, default settings, cold (trains 2 runs)", ("script", "cold"), "script"),
    ("lab, rerun with nothing changed", ("script", "warm"), "script"),
    ("lab, log-scale toggle (display only)", ("script", "display"), "script"),
    ("lab: first visit after server start, empty browser cache", ("lab", "first"), "open"),
    ("lab: open, empty browser cache, cached settings", ("lab", "fresh"), "open"),
    ("lab: open, settings not trained yet", ("lab", "new"), "open"),
    ("lab: open, cached settings", ("lab", "cached"), "open"),
    ("lab: λ slider → “train now” offered", ("lab", "slider"), "change"),
    ("lab: “train now” → boundary redrawn", ("lab", "train"), "change"),
    ("lab: log-scale toggle → cost chart redrawn", ("lab", "toggle"), "change"),
    ("playground: open, empty browser cache", ("playground", "fresh"), "open"),
    ("playground: open", ("playground", "cached"), "open"),
    ("playground: β₁ step → race redrawn", ("playground", "beta1"), "change"),
)


def report(results: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    rows = []
    for name, (group, key), target in ROWS:
        times = results.get(group, {}).get(key)
        if not times:
            continue
        median = statistics.median(times)
        rows.append(
            {
                "measurement": name,
                "n": len(times),
                "best_s": min(times),
                "median_s": median,
                "target_s": TARGETS[target],
                "pass": median <= TARGETS[target],
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"nnviz app latency — Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}",
        "",
        "| measurement | n | best | median | target | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        verdict = "PASS" if r["pass"] else "FAIL"
        lines.append(
            f"| {r['measurement']} | {r['n']} | {r['best_s']:.3f} s | {r['median_s']:.3f} s "
            f"| ≤ {r['target_s']:g} s | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timings per measurement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--no-browser", action="store_true", help="AppTest timings only")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    results = {"script": script_times(args.repeats)}
    if not args.no_browser:
        results.update(browser_times(args.repeats))
    rows = report(results)
    print(json.dumps({"rows": rows, "raw": results}, indent=2) if args.json else markdown(rows))
    return 1 if args.strict and not all(r["pass"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
