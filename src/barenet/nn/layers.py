"""Layers: the ``Layer`` interface, and Dense, Activation and Dropout.

A layer maps a batch ``x`` of shape (B, *input_shape) to a batch of shape (B, *output_shape),
where ``output_shape(input_shape)`` says what one example becomes (no batch axis): (n_in,) →
(n_out,) for Dense, (H, W, C) → (H', W', C') for the image layers of ``conv.py`` and
``pooling.py``. ``forward(x, training)`` caches what ``backward`` needs; ``backward(grad_out)``
receives ∂C/∂(output), writes ``.grad`` of each of its parameters and returns ∂C/∂(input).
A layer may also hold state that is not trained (``buffers()``, e.g. BatchNorm's running
statistics) and may ask for the network's training generator (``use_generator``).

With rows as examples the equations of backpropagation (``docs/backprop.md``) read as below,
for a batch of B rows, a Dense layer W (n_in, n_out), b (n_out,) with input x = aˡ⁻¹ (B, n_in),
and z, a, δ = ∂C/∂z all of shape (B, n_out):

    forward  z = x W + b                 (Dense.forward)       a = σ(z)  (Activation.forward)
    BP1      δᴸ = ∂C/∂aᴸ ⊙ σ'(zᴸ)         (Activation.backward of the output layer, or the fused
                                          δᴸ = (a − y)/B of ``losses.py``)
    BP2      δˡ = (δˡ⁺¹ Wˡ⁺¹ᵀ) ⊙ σ'(zˡ)   (Dense.backward returns δ Wᵀ, (B, n_in); then
                                          Activation.backward multiplies by σ'(z))
    BP3      ∂C/∂b = Σ_rows δ, (n_out,)   (Dense.backward)
    BP4      ∂C/∂W = xᵀ δ, (n_in, n_out)  (Dense.backward)

The batch mean of the cost is already in δᴸ (the loss divides by B), so BP3 and BP4 sum over
the rows: their result is the gradient of the mean cost.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._typing import Array, DTypeLike, as_float_dtype
from .activations import ActivationFunction, get_activation
from .init import Initializer, get_initializer
from .parameter import Parameter
from .registry import Registry


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """An explicit generator from a Generator, a seed, or None (fresh OS entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


Shape = tuple[int, ...]
"""The shape of one example, without the batch axis: (784,) or (28, 28, 1)."""


class Layer:
    """Base class of all layers."""

    def output_shape(self, input_shape: Shape) -> Shape:
        """The shape of one output example for one input example of ``input_shape``; raises
        ``ValueError`` naming the expected shape if this layer cannot take it. By default the
        layer keeps the shape (activations, dropout)."""
        return input_shape

    def buffers(self) -> dict[str, Array]:
        """State that is not trained but saved with the model (e.g. running statistics),
        name → array; loading writes into these arrays in place."""
        return {}

    def use_generator(self, rng: np.random.Generator) -> None:
        """Hook: the network hands every layer its training generator once, so a layer that
        draws random numbers while training (Dropout) draws from the generator a checkpoint
        saves. Layers that need none ignore it."""

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, dtype: DTypeLike = "float32", rng: np.random.Generator
    ) -> Layer:
        """The layer from ``get_config()`` without its ``"type"`` key (parameters freshly
        initialised from ``rng`` in ``dtype``). Layers without parameters ignore both."""
        return cls(**config)

    def forward(self, x: Array, training: bool = False) -> Array:
        """The output for a batch ``x`` (B, n_in), shape (B, n_out); with ``training`` it caches
        what ``backward`` needs (and dropout draws its mask)."""
        raise NotImplementedError

    def backward(self, grad_out: Array) -> Array:
        """Given ∂C/∂(output) (B, n_out), write each parameter's ``grad`` and return ∂C/∂(input),
        shape (B, n_in). Uses what the last ``forward(x, training=True)`` cached."""
        raise NotImplementedError

    def backward_parameters(self, grad_out: Array) -> None:
        """Write each ``Parameter.grad`` but skip ∂C/∂(input): for the first layer with
        parameters, whose input gradient nobody needs. By default a full ``backward``."""
        self.backward(grad_out)

    def parameters(self) -> list[Parameter]:
        """This layer's trainable ``Parameter`` objects (none for a layer without weights)."""
        return []

    def get_config(self) -> dict[str, Any]:
        """The JSON-able constructor arguments that rebuild this layer (saved in model files)."""
        raise NotImplementedError

    def astype(self, dtype: np.dtype[Any]) -> None:
        """Convert this layer's parameters and buffers to ``dtype`` in place."""
        for p in self.parameters():
            p.value = p.value.astype(dtype)
            p.grad = np.zeros_like(p.value)
        for name, value in self.buffers().items():
            setattr(self, name, value.astype(dtype))


