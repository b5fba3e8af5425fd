"""`barenet serve` as a real process, for the tests that talk to it over HTTP."""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def serve_process(
    model: Path, options: list[str], log_path: Path, wait: float = 60
) -> Iterator[tuple[str, str]]:
    """Run `barenet serve MODEL --port 0 OPTIONS` in a subprocess (stderr to ``log_path``);
    yield (its base URL, the first line it printed) and stop it afterwards."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "barenet", "serve", str(model), "--port", "0", *options],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        assert process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=wait)
            found = re.search(r"http://127\.0\.0\.1:\d+/", first)
            assert found, f"no URL in {first!r}; log: {log_path.read_text()}"
            yield found.group(0), first
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()
