"""Submit trials to a Dask cluster and write each one's run directory as its result arrives.

A ``Job`` is one trial to bring to ``epochs`` epochs. ``Runner.run(jobs)`` first reads what is
already on disk: a run directory whose ``trial.json`` records the same recipe and at least the
epochs asked for is finished and skipped; one with fewer epochs is continued from its
checkpoint (exact, so continuing equals training in one go); anything else is trained from
the start. The rest goes to the workers as plain data (``trial.run_trial``); results come back
as plain data and the client writes them, so workers share no filesystem with it.

``trial.json`` is written last, after every other file of the run directory, and removed
before they are rewritten: a directory without it is unfinished, whatever else it holds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from barenet._files import atomic_write
from barenet.errors import BarenetError

from .cluster import running_trials
from .progress import Progress
from .trial import RESUME_FILES, one_line, run_trial, trial_recipe

RECORD = "trial.json"
NOTES = ("name", "description", "expected")
"""Recipe tables that document a trial and do not change how it trains."""


@dataclass(frozen=True)
class Job:
    """One trial: ``recipe`` (plain data) trained with ``seed`` to ``epochs`` epochs, in the
    run directory ``name``. ``config`` and ``params`` say which configuration it belongs to."""

    name: str
    recipe: dict[str, Any]
    seed: int
    epochs: int
    config: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """What makes this trial what it is: the recipe's settings and the seed, not the
        epochs reached, nor the recipe's name, description and ``[expected]`` notes (editing a
        note once a result is measured keeps the finished runs)."""
        recipe = trial_recipe(self.recipe, self.seed, 0)
        for key in NOTES:
            recipe.pop(key, None)
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def read_record(run_dir: Path) -> dict[str, Any] | None:
    """A run directory's ``trial.json`` with its history (``metrics.jsonl``), or ``None``."""
    path = run_dir / RECORD
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    metrics = run_dir / "metrics.jsonl"
    lines = metrics.read_text().splitlines() if metrics.is_file() else []
    record["history"] = [json.loads(line) for line in lines if line]
    return record


def _record(job: Job, outcome: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    history = outcome["history"]
    last = history[-1] if history else {}
    return {
        "name": job.name,
        "config": job.config,
        "params": job.params,
        "seed": job.seed,
        "fingerprint": job.fingerprint,
        "status": outcome["status"],
        "error": outcome["error"],
        "epochs": len(history),
        "val_accuracy": last.get("val_accuracy"),
        "val_loss": last.get("val_loss"),
        "test_accuracy": outcome["evaluation"].get("accuracy"),
        "test_loss": outcome["evaluation"].get("loss"),
        "train_seconds": round(sum(r.get("seconds") or 0.0 for r in history), 3),
        # Wall and CPU time on the workers, summed over the pieces of a continued trial.
        "seconds": round(outcome["seconds"] + (previous or {}).get("seconds", 0.0), 3),
        "cpu_seconds": round(
            outcome.get("cpu_seconds", 0.0) + (previous or {}).get("cpu_seconds", 0.0), 3
        ),
        "worker": outcome["worker"],
        "history": history,
    }


def write_outcome(
    run_dir: Path, job: Job, outcome: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write a finished trial's files into ``run_dir`` (trial.json last) and return its record."""
    (run_dir / RECORD).unlink(missing_ok=True)
    if outcome["status"] != "ok":
        shutil.rmtree(run_dir, ignore_errors=True)
    for name, content in outcome["files"].items():
        target = run_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as f:
            f.write(content)
    run_dir.mkdir(parents=True, exist_ok=True)
    record = _record(job, outcome, previous)
    with atomic_write(run_dir / RECORD) as f:
        f.write(json.dumps({k: v for k, v in record.items() if k != "history"}, indent=1).encode())
    return record


TASK_GROUP = "barenet-trial"


def trial_key(job: Job) -> tuple[str, str]:
    """The Dask key of one submission of ``job``: every trial in one task group
    (``TASK_GROUP``), so the scheduler holds the trials back and hands each to a worker when it
    has a free thread (root-task queuing). Keys named after the trial (``c00-lr0.001-...``)
    made each trial a group of its own, which the scheduler assigns at once; work stealing then
    piled the queue of long trials onto one worker while the other sat idle."""
    return TASK_GROUP, f"{job.name}@{job.epochs}-{uuid.uuid4().hex[:8]}"


class Runner:
    """Runs jobs on ``client``'s cluster, writing run directories under ``runs_dir``."""

    def __init__(
        self,
        client: Any,
        runs_dir: str | Path,
        *,
        data: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.runs_dir = Path(runs_dir)
        self.data = data
        self.progress = progress or Progress(None)
        self.trained = 0  # trials trained (or continued) by this runner, not read from disk

    def _state(self, job: Job) -> tuple[str, dict[str, Any] | None]:
        """``("done", record)``, ``("continue", record)`` or ``("start", None)``."""
        run_dir = self.runs_dir / job.name
        record = read_record(run_dir)
        if record is not None and record.get("fingerprint") != job.fingerprint:
            raise BarenetError(
                f"{run_dir} holds a trial of another recipe or seed (the sweep spec changed?); "
                "give the sweep another --out or remove that folder"
            )
        if record is None or record["status"] != "ok":
            return "start", None
        if record["epochs"] >= job.epochs:
            return "done", record
        return "continue", record

    def run(self, jobs: Sequence[Job], phase: str = "trials") -> dict[str, dict[str, Any]]:
        """Bring every job to its epochs; return the records by run directory name."""
        from distributed import wait

        self.runs_dir.mkdir(parents=True, exist_ok=True)
        records: dict[str, dict[str, Any]] = {}
        todo: list[tuple[Job, dict[str, Any] | None]] = []
        for job in jobs:
            state, record = self._state(job)
            if state == "done" and record is not None:
                records[job.name] = record
            else:
                todo.append((job, record))
        self.progress.start(phase, len(jobs), list(records.values()))
        futures = {}
        for job, record in todo:
            run_dir = self.runs_dir / job.name
            resume = None
            if record is not None:
                resume = {
                    n: (run_dir / n).read_bytes() for n in RESUME_FILES if (run_dir / n).is_file()
                }
            elif run_dir.exists():
                shutil.rmtree(run_dir)  # unfinished or failed: train again from the start
            with warnings.catch_warnings():
                # A continued trial carries its checkpoint in the task on purpose: data
                # scattered to a worker dies with it, a task's arguments are resent.
                warnings.filterwarnings("ignore", message=".*[Ll]arge.*", category=UserWarning)
                future = self.client.submit(
                    run_trial,
                    job.recipe,
                    job.seed,
                    job.epochs,
                    self.data,
                    resume,
                    key=trial_key(job),
                    pure=False,
                )
            futures[future] = (job, record)
        pending = set(futures)
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
                except TimeoutError:  # nothing finished this second: just redraw the status
                    done = set()
                for future in done:
                    job, previous = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # e.g. KilledWorker: the task killed every worker
                        outcome = {
                            "status": "failed",
                            "error": f"{type(exc).__name__}: {one_line(exc)}",
                            "files": {},
                            "history": [],
                            "evaluation": {},
                            "worker": "",
                            "seconds": 0.0,
                            "cpu_seconds": 0.0,
                        }
                    record = write_outcome(self.runs_dir / job.name, job, outcome, previous)
                    records[job.name] = record
                    self.trained += 1
                    self.progress.finished(record)
                self.progress.tick(running_trials(self.client))
        except BaseException:
            self.client.cancel(list(pending))
            raise
        return {job.name: records[job.name] for job in jobs}
