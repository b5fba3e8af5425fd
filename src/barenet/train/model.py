"""``Model``: a ``Sequential`` network that can train, evaluate and save itself.

The engine's ``Sequential`` knows nothing of data sets or files (``barenet.nn`` imports only
NumPy); ``Model`` adds ``fit``, ``evaluate`` and ``save`` on top. Both constructors work::

    model = Model.from_spec([{"in": 784, "out": 16, "activation": "relu"},
                             {"in": 16, "out": 10, "activation": "sigmoid"}], seed=0)
    history = model.fit(x, y, epochs=5, optimizer={"name": "sgd", "lr": 0.1}, loss="mse")
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from barenet.errors import BarenetError
from barenet.io import FormatError, read_checkpoint, read_model, write_model
from barenet.nn import Loss, Optimizer, Schedule, Sequential, get_loss

from .augment import Augmentation
from .callbacks import Callback
from .history import History
from .metrics import Evaluation, class_ids, confusion_matrix
from .setup import make_trainer
from .threads import limit_threads
from .trainer import Trainer, check_dataset


class Model(Sequential):
    """A ``Sequential`` with ``fit``, ``evaluate`` and ``save``."""

    trainer: Trainer | None = None

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int = 10,
        batch_size: int = 64,
        optimizer: str | dict[str, Any] | Optimizer = "adam",
        loss: str | Loss = "cross_entropy",
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        validation_split: float = 0.0,
        callbacks: Iterable[Callback] = (),
        schedule: str | dict[str, Any] | Schedule | None = None,
        augment: str | dict[str, Any] | Augmentation | None = None,
        early_stopping: dict[str, Any] | None = None,
        seed: int | np.random.Generator | None = None,
        threads: int | None = None,
        verbose: bool = True,
    ) -> History:
        """Train with mini-batch gradient descent and return the per-epoch ``History``.

        ``optimizer`` is a name, a config such as ``{"name": "sgd", "lr": 0.1,
        "momentum": 0.9}``, or an ``Optimizer`` built over ``model.parameters()``.
        ``validation_split`` holds out that fraction from the *end* of ``x``.
        ``schedule`` sets the learning rate per epoch; ``augment="shift"`` moves each digit by
        up to 2 pixels, and a table such as ``{"rotate": 10, "elastic": {"alpha": 34,
        "sigma": 4}}`` distorts it more (``docs/augmentation.md`` lists the keys);
        ``early_stopping={"patience": 5, "metric": "val_accuracy"}`` stops when the metric
        stalls and keeps the best weights. A non-finite or exploding loss stops training
        (``TerminateOnNaN``). The set-up is the one ``barenet train`` uses
        (``barenet.train.setup.make_trainer``); the BLAS pool is capped at ``threads``
        (default ``$BARENET_THREADS`` or 1, see ``barenet.train.threads``).
        """
        if not 0.0 <= validation_split < 1.0:
            raise BarenetError(f"validation_split must be in [0, 1), got {validation_split!r}")
        if validation_split and validation_data is not None:
            raise BarenetError("give validation_data or validation_split, not both")
        if validation_split:
            x, y = check_dataset(self, x, y)
            cut = len(x) - round(len(x) * validation_split)
            if cut <= 0 or cut >= len(x):
                raise BarenetError(
                    f"validation_split {validation_split} leaves no data on one side"
                )
            validation_data = (x[cut:], y[cut:])
            x, y = x[:cut], y[:cut]
        self.trainer = make_trainer(
            self,
            optimizer=optimizer,
            loss=loss,
            batch_size=batch_size,
            seed=seed,
            schedule=schedule,
            augment=augment,
            early_stopping=early_stopping,
            callbacks=callbacks,
            stream=sys.stdout if verbose else None,
        )
        self.metadata["loss"] = self.trainer.loss.get_config()
        with limit_threads(threads):
            return self.trainer.fit(x, y, epochs, validation_data)

    def evaluate(
        self, x: np.ndarray, y: np.ndarray, *, loss: str | Loss | None = None
    ) -> Evaluation:
        """Accuracy, loss (with ``loss``, or the loss the model was trained with),
        per-class precision/recall/F1 and the confusion matrix."""
        x, y = check_dataset(self, x, y, what="evaluation")
        if loss is None and "loss" in self.metadata:
            loss = get_loss(self.metadata["loss"])
        out = self.infer(x)
        truth = class_ids(y)
        predicted = np.argmax(out, axis=1)
        cost = get_loss(loss).value(out, y) if loss is not None else None
        return Evaluation(
            accuracy=float(np.mean(predicted == truth)),
            loss=cost,
            confusion=confusion_matrix(predicted, truth, self.out_features),
        )

    def save(self, path: str | os.PathLike[str], **metadata: Any) -> Path:
        """Write the model file (``.npz`` + JSON header; see ``docs/formats.md``)."""
        return write_model(path, self, metadata)

    def to_onnx(self, path: str | os.PathLike[str], **metadata: Any) -> Path:
        """Write the network as an ONNX file (needs ``barenet[onnx]``; ``docs/onnx.md``):
        input rows (N, in_features), output class probabilities (N, classes)."""
        # export sits above train (it is optional and needs onnx): imported only when called.
        from barenet.export import to_onnx

        return to_onnx(self, path, metadata=metadata)


def load(path: str | os.PathLike[str]) -> Model:
    """Load a model file written by ``Model.save`` (or ``barenet train``), or a training
    checkpoint (``RUN/checkpoints/last.npz``): the weights after its last finished epoch, with
    ``metadata`` from its recipe (``recipe``, ``data``, ``loss``) and ``checkpoint_epoch``."""
    try:
        return read_model(path, cls=Model)
    except FormatError as exc:
        try:
            ckpt = read_checkpoint(path)
        except FormatError:
            raise exc from None
    model = Model.from_config(ckpt.config)
    model.load_state_dict(ckpt.params)
    recipe = ckpt.recipe
    model.metadata = {
        "recipe": recipe,
        "data": recipe.get("data", {}),
        "checkpoint_epoch": ckpt.epoch,
        "class_names": [str(d) for d in range(model.out_features)],
    }
    if recipe.get("train", {}).get("loss"):
        model.metadata["loss"] = {"name": recipe["train"]["loss"]}
    return model
