"""A training run on MNIST from a recipe, with its own run directory::

    runs/<name>/
      recipe.toml          the resolved recipe (with command-line overrides applied)
      metrics.csv          one row per epoch (also metrics.jsonl)
      checkpoints/last.npz the latest checkpoint, rewritten atomically each epoch
      model.npz            the final model file
      evaluation.json      test accuracy, per-class precision/recall/F1, confusion matrix

The public functions, for the CLI and for sweeps (plain data in, a ``RunResult`` out):

``run_training(recipe, run_dir, *, data_path=None, stream=sys.stdout, threads=None)``
    train ``recipe`` (its ``train.seed`` is the run's seed) in a new ``run_dir``.
``resume_training(run_dir, *, data_path=None, epochs=None, stream=..., threads=None)``
    continue a run from its last checkpoint, bit-identical to an uninterrupted run; with
    ``epochs``, extend it to that many epochs in total (see docs/recipes.md).
``run_progress(run_dir)``
    ``(epochs done, epochs planned, finished)`` of a run directory.
``load_run_data(record, data_path=None)``
    the data a run or model recorded (``[data]``: split, seed, source, sha256), refusing data
    that is gone or differs unless ``data_path`` is given.

A run records its data in ``recipe.toml`` (``[data] source`` and ``sha256``) and in the model
file (``metadata["data"]``), so that resuming, evaluating and plotting use the same digits.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from barenet.data import MNISTData, load_mnist
from barenet.errors import BarenetError
from barenet.io import atomic_write, read_checkpoint

from .calibration import calibrate
from .callbacks import Callback, ModelCheckpoint
from .history import KEYS, History
from .metrics import Evaluation
from .model import Model
from .overrides import apply_overrides
from .recipe import Recipe
from .setup import make_trainer
from .threads import limit_threads
from .trainer import Trainer

CLASS_NAMES = [str(d) for d in range(10)]
PREPROCESSING = {
    "input": "MNIST layout: 28x28 grayscale, white digit on black, centred by centre of mass "
    "in a 20x20 box",
    "image_size": [28, 28],
    "flatten": "row-major",
    "scale": "pixel / 255",
}


def default_run_dir(recipe: Recipe, root: str | Path = "runs") -> Path:
    """``runs/<recipe>-<date>-<time>``, created empty here so that two runs started in the
    same second get different folders (the second gets a ``-2`` suffix)."""
    stem = Path(root) / f"{recipe.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    Path(root).mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = stem if n == 1 else stem.with_name(f"{stem.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"too many runs named {stem}-*; give --out")


class MetricsLogger(Callback):
    """Rewrite ``metrics.csv`` and ``metrics.jsonl`` from the history after every epoch."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        write_metrics(self.run_dir, trainer.history)


def write_metrics(run_dir: Path, history: History) -> None:
    records = history.to_dict()["records"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(KEYS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if r.get(k) is None else r.get(k)) for k in KEYS} for r in records)
    with atomic_write(run_dir / "metrics.csv") as f:
        f.write(buffer.getvalue().encode())
    with atomic_write(run_dir / "metrics.jsonl") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records).encode())


def read_metrics(run_dir: str | Path) -> History:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: is {run_dir} a barenet run directory?")
    return History([json.loads(line) for line in path.read_text().splitlines() if line])


@dataclass
class RunResult:
    run_dir: Path
    model: Model
    history: History
    evaluation: Evaluation
    seconds: float

    @property
    def model_path(self) -> Path:
        return self.run_dir / "model.npz"


def _validation(recipe: Recipe, data: MNISTData) -> tuple[np.ndarray, np.ndarray] | None:
    where = recipe.train["validate_on"]
    if where == "test":
        return data.test.x, data.test.y
    if where == "validation":
        if data.validation is None:
            raise BarenetError(
                f"recipe {recipe.name}: validate_on = 'validation' needs a split "
                f"with a validation set ('validation'), not {recipe.split!r}"
            )
        return data.validation.x, data.validation.y
    return None


def recipe_trainer(
    recipe: Recipe,
    model: Model,
    callbacks: Iterable[Callback] = (),
    stream: TextIO | None = None,
) -> Trainer:
    """The ``Trainer`` a recipe's settings make for ``model`` (optimizer, loss, batches, seed,
    schedule, augmentation, early stopping), with the caller's ``callbacks``."""
    t = recipe.train
    return make_trainer(
        model,
        optimizer=dict(recipe.data["optimizer"]),
        loss=t["loss"],
        batch_size=int(t["batch_size"]),
        seed=int(t["seed"]),
        schedule=recipe.data.get("schedule"),
        augment=t.get("augment"),
        early_stopping=t.get("early_stopping"),
        callbacks=callbacks,
        stream=stream,
        validation=t["validate_on"],
        recipe=recipe.data,
    )


