"""The ``barenet`` command in a real subprocess, for every test that drives the CLI: this
interpreter's ``python -m barenet``, text output, the test's environment inherited."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

COMMAND = [sys.executable, "-m", "barenet"]


def run_barenet(*args: object, timeout: float = 600, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ``barenet ARGS`` to the end; stdout and stderr captured. Never raises on a failure
    exit: tests assert on ``returncode`` and the message themselves."""
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def start_barenet(*args: object, **kwargs: Any) -> subprocess.Popen:
    """Start ``barenet ARGS`` and return at once (to interrupt or kill it); pipes for output."""
    return subprocess.Popen(
        [*COMMAND, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
