"""The `barenet` command line.

Each command group lives in its own module under `barenet.app.commands` and exposes
`register(subparsers)`. Heavy libraries are imported inside the command functions, so
`barenet --help` starts fast.

The global options (`--threads`, `--debug`) work before or after the sub-command and appear
in every sub-command's help.

The error boundary: a user mistake (`BarenetError`, or the operating system refusing a file:
`OSError`) ends with one line on stderr and exit status 1; anything else is a bug and shows
its traceback; `--debug` shows the traceback for everything. Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from barenet._version import __version__
from barenet.app.commands import COMMAND_MODULES
from barenet.app.commands._types import int_in


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Add the global options. On sub-commands they default to SUPPRESS, so an option given
    before the sub-command is not reset by the sub-command's default."""
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--threads",
        type=int_in(0, what="a number of threads >= 0"),
        default=default,
        help="BLAS threads for the matrix products (default: $BARENET_THREADS or 1; 0 = one per "
        "core). barenet's networks are small: one thread is as fast on a quiet machine for "
        "most of them, much faster on a busy one, and gives the same bits on any machine",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show the full traceback of any error",
    )


def _sub_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += [sub, *_sub_parsers(sub)]
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barenet",
        description="barenet: a neural network from scratch in NumPy, and an MNIST product on it.",
    )
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    _global_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    for sub in _sub_parsers(parser):
        _global_options(sub, top=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from barenet.errors import BarenetError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        # A group such as `barenet data` without its subcommand: show that group's help.
        (getattr(args, "group_parser", None) or parser).print_help()
        return 2
    try:
        from barenet.train.threads import limit_threads

        with limit_threads(args.threads):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("barenet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`barenet data info | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (BarenetError, OSError) as exc:
        if args.debug:
            raise
        print(f"barenet: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc) if str(exc) else type(exc).__name__
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
