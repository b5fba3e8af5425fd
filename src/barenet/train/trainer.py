"""The training loop: mini-batch gradient descent with callbacks, checkpoints and resume.

One epoch is::

    for each shuffled mini-batch (x, y):
        cost = model.backprop(x, y, loss)     # forward, BP1–BP4: fills every .grad
        callbacks.on_batch(cost)              # e.g. TerminateOnNaN, progress bar
        optimizer.step()                      # w ← w − η·(update rule)

Everything random during training draws from two generators, the data order's
(``trainer.data_rng``) and the model's (dropout, ``model.rng``); a checkpoint stores both, and
the model's buffers (BatchNorm's running statistics) beside its weights, so a resumed run is
bit-identical to an uninterrupted one. Augmentation draws from the data generator too, and the
checkpoint records its configuration (``extra["augment"]``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from barenet.data import Batches, one_hot
from barenet.errors import BarenetError
from barenet.io import Checkpoint, read_checkpoint, write_checkpoint
from barenet.nn import Loss, Optimizer, Sequential, get_loss
from barenet.nn.layers import as_rng
from barenet.nn.losses import CrossEntropy

from .augment import Augmentation
from .callbacks import Callback
from .history import History

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]

TRAIN_EVAL_SIZE = 10_000
"""The training metrics (``loss``, ``accuracy``) are measured at the end of each epoch on this
many training examples (evenly spaced), clean: no dropout, no augmentation, the weights as the
epoch left them, like the validation metrics. ``batch_loss`` is the running mean of the
epoch's batch losses (with dropout and augmentation) that the progress bar shows."""


