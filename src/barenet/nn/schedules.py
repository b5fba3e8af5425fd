"""Learning-rate schedules: the learning rate for epoch e (0-based) from the base rate η₀.

| name | learning rate at epoch e |
|---|---|
| ``constant`` | η₀ |
| ``step`` | η₀ · γ^⌊e / step_size⌋ |
| ``exponential`` | η₀ · γ^e |
| ``cosine`` | η_min + (η₀ − η_min) · (1 + cos(π e / total)) / 2 |
| ``warmup`` | η₀ · (e + 1) / warmup for e < warmup, then ``after`` shifted by ``warmup`` |
"""

from __future__ import annotations

import math
from typing import Any

from .registry import Named, Registry


def _check(
    name: str, value: Any, *, low: float, low_open: bool = True, high: float = math.inf
) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= low if low_open else value < low) or value > high:
        raise ValueError(
            f"{name} must be a number {'>' if low_open else '>='} {low}"
            f"{f' and <= {high}' if high != math.inf else ''}, got {value!r}"
        )
    return float(value)


class Schedule(Named):
    """The learning rate for each epoch: ``schedule(epoch, base_lr)``, epochs counted from 0."""

    name = "schedule"

    def __call__(self, epoch: int, base_lr: float) -> float:
        raise NotImplementedError


class Constant(Schedule):
    """η₀ at every epoch."""

    name = "constant"

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr


class StepDecay(Schedule):
    """η₀ · γ^⌊e / step_size⌋: multiplied by ``gamma`` every ``step_size`` epochs."""

    name = "step"

    def __init__(self, step_size: int = 10, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = _check("gamma", gamma, low=0.0, high=1.0)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "step_size": self.step_size, "gamma": self.gamma}


class Exponential(Schedule):
    """η₀ · γ^e: multiplied by ``gamma`` every epoch."""

    name = "exponential"

    def __init__(self, gamma: float = 0.95) -> None:
        self.gamma = _check("gamma", gamma, low=0.0, high=1.0)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma**epoch

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "gamma": self.gamma}


class Cosine(Schedule):
    """η_min + (η₀ − η_min) · (1 + cos(π e / total_epochs)) / 2: from η₀ down to ``min_lr``
    along half a cosine."""

    name = "cosine"

    def __init__(self, total_epochs: int, min_lr: float = 0.0) -> None:
        if isinstance(total_epochs, bool) or not isinstance(total_epochs, int) or total_epochs <= 0:
            raise ValueError(f"total_epochs must be a positive integer, got {total_epochs!r}")
        self.total_epochs = total_epochs
        self.min_lr = _check("min_lr", min_lr, low=0.0, low_open=False)

    def __call__(self, epoch: int, base_lr: float) -> float:
        progress = min(epoch, self.total_epochs) / self.total_epochs
        return self.min_lr + (base_lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "total_epochs": self.total_epochs, "min_lr": self.min_lr}


class Warmup(Schedule):
    """Linear warm-up over ``warmup_epochs``, then ``after`` (counting its epochs from 0)."""

    name = "warmup"

    def __init__(
        self, warmup_epochs: int, after: str | dict[str, Any] | Schedule = "constant"
    ) -> None:
        if (
            isinstance(warmup_epochs, bool)
            or not isinstance(warmup_epochs, int)
            or warmup_epochs <= 0
        ):
            raise ValueError(f"warmup_epochs must be a positive integer, got {warmup_epochs!r}")
        self.warmup_epochs = warmup_epochs
        self.after = get_schedule(after)

    def __call__(self, epoch: int, base_lr: float) -> float:
        if epoch < self.warmup_epochs:
            return base_lr * (epoch + 1) / self.warmup_epochs
        return self.after(epoch - self.warmup_epochs, base_lr)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "warmup_epochs": self.warmup_epochs,
            "after": self.after.get_config(),
        }


SCHEDULES: Registry[Schedule] = Registry(
    "schedule",
    {
        "constant": Constant,
        "step": StepDecay,
        "exponential": Exponential,
        "cosine": Cosine,
        "warmup": Warmup,
    },
)


def get_schedule(spec: str | dict[str, Any] | Schedule) -> Schedule:
    """A schedule from a name, a config dict (``{"name": "cosine", "total_epochs": 20}``) or an
    instance."""
    return SCHEDULES.build(spec)
