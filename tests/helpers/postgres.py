"""A throwaway PostgreSQL server for the store's tests (docs/design.md §8).

Made in a temporary folder owned by ``postgres`` (``initdb`` refuses to run as root), listening
only on loopback at a free port, trusted without a password, stopped and removed at the end.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

USER = "nnviz"


def bindir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    folder: Path
    port: int
    bin: Path
    _databases: count = field(default_factory=lambda: count(1))

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """A new empty database on this server: its URL."""
        import psycopg

        name = f"test_{next(self._databases)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres") as c:
            c.autocommit = True
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)


def as_postgres(command: list) -> list:
    """Run as the postgres user when we are root (initdb and the server refuse root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start(programs: Path) -> Server:
    folder = Path(tempfile.mkdtemp(prefix="nnviz-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    initdb = [programs / "initdb", "-D", data, "-A", "trust", "-U", USER]
    subprocess.run(as_postgres(initdb), check=True, capture_output=True, timeout=120)
    options = f"-k {folder} -p {port} -h 127.0.0.1"
    pg_ctl = [programs / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", "start"]
    subprocess.run(as_postgres(pg_ctl), check=True, capture_output=True, timeout=120)
    return Server(folder, port, programs)


def stop(server: Server) -> None:
    pg_ctl = [server.bin / "pg_ctl", "-D", server.folder / "data", "-m", "fast", "-w", "stop"]
    subprocess.run(as_postgres(pg_ctl), check=False, capture_output=True, timeout=120)
    shutil.rmtree(server.folder, ignore_errors=True)
