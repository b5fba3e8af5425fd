"""`barenet plot RUN_DIR`."""

from __future__ import annotations

import argparse
from typing import Any

from ._types import DATA_HELP


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plot",
        help="draw the plots of a training run",
        description="Write PNGs into RUN_DIR/plots: loss and accuracy curves, the confusion "
        "matrix, misclassified test digits and the first layer's weights.",
    )
    p.add_argument("run_dir", help="a run directory written by `barenet train`")
    p.add_argument(
        "--data", metavar="PATH", help=DATA_HELP.replace("the cache", "the data the run recorded")
    )
    p.set_defaults(func=run_plot)


def run_plot(args: argparse.Namespace) -> int:
    import sys

    from barenet.app.plots import plot_run

    notes: list[str] = []
    for path in plot_run(args.run_dir, data_path=args.data, notes=notes):
        print(path)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
