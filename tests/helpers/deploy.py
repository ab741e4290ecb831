"""deploy/serve.sh from the tests: where it and nginx are, free ports for it, its health through
nginx, and the ports it leaves."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
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
