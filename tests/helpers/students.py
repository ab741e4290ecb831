"""A student's session, in Streamlit's own protocol: what a browser does to open a link.

GET the page (which sets a proxy's sticky-session cookie, if there is a proxy), open
``/_stcore/stream`` with that cookie and send a ``rerun_script`` BackMsg with the link's query
string; read ForwardMsgs until the server's ``script_finished`` for that run. What the page showed
on the way (an exception, an error or warning, Plotly charts, the lab's training time) is noted.
Used by benchmarks/classroom.py; never raises for a session that fails, it reports it.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app_pages.parts.charts import BUNDLE  # the plotly.js every lab page loads

MAX_MESSAGE = 64 * 2**20  # the lab's largest message (the replay figure) is a few MB
ASSET = re.compile(r'(?:src|href)="\./(static/[^"]+)"')  # in the page: scripts, styles, font
TRAINED = re.compile(r"trained[^.]*? in (\d+\.\d+) s")  # the lab's status caption


@dataclass
class Result:
    """One session: its time to result, and what it saw."""

    seconds: float | None = None
    error: str | None = None
    charts: int = 0
    warnings: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)  # training times shown on its page
    trained_here: bool = False  # its page showed training progress: this session trained
    static_bytes: int = 0  # the frontend bundle it fetched (--cold), as sent


# --- one session, in Streamlit's protocol --------------------------------------------------------


def stream_url(base: str) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"


def fetch_page(base: str, query: str, timeout: float, cold: bool, result: Result) -> str:
    """GET the page as a browser would, and with ``cold`` the frontend bundle as a browser with
    an empty cache does (the page's scripts, styles and font, then the plotly.js the lab's charts
    load from the app's static/ folder: app_pages/parts/charts.py); returns the cookies as a Cookie
    header."""
    with urllib.request.urlopen(f"{base.rstrip('/')}/?{query}", timeout=timeout) as reply:
        page = reply.read().decode(errors="replace")
        cookies = reply.headers.get_all("Set-Cookie") or []
    cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
    files = ASSET.findall(page) + [f"app/static/{BUNDLE}"] if cold else []
    for path in files:
        request = urllib.request.Request(
            f"{base.rstrip('/')}/{path}", headers={"Accept-Encoding": "gzip", "Cookie": cookie}
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
            result.static_bytes += len(body)
    return cookie


def rerun_message(query: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = ""
    return msg.SerializeToString()


def look_at(delta: Any, result: Result) -> None:
    """Note what a page element means for the session: an error, a warning, a chart, a text."""
    if not delta.HasField("new_element"):
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        e = element.exception
        result.error = result.error or f"exception on the page: {e.type} {e.message[:200]}"
    elif kind == "alert" and element.alert.format == 1:  # ERROR
        result.error = result.error or f"error on the page: {element.alert.body[:200]}"
    elif kind == "alert" and element.alert.format == 2:  # WARNING
        result.warnings.append(element.alert.body[:200])
    elif kind == "plotly_chart" or (
        kind == "bidi_component" and element.bidi_component.component_name == "nnviz_chart"
    ):  # st.plotly_chart, or the lab's own chart (app_pages/parts/charts.py)
        result.charts += 1
    elif kind == "progress" and element.progress.text.startswith("Training"):
        result.trained_here = True
    elif kind == "markdown":
        result.trained += TRAINED.findall(element.markdown.body)


async def _talk(base: str, query: str, timeout: float, cold: bool, result: Result) -> None:
    """GET the page, open the stream, ask for the run, read until the script has finished."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    cookie = await asyncio.to_thread(fetch_page, base, query, timeout, cold, result)
    async with connect(
        stream_url(base),
        subprotocols=["streamlit"],
        additional_headers={"Cookie": cookie} if cookie else {},
        max_size=MAX_MESSAGE,
        ping_interval=None,  # a browser does not ping either; a busy server answers late
    ) as ws:
        await ws.send(rerun_message(query))
        async for frame in ws:
            msg = ForwardMsg.FromString(frame)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                look_at(msg.delta, result)
            elif kind == "page_info_changed" and msg.page_info_changed.query_string != query:
                result.error = result.error or "the link's settings were not applied"
            elif kind == "script_finished" and msg.script_finished == 1:
                result.error = result.error or "the script did not compile"
                return
            elif kind == "script_finished" and msg.script_finished == 0:
                return  # FINISHED_SUCCESSFULLY; early-for-rerun and fragment runs go on
        result.error = result.error or "the server closed the connection"


async def open_session(
    base: str, query: str, timeout: float, min_charts: int = 0, cold: bool = False
) -> Result:
    """Open ``base/?query`` as one student; never raises (a failure is the result's error)."""
    result, start = Result(), time.perf_counter()
    try:
        await asyncio.wait_for(_talk(base, query, timeout, cold, result), timeout)
        result.seconds = time.perf_counter() - start
    except asyncio.TimeoutError:
        result.error = f"no result within {timeout:.0f} s"
    except Exception as e:  # a student's failure, whatever it is, is counted, not raised
        result.error = f"{type(e).__name__}: {e}"
    if result.error is None and result.charts < min_charts:
        result.error = f"{result.charts} charts, expected at least {min_charts}"
    return result


async def clear_caches(base: str, timeout: float = 10.0) -> None:
    """The app menu's "Clear cache": every cached training and figure of that server process."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.asyncio.client import connect

    msg = BackMsg()
    msg.clear_cache = True

    async def clear() -> None:
        async with connect(stream_url(base), subprotocols=["streamlit"]) as ws:
            await ws.send(msg.SerializeToString())
            await asyncio.sleep(0.3)  # handled in order on the server's loop; give it that moment

    await asyncio.wait_for(clear(), timeout)


async def classroom(
    base: str,
    queries: list[str],
    timeout: float,
    spread: float = 0.0,
    min_charts: int = 0,
    cold: bool = False,
) -> list[Result]:
    """One session per query, all started together (or evenly over ``spread`` seconds)."""

    async def student(i: int, query: str) -> Result:
        await asyncio.sleep(spread * i / len(queries))
        return await open_session(base, query, timeout, min_charts, cold)

    return list(await asyncio.gather(*(student(i, q) for i, q in enumerate(queries))))
