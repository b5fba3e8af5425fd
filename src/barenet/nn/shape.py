"""Flatten and Reshape: change the shape of each example, not its values.

Both are views in the forward pass and their backward pass reshapes the gradient back. Flatten
turns (B, H, W, C) images into (B, H·W·C) rows in row-major (channels-last) order, for the
Dense layers after the convolutions; Reshape turns rows into images, e.g. (B, 784) →
(B, 28, 28, 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._typing import Array
from .layers import LAYERS, Layer, Shape, _positive_int


class Flatten(Layer):
    """(B, d₁, d₂, …) → (B, d₁·d₂·…)."""

    def __init__(self) -> None:
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)

    def forward(self, x: Array, training: bool = False) -> Array:
        self._x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_out: Array) -> Array:
        return grad_out.reshape(self._x_shape)

    def get_config(self) -> dict[str, Any]:
        return {"type": "flatten"}

    def __repr__(self) -> str:
        return "Flatten()"


class Reshape(Layer):
    """(B, *input_shape) → (B, *shape), with the same number of values per example."""

    def __init__(self, shape: Sequence[int]) -> None:
        if isinstance(shape, str) or not isinstance(shape, Sequence) or not shape:
            raise ValueError(f"reshape needs a shape like [28, 28, 1], got {shape!r}")
        self.shape = tuple(_positive_int("each reshape dimension", n) for n in shape)
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, input_shape: Shape) -> Shape:
        if math.prod(input_shape) != math.prod(self.shape):
            raise ValueError(
                f"{self!r} needs {math.prod(self.shape)} values per example, got "
                f"{math.prod(input_shape)} (shape {tuple(input_shape)})"
            )
        return self.shape

    def forward(self, x: Array, training: bool = False) -> Array:
        self.output_shape(x.shape[1:])
        self._x_shape = x.shape
        return x.reshape(len(x), *self.shape)

    def backward(self, grad_out: Array) -> Array:
        return grad_out.reshape(self._x_shape)

    def get_config(self) -> dict[str, Any]:
        return {"type": "reshape", "shape": list(self.shape)}

    def __repr__(self) -> str:
        return f"Reshape({list(self.shape)})"


LAYERS.register("flatten", Flatten)
LAYERS.register("reshape", Reshape)
