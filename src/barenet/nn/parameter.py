"""Parameter: a trainable array and the gradient of the loss with respect to it."""

from __future__ import annotations

import numpy as np

from ._typing import Array


class Parameter:
    """A trainable tensor: ``value`` and ``grad`` are arrays of the same shape and dtype.

    Only the layer that owns a parameter writes ``grad`` (in its ``backward``); only an
    optimizer writes ``value`` (in its ``step``). ``decay`` says whether weight decay applies:
    weights decay, biases do not (as in Nielsen's L2-regularised network and common practice).
    """

    __slots__ = ("decay", "grad", "name", "value")

    def __init__(self, value: Array, name: str = "", *, decay: bool = True) -> None:
        if not isinstance(value, np.ndarray):
            raise TypeError(f"Parameter value must be a numpy array, got {type(value).__name__}")
        if value.dtype not in (np.float32, np.float64):
            raise TypeError(f"Parameter dtype must be float32 or float64, got {value.dtype}")
        self.value: Array = value
        self.grad: Array = np.zeros_like(value)
        self.name = name
        self.decay = decay

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def size(self) -> int:
        return int(self.value.size)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.shape}, dtype={self.value.dtype})"
