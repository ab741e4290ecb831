"""A class at once: N sessions open the lab together, over Streamlit's own websocket protocol.

Each session does what a browser does when a student opens a link: GET the page (which sets the
proxy's sticky-session cookie, if there is a proxy), open ``/_stcore/stream`` with that cookie, and
send a ``rerun_script`` BackMsg with the link's query string. Its time to result runs from the GET
to the server's ``script_finished`` message for that run (whatever the page sends before it: live
redraws, spinners). Every session checks what it got: no exception or error on the page, the lab's
charts, and no rewrite of its link to other settings.

Scenarios, each for N = 1, 10, 30 sessions started at once (``--spread`` staggers them):
  lesson  every session opens the same lesson link; the caches are cleared before each N, so the
          lesson is trained cold — once, if the server shares the work (the "trainings" column
          counts the distinct training times the sessions were shown);
  own     every session opens the default experiment with its own seed: N trainings, none lost.
The server's CPU time per step and its resident memory (RSS, after every scenario) are read from
/proc for the processes listening on the server ports, so this runs on the machine of the server.

    python -m benchmarks.classroom --start-server 8701          # streamlit run app.py, then stop it
    python -m benchmarks.classroom --url http://127.0.0.1:8780 --server-ports 8701,8702   # deploy/
    python -m benchmarks.classroom --start-server 8701 --sessions 1,10 --scenarios own --json

Loopback only; every wait is bounded (per session and a global ``--deadline``), then it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_MESSAGE = 64 * 2**20  # the lab's largest message (the replay figure) is a few MB
ASSET = re.compile(r'(?:src|href)="\./(static/[^"]+)"')  # in the page: scripts, styles, font
CHUNK = re.compile(r"\./(PlotlyChart\.[\w-]+\.js)")  # in the scripts: the chart's lazy chunk
TRAINED = re.compile(r"trained[^.]*? in (\d+\.\d+) s")  # the lab's status caption


@dataclass
class Result:
    """One session: its time to result, and what it saw."""

    seconds: float | None = None
    error: str | None = None
    charts: int = 0
    warnings: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)  # training times shown on its page
    static_bytes: int = 0  # the frontend bundle it fetched (--cold), as sent


# --- one session, in Streamlit's protocol --------------------------------------------------------


def stream_url(base: str) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"


def fetch_page(base: str, query: str, timeout: float, cold: bool, result: Result) -> str:
    """GET the page as a browser would, and with ``cold`` the frontend bundle as a browser with
    an empty cache does (the page's scripts, styles and font, then the Plotly chart's chunk);
    returns the cookies as a Cookie header."""
    with urllib.request.urlopen(f"{base.rstrip('/')}/?{query}", timeout=timeout) as reply:
        page = reply.read().decode(errors="replace")
        cookies = reply.headers.get_all("Set-Cookie") or []
    cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
    files = ASSET.findall(page) if cold else []
    for path in files:  # the list grows by the chunks the scripts name
        request = urllib.request.Request(
            f"{base.rstrip('/')}/{path}", headers={"Accept-Encoding": "gzip", "Cookie": cookie}
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
            result.static_bytes += len(body)
            if reply.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        folder = path.rsplit("/", 1)[0]
        chunks = {f"{folder}/{c}" for c in CHUNK.findall(body.decode(errors="replace"))}
        files += sorted(chunks - set(files))
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
    elif kind == "plotly_chart":
        result.charts += 1
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


# --- the server's processes, from /proc ----------------------------------------------------------


def listening_pids(ports: list[int]) -> list[int]:
    """The processes with a listening TCP socket on one of ``ports`` (needs permission to read
    their /proc/PID/fd: the same user, or root)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) in ports:  # 0A: LISTEN
                inodes.add(f"socket:[{cols[9]}]")
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                pids.add(int(pid))
        except OSError:  # gone, or not ours to read
            continue
    return sorted(pids)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pids: list[int]) -> list[float]:
    """Each process's resident memory (VmRSS), in MB."""
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
        sizes.append(kb / 1024)
    return sizes


# --- the scenarios -------------------------------------------------------------------------------


def lesson_query(key: str) -> tuple[str, int]:
    """The lab's link to a lesson (its URL state), and how many runs it trains."""
    from nnviz.engine.lessons import LESSONS
    from nnviz.views import lab_model

    exp = LESSONS[key].experiment
    return urlencode(lab_model.url_params(exp)), len(exp.runs)


