"""Callbacks: small objects the training loop calls at fixed points.

The protocol (every method optional; the base class does nothing):

- ``on_train_begin(trainer)``: before the first epoch of this ``fit`` call;
- ``on_epoch_begin(trainer, epoch)``: before each epoch (``epoch`` counts from 0);
- ``on_batch(trainer, batch, cost)``: after a batch's gradients are computed and *before* the
  optimizer applies them; raising here leaves the weights as they were after the previous batch;
- ``on_epoch_end(trainer, epoch, logs)``: after each epoch; ``logs`` is the History record;
  set ``trainer.stop_training = True`` to stop;
- ``on_train_end(trainer)``: after the last epoch (also after an early stop).

A callback whose decisions depend on earlier epochs (``EarlyStopping``) names itself in
``state_key`` and gives ``get_state``/``set_state``: checkpoints keep that state, so a resumed
run stops at the same epoch and restores the same weights as an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from barenet.errors import BarenetError
from barenet.nn import Schedule, get_schedule

if TYPE_CHECKING:
    from .trainer import Trainer


class TrainingDiverged(BarenetError, RuntimeError):
    """The loss became NaN or infinite, or grew beyond ``TerminateOnNaN``'s bound. A user
    mistake (usually too large a learning rate): the CLI prints it in one line, exit 1."""


class Callback:
    """Base class: every hook does nothing; a callback overrides the ones it needs."""

    state_key: str | None = None
    """The name a checkpoint keeps this callback's state under; None: it keeps none."""

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """What a checkpoint keeps: (JSON-able values, named arrays)."""
        return {}, {}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Take back ``get_state()``'s values when a run resumes from a checkpoint."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first epoch of this ``fit`` call."""

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        """Before each epoch (``epoch`` counts from 0)."""

    def on_batch(self, trainer: Trainer, batch: int, cost: float) -> None:
        """After batch ``batch``'s gradients are computed, before the optimizer applies them;
        raising here leaves the weights as they were after the previous batch."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        """After each epoch; ``logs`` is its History record. Set ``trainer.stop_training``
        to stop."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last epoch, also after an early stop."""


