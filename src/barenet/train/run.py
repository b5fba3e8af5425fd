"""A training run on MNIST from a recipe, with its own run directory::

    runs/<name>/
      recipe.toml          the resolved recipe (with command-line overrides applied)
      metrics.csv          one row per epoch (also metrics.jsonl)
      checkpoints/last.npz the latest checkpoint, rewritten atomically each epoch
      model.npz            the final model file
      evaluation.json      test accuracy, per-class precision/recall/F1, confusion matrix

``run_training(recipe, run_dir)`` starts a run; ``resume_training(run_dir)`` continues one
from its last checkpoint, with a result bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from barenet.data import MNISTData, load_mnist
from barenet.io import atomic_write

from .augment import AUGMENTATIONS
from .callbacks import (
    Callback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
)
from .history import KEYS, History
from .metrics import Evaluation
from .model import Model
from .recipe import Recipe
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
            raise ValueError(
                f"recipe {recipe.name}: validate_on = 'validation' needs a split "
                f"with a validation set ('validation'), not {recipe.split!r}"
            )
        return data.validation.x, data.validation.y
    return None


def _trainer(recipe: Recipe, model: Model, run_dir: Path, stream: TextIO | None) -> Trainer:
    t = recipe.train
    opt = recipe.build_optimizer(model)
    callbacks: list[Callback] = [TerminateOnNaN()]
    if "schedule" in recipe.data:
        callbacks.append(LearningRateScheduler(recipe.data["schedule"], base_lr=opt.lr))
    callbacks += [ModelCheckpoint(run_dir / "checkpoints" / "last.npz"), MetricsLogger(run_dir)]
    if stream is not None:
        callbacks.append(ProgressBar(stream))
    augment = t.get("augment")
    if augment is not None and augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augment!r}; valid: {sorted(AUGMENTATIONS)}")
    return Trainer(
        model,
        opt,
        t["loss"],
        batch_size=int(t["batch_size"]),
        seed=int(t["seed"]),
        callbacks=callbacks,
        augment=AUGMENTATIONS[augment] if augment else None,
        recipe=recipe.data,
    )


def run_training(
    recipe: Recipe,
    run_dir: str | Path,
    *,
    data_path: str | Path | None = None,
    resume: bool = False,
    stream: TextIO | None = sys.stdout,
) -> RunResult:
    """Train ``recipe`` on MNIST in ``run_dir`` (continuing its checkpoint if ``resume``),
    evaluate on the test set and write the model file."""
    run_dir = Path(run_dir)
    ckpt = run_dir / "checkpoints" / "last.npz"
    if run_dir.exists() and not run_dir.is_dir():
        raise NotADirectoryError(f"{run_dir} is a file, not a run directory; choose another --out")
    if resume:
        if not ckpt.exists():
            raise FileNotFoundError(f"no checkpoint to resume in {run_dir} ({ckpt} is missing)")
    elif ckpt.exists():
        raise FileExistsError(
            f"{run_dir} already holds a training run; continue it with "
            f"--resume {run_dir} or choose another --out"
        )
    fresh = not run_dir.exists() or not any(run_dir.iterdir())
    try:
        # What can fail on the user's input (the data, the recipe) fails before a file is written.
        data = load_mnist(data_path, split=recipe.split, seed=recipe.split_seed)
        model = recipe.build_model()
        try:
            (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"cannot create run directory {run_dir}: {exc.strerror}") from None
        if not resume:
            with atomic_write(run_dir / "recipe.toml") as f:
                f.write(recipe.to_toml().encode())
        trainer = _trainer(recipe, model, run_dir, stream)
        if resume:
            trainer.restore(ckpt)
            if stream is not None:
                print(f"resuming {run_dir} after epoch {trainer.epoch}", file=stream)
        history = trainer.fit(
            data.train.x,
            data.train.y,
            int(recipe.train["epochs"]),
            validation_data=_validation(recipe, data),
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
        f.write(json.dumps(evaluation.to_dict(), indent=1).encode())
    model.save(
        run_dir / "model.npz",
        class_names=CLASS_NAMES,
        preprocessing=PREPROCESSING,
        loss=trainer.loss.get_config(),
        metrics={
            "test_accuracy": evaluation.accuracy,
            "test_loss": evaluation.loss,
            **{k: v for k, v in history.last.items() if k.startswith("val_")},
            "epochs": trainer.epoch,
            "train_seconds": round(seconds, 2),
        },
        recipe=recipe.data,
        data_source=data.source,
    )
    return RunResult(run_dir, model, history, evaluation, seconds)


def resume_training(
    run_dir: str | Path, *, data_path: str | Path | None = None, stream: TextIO | None = sys.stdout
) -> RunResult:
    run_dir = Path(run_dir)
    if not (run_dir / "recipe.toml").is_file():
        raise FileNotFoundError(
            f"{run_dir} is not a barenet run directory (no recipe.toml): nothing to resume; "
            "give the --out folder of an interrupted `barenet train`"
        )
    recipe = Recipe.from_file(run_dir / "recipe.toml")
    return run_training(recipe, run_dir, data_path=data_path, resume=True, stream=stream)
