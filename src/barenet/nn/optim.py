"""Optimizers: SGD (momentum, Nesterov), Adam and RMSProp, each with L2 weight decay.

As in ``torch.optim``, an optimizer is given the parameters once, then each step is
``zero_grad()`` (optional here: every backward overwrites ``.grad``), backprop, ``step()``.
Its state (moments, step count) lives in plain arrays, so ``state_dict()`` /
``load_state_dict()`` save and restore it exactly.

Weight decay is classic coupled L2: g ← ∇C + λ·w for parameters with ``decay=True``
(weights, not biases). Nielsen's regularised cost C + (λ_N / 2n) Σ w² is
``weight_decay = λ_N / n``.

Updates are done in place with preallocated scratch arrays: no allocation per step. The
parameters of a ``Sequential`` live in one packed buffer (``parameter.pack``); an optimizer
over them updates that buffer as a whole, so a step costs a few array operations however
many layers there are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._typing import Array
from .parameter import Parameter, packed
from .registry import Named, Registry

Group = tuple[Parameter, Array, dict[str, Array]]
"""What one update works on: a parameter, a scratch array like it, its state arrays."""


def _check_number(
    name: str,
    value: Any,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high
        )
    if not ok:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ValueError(f"{name} must be a number in {lo}{low}, {high}{hi}, got {value!r}")
    return float(value)


class Optimizer(Named):
    """Base class. Subclasses name their per-parameter state arrays in ``buffer_names``."""

    name = "optimizer"
    buffer_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter], lr: float, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer parameters must be Parameters, got {type(p).__name__}")
        self.lr = _check_number("lr", lr, low=0.0, low_open=True)
        self.weight_decay = _check_number("weight_decay", weight_decay, low=0.0)
        self.steps = 0
        # Packed parameters get state packed the same way, plus one Parameter spanning the
        # whole buffer: a step then updates everything at once (``_groups``).
        flat = packed(self.params)
        self._whole: Group | None = None
        self._lambda_cache: tuple[float, Array] | None = None
        if flat is None:
            self.buffers: dict[str, list[Array]] = {
                name: [np.zeros_like(p.value) for p in self.params] for name in self.buffer_names
            }
        else:
            values, grads, offsets = flat
            whole = Parameter(values, "packed")
            whole.grad = grads
            state = {name: np.zeros_like(values) for name in self.buffer_names}
            self._whole = (whole, np.empty_like(values), state)
            # Which packed values decay (weights) and which do not (biases, BatchNorm's β, γ).
            self._decays = np.zeros(values.shape, bool)
            for p, start in zip(self.params, offsets, strict=True):
                self._decays[start : start + p.size] = p.decay
            self._whole_dtype = values.dtype
            self.buffers = {
                name: [
                    buffer[start : start + p.size].reshape(p.shape)
                    for p, start in zip(self.params, offsets, strict=True)
                ]
                for name, buffer in state.items()
            }
        self._each: list[Group] = [
            (p, np.empty_like(p.value), {name: self.buffers[name][i] for name in self.buffers})
            for i, p in enumerate(self.params)
        ]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0 (``backprop`` overwrites them anyway)."""
        for p in self.params:
            p.grad.fill(0)

    def _groups(self) -> list[Group]:
        """What a step updates: the whole packed buffer at once while the parameters are still
        packed; else each parameter."""
        if self._whole is not None:
            values, grads = self._whole[0].value, self._whole[0].grad
            if all(p.value.base is values and p.grad.base is grads for p in self.params):
                return [self._whole]
        return self._each

    def _lambdas(self) -> Array:
        """λ for each packed value, 0 where it does not decay (rebuilt if λ was changed)."""
        if self._lambda_cache is None or self._lambda_cache[0] != self.weight_decay:
            lambdas = self._decays * np.asarray(self.weight_decay, self._whole_dtype)
            self._lambda_cache = (self.weight_decay, lambdas)
        return self._lambda_cache[1]

    def _gradient(self, p: Parameter, g: Array) -> Array:
        """∇C plus the L2 term λw, in the scratch array ``g`` (``p.grad`` is left intact). For
        the packed buffer λ is 0 on the values that do not decay."""
        if self.weight_decay and self._whole is not None and p is self._whole[0]:
            np.multiply(p.value, self._lambdas(), out=g)
            g += p.grad
        elif self.weight_decay and p.decay:
            np.multiply(p.value, self.weight_decay, out=g)
            g += p.grad
        else:
            g[...] = p.grad
        return g

    def step(self) -> None:
        """Update every parameter's ``value`` from its ``grad`` once, by this optimizer's rule."""
        self.steps += 1
        for p, g, state in self._groups():
            self._update(p, self._gradient(p, g), state)

    def _update(self, p: Parameter, g: Array, state: dict[str, Array]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """``{"name": ..., "lr": ..., ...}``: what ``get_optimizer`` needs to rebuild it."""
        return {"name": self.name, "lr": self.lr, "weight_decay": self.weight_decay}

    def state_dict(self) -> dict[str, Any]:
        """``{"config": {...}, "steps": int, "buffers": {name: [array per parameter]}}``."""
        return {
            "config": self.get_config(),
            "steps": self.steps,
            "buffers": {k: [b.copy() for b in v] for k, v in self.buffers.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state of ``state_dict()`` (moments, step count) into this optimizer's
        arrays, checking that the parameter shapes match."""
        config = state.get("config", {})
        if config.get("name") != self.name:
            raise ValueError(f"optimizer state is for {config.get('name')!r}, not {self.name!r}")
        buffers = state.get("buffers", {})
        if set(buffers) != set(self.buffers):
            raise ValueError(
                f"optimizer state has buffers {sorted(buffers)}, expected {sorted(self.buffers)}"
            )
        for name, arrays in buffers.items():
            if len(arrays) != len(self.params):
                raise ValueError(
                    f"optimizer state has {len(arrays)} '{name}' arrays "
                    f"for {len(self.params)} parameters"
                )
            for mine, theirs in zip(self.buffers[name], arrays, strict=True):
                if mine.shape != np.shape(theirs):
                    raise ValueError(
                        f"optimizer buffer '{name}' has shape {np.shape(theirs)}, "
                        f"expected {mine.shape}"
                    )
                mine[...] = theirs
        self.steps = int(state.get("steps", 0))
        self.lr = float(config.get("lr", self.lr))


class SGD(Optimizer):
    """Stochastic gradient descent: w ← w − η g.

    With momentum μ (PyTorch's form): v ← μ v + g, then w ← w − η v, or with Nesterov
    w ← w − η (g + μ v).
    """

    name = "sgd"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 0.1,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.momentum = _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if nesterov and not self.momentum:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.buffer_names = ("velocity",) if self.momentum else ()
        super().__init__(params, lr, weight_decay)

    def step(self) -> None:
        if self.momentum or self.weight_decay:
            super().step()
            return
        # Plain SGD, fused: one pass writes η∇C into the scratch array (∇C stays intact),
        # one subtracts it from w in place.
        self.steps += 1
        for p, g, _ in self._groups():
            np.multiply(p.grad, self.lr, out=g)
            p.value -= g

    def _update(self, p: Parameter, g: Array, state: dict[str, Array]) -> None:
        if self.momentum:
            v = state["velocity"]
            v *= self.momentum
            v += g
            if self.nesterov:
                g += self.momentum * v
            else:
                g[...] = v
        g *= self.lr
        p.value -= g

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    w ← w − η m̂ / (√v̂ + ε) with the bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)."""

    name = "adam"
    buffer_names = ("m", "v")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")
        self.beta1 = _check_number("beta1", betas[0], low=0.0, high=1.0, high_open=True)
        self.beta2 = _check_number("beta2", betas[1], low=0.0, high=1.0, high_open=True)
        self.eps = _check_number("eps", eps, low=0.0, low_open=True)
        super().__init__(params, lr, weight_decay)

    def _update(self, p: Parameter, g: Array, state: dict[str, Array]) -> None:
        m, v = state["m"], state["v"]
        t = self.steps
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        np.square(g, out=g)
        g *= 1.0 - self.beta2
        v += g
        # w -= lr_t * m / (sqrt(v) + eps_t): the bias corrections folded into two scalars.
        lr_t = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        eps_t = self.eps * math.sqrt(1.0 - self.beta2**t)
        np.sqrt(v, out=g)
        g += eps_t
        np.divide(m, g, out=g)
        g *= lr_t
        p.value -= g

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "betas": [self.beta1, self.beta2], "eps": self.eps}


class RMSProp(Optimizer):
    """RMSProp (Hinton, 2012): v ← αv + (1−α)g², w ← w − η g / (√v + ε)."""

    name = "rmsprop"
    buffer_names = ("v",)

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        *,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.alpha = _check_number("alpha", alpha, low=0.0, high=1.0, high_open=True)
        self.eps = _check_number("eps", eps, low=0.0, low_open=True)
        super().__init__(params, lr, weight_decay)

    def _update(self, p: Parameter, g: Array, state: dict[str, Array]) -> None:
        v = state["v"]
        v *= self.alpha
        v += (1.0 - self.alpha) * np.square(g)
        denom = np.sqrt(v)
        denom += self.eps
        g /= denom
        g *= self.lr
        p.value -= g

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "eps": self.eps}


OPTIMIZERS: Registry[Optimizer] = Registry(
    "optimizer", {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}
)


def get_optimizer(spec: str | dict[str, Any], params: Iterable[Parameter]) -> Optimizer:
    """An optimizer over ``params`` from a name (``"adam"``) or ``{"name": "sgd", "lr": 0.1}``."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"optimizer must be a name or a config dict with 'name', got {spec!r}")
    cls = OPTIMIZERS.lookup(spec["name"])
    kwargs = {k: v for k, v in spec.items() if k != "name"}
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    try:
        return cls(params, **kwargs)
    except TypeError as exc:
        raise ValueError(f"bad arguments for optimizer {spec['name']!r}: {exc}") from None
