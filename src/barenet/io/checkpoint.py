"""Checkpoints: everything needed to continue a training run exactly where it stopped.

A checkpoint is a container (``container.py``) with header ::

    {"format": "barenet-checkpoint", "format_version": 1, "barenet_version": ...,
     "config": <model config>, "epoch": <epochs completed>,
     "optimizer": {"config": {...}, "steps": n, "buffers": {name: count}},
     "rng": {"model": <bit generator state>, "data": <bit generator state>},
     "history": {...}, "recipe": {...}, "extra": {...},
     "callbacks": {<state_key>: {...}}}

and arrays ``param/<name>`` (model), ``opt/<buffer>/<i>`` (optimizer state) and
``callback/<state_key>/<name>`` (a callback's arrays, e.g. early stopping's best weights). Restoring
the model weights, the optimizer's moments and both random generators makes the resumed run
bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from barenet._version import __version__

from .container import FormatError, read_container, write_container

CHECKPOINT_FORMAT = "barenet-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """The parts of a checkpoint as plain data (no engine objects)."""

    config: dict[str, Any]
    params: dict[str, np.ndarray]
    optimizer: dict[str, Any]  # an Optimizer.state_dict()
    epoch: int
    rng: dict[str, Any]
    history: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # state_key → values
    callback_arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def write_checkpoint(path: str | os.PathLike[str], ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` (``.npz`` + JSON header, atomically); returns the path."""
    buffers = ckpt.optimizer.get("buffers", {})
    header = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "barenet_version": __version__,
        "config": ckpt.config,
        "epoch": ckpt.epoch,
        "optimizer": {
            "config": ckpt.optimizer["config"],
            "steps": ckpt.optimizer["steps"],
            "buffers": {name: len(arrays) for name, arrays in buffers.items()},
        },
        "rng": ckpt.rng,
        "history": ckpt.history,
        "recipe": ckpt.recipe,
        "extra": ckpt.extra,
        "callbacks": ckpt.callbacks,
    }
    arrays = {f"param/{name}": value for name, value in ckpt.params.items()}
    for name, values in buffers.items():
        arrays.update({f"opt/{name}/{i}": v for i, v in enumerate(values)})
    for key, named in ckpt.callback_arrays.items():
        arrays.update({f"callback/{key}/{name}": v for name, v in named.items()})
    return write_container(path, header, arrays)


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """The ``Checkpoint`` in ``path``; ``FormatError`` naming the file if it is not one."""
    header, arrays = read_container(
        path, kind="checkpoint", fmt=CHECKPOINT_FORMAT, max_version=CHECKPOINT_FORMAT_VERSION
    )
    try:
        opt = header["optimizer"]
        buffers = {
            name: [arrays[f"opt/{name}/{i}"] for i in range(count)]
            for name, count in opt["buffers"].items()
        }
        return Checkpoint(
            config=header["config"],
            params={k[len("param/") :]: v for k, v in arrays.items() if k.startswith("param/")},
            optimizer={"config": opt["config"], "steps": opt["steps"], "buffers": buffers},
            epoch=int(header["epoch"]),
            rng=header["rng"],
            history=header.get("history", {}),
            recipe=header.get("recipe", {}),
            extra=header.get("extra", {}),
            callbacks=header.get("callbacks", {}),
            callback_arrays=_callback_arrays(arrays),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{path}: the checkpoint is incomplete (missing {exc})") from None


def _callback_arrays(arrays: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``callback/<key>/<name>`` arrays grouped by key (a parameter name may contain ``/``)."""
    grouped: dict[str, dict[str, np.ndarray]] = {}
    for full, value in arrays.items():
        if full.startswith("callback/"):
            key, name = full[len("callback/") :].split("/", 1)
            grouped.setdefault(key, {})[name] = value
    return grouped
