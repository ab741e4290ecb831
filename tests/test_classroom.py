"""The classroom benchmark's parts: its Streamlit protocol client against a real `streamlit run`
of a tiny page (one run, or a tab kept open that clicks and reruns its fragment), its /proc
readings against the OS's own numbers, and its verdicts by hand."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import textwrap
import time
from pathlib import Path

import pytest

from app_pages.parts.charts import BUNDLE
from benchmarks import classroom
from tests.helpers import procfs, students
from tests.helpers.browser import serve
from tests.helpers.deploy import free_ports

ROOT = Path(__file__).resolve().parents[1]
TINY_APP = """
import time
import streamlit as st

q = st.query_params
st.markdown(f"who: {q.get('who', '')}")
if "t" in q:
    st.caption(f"2 runs trained together in {q['t']} s on 10 points.")
if "warn" in q:
    st.warning("careful")
if "train" in q:
    st.progress(0.5, text="Training 2 runs…")
if "chart" in q:
    st.plotly_chart({"data": [{"x": [0, 1], "y": [1, 0]}], "layout": {}})
if "boom" in q:
    raise ValueError("boom")
if "slow" in q:
    time.sleep(float(q["slow"]))
if "rewrite" in q:
    st.query_params["who"] = "someone else"
if "tab" in q:
    name = st.text_input("Name", key="name")
    if st.button("Greet", key="greet"):
        st.success(f"hello {name}")
    if st.button("Wait", key="wait"):
        with st.spinner("waiting"):  # shown once it has lasted 0.5 s
            time.sleep(1.5)

    @st.fragment(run_every=0.3)
    def ticks():
        st.session_state.ticks = st.session_state.get("ticks", 0) + 1
        st.markdown(f"tick {st.session_state.ticks}")

    ticks()
