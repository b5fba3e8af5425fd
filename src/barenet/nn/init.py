"""Weight initializers.

An initializer is a small object called as ``init(shape, rng, dtype)``; it draws from the
explicit ``np.random.Generator`` it is given and never touches global random state.
For a weight matrix of shape ``(fan_in, fan_out)``, or a convolution kernel of shape
``(kh, kw, in_channels, out_channels)`` (fan_in = kh·kw·in_channels, fan_out =
kh·kw·out_channels: each output sees kh·kw·in_channels inputs; see ``fans``):

| name | distribution | where it comes from |
|---|---|---|
| ``zeros`` | 0 | biases |
| ``normal`` | N(0, std²), std=0.1 by default | seed 001 |
| ``standard_normal`` | N(0, 1) | seed 000, Nielsen ch. 1 |
| ``lecun_normal`` | N(0, 1/fan_in) | Nielsen ch. 3 |
| ``xavier_uniform`` | U(-a, a), a = sqrt(6 / (fan_in + fan_out)) | Glorot & Bengio 2010 |
| ``xavier_normal`` | N(0, 2 / (fan_in + fan_out)) | Glorot & Bengio 2010 |
| ``he_uniform`` | U(-a, a), a = sqrt(6 / fan_in) | He et al. 2015 (ReLU) |
| ``he_normal`` | N(0, 2 / fan_in) | He et al. 2015 (ReLU) |
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._typing import Array
from .registry import Named, Registry


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``: (in, out) for a matrix; for a kernel
    (..., in, out) both are multiplied by the receptive field, the product of the leading
    axes, as in Glorot & Bengio and He et al."""
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Named):
    """Base class: subclasses implement ``sample(shape, rng)`` returning float64 values."""

    name = "initializer"
    needs_fans = False

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32
    ) -> Array:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"initializer '{self.name}' needs a numpy Generator "
                f"(np.random.default_rng(seed)), got {type(rng).__name__}"
            )
        if self.needs_fans and len(shape) < 2:
            raise ValueError(
                f"initializer '{self.name}' needs a (fan_in, fan_out) or kernel shape, got "
                f"{shape}; use 'zeros', 'normal' or 'standard_normal' for biases"
            )
        return self.sample(shape, rng).astype(dtype, copy=False)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        """Values of ``shape`` drawn from ``rng`` (float64; ``__call__`` casts to the dtype)."""
        raise NotImplementedError


class Zeros(Initializer):
    """All zeros: the usual bias initializer."""

    name = "zeros"

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return np.zeros(shape)


class Normal(Initializer):
    """N(0, std²). Seed 001 draws ``np.random.randn(...) * 0.1``, which is ``Normal(std=0.1)``."""

    name = "normal"

    def __init__(self, std: float = 0.1) -> None:
        if not (isinstance(std, int | float) and math.isfinite(std) and std > 0):
            raise ValueError(f"std must be a positive number, got {std!r}")
        self.std = float(std)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return rng.standard_normal(shape) * self.std

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "std": self.std}


class StandardNormal(Initializer):
    """N(0, 1) for weights and biases alike: seed 000 and Nielsen's chapter 1 network."""

    name = "standard_normal"

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return rng.standard_normal(shape)


class LecunNormal(Initializer):
    """N(0, 1/fan_in): Nielsen's ``default_weight_initializer`` (chapter 3)."""

    name = "lecun_normal"
    needs_fans = True

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return rng.standard_normal(shape) / math.sqrt(fans(shape)[0])


class XavierUniform(Initializer):
    """U(−a, a) with a = √(6 / (fan_in + fan_out)) (Glorot & Bengio 2010): keeps the variance
    of activations and gradients alike across sigmoid and tanh layers."""

    name = "xavier_uniform"
    needs_fans = True

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        limit = math.sqrt(6.0 / sum(fans(shape)))
        return rng.uniform(-limit, limit, shape)


class XavierNormal(Initializer):
    """N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""

    name = "xavier_normal"
    needs_fans = True

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return rng.standard_normal(shape) * math.sqrt(2.0 / sum(fans(shape)))


class HeUniform(Initializer):
    """U(−a, a) with a = √(6 / fan_in) (He et al. 2015): for ReLU layers."""

    name = "he_uniform"
    needs_fans = True

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        limit = math.sqrt(6.0 / fans(shape)[0])
        return rng.uniform(-limit, limit, shape)


class HeNormal(Initializer):
    """N(0, 2 / fan_in) (He et al. 2015): for ReLU layers."""

    name = "he_normal"
    needs_fans = True

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        return rng.standard_normal(shape) * math.sqrt(2.0 / fans(shape)[0])


INITIALIZERS: Registry[Initializer] = Registry(
    "initializer",
    {
        "zeros": Zeros,
        "normal": Normal,
        "standard_normal": StandardNormal,
        "lecun_normal": LecunNormal,
        "xavier_uniform": XavierUniform,
        "xavier_normal": XavierNormal,
        "he_uniform": HeUniform,
        "he_normal": HeNormal,
    },
    aliases={
        "glorot_uniform": "xavier_uniform",
        "glorot_normal": "xavier_normal",
        "kaiming_uniform": "he_uniform",
        "kaiming_normal": "he_normal",
    },
)


def get_initializer(spec: str | dict[str, Any] | Initializer) -> Initializer:
    """An initializer from a name (``"he_normal"``), a config dict or an instance."""
    return INITIALIZERS.build(spec)
