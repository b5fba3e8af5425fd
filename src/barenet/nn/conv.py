"""Conv2D: two-dimensional convolution of channels-last images, by im2col and one GEMM.

Layout (NHWC, channels last): a batch of images is ``x`` of shape (B, H, W, C_in); the kernel
``W`` has shape (k, k, C_in, C_out) and the bias ``b`` shape (C_out,). Channels last keeps
each pixel's channels contiguous, so the patches below are copied in runs of C_in values and
``W`` reshapes for free to the (k·k·C_in, C_out) matrix of the product. As in every
deep-learning library the "convolution" is a cross-correlation (the kernel is not flipped).

With stride s and zero padding p, the output has H' = (H + 2p − k) // s + 1 rows (W' alike) and

    forward   X̂[(n,i,j), (u,v,c)] = x_pad[n, i·s + u, j·s + v, c]      im2col, (B·H'·W', k·k·C_in)
              z = X̂ W + b                                               one GEMM, (B·H'·W', C_out)
    backward  δ = ∂C/∂z, (B·H'·W', C_out)
              ∂C/∂W = X̂ᵀ δ              (k·k·C_in, C_out)                one GEMM
              ∂C/∂b = Σ_rows δ           (C_out,)
              ∂C/∂X̂ = δ Wᵀ              (B·H'·W', k·k·C_in)              one GEMM
              ∂C/∂x_pad[n, i·s+u, j·s+v, c] += ∂C/∂X̂[(n,i,j), (u,v,c)]  col2im: k·k strided adds

``docs/convolution.md`` walks through these lines of the code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._typing import Array, DTypeLike, as_float_dtype
from .init import Initializer, get_initializer
from .layers import LAYERS, Layer, Shape, _positive_int, as_rng
from .parameter import Parameter

_CHUNK_VALUES = 1 << 22
"""Inference im2col works on slices of the batch whose patch matrix holds at most this many
values (16 MB in float32): a 10,000-image batch would otherwise need gigabytes."""


def image_shape(layer: Layer, input_shape: Shape, channels: int | None = None) -> Shape:
    """``input_shape`` if it is one image (H, W, C) with ``channels`` channels, else a
    ``ValueError`` naming ``layer`` and what it expects."""
    ok = len(input_shape) == 3 and (channels is None or input_shape[2] == channels)
    if not ok:
        want = f"(height, width, {channels})" if channels else "(height, width, channels)"
        raise ValueError(
            f"{layer!r} expects images of shape {want} (channels last), got {tuple(input_shape)}"
        )
    return tuple(input_shape)


def window_count(size: int, kernel: int, stride: int) -> int:
    """Positions of a ``kernel``-wide window moved by ``stride`` over ``size`` values."""
    return (size - kernel) // stride + 1


class Conv2D(Layer):
    """z = x ⋆ W + b on (B, H, W, C_in) images: ``kernel_size``×``kernel_size`` windows moved
    by ``stride``, with ``padding`` zeros around the image (``"same"`` keeps H and W for an
    odd kernel at stride 1). Weights by ``init`` with the kernel's fan-in k·k·C_in and fan-out
    k·k·C_out (default Xavier uniform), biases by ``bias_init`` (zeros)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | str = 0,
        *,
        init: str | dict[str, Any] | Initializer = "xavier_uniform",
        bias_init: str | dict[str, Any] | Initializer = "zeros",
        dtype: DTypeLike = "float32",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.in_channels = _positive_int("in_channels", in_channels)
        self.out_channels = _positive_int("out_channels", out_channels)
        self.kernel_size = _positive_int("kernel_size", kernel_size)
        self.stride = _positive_int("stride", stride)
        if padding == "same":
            if self.stride != 1 or self.kernel_size % 2 == 0:
                raise ValueError(
                    "padding='same' needs stride 1 and an odd kernel_size, got "
                    f"stride {self.stride} and kernel_size {self.kernel_size}"
                )
            self.pad = (self.kernel_size - 1) // 2
        elif (
            isinstance(padding, int | np.integer) and not isinstance(padding, bool) and padding >= 0
        ):
            self.pad = int(padding)
        else:
            raise ValueError(f"padding must be a non-negative integer or 'same', got {padding!r}")
        self.padding: int | str = "same" if padding == "same" else self.pad
        self.init = get_initializer(init)
        self.bias_init = get_initializer(bias_init)
        dt = as_float_dtype(dtype)
        gen = as_rng(rng)
        k = self.kernel_size
        shape = (k, k, self.in_channels, self.out_channels)
        self.W = Parameter(self.init(shape, gen, dt), "W")
        self.b = Parameter(self.bias_init((self.out_channels,), gen, dt), "b", decay=False)
        self._cols: Array | None = None
        self._x_shape: tuple[int, ...] = ()
        self._scratch: dict[str, Array] = {}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, dtype: DTypeLike = "float32", rng: np.random.Generator
    ) -> Conv2D:
        return cls(**config, dtype=dtype, rng=rng)

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = image_shape(self, input_shape, self.in_channels)
        k, s, p = self.kernel_size, self.stride, self.pad
        if h + 2 * p < k or w + 2 * p < k:
            raise ValueError(
                f"{self!r} needs images of at least {k - 2 * p}×{k - 2 * p} pixels, got {h}×{w}"
            )
        return (window_count(h + 2 * p, k, s), window_count(w + 2 * p, k, s), self.out_channels)

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
        """A scratch array kept between batches: allocated (zeroed) again only when the shape
        changes."""
        buf = self._scratch.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._scratch[name] = np.zeros(shape, dtype)
        return buf

    def _im2col(self, x: Array, name: str) -> Array:
        """X̂: every k×k×C_in patch of the zero-padded ``x`` as a row, (B·H'·W', k·k·C_in)."""
        n, h, w, c = x.shape
        k, s, p = self.kernel_size, self.stride, self.pad
        if p:
            # The border of the reused padded buffer stays zero; only the inside is rewritten.
            padded = self._buffer(name + "pad", (n, h + 2 * p, w + 2 * p, c), x.dtype)
            padded[:, p : p + h, p : p + w, :] = x
            x = padded
        # (n, H−k+1, W−k+1, c, k, k) views, every s-th window, reordered to (n, i, j, u, v, c).
        windows = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]
        ho, wo = windows.shape[1], windows.shape[2]
        cols = self._buffer(name, (n, ho, wo, k, k, c), x.dtype)
        np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(n * ho * wo, k * k * c)

    def forward(self, x: Array, training: bool = False) -> Array:
        if x.ndim != 4 or x.shape[3] != self.in_channels:
            raise ValueError(
                f"{self!r} expects input of shape (batch, height, width, {self.in_channels}), "
                f"got {x.shape}"
            )
        n = x.shape[0]
        ho, wo, c_out = self.output_shape(x.shape[1:])
        weights = self.W.value.reshape(-1, c_out)
        if training:
            cols = self._im2col(x, "cols")
            self._cols, self._x_shape = cols, x.shape
            z = cols @ weights
            z += self.b.value
            return z.reshape(n, ho, wo, c_out)
        out = np.empty((n, ho, wo, c_out), x.dtype)
        step = max(1, _CHUNK_VALUES // (ho * wo * weights.shape[0]))
        for start in range(0, n, step):
            part = out[start : start + step].reshape(-1, c_out)
            np.matmul(self._im2col(x[start : start + step], "infer"), weights, out=part)
            part += self.b.value
        return out

    def backward(self, grad_out: Array) -> Array:
        """Given δ = ∂C/∂z (B, H', W', C_out): ∂C/∂W, ∂C/∂b, and returns ∂C/∂x (B, H, W, C_in)."""
        self.backward_parameters(grad_out)
        n, h, w, c = self._x_shape
        k, s, p = self.kernel_size, self.stride, self.pad
        _, ho, wo, c_out = grad_out.shape
        delta = grad_out.reshape(-1, c_out)
        weights = self.W.value.reshape(-1, c_out)
        d_cols = self._buffer("dcols", (delta.shape[0], weights.shape[0]), delta.dtype)
        np.matmul(delta, weights.T, out=d_cols)
        d_patches = d_cols.reshape(n, ho, wo, k, k, c)
        grad_x = np.zeros((n, h + 2 * p, w + 2 * p, c), grad_out.dtype)
        for u in range(k):
            for v in range(k):
                rows, cols = slice(u, u + s * (ho - 1) + 1, s), slice(v, v + s * (wo - 1) + 1, s)
                grad_x[:, rows, cols] += d_patches[:, :, :, u, v]
        return grad_x[:, p : p + h, p : p + w] if p else grad_x

    def backward_parameters(self, grad_out: Array) -> None:
        """∂C/∂W = X̂ᵀ δ and ∂C/∂b = Σ_rows δ alone, into the preallocated ``.grad`` arrays."""
        if self._cols is None:
            raise RuntimeError("Conv2D.backward called before forward(x, training=True)")
        delta = grad_out.reshape(-1, self.out_channels)
        np.matmul(self._cols.T, delta, out=self.W.grad.reshape(-1, self.out_channels))
        delta.sum(axis=0, out=self.b.grad)

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def get_config(self) -> dict[str, Any]:
        return {
            "type": "conv2d",
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "init": self.init.get_config(),
            "bias_init": self.bias_init.get_config(),
        }

    def __repr__(self) -> str:
        extra = (f", stride={self.stride}" if self.stride != 1 else "") + (
            f", padding={self.padding!r}" if self.pad else ""
        )
        return f"Conv2D({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"


LAYERS.register("conv2d", Conv2D)
