"""The model file: architecture, weights and metadata of a trained network.

Layout (see ``docs/formats.md``): a container (``container.py``) whose header is ::

    {"format": "barenet-model", "format_version": 1, "barenet_version": "0.1.0",
     "config": <Sequential.get_config()>, "metadata": {...}}

and one array per parameter, named ``param/<layer index>.<W|b>``. ``metadata`` is free-form
JSON written by the trainer: preprocessing, class names, final metrics, the recipe.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from barenet._version import __version__
from barenet.nn import Sequential

from .container import FormatError, read_container, write_container

MODEL_FORMAT = "barenet-model"
MODEL_FORMAT_VERSION = 1
_PREFIX = "param/"

M = TypeVar("M", bound=Sequential)


def write_model(
    path: str | os.PathLike[str], model: Sequential, metadata: dict[str, Any] | None = None
) -> Path:
    """Atomically write ``model`` (and ``metadata``, merged over ``model.metadata``)."""
    header = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "barenet_version": __version__,
        "config": model.get_config(),
        "metadata": {**model.metadata, **(metadata or {})},
    }
    arrays = {_PREFIX + name: p.value for name, p in model.named_parameters()}
    return write_container(path, header, arrays)


def read_model_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON header of a model file (format, version, config, metadata) without loading
    its arrays."""
    header, _ = read_container(
        path, kind="model file", fmt=MODEL_FORMAT, max_version=MODEL_FORMAT_VERSION
    )
    return header


def read_model(path: str | os.PathLike[str], cls: type[M] = Sequential) -> M:  # type: ignore[assignment]
    """Load a model file into a new ``cls`` (``Sequential`` or a subclass of it)."""
    header, arrays = read_container(
        path, kind="model file", fmt=MODEL_FORMAT, max_version=MODEL_FORMAT_VERSION
    )
    try:
        model = cls.from_config(header["config"])
        model.load_state_dict(
            {k[len(_PREFIX) :]: v for k, v in arrays.items() if k.startswith(_PREFIX)}
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"{path}: the model file is inconsistent: {exc}") from None
    model.metadata = dict(header.get("metadata") or {})
    return model
