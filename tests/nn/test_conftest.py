"""The autouse fixture really turns NumPy floating-point warnings into errors."""

import numpy as np
import pytest


def test_floating_point_errors_raise_inside_engine_tests():
    with pytest.raises(FloatingPointError):
        np.exp(np.array([1000.0]))
    with pytest.raises(FloatingPointError):
        np.array([1.0]) / np.array([0.0])
