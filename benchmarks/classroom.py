"""A class at once: N sessions open the lab together, over Streamlit's own websocket protocol.

Each session does what a browser does when a student opens a link (tests/helpers/students.py): GET
the page, open ``/_stcore/stream``, send a ``rerun_script`` BackMsg with the link's query string.
Its time to result runs from the GET to the server's ``script_finished`` message for that run
(whatever the page sends before it: live redraws, spinners). Every session checks what it got: no
exception or error on the page, the lab's charts, and no rewrite of its link to other settings.

Scenarios, each for N = 1, 10, 30 sessions started at once (``--spread`` staggers them):
  lesson  every session opens the same lesson link; the caches are cleared before each N, so the
          lesson is trained cold — once, if the server shares the work ("trainings": the
          sessions whose page showed training progress; "results": those that showed a
          training time, i.e. got their result);
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
import json
import os
import random
import sys
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

from tests.helpers.procfs import cpu_seconds, listening_pids, rss_mb
from tests.helpers.students import Result, classroom, clear_caches, open_session

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


# --- the scenarios -------------------------------------------------------------------------------


def lesson_query(key: str) -> tuple[str, int]:
    """The lab's link to a lesson (its URL state), and how many runs it trains."""
    from nnviz.engine.lessons import LESSONS
    from nnviz.models import lab_model

    exp = LESSONS[key].experiment
    return urlencode(lab_model.url_params(exp)), len(exp.runs)


def own_queries(n: int, first_seed: int) -> tuple[list[str], int]:
    """``n`` links to the lab's default experiment, each with its own seed (its own training)."""
    from nnviz.models import lab_model

    exps = [replace(lab_model.DEFAULT, seed=first_seed + i) for i in range(n)]
    return [urlencode(lab_model.url_params(e)) for e in exps], len(lab_model.DEFAULT.runs)


def default_query() -> str:
    from nnviz.models import lab_model

    return urlencode(lab_model.url_params(lab_model.DEFAULT))


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarize(scenario: str, results: list[Result], cpu: float, wall: float) -> dict[str, Any]:
    times = [r.seconds for r in results if r.error is None and r.seconds is not None]
    errors = [r.error for r in results if r.error is not None]
    progress = any(r.trained_here for r in results)  # a page that shows training progress
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
        "results": sum(1 for r in results if r.error is None and r.trained),
        "trainings": sum(r.trained_here for r in results) if progress else None,
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
        "| scenario | N | p50 | p95 | max | errors | results | trainings | server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        if "skipped" in r:
            lines.append(f"| {r['scenario']} | {r['sessions']} | skipped: {r['skipped']} ||||||")
            continue
        trainings = "?" if r["trainings"] is None else r["trainings"]
        cpu = f"{r['server_cpu_s']:.1f} s" if report["pids"] else "–"
        lines.append(
            f"| {r['scenario']} | {r['sessions']} | {seconds(r['p50_s'])} | {seconds(r['p95_s'])} "
            f"| {seconds(r['max_s'])} | {r['errors']} | {r['results']} | {trainings} | {cpu} |"
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
            once = r["trainings"] is None or r["trainings"] <= processes
            ok = ratio <= 2 and r["errors"] == 0 and once
            out.append(
                f"- lesson, N = {r['sessions']}: p95 = {ratio:.2f}× one session alone, "
                f"trained {r['trainings'] or '?'}×, {r['errors']} errors: "
                f"{'PASS' if ok else 'FAIL'} (target ≤ 2×, once per process, 0 errors)"
            )
    for r in (r for r in done if r["scenario"] == "own experiment"):
        lost = r["sessions"] - r["results"]
        out.append(
            f"- own experiments, N = {r['sessions']}: {r['errors']} errors, {lost} results "
            f"lost: {'PASS' if r['errors'] == 0 and lost == 0 else 'FAIL'}"
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
            from tests.helpers.browser import serve

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
