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
from collections.abc import Iterable
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


def fetch_page(
    base: str, query: str, timeout: float, cold: bool, result: Result, path: str = ""
) -> str:
    """GET the page as a browser would, and with ``cold`` the frontend bundle as a browser with
    an empty cache does (the page's scripts, styles and font, then the plotly.js the lab's charts
    load from the app's static/ folder: app_pages/parts/charts.py); returns the cookies as a Cookie
    header. ``path``: the page's URL path (``class``; the lab's is empty)."""
    with urllib.request.urlopen(f"{base.rstrip('/')}/{path}?{query}", timeout=timeout) as reply:
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


def rerun_message(
    query: str,
    page_name: str = "",
    page_hash: str = "",
    widgets: Iterable[Any] = (),
    fragment_id: str = "",
) -> bytes:
    """The browser's "run the script": for the page at URL path ``page_name`` (or the one the
    server named ``page_hash``), with the widgets' values, or one fragment's auto-rerun."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = page_hash
    msg.rerun_script.page_name = page_name
    msg.rerun_script.widget_states.widgets.extend(widgets)
    if fragment_id:
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = True
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


# --- a tab kept open: widgets, clicks and fragments, as the browser sends them -------------------

FINISHED, EARLY_FOR_RERUN = 0, 2  # ForwardMsg.ScriptFinishedStatus; 3 is a fragment's run
STUCK = 60.0  # s: a run never finished (a fragment rerun the server dropped) stops no timer


class Closed(Exception):
    """The server closed the session's websocket (its app process died, say)."""


@dataclass
class Seen:
    """One element the page drew, and when (``time.time()``)."""

    at: float
    kind: str  # the Element's type: markdown, alert, spinner, dataframe, ...
    text: str = ""  # a markdown's or an alert's body, a spinner's text
    rows: list[dict[str, Any]] | None = None  # a dataframe's rows


def seen_of(element: Any, at: float) -> Seen:
    kind = element.WhichOneof("type")
    part = getattr(element, kind)
    if kind == "dataframe":
        import pyarrow as pa

        table = pa.ipc.open_stream(part.arrow_data.data).read_all()
        return Seen(at, kind, rows=table.to_pylist())
    text = next(
        (getattr(part, f) for f in ("body", "text") if f in part.DESCRIPTOR.fields_by_name), ""
    )
    return Seen(at, kind, text if isinstance(text, str) else "")


