"""``nnviz`` (the console script) and ``python -m nnviz``: dispatch to a subcommand.

Every bad input ends with exit status 2 and ONE line on stderr naming the option and the value.
A reader that closes stdout early (``nnviz train ... | head -c 10``) ends it quietly, status 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from nnviz.cli import sweep, train
from nnviz.cli.options import PROG, Parser, UsageError


def run_bench(argv: list[str]) -> int:
    """Hand the rest of the command line to the engine benchmark (imported only when asked)."""
    from nnviz.bench import engine

    return int(engine.main(argv) or 0)


COMMANDS = {
    "train": (train.main, train.HELP),
    "sweep": (sweep.main, sweep.HELP),
    "bench": (run_bench, "speed tables (nnviz/bench/engine.py; its options follow)"),
}


def parser() -> Parser:
    """``nnviz {train,sweep,bench}``: only for --help and a missing or unknown command."""
    p = Parser(prog=PROG, description="nnviz: regularization, optimizers, initialization.")
    commands = p.add_subparsers(dest="command", metavar="command")
    for name, (_, text) in COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0 done (even if diverged), 1 stdout closed
    by its reader, 2 bad input."""
    try:
        status = dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe is found here, not in Python's flush at exit
    except BrokenPipeError:
        drop_stdout()
        return 1
    return status


def drop_stdout() -> None:
    """Point stdout at devnull, so that Python's last flush at exit writes nowhere instead of
    printing a second BrokenPipeError (the Python docs' note on SIGPIPE, in the signal module)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture): nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def dispatch(argv: list[str]) -> int:
    """The subcommand's exit status; a UsageError printed as one line, status 2."""
    try:
        if argv[:1] and argv[0] in COMMANDS:
            return COMMANDS[argv[0]][0](argv[1:])
        parser().parse_args(argv)  # --help prints and exits; anything else is a usage error
        raise UsageError(PROG, "choose a command: train, sweep or bench (see --help)")
    except UsageError as e:
        print(str(e).replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)  # one line
        return 2
    except SystemExit as e:  # --help has printed; argparse exits
        return int(e.code or 0)
