"""Loss (cost) functions C(a, y) for a batch, averaged over the batch.

Every loss sums over the output units and averages over the B examples of the batch, as in
Nielsen's book, so the gradient of one example's cost is divided by B:

| name | C for one example | ∂C/∂a (before the 1/B) |
|---|---|---|
| ``mse`` | Σ_k (a_k − y_k)² | 2(a − y) (seed 001) |
| ``quadratic`` | ½ Σ_k (a_k − y_k)² | a − y (seed 000) |
| ``binary_cross_entropy`` | −Σ_k [y_k ln a_k + (1 − y_k) ln(1 − a_k)] | (a − y) / (a(1 − a)) |
| ``cross_entropy`` | −Σ_k y_k ln a_k (a = softmax output) | −y / a |

Fusion. Cross-entropy after a softmax, and binary cross-entropy after a sigmoid, have the
famously simple output error (equation BP1) δᴸ = ∂C/∂z = (a − y) / B. A loss that
declares ``fuses_with`` computes its value straight from the logits z (with log-softmax or
softplus, so it never takes the log of 0) and returns that δ, skipping the activation's
own backward. The unfused ``gradient`` methods clip a into [ε, 1 − ε] so they stay finite.

Targets ``y`` may be one-hot rows (B, K) or integer class ids (B,). With a single output
unit (K = 1) a 1-D ``y`` holds the targets themselves, e.g. the 0/1 labels of a binary problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._typing import Array
from .activations import sigmoid
from .registry import Named, Registry

_CLIP = {np.dtype(np.float32): 1e-7, np.dtype(np.float64): 1e-12}


def targets_like(y: Array, output: Array) -> Array:
    """``y`` as an array of the shape and dtype of ``output``: class ids become one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 1 and output.ndim == 2:
        if y.shape[0] != output.shape[0]:
            raise ValueError(f"{y.shape[0]} labels for a batch of {output.shape[0]} outputs")
        if output.shape[1] == 1:
            # A single output unit has no classes to pick: (B,) targets are its values, such
            # as the 0/1 labels of a binary problem with one sigmoid output.
            return y.reshape(-1, 1).astype(output.dtype)
        ids = _class_ids(y, output.shape[1])
        onehot = np.zeros_like(output)
        onehot[np.arange(len(ids)), ids] = 1
        return onehot
    if y.shape != output.shape:
        raise ValueError(f"targets of shape {y.shape} do not match outputs of shape {output.shape}")
    return y.astype(output.dtype, copy=False)


def _class_ids(y: Array, num_classes: int) -> Array:
    if y.dtype.kind not in "iu":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("1-D targets must be integer class ids")
        y = y.astype(np.int64)
    # One pass checks both ends (this runs every batch): read as unsigned, a negative id
    # is a huge number.
    if y.size and y.view(y.dtype.str.replace("i", "u")).max() >= num_classes:
        raise ValueError(
            f"class ids must lie in [0, {num_classes - 1}], got values in [{y.min()}, {y.max()}]"
        )
    return y


class Loss(Named):
    """Base class. ``value`` is the batch-mean cost; ``gradient`` is ∂(batch-mean cost)/∂a."""

    name = "loss"
    fuses_with: str | None = None  # name of the output activation this loss can fuse with

    def value(self, a: Array, y: Array) -> float:
        """C, the mean over the B rows of the per-example cost of outputs ``a`` (B, K) against
        targets ``y`` (one-hot (B, K) or class ids (B,))."""
        raise NotImplementedError

    def gradient(self, a: Array, y: Array) -> Array:
        """∂C/∂a, shape (B, K): the per-example gradient divided by B (the mean is taken here, so
        BP3 and BP4 sum over rows)."""
        raise NotImplementedError

    def fused(self, z: Array, y: Array) -> tuple[float, Array, Array]:
        """For a fused output layer: (cost, δᴸ = ∂C/∂z, a = σ(z)) straight from the logits."""
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def __call__(self, a: Array, y: Array) -> float:
        return self.value(a, y)


class MSE(Loss):
    """C = (1/B) Σ_x Σ_k (a_k − y_k)²; ∂C/∂a = 2(a − y)/B. Seed 001's ``dA = 2 * (a - y)``."""

    name = "mse"

    def value(self, a: Array, y: Array) -> float:
        diff = a - targets_like(y, a)
        return float(np.einsum("ij,ij->", diff, diff) / a.shape[0])

    def gradient(self, a: Array, y: Array) -> Array:
        return (a - targets_like(y, a)) * (2.0 / a.shape[0])


