"""A progress bar on stderr for long CLI work, drawn by tqdm, for a person at a terminal.

It is drawn only when stderr is a terminal, and not when --json or --csv output goes into a pipe
(a program reads it); and only after DELAY seconds, so that a short run prints its result and
nothing else. The bar disappears when the work is done.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from typing import IO, Any

from tqdm import tqdm

DELAY = 2.0  # seconds of work before a bar appears
REDRAW = 0.5  # seconds between redraws


def watched(machine_output: bool, stderr: IO | None = None, stdout: IO | None = None) -> bool:
    """Whether a person watches: stderr is a terminal, and no JSON or CSV goes into a pipe."""
    if not _terminal(stderr or sys.stderr):
        return False
    return not (machine_output and _pipe(stdout or sys.stdout))


def _terminal(stream: IO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _pipe(stream: IO) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # not a file: a test's capture, say
        return False


class Progress:
    """``done`` of ``total`` units, set by the caller as the work goes, drawn by a thread every
    REDRAW seconds, so that the bar keeps time while the engine works through one long piece."""

    def __init__(self, total: int, unit: str, shown: bool):
        self.done = 0
        self._bar = tqdm(
            total=total,
            unit=unit,
            file=sys.stderr,
            disable=not shown,
            delay=DELAY,
            leave=False,
            miniters=0,  # every update may draw: the thread paces them
            mininterval=0,
            dynamic_ncols=True,  # follows the terminal's width
        )
        self._stop = threading.Event()
        self._drawer = threading.Thread(target=self._draw, daemon=True)

    def __enter__(self) -> Progress:
        if not self._bar.disable:
            self._drawer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._drawer.is_alive():
            self._drawer.join()
        self._bar.close()  # clears the line it drew

    def _draw(self) -> None:
        while not self._stop.wait(REDRAW):
            self._bar.update(self.done - self._bar.n)  # tqdm draws once past its delay