class Session:
    """One browser tab on a page (URL ``path``, e.g. ``class``) kept open over Streamlit's protocol.

    It does what the frontend does: notes each widget the page draws (its id; its key is the id's
    suffix), sends the widgets' values with every rerun and a button's click as a one-time
    trigger, follows the page's own rewrites of its query string, and reruns each
    ``st.fragment(run_every=...)`` at its interval while no script runs. Everything drawn is kept
    in ``seen``; an exception or error on the page in ``result.error``.
    """

    def __init__(self, base: str, path: str = "", query: str = "") -> None:
        self.base, self.path, self.query = base, path, query
        self.seen: list[Seen] = []
        self.result = Result()
        self.elements: dict[str, Any] = {}  # widget key -> its latest proto (its id, options)
        self.values: dict[str, Any] = {}  # widget id -> the WidgetState the browser holds
        self.fragments: dict[str, float] = {}  # fragment id -> its auto-rerun interval (s)
        self.finished = 0  # full runs finished
        self.closed: str | None = None
        self._busy, self._sent_at, self._ws, self._tasks = False, 0.0, None, []
        self._pulse = asyncio.Event()

    async def open(self, timeout: float) -> list[Seen]:
        """GET the page, open the stream, run the page; what it drew."""
        from websockets.asyncio.client import connect

        cookie = await asyncio.to_thread(
            fetch_page, self.base, self.query, timeout, False, self.result, self.path
        )
        self._ws = await connect(
            stream_url(self.base),
            subprotocols=["streamlit"],
            additional_headers={"Cookie": cookie} if cookie else {},
            max_size=MAX_MESSAGE,
            ping_interval=None,
        )
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._poll())]
        return await self.rerun(timeout)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()

    async def rerun(self, timeout: float, click: str | None = None, **values: str) -> list[Seen]:
        """Set widgets (by key) to these string values, click the button ``click``, and wait
        for the run to finish (through any ``st.rerun`` it asks for); what it drew."""
        for key, value in values.items():
            self.values[self.widget_id(key)] = self._state(key, string_value=value)
        states = list(self.values.values())
        if click is not None:
            states.append(self._state(click, trigger_value=True))  # once, not kept
        mark, done = len(self.seen), self.finished
        await self._send(rerun_message(self.query, self.path, widgets=states))
        await self.wait(lambda: self.finished > done, timeout)
        return self.seen[mark:]

    async def wait(self, ready: Any, timeout: float) -> None:
        """Until ``ready()`` (checked at each message), the stream closes, or ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            pulse = self._pulse
            if ready():
                return
            if self.closed:
                raise Closed(self.closed)
            await asyncio.wait_for(pulse.wait(), max(0.0, end - time.monotonic()))

    async def until_closed(self) -> None:
        """Until the server closes the connection."""
        while self.closed is None:
            pulse = self._pulse
            if self.closed is None:
                await pulse.wait()

    def widget_id(self, key: str) -> str:
        if key not in self.elements:
            raise KeyError(f"no widget {key!r} on the page")
        return self.elements[key].id

    def _state(self, key: str, **value: Any) -> Any:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return WidgetState(id=self.widget_id(key), **value)

    async def _send(self, message: bytes) -> None:
        self._busy, self._sent_at = True, time.monotonic()
        try:
            await self._ws.send(message)
        except Exception as error:  # noqa: BLE001 - a closed stream, said once
            self.closed = self.closed or f"{type(error).__name__}: {error}"
            raise Closed(self.closed) from error

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for frame in self._ws:
                self._take(ForwardMsg.FromString(frame), time.time())
                self._pulse.set()
                self._pulse = asyncio.Event()
            self.closed = "the server closed the connection"
        except Exception as error:  # noqa: BLE001 - the connection is gone, whatever the cause
            self.closed = f"{type(error).__name__}: {error}"
        self._pulse.set()

    def _take(self, msg: Any, at: float) -> None:
        from streamlit.elements.lib.utils import user_key_from_element_id

        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.HasField("new_element"):
            look_at(msg.delta, self.result)
            element = msg.delta.new_element
            part = getattr(element, element.WhichOneof("type"))
            key = user_key_from_element_id(getattr(part, "id", "") or "")
            if key:
                self.elements[key] = part
            self.seen.append(seen_of(element, at))
        elif kind == "delta" and msg.delta.HasField("new_transient"):  # st.spinner's, at 0.5 s
            self.seen += [seen_of(e, at) for e in msg.delta.new_transient.elements]
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "new_session" and not msg.metadata.run.fragment_ids:
            self.fragments.clear()  # a full run starts: its fragments will say so again
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fragment, None)
        elif kind == "auto_rerun":
            self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "script_finished" and msg.script_finished != EARLY_FOR_RERUN:
            self._busy = False
            self.finished += msg.script_finished == FINISHED

    async def _poll(self) -> None:
        """The frontend's timer for ``run_every`` fragments: each reruns at its interval, while
        no run of this session is going on."""
        due: dict[str, float] = {}
        while self.closed is None:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for fragment, interval in list(self.fragments.items()):
                due.setdefault(fragment, now + interval)
                idle = not self._busy or now - self._sent_at > STUCK  # a run lost: go on
                if now >= due[fragment] and idle:
                    due[fragment] = now + interval
                    states = list(self.values.values())
                    message = rerun_message(self.query, self.path, "", states, fragment)
                    try:
                        await self._send(message)
                    except Closed:
                        return
            for gone in set(due) - set(self.fragments):
                del due[gone]