def _trainer(recipe: Recipe, model: Model, run_dir: Path, stream: TextIO | None) -> Trainer:
    files = [ModelCheckpoint(run_dir / "checkpoints" / "last.npz"), MetricsLogger(run_dir)]
    return recipe_trainer(recipe, model, files, stream)


def _where(source: str | None) -> str:
    return "the MNIST cache" if source in (None, "cache") else str(source)


def load_run_data(
    record: dict[str, Any],
    data_path: str | Path | None = None,
    *,
    dataset: MNISTData | None = None,
) -> tuple[MNISTData, str | None]:
    """The data a run or model file recorded, as ``(data, note)``.

    ``record`` is a recipe's ``[data]`` table or a model's ``metadata["data"]``: ``split``,
    ``seed``, and (when recorded) ``source`` (``"cache"`` or a path) and ``sha256`` (of the
    decoded arrays). Without ``data_path`` the recorded source is read and must still hash
    to ``sha256``; a path that is gone or data that differs is a ``BarenetError`` naming both.
    With ``data_path`` that data is used, and ``note`` says when it differs from the record.
    ``dataset``: that data (``data_path``'s, or the recorded source's), already loaded with
    the recorded split and seed: it is checked the same way, not read again.
    """
    split, seed = str(record.get("split", "official")), int(record.get("seed", 42))
    source, digest = record.get("source"), record.get("sha256")

    def load(path: str | Path | None) -> MNISTData:
        return dataset if dataset is not None else load_mnist(path, split=split, seed=seed)

    if data_path is not None:
        data = load(data_path)
        note = None
        if digest and data.sha256 != digest:
            note = (
                f"--data {data_path} differs from the data the run recorded ({_where(source)}, "
                f"sha256 {digest[:12]}...): using {data_path} (sha256 {data.sha256[:12]}...)"
            )
        return data, note
    path = None if source in (None, "cache") else Path(source)
    if path is not None and not path.exists():
        raise BarenetError(
            f"the run's data {path} is gone; give --data PATH to use other data "
            f"(the run recorded sha256 {str(digest)[:12]}...)"
        )
    data = load(path)
    if digest and data.sha256 != digest:
        raise BarenetError(
            f"{_where(source)} now holds other data (sha256 {data.sha256[:12]}...) than the "
            f"run recorded (sha256 {digest[:12]}...); give --data PATH to use it anyway"
        )
    return data, None


def run_progress(run_dir: str | Path) -> tuple[int, int, bool]:
    """``(epochs done, epochs the recipe plans, finished)`` of a run directory; finished means
    it wrote its model file."""
    run_dir = Path(run_dir)
    if not (run_dir / "recipe.toml").is_file():
        raise BarenetError(
            f"{run_dir} is not a barenet run directory (no recipe.toml): nothing to resume; "
            "give the --out folder of an interrupted `barenet train`"
        )
    recipe = Recipe.from_file(run_dir / "recipe.toml")
    ckpt = run_dir / "checkpoints" / "last.npz"
    done = read_checkpoint(ckpt).epoch if ckpt.exists() else 0
    return done, int(recipe.train["epochs"]), (run_dir / "model.npz").exists()


def run_training(
    recipe: Recipe,
    run_dir: str | Path,
    *,
    data_path: str | Path | None = None,
    resume: bool = False,
    stream: TextIO | None = sys.stdout,
    threads: int | None = None,
    dataset: MNISTData | None = None,
) -> RunResult:
    """Train ``recipe`` on MNIST in ``run_dir`` (continuing its checkpoint if ``resume``),
    evaluate on the test set and write the model file. The BLAS pool is capped at
    ``threads`` (default ``$BARENET_THREADS`` or 1) while it runs. ``dataset``: the data of
    ``data_path`` (or of the cache) already loaded with the recipe's split and seed, as a
    sweep's worker keeps it between trials; the run is the same, without reading it again."""
    with limit_threads(threads):
        return _run(recipe, Path(run_dir), data_path, resume, stream, dataset)


