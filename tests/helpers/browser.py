"""Streamlit servers and headless Chromium for the browser tests and the app's benchmarks.

``serve`` runs ``streamlit run`` on a loopback port (the first free one in NNVIZ_PORTS, e.g.
``8601-8620``, when that is set) and stops it and its children afterwards; the rest reads the page
the way a person waits for it: the script finished and the expected charts drawn, as the chart
component says on each chart (app_pages/parts/charts.js: ``data-drawn``). Every wait is for a
state of the page, bounded only so that a bug fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

    from nnviz.engine.config import Experiment
    from nnviz.models.playground_settings import Playground

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WAIT_MS = 180_000  # a bounded wait for anything in the browser; generous for a busy 2-core machine


# --- the server ---------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """Debian's Chromium (Playwright cannot download its own browsers here)."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def free_port() -> int:
    """A free loopback port: the first free one in NNVIZ_PORTS (e.g. ``8601-8620``) if set."""
    low, _, high = os.environ.get("NNVIZ_PORTS", "0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in NNVIZ_PORTS={os.environ['NNVIZ_PORTS']}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve(
    timeout: float = 60.0, port: int | None = None, app: Path = APP, env: dict | None = None
) -> Iterator[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port`` (default: a free one), with ``env`` added to
    its environment (e.g. NNVIZ_DATABASE_URL); yields its base URL; stops it and its children."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false"]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would block the server
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
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
    """The lab's finished charts: one boundary per run, then the cost and accuracy charts."""
    return [f"boundary_{i}" for i in range(len(exp.runs))] + ["cost", "accuracy"]


FLOOR_KEYS = ["floor_a", "floor_b"]


def playground_chart_keys(cfg: Playground) -> list[str]:
    """The playground's charts: the race, the α scan when α is tuned, and Adam's two panels when
    Adam (corrected or not) races."""
    tuned = ["pg_tuning"] if cfg.tune != "off" else []
    adams = cfg.racer("adam") or cfg.racer("adam_nobias")
    return ["pg_race", *tuned, *(["pg_bias", "pg_steps_chart"] if adams else [])]


# --- the page, seen from the browser ------------------------------------------------------------

# stApp carries the script's state: running, notRunning, rerunRequested, ...; each keyed element
# sits in a container with the class st-key-<key>.
_IDLE = """(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    return Boolean(app) && app.dataset.testScriptState === 'notRunning' && !running;
})()"""
# A chart of the chart component is drawn when its div carries data-drawn and plotly.js drew it
# at the div's width (to Plotly's 1 px): a width that changed a moment ago has not yet started
# the resize that will redraw it. st.plotly_chart's charts (the benchmarks' floor page) carry no
# such signal: drawn once they are there.
_DRAWN = """(gd => Boolean(gd) && (!gd.classList.contains('nnviz-chart') || (
    gd.hasAttribute('data-drawn') && Boolean(gd._fullLayout) && (Boolean(gd.layout.width) ||
    Math.abs(gd.getBoundingClientRect().width - gd._fullLayout.width) <= 1))))"""
_CHART = "document.querySelector(`.st-key-${key} .js-plotly-plot`)"
_READY = f"""keys => {{
    if (!{_IDLE}) return false;
    const drawn = keys.every(key => {_DRAWN}({_CHART}));
    const frames = document.querySelector(
        '[class*="_live"] .js-plotly-plot, [class*="_replay"] .js-plotly-plot');
    return drawn && !frames;
}}"""
_SIGNATURE = f"""([key, part]) => {{
    const gd = {_CHART};
    return gd ? JSON.stringify(part === 'layout' ? gd.layout : gd.data) : null;
}}"""
_CHANGED = f"""([key, part, before]) => {{
    const gd = {_CHART};
    if (!{_DRAWN}(gd) || !{_IDLE}) return false;
    return JSON.stringify(part === 'layout' ? gd.layout : gd.data) !== before;
}}"""


def wait_idle(page: Page, timeout: float = WAIT_MS) -> None:
    """Until no script or fragment is running."""
    page.wait_for_function(f"() => {_IDLE}", timeout=timeout)


def wait_ready(page: Page, keys: list[str], timeout: float = WAIT_MS) -> None:
    """Until the script has finished, these charts are drawn, and no live or replay frame is
    left (other panels may add charts of their own)."""
    page.wait_for_function(_READY, arg=keys, timeout=timeout)


def signature(page: Page, key: str, part: str = "data") -> str:
    """The chart's traces (or layout) as JSON, as Plotly holds them in the page."""
    return page.evaluate(_SIGNATURE, [key, part])


def wait_changed(
    page: Page, key: str, before: str, part: str = "data", timeout: float = WAIT_MS
) -> None:
    """Until the chart is drawn with other traces (or layout) than ``before``."""
    page.wait_for_function(_CHANGED, arg=[key, part, before], timeout=timeout)


_POINT = f"""([key, x, y]) => {{
    const gd = {_CHART};
    if (!{_IDLE} || !{_DRAWN}(gd)) return null;
    const box = gd.getBoundingClientRect(), size = gd._fullLayout._size;
    return {{x: box.left + size.l + gd._fullLayout.xaxis.l2p(x),
            y: box.top + size.t + gd._fullLayout.yaxis.l2p(y)}};
}}"""


def point_at(page: Page, key: str, x: float, y: float, timeout: float = WAIT_MS) -> dict:
    """The page position of the data point (x, y) of the chart's first axes (a category axis
    counts its categories 0, 1, ...), read from Plotly's own axes once the chart is drawn at its
    width and no script runs (a chart still being resized moves under the mouse)."""
    return page.wait_for_function(_POINT, arg=[key, x, y], timeout=timeout).json_value()


def launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