"""


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory):
    app = tmp_path_factory.mktemp("tiny") / "tiny.py"
    (app.parent / "static").symlink_to(ROOT / "static")  # served at app/static/, as the lab's
    app.write_text(textwrap.dedent(TINY_APP))
    with serve(port=free_ports(range(8741, 8750), 1), app=app) as url:
        yield url


def visit(url: str, query: str, timeout: float = 30.0, min_charts: int = 0) -> students.Result:
    return asyncio.run(students.open_session(url, query, timeout, min_charts))


def test_a_session_gets_its_page_and_its_training_time(tiny_url):
    r = visit(tiny_url, "who=7&t=0.1234&chart=1", min_charts=1)
    assert r.error is None
    assert r.seconds > 0
    assert r.charts == 1
    assert r.trained == ["0.1234"]
    assert r.warnings == [] and not r.trained_here


def test_a_session_that_trains_shows_training_progress(tiny_url):
    results = asyncio.run(students.classroom(tiny_url, ["train=1&t=1.0", "t=1.0", "x=1"], 30.0))
    assert [r.trained_here for r in results] == [True, False, False]
    row = classroom.summarize("lesson", results, cpu=0.0, wall=1.0)
    assert row["trainings"] == 1 and row["results"] == 2  # the third showed no training time


def test_a_cold_browser_fetches_the_bundle_and_the_charts_plotly_js(tiny_url):
    import streamlit

    static = Path(streamlit.__file__).parent / "static"
    plotly = ROOT / "static" / BUNDLE
    main = (static / "index.html").read_text().split('type="module" crossorigin src="./')[1]
    index = static / main.split('"')[0]
    r = asyncio.run(students.open_session(tiny_url, "who=1", 30.0, cold=True))
    assert r.error is None
    # no compression from Streamlit itself: at least these two files, as they are on disk
    assert r.static_bytes >= plotly.stat().st_size + index.stat().st_size


def test_what_goes_wrong_on_the_page_is_an_error(tiny_url):
    assert visit(tiny_url, "boom=1").error.startswith("exception on the page")
    assert visit(tiny_url, "rewrite=1").error == "the link's settings were not applied"
    assert visit(tiny_url, "who=1", min_charts=1).error == "0 charts, expected at least 1"
    warned = visit(tiny_url, "warn=1")
    assert warned.error is None and warned.warnings == ["careful"]


def test_a_session_that_takes_too_long_is_an_error_not_a_hang(tiny_url):
    start = time.monotonic()
    r = visit(tiny_url, "slow=20", timeout=2.0)
    assert r.error == "no result within 2 s" and r.seconds is None
    assert time.monotonic() - start < 15


def test_no_server_is_an_error_for_every_session():
    port = free_ports(range(8750, 8760), 1)  # free: nobody listens there
    results = asyncio.run(students.classroom(f"http://127.0.0.1:{port}", ["a=1"] * 3, 5.0))
    assert [r.error is not None for r in results] == [True] * 3
    row = classroom.summarize("own experiment", results, cpu=0.0, wall=0.1)
    assert row["errors"] == 3 and row["p50_s"] is None


def test_sessions_started_together_all_finish(tiny_url):
    results = asyncio.run(students.classroom(tiny_url, [f"t=0.{i}1" for i in range(5)], 30.0))
    row = classroom.summarize("own experiment", results, cpu=0.0, wall=1.0)
    assert row["errors"] == 0 and row["sessions"] == 5 and row["results"] == 5
    assert row["p50_s"] <= row["p95_s"] <= row["max_s"]


def test_the_listening_process_is_found_by_its_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert procfs.listening_pids([port]) == [os.getpid()]
    assert procfs.listening_pids([port]) == []


def test_cpu_and_memory_agree_with_the_os():
    t = time.process_time()
    while time.process_time() - t < 0.3:
        pass
    assert procfs.cpu_seconds([os.getpid()]) == pytest.approx(time.process_time(), abs=0.05)
    (rss,) = procfs.rss_mb([os.getpid()])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    assert 10 < rss <= peak + 1


def row(scenario, n, p50, p95, errors=0, trainings=1, results=None):
    return {
        "scenario": scenario,
        "sessions": n,
        "p50_s": p50,
        "p95_s": p95,
        "errors": errors,
        "trainings": trainings,
        "results": n if results is None else results,
    }


def test_verdicts_compare_a_class_with_one_session_alone():
    rows = [
        row("lesson:optimization", 1, 10.0, 10.0),
        row("lesson:optimization", 10, 15.0, 19.0),  # 1.9× alone
        row("lesson:optimization", 30, 18.0, 21.0),  # 2.1×
        row("lesson:optimization", 30, 12.0, 14.0, trainings=2),  # trained twice
        row("own experiment", 30, 40.0, 45.0, trainings=30, results=29),  # one result lost
        row("own experiment", 10, 9.0, 10.0, trainings=10),
    ]
    lines = classroom.verdicts(rows)
    assert [line.rsplit(":", 1)[-1].split()[0] for line in lines] == [
        "PASS",
        "FAIL",
        "FAIL",
        "FAIL",
        "PASS",
    ]
    assert "1.90×" in lines[0] and "2.10×" in lines[1]
    two = classroom.verdicts(rows[:4], processes=2)  # each process trains the lesson once
    assert [line.rsplit(":", 1)[-1].split()[0] for line in two] == ["PASS", "FAIL", "PASS"]


def test_only_loopback_targets(capsys):
    with pytest.raises(SystemExit) as exit_:
        classroom.parse_args(["--url", "http://10.0.0.5:8501"])
    assert exit_.value.code == 2
    assert "loopback only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        classroom.parse_args(["--start-server", "8701", "--sessions", "1,1000"])


def ticked(tab: students.Session, after: int) -> int:
    """How many of the fragment's ticks the tab has drawn since ``seen[after]``."""
    return sum(s.text.startswith("tick") for s in tab.seen[after:])


def test_a_kept_tab_clicks_keeps_its_values_and_reruns_its_fragment(tiny_url):
    async def use() -> None:
        tab = students.Session(tiny_url, "", "tab=1")
        try:
            assert [s.text for s in await tab.open(30.0) if s.kind == "markdown"][-1] == "tick 1"
            await tab.wait(lambda: ticked(tab, 0) >= 3, 30.0)  # run_every, as the browser does
            greeted = await tab.rerun(30.0, click="greet", name="ada")
            assert [s.text for s in greeted if s.kind == "alert"] == ["hello ada"]
            again = await tab.rerun(30.0)  # a click is sent once; the text stays as typed
            assert [s.text for s in again if s.kind == "alert"] == []
            assert [s.text for s in await tab.rerun(30.0, click="greet") if s.kind == "alert"] == [
                "hello ada"
            ]
            waited = await tab.rerun(30.0, click="wait")
            assert [s.text for s in waited if s.kind == "spinner"] == ["waiting"]
            mark = len(tab.seen)  # after a full run the fragment goes on
            await tab.wait(lambda: ticked(tab, mark) >= 2, 30.0)
        finally:
            await tab.close()

    asyncio.run(use())
