"""MaxPool2D and AvgPool2D: the maximum or mean of each k×k window of each channel.

Layout as in ``conv.py``: x (B, H, W, C) → (B, H', W', C) with H' = (H − k) // s + 1 (no
padding; the stride s defaults to k). Both work on the k·k strided slices
x_uv = x[:, u : u + s·(H'−1) + 1 : s, v : …, :] (one per window offset (u, v), each of the
output's shape), so nothing per window or per pixel runs in Python:

    max   forward   y = max_uv x_uv,  and the offset m = argmax_uv x_uv (first on ties), uint8
          backward  ∂C/∂x_uv += ∂C/∂y ⊙ [m = uv]
    mean  forward   y = (1/k²) Σ_uv x_uv
          backward  ∂C/∂x_uv += ∂C/∂y / k²

The max pool keeps one small integer per output (which offset won) instead of a mask the size
of the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._typing import Array
from .conv import image_shape, window_count
from .layers import LAYERS, Layer, Shape, _positive_int


class _Pool2D(Layer):
    kind = "pool"

    def __init__(self, size: int, stride: int | None = None) -> None:
        self.size = _positive_int("size", size)
        self.stride = self.size if stride is None else _positive_int("stride", stride)
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, c = image_shape(self, input_shape)
        if h < self.size or w < self.size:
            raise ValueError(
                f"{self!r} needs images of at least {self.size}×{self.size}, got {h}×{w}"
            )
        return (window_count(h, self.size, self.stride), window_count(w, self.size, self.stride), c)

    def _offsets(self, shape: tuple[int, ...]) -> list[tuple[slice, slice]]:
        """The (rows, columns) slices of x_uv for every window offset (u, v), row-major."""
        _, h, w, _ = shape
        k, s = self.size, self.stride
        ho, wo = window_count(h, k, s), window_count(w, k, s)
        return [
            (slice(u, u + s * (ho - 1) + 1, s), slice(v, v + s * (wo - 1) + 1, s))
            for u in range(k)
            for v in range(k)
        ]

    def _check(self, x: Array) -> None:
        if x.ndim != 4:
            raise ValueError(
                f"{self!r} expects input of shape (batch, height, width, channels), got {x.shape}"
            )
        self.output_shape(x.shape[1:])

    def get_config(self) -> dict[str, Any]:
        return {"type": self.kind, "size": self.size, "stride": self.stride}

    def __repr__(self) -> str:
        stride = f", stride={self.stride}" if self.stride != self.size else ""
        return f"{type(self).__name__}({self.size}{stride})"


class MaxPool2D(_Pool2D):
    """y = the maximum of each ``size``×``size`` window, moved by ``stride`` (default: size)."""

    kind = "maxpool2d"

    def __init__(self, size: int, stride: int | None = None) -> None:
        super().__init__(size, stride)
        self._argmax: Array | None = None

    def forward(self, x: Array, training: bool = False) -> Array:
        self._check(x)
        offsets = self._offsets(x.shape)
        rows, cols = offsets[0]
        y = x[:, rows, cols].copy()
        if not training:
            for rows, cols in offsets[1:]:
                np.maximum(y, x[:, rows, cols], out=y)
            return y
        # The first offset holding a window's maximum wins (strictly larger replaces). A
        # maximum and a flag write are plain ufuncs; a masked copy into y costs twice as much.
        argmax = np.zeros(y.shape, np.uint8)
        larger = np.empty(y.shape, bool)
        for m, (rows, cols) in enumerate(offsets[1:], start=1):
            x_uv = x[:, rows, cols]
            np.greater(x_uv, y, out=larger)
            np.maximum(y, x_uv, out=y)
            np.copyto(argmax, m, where=larger)
        self._argmax, self._x_shape = argmax, x.shape
        return y

    def backward(self, grad_out: Array) -> Array:
        """∂C/∂x: each window's gradient goes to the input that was its maximum."""
        if self._argmax is None:
            raise RuntimeError("MaxPool2D.backward called before forward(x, training=True)")
        grad_x = np.zeros(self._x_shape, grad_out.dtype)
        overlap = self.stride < self.size
        for m, (rows, cols) in enumerate(self._offsets(self._x_shape)):
            won = self._argmax == m
            if overlap:
                grad_x[:, rows, cols] += grad_out * won
            else:
                np.copyto(grad_x[:, rows, cols], grad_out, where=won)
        return grad_x


class AvgPool2D(_Pool2D):
    """y = the mean of each ``size``×``size`` window, moved by ``stride`` (default: size)."""

    kind = "avgpool2d"

    def forward(self, x: Array, training: bool = False) -> Array:
        self._check(x)
        offsets = self._offsets(x.shape)
        rows, cols = offsets[0]
        y = x[:, rows, cols].copy()
        for rows, cols in offsets[1:]:
            y += x[:, rows, cols]
        y *= 1.0 / self.size**2
        self._x_shape = x.shape
        return y

    def backward(self, grad_out: Array) -> Array:
        """∂C/∂x: each window's gradient shared equally by its k² inputs."""
        if not self._x_shape:
            raise RuntimeError("AvgPool2D.backward called before forward(x, training=True)")
        share = grad_out * (1.0 / self.size**2)
        grad_x = np.zeros(self._x_shape, grad_out.dtype)
        for rows, cols in self._offsets(self._x_shape):
            grad_x[:, rows, cols] += share
        return grad_x


LAYERS.register("maxpool2d", MaxPool2D)
LAYERS.register("avgpool2d", AvgPool2D)
