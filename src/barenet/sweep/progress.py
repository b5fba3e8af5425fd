"""The sweep's live view: trials done / running / failed and the best so far.

On a terminal, one line per finished trial scrolls above a status line that redraws in
place; elsewhere (a log, CI, a pipe) the status is printed as a plain line with each finished
trial, so the output reads well as text.
"""

from __future__ import annotations

import time
from typing import Any, TextIO


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


class Progress:
    """Counts of one phase of a sweep (all trials, or one rung of halving) and the best trial
    so far on ``metric`` over the whole sweep. ``stream=None`` prints nothing."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        metric: str = "val_accuracy",
        maximize: bool = True,
        live: bool | None = None,
    ) -> None:
        self.stream = stream
        self.live = bool(stream is not None and stream.isatty()) if live is None else live
        self.metric, self.maximize = metric, maximize
        self.best: dict[str, Any] | None = None
        self.phase, self.total, self.done, self.failed, self.running = "trials", 0, 0, 0, 0
        self._drawn = 0.0

    def _consider(self, record: dict[str, Any]) -> None:
        value = record.get(self.metric)
        if record["status"] != "ok" or value is None:
            return
        best = None if self.best is None else self.best[self.metric]
        if best is None or (value > best if self.maximize else value < best):
            self.best = record

    def status(self) -> str:
        best = (
            f"best {self.best['name']} {self.metric} {self._value(self.best)}"
            if self.best
            else "best —"
        )
        return (
            f"{self.phase}: {self.done}/{self.total} done, {self.running} running, "
            f"{self.failed} failed; {best}"
        )

    def _value(self, record: dict[str, Any]) -> str:
        value = record.get(self.metric)
        return percent(value) if "accuracy" in self.metric else f"{value:.4f}"

    def _write(self, line: str | None) -> None:
        if self.stream is None:
            return
        if self.live:
            self.stream.write("\r\033[K" + (line + "\n" if line else "") + self.status())
        elif line:
            self.stream.write(f"{line}  [{self.status()}]\n")
        self.stream.flush()

    def start(self, phase: str, total: int, finished: list[dict[str, Any]]) -> None:
        """A new phase of ``total`` trials, of which ``finished`` are already on disk."""
        self.phase, self.total, self.running = phase, total, 0
        self.done = sum(r["status"] == "ok" for r in finished)
        self.failed = len(finished) - self.done
        for record in finished:
            self._consider(record)
        skipped = f" ({len(finished)} already finished, skipped)" if finished else ""
        if self.stream is not None:
            self.stream.write(
                ("\r\033[K" if self.live else "") + f"{phase}: {total} trials{skipped}\n"
            )
        self._write(None)

    def finished(self, record: dict[str, Any]) -> None:
        if record["status"] == "ok":
            self.done += 1
            self._consider(record)
            line = (
                f"{record['name']}: {self.metric} {self._value(record)} after "
                f"{plural(record['epochs'], 'epoch')}, {record['seconds']:.1f} s "
                f"on {record['worker']}"
            )
        else:
            self.failed += 1
            line = f"{record['name']}: FAILED: {record['error']}"
        self.running = max(0, self.running - 1)
        self._write(line)

    def tick(self, running: int) -> None:
        """Redraw the status line on a terminal (at most every half second)."""
        changed = running != self.running
        self.running = running
        now = time.monotonic()
        if self.live and (changed or now - self._drawn > 0.5):
            self._drawn = now
            self._write(None)

    def close(self) -> None:
        if self.stream is not None and self.live:
            self.stream.write("\n")
            self.stream.flush()
