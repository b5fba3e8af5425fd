"""What the commands share: argument types, each turning a string into a checked value or
raising ``argparse.ArgumentTypeError`` (which argparse reports as one line naming the
option), and the help of the ``--data`` option every data-reading command takes."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

DATA_HELP = "MNIST location: a folder with the four IDX .gz files, or an .npz (default: the cache)"


def int_in(low: int, high: float = math.inf, what: str = "an integer") -> Callable[[str], int]:
    """An argument type for integers in [low, high], described as ``what`` in errors."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


positive_int = int_in(1, what="a positive integer")
non_negative_int = int_in(0, what="a non-negative integer")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