def own_queries(n: int, first_seed: int) -> tuple[list[str], int]:
    """``n`` links to the lab's default experiment, each with its own seed (its own training)."""
    from nnviz.views import lab_model

    exps = [replace(lab_model.DEFAULT, seed=first_seed + i) for i in range(n)]
    return [urlencode(lab_model.url_params(e)) for e in exps], len(lab_model.DEFAULT.runs)


def default_query() -> str:
    from nnviz.views import lab_model

    return urlencode(lab_model.url_params(lab_model.DEFAULT))


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarize(scenario: str, results: list[Result], cpu: float, wall: float) -> dict[str, Any]:
    times = [r.seconds for r in results if r.error is None and r.seconds is not None]
    errors = [r.error for r in results if r.error is not None]
    shown = {t for r in results for t in r.trained}
    return {
        "scenario": scenario,
        "sessions": len(results),
        "p50_s": percentile(times, 50),
        "p95_s": percentile(times, 95),
        "max_s": max(times, default=None),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "warnings": sum(len(r.warnings) for r in results),
        "static_mb_each": max((r.static_bytes for r in results), default=0) / 2**20,
        "trainings_seen": len(shown) if shown else None,
        "server_cpu_s": cpu,
        "wall_s": wall,
    }


def run_level(args, scenario: str, queries: list[str], runs: int, pids: list[int]) -> dict:
    remaining = args.stop_at - time.monotonic()
    if remaining < 5:
        return {"scenario": scenario, "sessions": len(queries), "skipped": "global deadline"}
    before, start = cpu_seconds(pids), time.perf_counter()
    results = asyncio.run(
        classroom(args.url, queries, min(args.timeout, remaining), args.spread, runs, args.cold)
    )
    return summarize(scenario, results, cpu_seconds(pids) - before, time.perf_counter() - start)


def backends(args) -> list[str]:
    """Where to clear caches and warm up: each server process directly, else the URL."""
    return [f"http://127.0.0.1:{p}" for p in args.server_ports] or [args.url]


def measure(args) -> dict[str, Any]:
    pids = listening_pids(args.server_ports) if args.server_ports else []
    query, lesson_runs = lesson_query(args.lesson)
    for base in backends(args):  # the first run imports the pages: a server's start, not a class
        warm = asyncio.run(open_session(base, default_query(), args.timeout))
        if warm.error:
            raise RuntimeError(f"the server at {base} does not serve the lab: {warm.error}")
    report: dict[str, Any] = {"rss_mb_start": rss_mb(pids), "rows": []}
    seed = args.seed
    for scenario in args.scenarios:
        for n in args.sessions:
            if scenario == "lesson":
                for base in backends(args):
                    asyncio.run(clear_caches(base))
                row = run_level(args, f"lesson:{args.lesson}", [query] * n, lesson_runs, pids)
            else:
                queries, runs = own_queries(n, seed)
                seed += n
                row = run_level(args, "own experiment", queries, runs, pids)
            report["rows"].append(row)
        report[f"rss_mb_after_{scenario}"] = rss_mb(pids)
    report.update(pids=pids, processes=max(1, len(args.server_ports)))
    report.update(first_seed=args.seed, load=os.getloadavg())
    return report


