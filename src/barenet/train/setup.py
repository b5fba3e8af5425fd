"""The one way a training run is set up, for ``Model.fit`` and ``barenet train`` alike.

``make_trainer`` turns plain settings (the ones a recipe holds) into a ``Trainer`` with its
callbacks in a fixed order::

    TerminateOnNaN          stop on a non-finite or exploding loss
    LearningRateScheduler   when a schedule is given
    EarlyStopping           when early_stopping = {patience, metric} is given
    ...callbacks            the caller's (a run adds its checkpoint and metrics files)
    ProgressBar             when a stream is given
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import numpy as np

from barenet.errors import BarenetError
from barenet.nn import Loss, Optimizer, Schedule, Sequential, get_optimizer

from .augment import Augmentation
from .callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ProgressBar,
    TerminateOnNaN,
)
from .trainer import Augment, Trainer


def early_stopping_callback(spec: Mapping[str, Any]) -> EarlyStopping:
    """``{patience = 5, metric = "val_accuracy", min_delta = 0}`` → ``EarlyStopping`` that
    restores the best weights."""
    if not isinstance(spec, Mapping):
        raise BarenetError(f"early_stopping must be a table like {{patience = 5}}, got {spec!r}")
    unknown = set(spec) - {"patience", "metric", "min_delta"}
    if unknown:
        raise BarenetError(
            f"early_stopping takes patience, metric and min_delta, not {sorted(unknown)}"
        )
    return EarlyStopping(
        monitor=spec.get("metric", "val_accuracy"),
        patience=spec.get("patience", 5),
        min_delta=spec.get("min_delta", 0.0),
        restore_best=True,
    )


def make_trainer(
    model: Sequential,
    *,
    optimizer: str | dict[str, Any] | Optimizer = "adam",
    loss: str | Loss = "cross_entropy",
    batch_size: int = 64,
    seed: int | np.random.Generator | None = None,
    schedule: str | dict[str, Any] | Schedule | None = None,
    augment: str | Mapping[str, Any] | Augmentation | Augment | None = None,
    early_stopping: Mapping[str, Any] | None = None,
    callbacks: Iterable[Callback] = (),
    stream: TextIO | None = None,
    validation: str = "validation",
    recipe: dict[str, Any] | None = None,
) -> Trainer:
    """A ``Trainer`` for ``model`` from plain settings (see the module doc for the callbacks).
    ``optimizer`` is a name, a config dict, or an ``Optimizer`` over ``model.parameters()``;
    ``validation`` names what the validation data is (``"test"`` labels it a test set)."""
    opt = (
        optimizer
        if isinstance(optimizer, Optimizer)
        else get_optimizer(optimizer, model.parameters())
    )
    cbs: list[Callback] = [TerminateOnNaN()]
    if schedule is not None:
        cbs.append(LearningRateScheduler(schedule, base_lr=opt.lr))
    if early_stopping:
        cbs.append(early_stopping_callback(early_stopping))
    cbs += list(callbacks)
    if stream is not None:
        cbs.append(ProgressBar(stream, validation=validation))
    return Trainer(
        model,
        opt,
        loss,
        batch_size=batch_size,
        seed=seed,
        callbacks=cbs,
        augment=augment,
        recipe=recipe,
    )