def check_dataset(
    model: Sequential, x: Any, y: Any, what: str = "training"
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a data set once, before training: shapes, finiteness, label range."""
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise BarenetError(f"{what} data must be numpy arrays")
    flat = x.ndim == 2 and x.shape[1] == model.in_features
    if not flat and x.shape[1:] != model.input_shape:
        shapes = f"(N, {model.in_features})"
        if len(model.input_shape) > 1:
            shapes += f" or (N, {', '.join(map(str, model.input_shape))})"
        raise BarenetError(f"{what} inputs must have shape {shapes}, got {x.shape}")
    if len(x) != len(y):
        raise BarenetError(f"{what} data has {len(x)} inputs but {len(y)} labels")
    if len(x) == 0:
        raise BarenetError(f"{what} data is empty")
    x = x.astype(model.dtype, copy=False)
    # In slices: np.isfinite of all of MNIST at once would be a 47 MB temporary.
    if not all(np.isfinite(x[i : i + 4096]).all() for i in range(0, len(x), 4096)):
        raise BarenetError(f"{what} inputs contain NaN or infinite values")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise BarenetError(f"{what} labels must be integer class ids or one-hot rows")
        if y.min() < 0 or y.max() >= model.out_features:
            raise BarenetError(
                f"{what} labels must lie in [0, {model.out_features - 1}], "
                f"got [{y.min()}, {y.max()}]"
            )
    elif y.shape != (len(x), model.out_features):
        raise BarenetError(
            f"{what} one-hot labels must have shape (N, {model.out_features}), got {y.shape}"
        )
    return x, y


def _input_shape(model: Sequential) -> tuple[int, ...]:
    """The model's input contract: its image shape when it declares one, else flat rows."""
    shape = getattr(model, "input_shape", None)
    return tuple(shape) if shape else (model.in_features,)


class Trainer:
    """Trains ``model`` with ``optimizer`` on ``loss``; keeps the epoch count, history and
    random state so training can be checkpointed and resumed."""

    def __init__(
        self,
        model: Sequential,
        optimizer: Optimizer,
        loss: str | Loss,
        *,
        batch_size: int = 64,
        seed: np.random.Generator | int | None = None,
        callbacks: Iterable[Callback] = (),
        augment: Augment | str | Mapping[str, Any] | None = None,
        recipe: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise BarenetError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.model, self.optimizer, self.loss = model, optimizer, get_loss(loss)
        self.batch_size = batch_size
        self.data_rng = as_rng(seed)
        self.callbacks = list(callbacks)
        if isinstance(augment, str | Mapping | Augmentation):
            augment = Augmentation.from_config(augment).for_input(_input_shape(model))
            if not augment.to_config():  # {}: nothing to do, the same as no augmentation
                augment = None
        self.augment = augment
        self.recipe = dict(recipe or {})
        self.history = History()
        self.epoch = 0  # epochs completed
        self.total_epochs = 0
        self.batches_per_epoch = 0
        self.stop_training = False
        self.last_checkpoint: Path | None = None
        self.restored_epoch: int | None = None  # set when EarlyStopping put back its best

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> History:
        """Train until ``epochs`` epochs are complete in total (a resumed trainer continues
        from ``self.epoch``)."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
            raise BarenetError(f"epochs must be a positive integer, got {epochs!r}")
        x, y = check_dataset(self.model, x, y)
        if self.batch_size > len(x):
            raise BarenetError(
                f"batch_size {self.batch_size:,} is larger than the {len(x):,} training examples"
            )
        xv = yv = None
        if validation_data is not None:
            xv, yv = check_dataset(self.model, *validation_data, what="validation")
        # Losses other than cross-entropy want one-hot rows: build them once, not per batch.
        if y.ndim == 1 and not isinstance(self.loss, CrossEntropy):
            y = one_hot(y, self.model.out_features, dtype=self.model.dtype)
        step = max(1, len(x) // TRAIN_EVAL_SIZE)
        x_eval, y_eval = x[::step][:TRAIN_EVAL_SIZE], y[::step][:TRAIN_EVAL_SIZE]
        batches = Batches(x, y, self.batch_size, rng=self.data_rng)
        self.batches_per_epoch = len(batches)
        self.total_epochs = epochs
        self.stop_training = False
        self.restored_epoch = None
        self._call("on_train_begin")
        # A diverging network overflows before its loss turns non-finite; TerminateOnNaN
        # stops it with one clear error instead of a page of RuntimeWarnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            validation = (xv, yv) if xv is not None and yv is not None else None
            self._epochs(epochs, batches, (x_eval, y_eval), validation)
        self._call("on_train_end")
        return self.history

    def _epochs(
        self,
        epochs: int,
        batches: Batches,
        train_eval: tuple[np.ndarray, np.ndarray],
        validation: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        while self.epoch < epochs and not self.stop_training:
            epoch = self.epoch
            self._call("on_epoch_begin", epoch)
            start = time.perf_counter()
            cost_sum, seen = 0.0, 0
            for b, (xb, yb) in enumerate(batches):
                if self.augment is not None:
                    xb = self.augment(xb, self.data_rng)
                cost = self.model.backprop(xb, yb, self.loss)
                self._call("on_batch", b, cost)
                self.optimizer.step()
                cost_sum += cost * len(xb)
                seen += len(xb)
            seconds = time.perf_counter() - start
            logs: dict[str, Any] = {"epoch": epoch + 1}
            logs["loss"], logs["accuracy"] = self.score(*train_eval)
            logs["val_loss"], logs["val_accuracy"] = (
                self.score(*validation) if validation is not None else (None, None)
            )
            logs.update(batch_loss=cost_sum / seen, lr=self.optimizer.lr, seconds=seconds)
            self.epoch += 1
            self.history.append(logs)
            self._call("on_epoch_end", epoch, logs)

    def score(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean loss, accuracy) on a data set, in inference mode."""
        out = self.model.infer(x)
        truth = y if y.ndim == 1 else np.argmax(y, axis=1)
        return self.loss.value(out, y), float(np.mean(np.argmax(out, axis=1) == truth))

    # ------------------------------------------------------------ checkpoints
    def checkpoint(self) -> Checkpoint:
        """Everything a resumed run needs: architecture, weights, optimizer state, epoch, both
        generators' states, the history so far and the state of callbacks that keep one."""
        states, arrays = {}, {}
        for cb in self.callbacks:
            if cb.state_key is not None:
                states[cb.state_key], arrays[cb.state_key] = cb.get_state()
        return Checkpoint(
            config=self.model.get_config(),
            params=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(),
            epoch=self.epoch,
            rng={
                "model": self.model.rng.bit_generator.state,
                "data": self.data_rng.bit_generator.state,
            },
            history=self.history.to_dict(),
            recipe=self.recipe,
            extra={"augment": self._augment_config()},
            callbacks=states,
            callback_arrays=arrays,
        )

    def _augment_config(self) -> dict[str, Any] | str | None:
        if isinstance(self.augment, Augmentation):
            return self.augment.to_config()
        return None if self.augment is None else "custom"

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write ``checkpoint()`` to ``path`` atomically and return the path written."""
        written = write_checkpoint(path, self.checkpoint())
        self.last_checkpoint = written
        return written

    def restore(self, source: Checkpoint | str | os.PathLike[str]) -> None:
        """Continue from a checkpoint: weights, optimizer state, both generators, history, and
        the state of callbacks that keep one (early stopping's count and best weights)."""
        ckpt = source if isinstance(source, Checkpoint) else read_checkpoint(source)
        if ckpt.config != self.model.get_config():
            raise BarenetError("the checkpoint's architecture differs from this model's")
        # Another augmentation would draw other numbers: the run would no longer be the same.
        saved = ckpt.extra.get("augment", self._augment_config())
        if saved != self._augment_config():
            raise BarenetError(
                f"the checkpoint was trained with augmentation {saved!r}, "
                f"not {self._augment_config()!r}"
            )
        self.model.load_state_dict(ckpt.params)
        self.optimizer.load_state_dict(ckpt.optimizer)
        self.model.rng.bit_generator.state = ckpt.rng["model"]
        self.data_rng.bit_generator.state = ckpt.rng["data"]
        self.history = History.from_dict(ckpt.history)
        self.epoch = ckpt.epoch
        for cb in self.callbacks:
            if cb.state_key is not None and cb.state_key in ckpt.callbacks:
                cb.set_state(
                    ckpt.callbacks[cb.state_key], ckpt.callback_arrays.get(cb.state_key, {})
                )
        if not isinstance(source, Checkpoint):
            self.last_checkpoint = Path(source)