class Quadratic(Loss):
    """C = (1/B) Σ_x ½‖a − y‖²; ∂C/∂a = (a − y)/B. Nielsen's ``QuadraticCost`` (seed 000)."""

    name = "quadratic"

    def value(self, a: Array, y: Array) -> float:
        diff = a - targets_like(y, a)
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / a.shape[0])

    def gradient(self, a: Array, y: Array) -> Array:
        return (a - targets_like(y, a)) * (1.0 / a.shape[0])


class BinaryCrossEntropy(Loss):
    """C = −(1/B) Σ_x Σ_k [y ln a + (1 − y) ln(1 − a)] on sigmoid outputs a.

    Fused with a sigmoid output: C = (1/B) Σ [softplus(z) − y z] and δᴸ = (σ(z) − y)/B.
    """

    name = "binary_cross_entropy"
    fuses_with = "sigmoid"

    def value(self, a: Array, y: Array) -> float:
        t = targets_like(y, a)
        eps = _CLIP[a.dtype]
        a = np.clip(a, eps, 1.0 - eps)
        return float(-np.sum(t * np.log(a) + (1.0 - t) * np.log1p(-a)) / a.shape[0])

    def gradient(self, a: Array, y: Array) -> Array:
        t = targets_like(y, a)
        eps = _CLIP[a.dtype]
        a = np.clip(a, eps, 1.0 - eps)
        return (a - t) / (a * (1.0 - a)) / a.shape[0]

    def fused(self, z: Array, y: Array) -> tuple[float, Array, Array]:
        t = targets_like(y, z)
        with np.errstate(under="ignore"):
            softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        cost = float(np.sum(softplus - t * z) / z.shape[0])
        a = sigmoid(z)
        return cost, (a - t) / z.shape[0], a


class CrossEntropy(Loss):
    """C = −(1/B) Σ_x Σ_k y_k ln a_k on softmax outputs a.

    Fused with a softmax output: C = −(1/B) Σ y · log_softmax(z) and δᴸ = (softmax(z) − y)/B.
    With integer class ids the one-hot matrix is never built.
    """

    name = "cross_entropy"
    fuses_with = "softmax"

    def value(self, a: Array, y: Array) -> float:
        t = targets_like(y, a)
        eps = _CLIP[a.dtype]
        return float(-np.sum(t * np.log(np.clip(a, eps, 1.0))) / a.shape[0])

    def gradient(self, a: Array, y: Array) -> Array:
        t = targets_like(y, a)
        eps = _CLIP[a.dtype]
        return -t / np.clip(a, eps, 1.0) / a.shape[0]

    def fused(self, z: Array, y: Array) -> tuple[float, Array, Array]:
        batch = z.shape[0]
        y = np.asarray(y)
        # One pass gives a, δ and C: with s = z − max_row(z) and S = Σ_row eˢ,
        # a = eˢ / S and ln a = s − ln S, never the log of a 0.
        shifted = z - z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            a = np.exp(shifted)
        sums = a.sum(axis=1, keepdims=True)
        a /= sums
        log_sums = np.log(sums)
        if y.ndim == 1:
            if y.shape[0] != batch:
                raise ValueError(f"{y.shape[0]} labels for a batch of {batch} outputs")
            ids = _class_ids(y, z.shape[1])
            rows = np.arange(batch)
            cost = float((log_sums.sum() - shifted[rows, ids].sum()) / batch)
            delta = a * (1.0 / batch)
            delta[rows, ids] -= 1.0 / batch
            return cost, delta, a
        t = targets_like(y, z)
        cost = float(-np.einsum("ij,ij->", t, shifted - log_sums) / batch)
        delta = a - t
        delta *= 1.0 / batch
        return cost, delta, a


LOSSES: Registry[Loss] = Registry(
    "loss",
    {
        "mse": MSE,
        "quadratic": Quadratic,
        "binary_cross_entropy": BinaryCrossEntropy,
        "cross_entropy": CrossEntropy,
    },
    aliases={
        "mean_squared_error": "mse",
        "bce": "binary_cross_entropy",
        "categorical_cross_entropy": "cross_entropy",
        "softmax_cross_entropy": "cross_entropy",
        "ce": "cross_entropy",
    },
)


def get_loss(spec: str | dict[str, Any] | Loss) -> Loss:
    """A loss from a name (``"cross_entropy"``), a config dict or an instance."""
    return LOSSES.build(spec)