class Dense(Layer):
    """Fully connected layer: z = x W + b, with W of shape (in, out) and b of shape (out,).

    ``init`` draws W, ``bias_init`` draws b (defaults: Xavier uniform and zeros). Seed 000's
    network uses ``init="standard_normal", bias_init="standard_normal"``; seed 001's uses
    ``{"name": "normal", "std": 0.1}`` for both.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: str | dict[str, Any] | Initializer = "xavier_uniform",
        bias_init: str | dict[str, Any] | Initializer = "zeros",
        dtype: DTypeLike = "float32",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.in_features = _positive_int("in_features", in_features)
        self.out_features = _positive_int("out_features", out_features)
        self.init = get_initializer(init)
        self.bias_init = get_initializer(bias_init)
        dt = as_float_dtype(dtype)
        gen = as_rng(rng)
        self.W = Parameter(self.init((self.in_features, self.out_features), gen, dt), "W")
        self.b = Parameter(self.bias_init((self.out_features,), gen, dt), "b", decay=False)
        self._x: Array | None = None

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, dtype: DTypeLike = "float32", rng: np.random.Generator
    ) -> Dense:
        return cls(**config, dtype=dtype, rng=rng)

    def output_shape(self, input_shape: Shape) -> Shape:
        if tuple(input_shape) != (self.in_features,):
            raise ValueError(
                f"{self!r} expects input of shape ({self.in_features},), got {tuple(input_shape)}"
                + ("; put a Flatten layer before it" if len(input_shape) > 1 else "")
            )
        return (self.out_features,)

    def forward(self, x: Array, training: bool = False) -> Array:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Dense({self.in_features}, {self.out_features}) expects input of shape "
                f"(batch, {self.in_features}), got {x.shape}"
            )
        if training:
            self._x = x
        z = x @ self.W.value
        z += self.b.value
        return z

    def backward(self, grad_out: Array) -> Array:
        """Given δ = ∂C/∂z (B, out): ∂C/∂W = xᵀδ (BP4), ∂C/∂b = Σ_rows δ (BP3); returns δWᵀ."""
        self.backward_parameters(grad_out)
        return grad_out @ self.W.value.T

    def backward_parameters(self, grad_out: Array) -> None:
        """BP4 and BP3 alone, into the preallocated ``.grad`` arrays; no δWᵀ (B, in)."""
        if self._x is None:
            raise RuntimeError("Dense.backward called before forward(x, training=True)")
        np.matmul(self._x.T, grad_out, out=self.W.grad)
        grad_out.sum(axis=0, out=self.b.grad)

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def get_config(self) -> dict[str, Any]:
        return {
            "type": "dense",
            "in_features": self.in_features,
            "out_features": self.out_features,
            "init": self.init.get_config(),
            "bias_init": self.bias_init.get_config(),
        }

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"


class Activation(Layer):
    """Applies an activation function σ elementwise (softmax: row-wise): a = σ(z)."""

    def __init__(self, activation: str | dict[str, Any] | ActivationFunction) -> None:
        self.fn = get_activation(activation)
        self._z: Array | None = None
        self._a: Array | None = None

    @property
    def name(self) -> str:
        return self.fn.name

    def forward(self, x: Array, training: bool = False) -> Array:
        a = self.fn.forward(x)
        if training:
            self._z, self._a = x, a
        return a

    def backward(self, grad_out: Array) -> Array:
        """∂C/∂z = ∂C/∂a ⊙ σ'(z): the ⊙ σ'(z) of equations BP1 and BP2."""
        if self._z is None or self._a is None:
            raise RuntimeError("Activation.backward called before forward(x, training=True)")
        return self.fn.backward(grad_out, self._z, self._a)

    def get_config(self) -> dict[str, Any]:
        return {"type": "activation", "activation": self.fn.get_config()}

    def __repr__(self) -> str:
        return f"Activation({self.fn!r})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability p and scale the rest
    by 1/(1 − p), so nothing changes at inference time (where the layer is the identity)."""

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int | None = None) -> None:
        if not (isinstance(p, int | float) and math.isfinite(p) and 0 <= p < 1):
            raise ValueError(f"dropout p must be a number in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self._mask: Array | None = None

    def use_generator(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def _draw_mask(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
        keep = self.rng.random(shape, dtype=np.float32) >= self.p
        return keep.astype(dtype) * (1.0 / (1.0 - self.p))

    def forward(self, x: Array, training: bool = False) -> Array:
        if not training or self.p == 0:
            self._mask = None
            return x
        self._mask = self._draw_mask(x.shape, x.dtype)
        return x * self._mask

    def backward(self, grad_out: Array) -> Array:
        return grad_out if self._mask is None else grad_out * self._mask

    def get_config(self) -> dict[str, Any]:
        return {"type": "dropout", "p": self.p}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


LAYERS: Registry[Layer] = Registry(
    "layer", {"dense": Dense, "activation": Activation, "dropout": Dropout}
)
"""Every layer kind by its config ``"type"``; the layers of ``conv.py``, ``pooling.py``,
``shape.py`` and ``normalization.py`` register themselves here."""


def layer_from_config(
    config: dict[str, Any], *, dtype: DTypeLike = "float32", rng: np.random.Generator | None = None
) -> Layer:
    """Rebuild a layer from ``get_config()`` output (weights are freshly initialised)."""
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer config must be a dict with a 'type' key, got {config!r}")
    kind = LAYERS.lookup(config["type"])
    kwargs = {k: v for k, v in config.items() if k != "type"}
    try:
        return kind.from_config(kwargs, dtype=dtype, rng=as_rng(rng))
    except TypeError as exc:
        raise ValueError(f"bad {config['type']} layer config {config!r}: {exc}") from None
