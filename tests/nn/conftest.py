"""Every engine test runs with NumPy floating-point errors raised, not warned or ignored."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors():
    """Overflow, underflow, division by zero or an invalid operation fails the test."""
    with np.errstate(all="raise"):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
