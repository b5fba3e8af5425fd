"""Type aliases shared by the engine."""

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

Array: TypeAlias = npt.NDArray[Any]
"""A floating-point NumPy array (float32 by default, float64 on request)."""

DTypeLike: TypeAlias = str | type | np.dtype[Any]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """Return ``dtype`` as a NumPy dtype, accepting only float32 and float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return resolved
