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


def test_pack_puts_values_and_grads_in_two_buffers_and_keeps_them():
    from barenet.nn.parameter import pack, packed

    w = Parameter(np.arange(6, dtype=np.float32).reshape(2, 3), "W")
    b = Parameter(np.array([7.0, 8.0], dtype=np.float32), "b", decay=False)
    w.grad[...] = 1.5
    pack([w, b])
    np.testing.assert_array_equal(w.value, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(b.value, [7, 8])
    np.testing.assert_array_equal(w.grad, 1.5)
    values, grads, offsets = packed([w, b])
    assert offsets == [0, 16]  # each slice starts on a 64-byte boundary
    assert w.value.base is values and b.grad.base is grads
    values[16] = -1.0  # the buffer is the parameters' storage
    assert b.value[0] == -1.0
    assert packed([b, w]) is None  # another order is not how they were packed
    b.value = b.value.copy()
    assert packed([w, b]) is None  # a parameter that left the buffer unpacks the set


def test_unpacked_parameters_are_not_packed():
    from barenet.nn.parameter import packed

    assert packed([Parameter(np.ones(3))]) is None
    assert packed([]) is None
