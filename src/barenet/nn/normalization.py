"""BatchNorm: batch normalisation (Ioffe & Szegedy 2015) of features or image channels.

The last axis holds the F features (rows (B, F)) or channels (images (B, H, W, F)); the
statistics are taken over every other axis, N = B (rows) or B·H·W (images) values per feature:

    training   μ = (1/N) Σ x,   σ² = (1/N) Σ (x − μ)²,   x̂ = (x − μ) / √(σ² + ε)
               y = γ ⊙ x̂ + β
               running_mean ← (1 − m)·running_mean + m·μ
               running_var  ← (1 − m)·running_var  + m·σ²·N/(N − 1)   (unbiased, as PyTorch)
    inference  x̂ = (x − running_mean) / √(running_var + ε)
    backward   ∂C/∂β = Σ δ,   ∂C/∂γ = Σ δ ⊙ x̂
               ∂C/∂x = γ / (N √(σ² + ε)) ⊙ (N δ − ∂C/∂β − x̂ ⊙ ∂C/∂γ)

The running statistics are buffers, not parameters: no optimizer touches them, and model files
and checkpoints save them beside the weights, so a resumed run continues them bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._typing import Array, DTypeLike, as_float_dtype
from .layers import LAYERS, Layer, Shape, _positive_int
from .parameter import Parameter


class BatchNorm(Layer):
    """Normalise each of ``num_features`` features over the batch, then scale by γ and shift
    by β (initialised to 1 and 0); ``momentum`` m weighs each batch in the running statistics."""

    def __init__(
        self,
        num_features: int,
        *,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype: DTypeLike = "float32",
    ) -> None:
        self.num_features = _positive_int("num_features", num_features)
        if not (isinstance(momentum, int | float) and 0 < momentum <= 1):
            raise ValueError(f"momentum must be a number in (0, 1], got {momentum!r}")
        if not (isinstance(eps, int | float) and math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        dt = as_float_dtype(dtype)
        self.gamma = Parameter(np.ones(self.num_features, dt), "gamma", decay=False)
        self.beta = Parameter(np.zeros(self.num_features, dt), "beta", decay=False)
        self.running_mean = np.zeros(self.num_features, dt)
        self.running_var = np.ones(self.num_features, dt)
        self._x_hat: Array | None = None
        self._inv_std: Array | None = None

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, dtype: DTypeLike = "float32", rng: np.random.Generator
    ) -> BatchNorm:
        return cls(**config, dtype=dtype)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) not in (1, 3) or input_shape[-1] != self.num_features:
            raise ValueError(
                f"{self!r} expects rows ({self.num_features},) or images (height, width, "
                f"{self.num_features}), got {tuple(input_shape)}"
            )
        return tuple(input_shape)

    def buffers(self) -> dict[str, Array]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, x: Array, training: bool = False) -> Array:
        self.output_shape(x.shape[1:])
        axes = tuple(range(x.ndim - 1))
        if not training:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean) * (inv_std * self.gamma.value) + self.beta.value
        n = x.size // self.num_features
        if n < 2:
            raise ValueError("BatchNorm needs at least 2 values per feature to train on")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += (m * n / (n - 1)) * var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        return x_hat * self.gamma.value + self.beta.value

    def backward(self, grad_out: Array) -> Array:
        """∂C/∂γ = Σ δ ⊙ x̂, ∂C/∂β = Σ δ; returns γ/(N√(σ²+ε)) ⊙ (N δ − ∂C/∂β − x̂ ⊙ ∂C/∂γ)."""
        if self._x_hat is None or self._inv_std is None:
            raise RuntimeError("BatchNorm.backward called before forward(x, training=True)")
        x_hat, axes = self._x_hat, tuple(range(grad_out.ndim - 1))
        n = grad_out.size // self.num_features
        d_beta = grad_out.sum(axis=axes, out=self.beta.grad)
        d_gamma = np.sum(grad_out * x_hat, axis=axes, out=self.gamma.grad)
        scale = self.gamma.value * self._inv_std / n
        return scale * (n * grad_out - d_beta - x_hat * d_gamma)

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def get_config(self) -> dict[str, Any]:
        return {
            "type": "batchnorm",
            "num_features": self.num_features,
            "momentum": self.momentum,
            "eps": self.eps,
        }

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"


LAYERS.register("batchnorm", BatchNorm)
