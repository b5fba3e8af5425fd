"""Learning-rate schedules: the learning rate for epoch e (0-based) from the base rate η₀.

| name | learning rate at epoch e |
|---|---|
| ``constant`` | η₀ |
| ``step`` | η₀ · γ^⌊e / step_size⌋ |
| ``exponential`` | η₀ · γ^e |
| ``cosine`` | η_min + (η₀ − η_min) · (1 + cos(π e / total)) / 2 |
| ``warmup`` | η₀ · (e + 1) / warmup for e < warmup, then ``after`` shifted by ``warmup`` |
| ``one_cycle`` | per step: up from η₀ / div to η₀, then down to η₀ / (div · final_div) |

Schedules change the rate once an epoch, except those with ``per_step = True`` (one-cycle):
their ``epoch`` is fractional, ``e + b / n`` before batch ``b`` of ``n``, and the trainer
sets the rate before every step.
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
    per_step = False
    """True: called before every step with a fractional epoch (``e + b / n``)."""

    def __call__(self, epoch: int, base_lr: float) -> float:
        raise NotImplementedError

    def momentum(self, epoch: float) -> float | None:
        """The momentum (SGD's μ, Adam's β₁) at ``epoch``; None leaves the optimizer's own."""
        return None


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


ANNEALS = ("cosine", "linear")


def _ramp(start: float, end: float, fraction: float, anneal: str) -> float:
    """From ``start`` (fraction 0) to ``end`` (fraction 1), along half a cosine or a line."""
    if anneal == "cosine":
        fraction = (1.0 - math.cos(math.pi * fraction)) / 2.0
    return start + (end - start) * fraction


class OneCycle(Schedule):
    """Smith & Topin's one-cycle policy ("Super-convergence", 2018), set before every step.

    With t = min(e / total_epochs, 1) the fraction of the cycle done (``e`` fractional), p =
    ``warmup_fraction``, η₀ the base rate (the cycle's peak), η_s = η₀ / ``div_factor`` and
    η_end = η_s / ``final_div_factor``::

        t ≤ p:  η = ramp(η_s, η₀, t / p)                 # warm-up to the peak at t = p
        t > p:  η = ramp(η₀, η_end, (t − p) / (1 − p))   # anneal to a small fraction

    where ramp(a, b, s) = a + (b − a)·(1 − cos πs)/2 (``anneal = "cosine"``) or a + (b − a)·s
    (``"linear"``, the paper's form). With ``max_momentum`` and ``base_momentum`` the momentum
    (SGD's μ, Adam's β₁) moves the inverse way: max → base while the rate rises, base → max
    while it falls. The defaults are PyTorch's ``OneCycleLR``'s.
    """

    name = "one_cycle"
    per_step = True

    def __init__(
        self,
        total_epochs: int,
        warmup_fraction: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: str = "cosine",
        max_momentum: float | None = None,
        base_momentum: float | None = None,
    ) -> None:
        if isinstance(total_epochs, bool) or not isinstance(total_epochs, int) or total_epochs <= 0:
            raise ValueError(f"total_epochs must be a positive integer, got {total_epochs!r}")
        self.total_epochs = total_epochs
        self.warmup_fraction = _check("warmup_fraction", warmup_fraction, low=0.0, high=1.0)
        if self.warmup_fraction == 1.0:
            raise ValueError("warmup_fraction must be below 1 (the cycle needs an anneal)")
        self.div_factor = _check("div_factor", div_factor, low=1.0, low_open=False)
        self.final_div_factor = _check(
            "final_div_factor", final_div_factor, low=1.0, low_open=False
        )
        if anneal not in ANNEALS:
            raise ValueError(f"anneal must be one of {', '.join(ANNEALS)}, got {anneal!r}")
        self.anneal = anneal
        if (max_momentum is None) != (base_momentum is None):
            raise ValueError("give both max_momentum and base_momentum, or neither")
        self.max_momentum = self.base_momentum = None
        if max_momentum is not None and base_momentum is not None:
            self.max_momentum = _check("max_momentum", max_momentum, low=0.0, high=1.0)
            self.base_momentum = _check("base_momentum", base_momentum, low=0.0, high=1.0)
            if not self.base_momentum <= self.max_momentum < 1.0:
                raise ValueError(
                    "momentum must satisfy base_momentum <= max_momentum < 1, got "
                    f"{base_momentum!r} and {max_momentum!r}"
                )

    def _phase(self, epoch: float) -> tuple[bool, float]:
        """(still warming up, fraction of the current phase done)."""
        t = min(max(epoch, 0.0) / self.total_epochs, 1.0)
        p = self.warmup_fraction
        return (True, t / p) if t <= p else (False, (t - p) / (1.0 - p))

    def __call__(self, epoch: float, base_lr: float) -> float:
        start = base_lr / self.div_factor
        rising, s = self._phase(epoch)
        if rising:
            return _ramp(start, base_lr, s, self.anneal)
        return _ramp(base_lr, start / self.final_div_factor, s, self.anneal)

    def momentum(self, epoch: float) -> float | None:
        if self.max_momentum is None or self.base_momentum is None:
            return None
        rising, s = self._phase(epoch)
        high, low = self.max_momentum, self.base_momentum
        return _ramp(high, low, s, self.anneal) if rising else _ramp(low, high, s, self.anneal)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "name": self.name,
            "total_epochs": self.total_epochs,
            "warmup_fraction": self.warmup_fraction,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
        }
        if self.max_momentum is not None:
            config.update(max_momentum=self.max_momentum, base_momentum=self.base_momentum)
        return config


SCHEDULES: Registry[Schedule] = Registry(
    "schedule",
    {
        "constant": Constant,
        "step": StepDecay,
        "exponential": Exponential,
        "cosine": Cosine,
        "warmup": Warmup,
        "one_cycle": OneCycle,
    },
)


def get_schedule(spec: str | dict[str, Any] | Schedule) -> Schedule:
    """A schedule from a name, a config dict (``{"name": "cosine", "total_epochs": 20}``) or an
    instance."""
    return SCHEDULES.build(spec)
