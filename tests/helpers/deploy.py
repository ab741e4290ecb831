"""deploy/serve.sh from the tests and the class benchmark: where it and nginx are, free ports for
it, its health through nginx, the ports it leaves, and ``serve_two`` running it on a class
database."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import procfs

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "deploy" / "serve.sh"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def free_ports(ports: range, n: int) -> int:
    """The first of ``n`` consecutive free loopback ports in ``ports``."""
    for first in range(ports.start, ports.stop - n + 1):
        if all(_free(p) for p in range(first, first + n)):
            return first
    pytest.skip(f"no {n} free ports in {ports}")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status, reply.headers, reply.read()


def wait_for_health(url: str, server: subprocess.Popen, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(OSError):
            if get(f"{url}/_stcore/health")[2] == b"ok":
                return
        time.sleep(0.3)
    server.kill()
    pytest.fail(f"no health through nginx within {seconds:.0f} s: {server.communicate()}")


def released(port: int, seconds: float = 10.0) -> bool:
    """Nothing listens on ``port`` any more, within ``seconds`` (a stopped server's socket closes
    as its process exits, a moment after serve.sh has reaped it on a busy machine)."""
    deadline = time.monotonic() + seconds
    while procfs.listening_pids([port]):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@dataclass
class Serving:
    url: str  # nginx's
    app_port: int  # the first app process's; the second's is the next
    server: subprocess.Popen  # serve.sh
    err: str = ""  # what serve.sh said on stderr, once stopped


@contextlib.contextmanager
def serve_two(database_url: str, k: int = 2) -> Iterator[Serving]:
    """serve.sh -k K on the class database. Stopped with SIGTERM afterwards; all it started must
    be gone."""
    app_port = free_ports(range(8761, 8781), k)
    nginx_port = free_ports(range(8800, 8820), 1)
    server = subprocess.Popen(
        ["bash", str(SERVE), "-k", str(k), "--listen", f"127.0.0.1:{nginx_port}"]
        + ["--app-port", str(app_port)],
        env={**os.environ, "PYTHON": sys.executable, "NNVIZ_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    serving = Serving(f"http://127.0.0.1:{nginx_port}", app_port, server)
    try:
        wait_for_health(serving.url, server)
        yield serving
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGTERM)  # to the script alone: it stops what it started
        try:
            serving.err = server.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert all(released(p) for p in (*range(app_port, app_port + k), nginx_port))
