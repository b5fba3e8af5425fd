"""One trial: a resolved recipe trained with one seed, as a pure function of plain data.

``run_trial`` is what a Dask worker executes. Everything it needs travels to it as plain data
(the recipe as a dict, the seed, the epochs, the data location, and for a continued trial the
files of its run directory as bytes); everything it produces travels back the same way (the
run directory's files as bytes, the history and the test evaluation). It trains with
``barenet.train.run_training`` in a private temporary folder, with one BLAS thread, so a trial
is bit-identical to ``barenet train`` of the same recipe and seed, and the client, not the
worker, writes the run directory: workers need no shared filesystem.

Each worker process loads and verifies MNIST once (``worker_data``: its own cache, filled on
first use, or the ``--data`` path) and keeps that one copy, read-only, for its later trials:
reading and hashing the 55 MB of digits would otherwise cost every trial a second or more.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from barenet.data import MNISTData

RESUME_FILES = ("recipe.toml", "metrics.csv", "metrics.jsonl", "checkpoints/last.npz")
"""What a continued trial needs of its run directory: the recipe, the history written so far
and the checkpoint (weights, optimizer state, both random generators)."""


@dataclass
class TrialOutcome:
    """What comes back from a worker: plain data only.

    ``files`` maps each path inside the run directory (``model.npz``,
    ``checkpoints/last.npz``, ...) to its bytes; ``history`` is the list of per-epoch records;
    ``evaluation`` the test set's figures (``accuracy``, ``loss``). A failed trial has
    ``status == "failed"`` and its one-line ``error``, and whatever files it had written.
    """

    status: str
    files: dict[str, bytes] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    worker: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "files": self.files,
            "history": self.history,
            "evaluation": self.evaluation,
            "error": self.error,
            "worker": self.worker,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
        }


def trial_recipe(recipe: dict[str, Any], seed: int, epochs: int) -> dict[str, Any]:
    """The recipe as trained: ``train.seed`` and ``train.epochs`` set (as ``barenet train
    --seed`` does; the schedule keeps its own length, so a trial continued to more epochs
    follows the schedule of one uninterrupted run)."""
    data = copy.deepcopy(recipe)
    data.setdefault("train", {})
    data["train"]["seed"] = seed
    data["train"]["epochs"] = epochs
    return data


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message (or its type's name when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


_DATA: dict[tuple[Any, ...], MNISTData] = {}
"""This process's one loaded copy of MNIST: ``{key: MNISTData}`` (see ``worker_data``)."""


def _identity(path: Path) -> tuple[tuple[str, int, int, int], ...] | None:
    """What changes when the data at ``path`` does: name, size, modification time and inode
    of the file, or of every file in the folder (None while it does not exist)."""
    if not path.exists():
        return None
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return tuple(
        (f.name, st.st_size, st.st_mtime_ns, st.st_ino) for f in files for st in [f.stat()]
    )


def worker_data(data: str | None, split: str, seed: int) -> MNISTData:
    """``load_mnist(data, split=split, seed=seed)``, loaded and verified once per process.

    The copy is kept while the files it came from keep their identity (``_identity``: the
    cache file, or ``data``'s file or folder); a changed, replaced or deleted file is read and
    verified again. Only the latest copy is kept (a sweep trains on one split). Its arrays are
    read-only, so no trial can change what the next one trains on.
    """
    from barenet.data import cache_path, load_mnist

    source = cache_path() if data is None else Path(data).expanduser().resolve()
    key = (str(source), _identity(source), split, seed)
    if key not in _DATA:
        loaded = load_mnist(data, split=split, seed=seed)
        for part in (loaded.train, loaded.test, loaded.validation):
            if part is not None:
                part.x.flags.writeable = part.y.flags.writeable = False
        _DATA.clear()
        # After the load: a first load may have downloaded the cache file it names.
        _DATA[(str(source), _identity(source), split, seed)] = loaded
        return loaded
    return _DATA[key]


def worker_name() -> str:
    """The Dask worker's address when running on one, else host and process id."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


TRIAL_PREFIX = "barenet-trial-"
OWNER_FILE = "owner"
"""Each trial's temporary folder names the process that made it (``host pid``), so a later
trial can tell the folder of a killed one (SIGKILL allows no clean-up) from a live one."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_trial_dirs(tmp_root: str | Path | None = None) -> list[Path]:
    """Delete the temporary folders left by trials whose process is gone (a worker killed
    mid-trial) and return them. Only folders whose owner file names this host and a process
    that no longer exists go; one without that file (being created, or older) is kept."""
    removed = []
    host = socket.gethostname()
    for folder in Path(tmp_root or tempfile.gettempdir()).glob(TRIAL_PREFIX + "*"):
        try:
            owner_host, pid = (folder / OWNER_FILE).read_text().split()
            stale = owner_host == host and not _alive(int(pid))
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def run_trial(
    recipe: dict[str, Any],
    seed: int,
    epochs: int,
    data: str | None = None,
    resume_from: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """Train ``recipe`` with ``seed`` to ``epochs`` epochs in total (continuing the run whose
    files are ``resume_from``, if given) and return ``TrialOutcome.to_dict()``.

    A trial that fails on its own (a bad value, a diverging loss) returns ``status="failed"``
    with the error's one line rather than raising, so the sweep records it and goes on; Dask
    reruns a trial elsewhere only when its worker dies.
    """
    from barenet.train import Recipe, run_training

    start, start_cpu = time.perf_counter(), time.process_time()
    outcome = TrialOutcome(status="ok", worker=worker_name())
    remove_stale_trial_dirs()
    with tempfile.TemporaryDirectory(prefix=TRIAL_PREFIX) as tmp:
        (Path(tmp) / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}")
        run_dir = Path(tmp) / "run"
        try:
            planned = trial_recipe(recipe, seed, epochs)
            if resume_from:
                for name, content in resume_from.items():
                    (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
                    (run_dir / name).write_bytes(content)
                # The recipe as the run recorded it (with its data's source and hash), to
                # the new length; the schedule keeps its own, so this equals one long run.
                recorded = Recipe.from_file(run_dir / "recipe.toml").data
                planned = trial_recipe(recorded, seed, epochs)
            resolved = Recipe.from_dict(planned, source="trial")
            dataset = worker_data(data, resolved.split, resolved.split_seed)
            # One BLAS thread, as `barenet train` uses by default: the same bits as a plain
            # run, and no oversubscription when every core runs a worker.
            result = run_training(
                resolved,
                run_dir,
                data_path=data,
                resume=bool(resume_from),
                stream=None,
                threads=1,
                dataset=dataset,
            )
            outcome.history = result.history.to_dict()["records"]
            outcome.evaluation = {
                "accuracy": result.evaluation.accuracy,
                "loss": result.evaluation.loss,
            }
        except Exception as exc:  # recorded as this trial's failure; the sweep goes on
            outcome.status, outcome.error = "failed", one_line(exc)
        if run_dir.is_dir():
            outcome.files = {
                p.relative_to(run_dir).as_posix(): p.read_bytes()
                for p in sorted(run_dir.rglob("*"))
                if p.is_file()
            }
    outcome.seconds = time.perf_counter() - start
    outcome.cpu_seconds = time.process_time() - start_cpu
    return outcome.to_dict()
