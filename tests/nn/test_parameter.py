"""Parameter: a value and its gradient, float32 or float64."""

import numpy as np
import pytest

from barenet.nn import Parameter


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_matches_the_value(dtype):
    p = Parameter(np.ones((3, 2), dtype=dtype), "W")
    assert p.grad.shape == (3, 2) and p.grad.dtype == dtype
    np.testing.assert_array_equal(p.grad, 0)
    assert p.shape == (3, 2) and p.size == 6 and p.decay
    assert repr(p) == f"Parameter('W', shape=(3, 2), dtype={np.dtype(dtype)})"


def test_rejects_what_is_not_a_float_array():
    with pytest.raises(TypeError, match="must be a numpy array, got list"):
        Parameter([1.0, 2.0])
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        Parameter(np.arange(3))