def _run(
    recipe: Recipe,
    run_dir: Path,
    data_path: str | Path | None,
    resume: bool,
    stream: TextIO | None,
    dataset: MNISTData | None = None,
) -> RunResult:
    ckpt = run_dir / "checkpoints" / "last.npz"
    if run_dir.exists() and not run_dir.is_dir():
        raise BarenetError(f"{run_dir} is a file, not a run directory; choose another --out")
    if resume:
        if not ckpt.exists():
            raise BarenetError(f"no checkpoint to resume in {run_dir} ({ckpt} is missing)")
    elif ckpt.exists():
        raise BarenetError(
            f"{run_dir} already holds a training run; continue it with "
            f"--resume {run_dir} or choose another --out"
        )
    fresh = not run_dir.exists() or not any(run_dir.iterdir())
    try:
        # What can fail on the user's input (the data, the recipe) fails before a file is written.
        source = "cache" if data_path is None else str(Path(data_path).expanduser().resolve())
        if resume:
            data, note = load_run_data(recipe.data["data"], data_path, dataset=dataset)
            if note and stream is not None:
                print(f"note: {note}", file=stream)
            if data_path is None:
                source = recipe.data["data"].get("source", "cache")
        else:
            data = (
                dataset
                if dataset is not None
                else load_mnist(data_path, split=recipe.split, seed=recipe.split_seed)
            )
            recipe = Recipe(copy.deepcopy(recipe.data), notes=recipe.notes)
            recipe.data["data"].update(source=source, sha256=data.sha256)
        model = recipe.build_model()
        validation = _validation(recipe, data)
        if stream is not None and not resume:
            print(f"run directory: {run_dir}", file=stream)
        try:
            (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BarenetError(f"cannot create run directory {run_dir}: {exc.strerror}") from None
        with atomic_write(run_dir / "recipe.toml") as f:
            f.write(recipe.to_toml().encode())
        trainer = _trainer(recipe, model, run_dir, stream)
        if resume:
            trainer.restore(ckpt)
            if stream is not None:
                print(f"resuming {run_dir} after epoch {trainer.epoch}", file=stream)
        history = trainer.fit(
            data.train.x, data.train.y, int(recipe.train["epochs"]), validation_data=validation
        )
    except BaseException:
        # A run that stopped before its first checkpoint has nothing to resume: leave no
        # half-made run directory behind (a later run may then use the same --out).
        if fresh and not ckpt.exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    seconds = sum(r["seconds"] for r in history.records)
    evaluation = model.evaluate(data.test.x, data.test.y, loss=trainer.loss)
    with atomic_write(run_dir / "evaluation.json") as f:
        f.write(json.dumps({"split": "test", **evaluation.to_dict()}, indent=1).encode())
    metrics = {
        "test_accuracy": evaluation.accuracy,
        "test_loss": evaluation.loss,
        **{k: v for k, v in history.last.items() if k.startswith("val_")},
        "epochs": trainer.epoch,
        "train_seconds": round(seconds, 2),
    }
    if trainer.restored_epoch is not None:
        metrics["best_epoch"] = trainer.restored_epoch
    # Temperature scaling on the held-out validation digits (none in seed 001's split).
    held_out = data.validation
    calibration = calibrate(model, held_out.x, held_out.y) if held_out is not None else None
    model.save(
        run_dir / "model.npz",
        class_names=CLASS_NAMES,
        **({"calibration": calibration} if calibration else {}),
        preprocessing=PREPROCESSING,
        loss=trainer.loss.get_config(),
        metrics=metrics,
        recipe=recipe.data,
        data={
            "split": recipe.split,
            "seed": recipe.split_seed,
            # The data this model was last trained and scored on (recipe.toml keeps the
            # data the run started with; they differ only after a --resume --data).
            "source": source,
            "sha256": data.sha256,
            "description": data.source,
        },
    )
    return RunResult(run_dir, model, history, evaluation, seconds)


def resume_training(
    run_dir: str | Path,
    *,
    data_path: str | Path | None = None,
    epochs: int | None = None,
    stream: TextIO | None = sys.stdout,
    threads: int | None = None,
) -> RunResult:
    """Continue the run in ``run_dir`` from its last checkpoint, on the data it recorded
    (``data_path`` overrides it). With ``epochs``, train to that many epochs in total: the
    recorded recipe's ``train.epochs`` changes (a cosine that ended with the training is
    stretched to the new end; other schedules do not depend on it, so the result equals a
    run of ``epochs`` in one go). A finished run without a larger ``epochs`` is an error."""
    run_dir = Path(run_dir)
    done, planned, finished = run_progress(run_dir)
    recipe = Recipe.from_file(run_dir / "recipe.toml")
    target = planned if epochs is None else epochs
    if target < done:
        raise BarenetError(
            f"{run_dir} has already trained {done} epochs; --epochs must be more than that"
        )
    if finished and target <= done:
        raise BarenetError(
            f"{run_dir} is finished ({done} of {planned} epochs); nothing to do. "
            f"To train it longer: --resume {run_dir} --epochs N with N > {done}"
        )
    if target != planned:
        extended = apply_overrides(recipe, {"train.epochs": target})
        extended.data["name"] = recipe.name
        recipe = extended
    return run_training(
        recipe, run_dir, data_path=data_path, resume=True, stream=stream, threads=threads
    )
