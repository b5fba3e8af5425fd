"""The `barenet` command line.

Each command group lives in its own module under `barenet.app.commands` and exposes
`register(subparsers)`. Heavy libraries are imported inside the command functions, so
`barenet --help` starts fast.

User mistakes (a `ValueError`, `TypeError`, `OSError`, ...) end with one line on stderr and
exit status 1, never a traceback; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from barenet._version import __version__
from barenet.app.commands import COMMAND_MODULES
from barenet.app.commands._types import int_in


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barenet",
        description="barenet: a neural network from scratch in NumPy, and an MNIST product on it.",
    )
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    parser.add_argument(
        "--threads",
        type=int_in(0, what="a number of threads >= 0"),
        default=os.environ.get("BARENET_THREADS", "1"),
        help="BLAS threads for the matrix products (default: $BARENET_THREADS or 1; 0 = one per "
        "core). barenet's networks are small: one thread is as fast on a quiet machine for "
        "most of them, much faster on a busy one, and gives the same bits on any machine",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def _limit_threads(threads: int) -> None:
    """Cap the BLAS thread pool that NumPy loaded (0: leave it at one thread per core)."""
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        # A group such as `barenet data` without its subcommand: show that group's help.
        (getattr(args, "group_parser", None) or parser).print_help()
        return 2
    try:
        _limit_threads(args.threads)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("barenet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`barenet data info | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError, KeyError, RuntimeError) as exc:
        print(f"barenet: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc) if str(exc) else type(exc).__name__
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
