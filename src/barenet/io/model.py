"""The model file: architecture, weights, buffers, input contract and metadata of a network.

Layout (see ``docs/formats.md``): a container (``container.py``) whose header is ::

    {"format": "barenet-model", "format_version": 2, "barenet_version": "0.1.0",
     "config": <Sequential.get_config()>,
     "input": {"shape": [28, 28, 1], "range": [0, 1], "preprocessing": "mnist"},
     "metadata": {...}}

one array per parameter, named ``param/<layer index>.<W|b|...>``, and one per buffer (state
that is not trained, e.g. BatchNorm's running statistics), ``buffer/<layer index>.<name>``.
``input`` is the input contract: what one example looks like and how an image becomes one;
predict, serve, plots and augmentation read it through ``input_contract``. ``metadata`` is
free-form JSON written by the trainer: class names, final metrics, the recipe.

Version 1 files (no ``input``, no buffers, configs without ``input_shape``) still load: their
input is flat MNIST rows, (784,) for the networks barenet wrote then.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from barenet._version import __version__
from barenet.errors import BarenetError
from barenet.nn import Sequential

from .container import FormatError, read_container, write_container

MODEL_FORMAT = "barenet-model"
MODEL_FORMAT_VERSION = 2
_PARAM, _BUFFER = "param/", "buffer/"

M = TypeVar("M", bound=Sequential)


@dataclass(frozen=True)
class InputContract:
    """What a model takes: one example of ``shape`` with values in ``range``, made from an
    image by ``preprocessing`` (``"mnist"``: 28×28 grey, white digit on black, centred by its
    centre of mass in a 20×20 box, pixel / 255)."""

    shape: tuple[int, ...]
    range: tuple[float, float] = (0.0, 1.0)
    preprocessing: str = "mnist"

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the image one example is: (H, W) of an (H, W, C) shape, or the
        square a flat row of H·W values comes from (784 → 28×28)."""
        if len(self.shape) == 3:
            return self.shape[0], self.shape[1]
        side = math.isqrt(math.prod(self.shape))
        if side * side != math.prod(self.shape):
            raise BarenetError(f"an input of shape {self.shape} is not a square image")
        return side, side

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": list(self.shape),
            "range": list(self.range),
            "preprocessing": self.preprocessing,
        }


def input_contract(source: Sequential | dict[str, Any]) -> InputContract:
    """The input contract of a model, or of a model file's header (a version-1 header has
    none: its input is the first layer's width, MNIST-preprocessed, in [0, 1])."""
    if isinstance(source, Sequential):
        return InputContract(tuple(source.input_shape))
    entry = source.get("input")
    try:
        if entry is not None:
            lo, hi = entry["range"]
            return InputContract(
                tuple(int(n) for n in entry["shape"]),
                (float(lo), float(hi)),
                str(entry["preprocessing"]),
            )
        config = source["config"]
        if "input_shape" in config:
            return InputContract(tuple(int(n) for n in config["input_shape"]))
        first = next(c for c in config["layers"] if c.get("type") == "dense")
        return InputContract((int(first["in_features"]),))
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise FormatError(f"the model file has no readable input contract: {exc!r}") from None


def write_model(
    path: str | os.PathLike[str], model: Sequential, metadata: dict[str, Any] | None = None
) -> Path:
    """Atomically write ``model`` (and ``metadata``, merged over ``model.metadata``)."""
    header = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "barenet_version": __version__,
        "config": model.get_config(),
        "input": input_contract(model).to_json(),
        "metadata": {**model.metadata, **(metadata or {})},
    }
    arrays = {_PARAM + name: p.value for name, p in model.named_parameters()}
    arrays.update({_BUFFER + name: value for name, value in model.named_buffers()})
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
        state = {
            k[len(prefix) :]: v
            for k, v in arrays.items()
            for prefix in (_PARAM, _BUFFER)
            if k.startswith(prefix)
        }
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"{path}: the model file is inconsistent: {exc}") from None
    model.metadata = dict(header.get("metadata") or {})
    return model
