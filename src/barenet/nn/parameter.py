"""Parameter: a trainable array and the gradient of the loss with respect to it."""

from __future__ import annotations

from collections.abc import Sequence

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
        """The shape of ``value`` (and of ``grad``)."""
        return self.value.shape

    @property
    def size(self) -> int:
        """The number of entries of ``value``."""
        return int(self.value.size)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.shape}, dtype={self.value.dtype})"


_ALIGN = 16
"""Each packed parameter starts on a multiple of 16 elements: 64 bytes for float32, one
cache line, as a freshly allocated array would."""


def _slots(params: Sequence[Parameter]) -> tuple[list[int], int]:
    """Offsets of each parameter in a packed buffer, and the buffer's length."""
    offsets, end = [], 0
    for p in params:
        offsets.append(end)
        end += -(-p.size // _ALIGN) * _ALIGN
    return offsets, end


def pack(params: Sequence[Parameter]) -> None:
    """Move the values of ``params`` (one dtype) into one contiguous array and their
    gradients into another; each parameter keeps a view of its own slice, with the same
    values and gradients as before.

    An optimizer over packed parameters then updates them all with a few whole-buffer
    operations per step, instead of a few per parameter (see ``optim.py``). The padding
    between slices stays 0, so it changes nothing.
    """
    if not params:
        return
    offsets, length = _slots(params)
    values = np.zeros(length, params[0].value.dtype)
    grads = np.zeros_like(values)
    for p, start in zip(params, offsets, strict=True):
        stop = start + p.size
        values[start:stop] = p.value.reshape(-1)
        grads[start:stop] = p.grad.reshape(-1)
        p.value = values[start:stop].reshape(p.shape)
        p.grad = grads[start:stop].reshape(p.shape)


def packed(params: Sequence[Parameter]) -> tuple[Array, Array, list[int]] | None:
    """(values, gradients, offsets) if ``params`` are exactly the parameters ``pack`` put in
    two buffers, in that order and still views of them; else None."""
    if not params:
        return None
    values, grads = params[0].value.base, params[0].grad.base
    if not isinstance(values, np.ndarray) or not isinstance(grads, np.ndarray):
        return None
    offsets, length = _slots(params)
    if values.shape != (length,) or grads.shape != (length,):
        return None
    for p, start in zip(params, offsets, strict=True):
        address = values.ctypes.data + start * values.itemsize
        grad_address = grads.ctypes.data + start * grads.itemsize
        if (
            p.value.base is not values
            or p.grad.base is not grads
            or p.value.ctypes.data != address
            or p.grad.ctypes.data != grad_address
        ):
            return None
    return values, grads, offsets