class TerminateOnNaN(Callback):
    """Stop with ``TrainingDiverged`` as soon as a batch's loss is not finite, or is more than
    ``factor`` times the first batch's loss of this ``fit`` (default 1000: a network that
    learns never gets there; one whose learning rate is far too large does within a few
    batches). The message names the epoch and batch. The step with the bad gradients is never
    applied, and checkpoints already written are untouched."""

    def __init__(self, factor: float = 1e3) -> None:
        if not factor > 1:
            raise BarenetError(f"factor must be a number > 1, got {factor!r}")
        self.factor = float(factor)
        self.first: float | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        self.first = None

    def on_batch(self, trainer: Trainer, batch: int, cost: float) -> None:
        if self.first is None and math.isfinite(cost):
            self.first = max(cost, 1e-3)
        bound = self.factor * self.first if self.first is not None else math.inf
        if math.isfinite(cost) and cost <= bound:
            return
        what = (
            f"became {cost}"
            if not math.isfinite(cost)
            else (
                f"grew to {cost:.3g}, over {self.factor:g} times the first batch's {self.first:.3g}"
            )
        )
        hint = (
            f"; the last good checkpoint is {trainer.last_checkpoint}"
            if trainer.last_checkpoint
            else ""
        )
        raise TrainingDiverged(
            f"training diverged: the loss {what} at epoch {trainer.epoch + 1}, batch "
            f"{batch + 1}; try a smaller learning rate (lr is {trainer.optimizer.lr:g}){hint}"
        )


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs; with
    ``restore_best`` put back the weights of the best epoch at the end."""

    state_key = "early_stopping"

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        *,
        min_delta: float = 0.0,
        restore_best: bool = True,
        mode: str = "auto",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise BarenetError(f"patience must be a non-negative integer, got {patience!r}")
        if mode not in ("auto", "min", "max"):
            raise BarenetError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.restore_best = restore_best
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)
        self.resumed = False
        self.on_train_begin(None)

    def on_train_begin(self, trainer: Trainer | None) -> None:
        """Forget the previous ``fit``: a reused callback starts counting afresh (unless a
        checkpoint's count was just restored into it)."""
        if self.resumed:
            self.resumed = False
            return
        self.best: float | None = None
        self.best_epoch = -1
        self.wait = 0
        self.best_state: dict[str, np.ndarray] | None = None

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
        return state, dict(self.best_state or {})

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        self.wait = int(state["wait"])
        self.best_state = dict(arrays) if arrays else None
        self.resumed = True

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        value = logs.get(self.monitor)
        if value is None:
            raise BarenetError(
                f"EarlyStopping monitors {self.monitor!r}, which is not logged; "
                f"logged keys are {sorted(logs)} (validation data needed for val_*)"
            )
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = trainer.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            trainer.restored_epoch = self.best_epoch + 1


class ModelCheckpoint(Callback):
    """Write a checkpoint (model, optimizer, random state, history) to ``path`` after every
    ``every`` epochs, atomically, so the latest complete checkpoint is always on disk."""

    def __init__(self, path: str | os.PathLike[str], every: int = 1) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every <= 0:
            raise BarenetError(f"every must be a positive integer, got {every!r}")
        self.path, self.every = Path(path), every

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if (epoch + 1) % self.every == 0:
            trainer.save_checkpoint(self.path)


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of each epoch from a schedule, or
    before every step for a per-step schedule (one-cycle: at epoch ``e + b / n`` before batch
    ``b`` of ``n``), with its momentum when it cycles one (SGD's μ, Adam's β₁). The rate is a
    function of the position alone, so a resumed run sets the same rates."""

    def __init__(self, schedule: str | dict[str, Any] | Schedule, base_lr: float) -> None:
        self.schedule = get_schedule(schedule)
        self.base_lr = float(base_lr)

    def on_train_begin(self, trainer: Trainer) -> None:
        if self.schedule.momentum(0.0) is None:
            return
        opt = trainer.optimizer
        if not hasattr(opt, "beta1") and not getattr(opt, "momentum", 0.0):
            raise BarenetError(
                f"the {self.schedule.name} schedule cycles the momentum: it needs adam, or sgd "
                f"with a momentum > 0, not {opt.name}"
                + (" without momentum" if hasattr(opt, "momentum") else "")
            )

    def _set(self, trainer: Trainer, position: float) -> None:
        # A per-step schedule takes the fractional epoch; the others get whole epochs.
        trainer.optimizer.lr = self.schedule(position, self.base_lr)  # type: ignore[arg-type]
        momentum = self.schedule.momentum(position)
        if momentum is not None:
            setattr(
                trainer.optimizer,
                "beta1" if hasattr(trainer.optimizer, "beta1") else "momentum",
                momentum,
            )

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._set(trainer, epoch)

    def on_batch(self, trainer: Trainer, batch: int, cost: float) -> None:
        if self.schedule.per_step:
            self._set(trainer, trainer.epoch + batch / trainer.batches_per_epoch)


class ProgressBar(Callback):
    """A live bar on a terminal; one line per epoch otherwise (readable CI logs). The epoch
    line names the validation metrics ``val_`` or, when they measure the test set
    (``validation="test"``), ``test_``."""

    def __init__(
        self, stream: TextIO | None = None, *, live: bool | None = None, validation: str = "val"
    ) -> None:
        self.prefix = "test" if validation == "test" else "val"
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self._last_draw = 0.0
        self._total_batches = 0

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._total_batches = trainer.batches_per_epoch
        self._epoch_start = time.perf_counter()

    def on_batch(self, trainer: Trainer, batch: int, cost: float) -> None:
        now = time.perf_counter()
        if not self.live or (now - self._last_draw < 0.1 and batch + 1 < self._total_batches):
            return
        self._last_draw = now
        done = (batch + 1) / max(self._total_batches, 1)
        bar = "#" * int(done * 30)
        self.stream.write(
            f"\repoch {trainer.epoch + 1}/{trainer.total_epochs} [{bar:<30}] "
            f"{done:4.0%} loss {cost:.4f}"
        )
        self.stream.flush()

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        parts = [
            f"epoch {epoch + 1}/{trainer.total_epochs}",
            f"loss {logs['loss']:.4f}",
            f"acc {logs['accuracy']:.4f}",
        ]
        if logs.get("val_loss") is not None:
            parts += [
                f"{self.prefix}_loss {logs['val_loss']:.4f}",
                f"{self.prefix}_acc {logs['val_accuracy']:.4f}",
            ]
        parts += [f"lr {logs['lr']:.3g}", f"{logs['seconds']:.1f}s"]
        prefix = "\r\033[K" if self.live else ""
        self.stream.write(prefix + "  ".join(parts) + "\n")
        self.stream.flush()
