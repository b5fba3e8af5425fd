"""Finite-difference gradient checking.

``gradcheck`` compares the analytic gradients that backpropagation computes with central
differences (f(θ + h) − f(θ − h)) / 2h, entry by entry, in float64. It checks

* a ``Loss``: ∂C/∂a from ``gradient`` (and, for fusing losses, δ = ∂C/∂z from ``fused``);
* a ``Layer`` or an activation: ∂f/∂x and ∂f/∂θ for f = Σ (layer(x) ⊙ R) with a fixed
  random R, so every entry of the backward pass is exercised;
* a ``Sequential`` with a loss and targets: ∂C/∂θ for every parameter from ``backprop``.

The error of an entry is |analytic − numeric| / max(|analytic|, |numeric|, floor): relative
for ordinary gradients, absolute below ``floor`` where relative error means nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._typing import Array
from .activations import ActivationFunction, get_activation
from .layers import Activation, Layer, as_rng
from .losses import Loss, get_loss
from .network import Sequential


@dataclass(frozen=True)
class GradcheckResult:
    """The worst entry found: its error, and where it is (e.g. ``"2.W[3, 1]"``)."""

    max_rel_error: float
    where: str
    checked: int

    def __str__(self) -> str:
        return (
            f"max relative error {self.max_rel_error:.3g} at {self.where} "
            f"({self.checked} entries checked)"
        )


class _Worst:
    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.error, self.where, self.checked = 0.0, "nowhere", 0

    def compare(self, label: str, analytic: Array, numeric: Array) -> None:
        denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), self.floor)
        errors = np.abs(analytic - numeric) / denom
        self.checked += errors.size
        if errors.size and errors.max() > self.error:
            idx = np.unravel_index(int(np.argmax(errors)), errors.shape)
            self.error = float(errors[idx])
            self.where = f"{label}[{', '.join(map(str, idx))}]"

    def result(self) -> GradcheckResult:
        return GradcheckResult(self.error, self.where, self.checked)


def numeric_gradient(f: Callable[[], float], x: Array, eps: float = 1e-6) -> Array:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x``
    (``x`` is perturbed in place and restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _require_float64(*arrays: Array) -> None:
    for a in arrays:
        if a.dtype != np.float64:
            raise TypeError(
                f"gradcheck needs float64 arrays, got {a.dtype}; build the model with "
                "dtype='float64' or call model.astype('float64')"
            )


def gradcheck(
    target: Layer | ActivationFunction | Loss | Sequential | str,
    x: Array,
    y: Array | None = None,
    *,
    loss: Loss | str | None = None,
    eps: float = 1e-6,
    floor: float = 1e-3,
    rng: np.random.Generator | int | None = 0,
) -> GradcheckResult:
    """Check ``target``'s backward pass against finite differences at input ``x``.

    ``target`` is one of

    * a loss or its name, with targets ``y``: ``x`` are the outputs a at which ∂C/∂a is
      checked; for a loss that fuses with its activation (cross-entropy after softmax, binary
      cross-entropy after sigmoid) ``x`` are the logits z instead, and both the fused
      δ = ∂C/∂z and ∂C/∂a at a = σ(z) are checked;
    * a layer, or an activation function (checked as an ``Activation`` layer): ``x`` is its
      input; a layer that draws random numbers (Dropout) is given a generator
      (``use_generator``) replayed for every pass, so it keeps one mask for the whole check;
    * a network, with targets ``y`` and a ``loss``: ``x`` are its inputs.

    Everything must be float64. Returns the largest error, where it occurred (``"0.W[3, 1]"``,
    ``"input[0, 2]"``, ``"dC/dz (fused)[1, 0]"``) and how many entries were checked.
    """
    worst = _Worst(floor)
    if isinstance(target, str | Loss):
        loss_fn = get_loss(target)
        if y is None:
            raise ValueError("checking a loss needs targets y")
        _require_float64(x)
        if loss_fn.fuses_with is None:
            a = x.copy()
        else:
            z = x.copy()
            act = get_activation(loss_fn.fuses_with)
            _, delta, a = loss_fn.fused(z, y)
            worst.compare(
                "dC/dz (fused)",
                delta,
                numeric_gradient(lambda: loss_fn.value(act.forward(z), y), z, eps),
            )
        worst.compare(
            "dC/da", loss_fn.gradient(a, y), numeric_gradient(lambda: loss_fn.value(a, y), a, eps)
        )
        return worst.result()

    if isinstance(target, Sequential):
        if y is None or loss is None:
            raise ValueError("checking a network needs targets y and a loss")
        model = target
        _require_float64(x, *(p.value for p in model.parameters()))
        # Dropout draws a new mask per forward pass; restore the generator before each one.
        state = model.rng.bit_generator.state

        def cost() -> float:
            model.rng.bit_generator.state = state
            return model.backprop(x, y, loss)

        cost()
        analytic = {name: p.grad.copy() for name, p in model.named_parameters()}
        for name, p in model.named_parameters():
            worst.compare(name, analytic[name], numeric_gradient(cost, p.value, eps))
        return worst.result()

    if isinstance(target, ActivationFunction):
        target = Activation(target)
    if isinstance(target, Layer):
        layer = target
        _require_float64(x, *(p.value for p in layer.parameters()))
        x = x.copy()
        # A layer that draws random numbers (Dropout's mask) draws them from this generator,
        # replayed before each forward pass so every pass draws the same.
        replay = as_rng(rng)
        layer.use_generator(replay)
        draws = replay.bit_generator.state

        def forward() -> Array:
            replay.bit_generator.state = draws
            return layer.forward(x, training=True)

        r = as_rng(rng).standard_normal(forward().shape)

        def f() -> float:
            return float(np.sum(forward() * r))

        forward()
        grad_x = layer.backward(r)
        analytic = {p.name: p.grad.copy() for p in layer.parameters()}
        worst.compare("input", grad_x, numeric_gradient(f, x, eps))
        for p in layer.parameters():
            worst.compare(p.name, analytic[p.name], numeric_gradient(f, p.value, eps))
        return worst.result()

    raise TypeError(f"gradcheck cannot check a {type(target).__name__}")