# --- the report ----------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def markdown(report: dict[str, Any], target: str) -> str:
    load = ", ".join(f"{x:.2f}" for x in report["load"])
    lines = [
        f"nnviz classroom — {target}; {os.cpu_count()} CPUs, load average after: {load}",
        "",
        "| scenario | N | p50 | p95 | max | errors | trainings seen | server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        if "skipped" in r:
            lines.append(f"| {r['scenario']} | {r['sessions']} | skipped: {r['skipped']} |||||")
            continue
        seen = "?" if r["trainings_seen"] is None else r["trainings_seen"]
        cpu = f"{r['server_cpu_s']:.1f} s" if report["pids"] else "–"
        lines.append(
            f"| {r['scenario']} | {r['sessions']} | {seconds(r['p50_s'])} | {seconds(r['p95_s'])} "
            f"| {seconds(r['max_s'])} | {r['errors']} | {seen} | {cpu} |"
        )
    lines += ["", *verdicts(report["rows"], report["processes"])]
    for key, sizes in report.items():
        if key.startswith("rss_mb") and sizes:
            total = sum(sizes)
            each = " + ".join(f"{s:.0f}" for s in sizes)
            lines.append(f"- server RSS {key[7:].replace('_', ' ')}: {total:.0f} MB ({each})")
    bundle = max((r.get("static_mb_each", 0) for r in report["rows"]), default=0)
    if bundle:
        lines.append(f"- each session fetched the frontend bundle first: {bundle:.1f} MB as sent")
    errors = {e for r in report["rows"] for e in r.get("error_examples", [])}
    lines += [f"- error: {e}" for e in sorted(errors)]
    return "\n".join(lines)


def verdicts(rows: list[dict[str, Any]], processes: int = 1) -> list[str]:
    """The issue's targets: one lesson link for the class is trained once (in each of the
    server's processes: they share no cache), p95 ≤ 2× one session alone."""
    done = [r for r in rows if "skipped" not in r]
    lesson = [r for r in done if r["scenario"].startswith("lesson")]
    out = []
    alone = next((r for r in lesson if r["sessions"] == 1 and r["p50_s"]), None)
    for r in lesson:
        if alone and r["sessions"] > 1 and r["p95_s"] is not None:
            ratio = r["p95_s"] / alone["p50_s"]
            once = r["trainings_seen"] is None or r["trainings_seen"] <= processes
            ok = ratio <= 2 and r["errors"] == 0 and once
            out.append(
                f"- lesson, N = {r['sessions']}: p95 = {ratio:.2f}× one session alone, "
                f"trained {r['trainings_seen'] or '?'}×, {r['errors']} errors: "
                f"{'PASS' if ok else 'FAIL'} (target ≤ 2×, once per process, 0 errors)"
            )
    for r in (r for r in done if r["scenario"] == "own experiment"):
        lost = r["sessions"] - (r["trainings_seen"] or 0)
        out.append(
            f"- own experiments, N = {r['sessions']}: {r['errors']} errors, {lost} trainings "
            f"not seen: {'PASS' if r['errors'] == 0 and lost == 0 else 'FAIL'}"
        )
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--url", help="a running server (or proxy) on loopback, e.g. http://127.0.0.1:8780"
    )
    where.add_argument("--start-server", type=int, metavar="PORT", help="run app.py on that port")
    parser.add_argument(
        "--server-ports",
        default="",
        help="the app processes' ports, comma-separated: for CPU, RSS and clearing caches "
        "(default: the --start-server port)",
    )
    parser.add_argument("--sessions", default="1,10,30", help="how many at once (1,10,30)")
    parser.add_argument("--scenarios", default="lesson,own", help="lesson and/or own (both)")
    parser.add_argument("--lesson", default="optimization", help="the lesson link to open")
    parser.add_argument("--spread", type=float, default=0.0, help="start them over S seconds")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds for one session")
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds for everything")
    parser.add_argument("--seed", type=int, help="first seed of the own experiments (random)")
    parser.add_argument("--cold", action="store_true", help="each fetches the bundle, uncached")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)
    try:
        args.sessions = [int(n) for n in args.sessions.split(",")]
        args.server_ports = [int(p) for p in args.server_ports.split(",") if p]
        if not all(1 <= n <= 100 for n in args.sessions):
            raise ValueError("--sessions: each between 1 and 100")
    except ValueError as e:
        parser.error(str(e))
    args.scenarios = args.scenarios.split(",")
    if set(args.scenarios) - {"lesson", "own"}:
        parser.error("--scenarios: lesson and/or own")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("--url: loopback only (127.0.0.1, localhost or [::1])")
    if args.seed is None:
        args.seed = random.randrange(10_000, 2**30)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.stop_at = time.monotonic() + args.deadline
    from nnviz.engine.lessons import LESSONS

    if args.lesson not in LESSONS:
        print(f"classroom: no lesson {args.lesson!r}; one of {', '.join(LESSONS)}", file=sys.stderr)
        return 2
    try:
        if args.start_server:
            from benchmarks.app_latency import serve

            args.server_ports = args.server_ports or [args.start_server]
            with serve(port=args.start_server) as url:
                args.url = url
                report = measure(args)
        else:
            report = measure(args)
    except RuntimeError as e:
        print(f"classroom: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    target = args.url if not args.start_server else "one streamlit process (--start-server)"
    print(json.dumps(report, indent=2) if args.json else markdown(report, target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
