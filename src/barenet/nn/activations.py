"""Activation functions σ and their derivatives σ'.

Each activation is a tiny stateless object with two methods:

* ``forward(z)`` returns ``a = σ(z)``;
* ``backward(grad_a, z, a)`` returns ``grad_a ⊙ σ'(z)``, the elementwise product that turns
  ∂C/∂a into ∂C/∂z in equations BP1 and BP2 (see ``docs/backprop.md``). Both ``z`` and the
  already computed ``a`` are passed so each derivative uses whichever is cheaper
  (σ' = a(1 − a) for the sigmoid, 1 − a² for tanh).

Softmax is not elementwise: its ``backward`` is the Jacobian-vector product
``a ⊙ (g − Σ_k g_k a_k)``. When softmax feeds cross-entropy the two are fused instead
(see ``losses.py``), which is both faster and more accurate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._typing import Array
from .registry import Named, Registry


class ActivationFunction(Named):
    """An elementwise (or, for softmax, row-wise) function a = σ(z) and its backward pass."""

    name = "activation"

    def forward(self, z: Array) -> Array:
        """a = σ(z), same shape as ``z``."""
        raise NotImplementedError

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        """∂C/∂z from ∂C/∂a: ``grad_a ⊙ σ'(z)`` for elementwise functions (the ⊙ σ'(z) of
        BP1 and BP2), given the ``z`` and ``a`` of the forward pass."""
        raise NotImplementedError

    def derivative(self, z: Array) -> Array:
        """σ'(z) elementwise (not defined for softmax, whose derivative is a Jacobian)."""
        return self.backward(np.ones_like(z), z, self.forward(z))


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any z.

    e^(−|z|) never overflows; for z < 0 the algebraically equal form e^z / (1 + e^z) is used.
    Underflow of e^(−|z|) to 0 for |z| > ~745 is the correct limit, so it is not reported.
    """
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r).astype(z.dtype, copy=False)


class Sigmoid(ActivationFunction):
    """σ(z) = 1 / (1 + e^(−z)),  σ'(z) = σ(z)(1 − σ(z))."""

    name = "sigmoid"

    def forward(self, z: Array) -> Array:
        return sigmoid(z)

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return grad_a * a * (1.0 - a)


class ReLU(ActivationFunction):
    """relu(z) = max(z, 0),  relu'(z) = 1 where z > 0 else 0."""

    name = "relu"

    def forward(self, z: Array) -> Array:
        return np.maximum(z, 0)

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return grad_a * (z > 0)


class LeakyReLU(ActivationFunction):
    """leaky_relu(z) = z where z > 0 else alpha·z."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        if not (isinstance(alpha, int | float) and math.isfinite(alpha) and 0 <= alpha < 1):
            raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, z: Array) -> Array:
        return np.where(z > 0, z, z * self.alpha)

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return grad_a * np.where(z > 0, 1.0, self.alpha).astype(z.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}


class Tanh(ActivationFunction):
    """tanh(z),  tanh'(z) = 1 − tanh(z)²."""

    name = "tanh"

    def forward(self, z: Array) -> Array:
        return np.tanh(z)

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return grad_a * (1.0 - a * a)


def softmax(z: Array) -> Array:
    """Row-wise softmax, stable: subtracting each row's max leaves the result unchanged."""
    shifted = z - z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    e /= e.sum(axis=1, keepdims=True)
    return e


class Softmax(ActivationFunction):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j), row by row."""

    name = "softmax"

    def forward(self, z: Array) -> Array:
        if z.ndim != 2:
            raise ValueError(f"softmax needs a 2-D (batch, classes) array, got shape {z.shape}")
        return softmax(z)

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))

    def derivative(self, z: Array) -> Array:
        raise ValueError("softmax has no elementwise derivative; use backward() for its Jacobian")


class Identity(ActivationFunction):
    """identity(z) = z: a linear output (logits or regression)."""

    name = "identity"

    def forward(self, z: Array) -> Array:
        return z

    def backward(self, grad_a: Array, z: Array, a: Array) -> Array:
        return grad_a


ACTIVATIONS: Registry[ActivationFunction] = Registry(
    "activation",
    {
        "sigmoid": Sigmoid,
        "relu": ReLU,
        "leaky_relu": LeakyReLU,
        "tanh": Tanh,
        "softmax": Softmax,
        "identity": Identity,
    },
    aliases={"linear": "identity", "none": "identity", "logistic": "sigmoid"},
)


def get_activation(spec: str | dict[str, Any] | ActivationFunction) -> ActivationFunction:
    """An activation from a name (``"relu"``), a config dict or an instance."""
    return ACTIVATIONS.build(spec)
