"""deploy/: the nginx configuration passes `nginx -t`, and serve.sh with K = 2 serves the lab
through nginx (health check, static bundle, a whole session over the websocket) and stops
everything it started. Skipped where nginx is not installed (.ci/run installs it)."""

from __future__ import annotations

import asyncio
import gzip
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from app_pages.parts import charts
from nnviz.models import lab_model
from tests.helpers import procfs, students
from tests.helpers.deploy import NGINX, ROOT, SERVE, free_ports, get, released, wait_for_health

needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx)"
)


def run_serve(
    *args: str, env: dict | None = None, timeout: float = 150
) -> subprocess.CompletedProcess:
    """serve.sh to its end, in its own process group: on a timeout, all it started is killed."""
    env = {**(env or os.environ), "PYTHON": sys.executable}
    with subprocess.Popen(
        ["bash", str(SERVE), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as serve:
        try:
            out, err = serve.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(serve.args, serve.returncode, out, err)


def test_the_app_server_skips_streamlits_full_garbage_collection_after_every_run():
    """Streamlit runs gc.collect(2) after every script run unless told not to: 70-80 ms of the one
    interpreter per run with NumPy, scikit-learn and Plotly loaded, thirty times over when a class
    opens a lesson (README, Serving a class). The option must exist, default to on, and be off."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as Streamlit reads it
    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["runner"]["postScriptGC"] is False
    assert config.get_config_options()["runner.postScriptGC"].default_val is True


@needs_nginx
def test_the_configuration_passes_nginx_t():
    nginx_port = free_ports(range(8790, 8800), 1)
    done = run_serve("--check", "-k", "3", "--listen", f"127.0.0.1:{nginx_port}")
    assert done.returncode == 0, done.stderr
    assert "nginx configuration OK (K=3" in done.stdout


def test_bad_options_get_one_line_and_exit_2():
    for args, says in (
        (["-k", "0"], "-k: a number of processes"),
        (["--listen", "nowhere"], "--listen: ADDRESS:PORT"),
        (["--app-port", "80"], "--app-port: a port from 1024"),
    ):
        done = run_serve(*args)
        assert done.returncode == 2
        assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_without_nginx_it_says_how_to_install_it():
    done = run_serve("--check", env={**os.environ, "NGINX": "/nonexistent/nginx"})
    assert done.returncode == 2
    assert "apt-get install -y nginx" in done.stderr


@needs_nginx
def test_serve_with_two_processes_answers_through_nginx_and_stops_cleanly():
    app_port = free_ports(range(8751, 8761), 2)
    nginx_port = free_ports(range(8790, 8800), 1)
    url = f"http://127.0.0.1:{nginx_port}"
    server = subprocess.Popen(
        ["bash", str(SERVE), "-k", "2", "--listen", f"127.0.0.1:{nginx_port}"]
        + ["--app-port", str(app_port)],
        env={**os.environ, "PYTHON": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_health(url, server)
        status, headers, _ = get(f"{url}/")
        assert status == 200 and "nnviz_route=" in headers["Set-Cookie"]  # the sticky route
        route = headers["Set-Cookie"].split(";")[0]
        assert "nnviz_route" not in str(get(f"{url}/", Cookie=route)[1])  # set once, then kept

        # the bundle comes from nginx (not from Python), compressed, cached for a year
        index = get(f"{url}/")[2].decode()
        script = index.split('<script type="module" crossorigin src="./', 1)[1].split('"')[0]
        status, headers, body = get(f"{url}/{script}", **{"Accept-Encoding": "gzip"})
        assert headers["Server"].startswith("nginx") and headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]
        assert len(gzip.decompress(body)) > 2 * len(body)
        # so is the charts' plotly.js, from the app's static/ folder (app_pages/parts/charts.py)
        status, headers, body = get(
            f"{url}/app/static/{charts.BUNDLE}", **{"Accept-Encoding": "gzip"}
        )
        assert status == 200 and headers["Server"].startswith("nginx")
        assert "immutable" in headers["Cache-Control"]
        assert gzip.decompress(body) == (ROOT / "static" / charts.BUNDLE).read_bytes()

        # a student's whole session over the websocket, through the proxy
        query = urlencode(lab_model.url_params(lab_model.DEFAULT))  # the lab's defaults
        result = asyncio.run(students.open_session(url, query, 120.0, min_charts=2))
        assert result.error is None and len(result.trained) >= 1
        pids = procfs.listening_pids([app_port, app_port + 1, nginx_port])
        assert len(pids) >= 3  # two app processes and nginx (master, and its workers)
    finally:
        server.send_signal(signal.SIGTERM)  # to the script alone: it stops what it started
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert server.returncode == 143, err  # stopped by SIGTERM, through its trap
    assert "nnviz at http://127.0.0.1:" in out
    assert procfs.listening_pids([app_port, app_port + 1, nginx_port]) == []
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"process {pid} is still there"


@needs_nginx
def test_a_port_in_use_stops_everything_with_a_reason():
    app_port = free_ports(range(8751, 8761), 1)
    with socket.socket() as taken:  # nginx's port is taken: nginx exits, so does the rest
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_serve("-k", "1", "--listen", f"127.0.0.1:{port}", "--app-port", str(app_port))
    assert done.returncode == 1
    assert "a process exited; stopping the others" in done.stderr
    assert "Address already in use" in done.stderr  # nginx's own word for it
    assert released(app_port)
