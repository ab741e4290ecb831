"""The progress bar of ``nnviz train`` and ``nnviz sweep``: on a terminal's stderr, never a pipe's.

A bar appears only after ``progress.DELAY`` seconds of work; the tests set it to 0 (every run is
"long") or to a day (every run is short) instead of timing anything.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from nnviz.cli import progress
from nnviz.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--samples", "60", "--epochs", "40", "--test-fraction", "0"]
SWEEP = ["sweep", "--samples", "60", "--epochs", "5", "--vary", "lr=0.01,0.1,1"]


class Terminal(io.StringIO):
    """What tqdm writes, from a stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def terminal_on_stderr(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """Called in the test itself: pytest sets its own capture of stderr again after fixtures."""
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    return stderr


def test_watched_when_stderr_is_a_terminal_unless_json_goes_into_a_pipe(tmp_path):
    read, write = os.pipe()
    with open(read, "rb") as _, open(write, "w") as pipe, open(tmp_path / "out", "w") as file:
        assert progress.watched(False, Terminal(), pipe)  # a summary: for the person
        assert not progress.watched(True, Terminal(), pipe)  # --json | jq: for a program
        assert progress.watched(True, Terminal(), file)  # --json > file: the person waits
        assert not progress.watched(False, io.StringIO(), Terminal())  # stderr not a terminal
        assert not progress.watched(False, pipe, Terminal())


def test_a_long_training_draws_a_bar_and_the_same_numbers(capsys, monkeypatch):
    terminal = terminal_on_stderr(monkeypatch)
    assert main([*TRAIN, "--json"]) == 0
    quiet = json.loads(capsys.readouterr().out)
    assert terminal.getvalue() == ""  # shorter than the delay: no bar
    monkeypatch.setattr(progress, "DELAY", 0)
    assert main([*TRAIN, "--json"]) == 0
    watched = json.loads(capsys.readouterr().out)
    bar = terminal.getvalue()
    assert "/40 [" in bar and "epoch" in bar  # 40 epochs, counted in epochs
    assert bar.endswith("\r")  # and cleared from the line when done
    quiet.pop("seconds"), watched.pop("seconds")
    assert watched == quiet


def test_a_config_with_two_lockstep_groups_counts_the_epochs_of_both(tmp_path, monkeypatch):
    """Runs with another batch size train in a group of their own, after the first."""
    terminal = terminal_on_stderr(monkeypatch)
    monkeypatch.setattr(progress, "DELAY", 0)
    config = {"data": {"samples": 60}, "runs": [{"epochs": 30}, {"epochs": 30, "batch_size": 0}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(config))
    assert main(["train", "--config", str(path)]) == 0
    assert "/60 [" in terminal.getvalue()


def test_a_long_sweep_draws_a_bar_of_runs(capsys, monkeypatch):
    terminal = terminal_on_stderr(monkeypatch)
    monkeypatch.setattr(progress, "DELAY", 0)
    assert main([*SWEEP, "--csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 4  # a header and three runs, as always
    assert "/3 [" in terminal.getvalue() and "run" in terminal.getvalue()


def test_a_short_run_draws_nothing(capsys, monkeypatch):
    terminal = terminal_on_stderr(monkeypatch)
    monkeypatch.setattr(progress, "DELAY", 24 * 3600)
    assert main(TRAIN) == 0 and main(SWEEP) == 0
    assert terminal.getvalue() == ""


def test_the_bar_moves_while_the_caller_is_busy(monkeypatch):
    """The drawing thread redraws the count the caller set, without another call from it."""
    terminal = terminal_on_stderr(monkeypatch)
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "REDRAW", 0.01)
    with progress.Progress(10, "run", shown=True) as bar:
        bar.done = 3
        deadline = time.monotonic() + 30
        while "3/10 [" not in terminal.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)  # wait for the state, not for a time
        assert "3/10 [" in terminal.getvalue()


# --- a real terminal: a pseudo-terminal on the real entry point ---------------------------------

MAIN_WITHOUT_DELAY = (
    "import sys; from nnviz.cli import progress; progress.DELAY = 0; "
    "from nnviz.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def run_on_a_terminal(*args: str) -> tuple[str, str]:
    """(stdout through a pipe, what the terminal on stderr showed), nnviz with no delay."""
    screen, stderr = os.openpty()
    fcntl.ioctl(stderr, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    p = subprocess.Popen(
        [sys.executable, "-c", MAIN_WITHOUT_DELAY, *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
    )
    os.close(stderr)
    shown = b""
    while True:
        try:
            chunk = os.read(screen, 4096)
        except OSError:  # EIO: the program has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(screen)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0
    return out.decode(), shown.decode()


def test_a_terminal_shows_the_bar_and_a_pipe_never_does():
    out, shown = run_on_a_terminal(*TRAIN)
    assert "/40 [" in shown and "diverged   no" in out
    out, shown = run_on_a_terminal(*TRAIN, "--json")  # JSON into a pipe: silent
    assert shown == "" and json.loads(out)["epochs"][-1] == 40
    p = subprocess.run(
        [sys.executable, "-c", MAIN_WITHOUT_DELAY, *TRAIN], capture_output=True, cwd=ROOT
    )
    assert (p.returncode, p.stderr) == (0, b"")  # stderr a pipe: silent
