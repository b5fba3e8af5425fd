"""Initializers: distributions, explicit generators, dtypes, the registry."""

import math

import numpy as np
import pytest

from barenet.nn import INITIALIZERS, get_initializer

FAN_IN, FAN_OUT = 400, 300

# name → (expected standard deviation, bound of a uniform draw or None)
EXPECTED = {
    "normal": (0.1, None),
    "standard_normal": (1.0, None),
    "lecun_normal": (math.sqrt(1 / FAN_IN), None),
    "xavier_normal": (math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    "xavier_uniform": (math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "he_normal": (math.sqrt(2 / FAN_IN), None),
    "he_uniform": (math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
}


def test_every_initializer_is_covered():
    assert set(EXPECTED) | {"zeros"} == set(INITIALIZERS.names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_distribution(name):
    std, bound = EXPECTED[name]
    w = get_initializer(name)((FAN_IN, FAN_OUT), np.random.default_rng(0), np.float64)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound


def test_normal_takes_a_std():
    w = get_initializer({"name": "normal", "std": 0.5})((300, 300), np.random.default_rng(1))
    assert w.std() == pytest.approx(0.5, rel=0.02)


def test_zeros():
    np.testing.assert_array_equal(get_initializer("zeros")((3, 2), np.random.default_rng(0)), 0)


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_same_generator_state_same_values_and_no_global_state(name):
    # The legacy global generator is what an initializer must not touch.
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    init = get_initializer(name)
    a = init((5, 4), np.random.default_rng(42))
    b = init((5, 4), np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)
    if name != "zeros":
        assert not np.array_equal(a, init((5, 4), np.random.default_rng(43)))
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_float32_by_default_float64_on_request(name):
    init = get_initializer(name)
    assert init((3, 2), np.random.default_rng(0)).dtype == np.float32
    assert init((3, 2), np.random.default_rng(0), np.float64).dtype == np.float64


@pytest.mark.parametrize("rng", [0, None, np.random.RandomState(0)])
def test_an_explicit_generator_is_required(rng):
    with pytest.raises(TypeError, match="needs a numpy Generator"):
        get_initializer("he_normal")((3, 2), rng)


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'") as info:
        get_initializer("orthogonal")
    for name in INITIALIZERS.names():
        assert repr(name) in str(info.value)


def test_aliases():
    assert get_initializer("glorot_uniform").name == "xavier_uniform"
    assert get_initializer("kaiming_normal").name == "he_normal"


@pytest.mark.parametrize("std", [0, -1, float("inf"), "0.1"])
def test_normal_rejects_a_bad_std(std):
    with pytest.raises(ValueError, match="std must be a positive number"):
        get_initializer({"name": "normal", "std": std})


def test_fan_based_initializers_need_a_matrix():
    with pytest.raises(
        ValueError, match=r"needs a \(fan_in, fan_out\) or kernel shape.* use 'zeros'"
    ):
        get_initializer("xavier_uniform")((5,), np.random.default_rng(0))


def test_config_round_trip():
    init = get_initializer({"name": "normal", "std": 0.25})
    assert init.get_config() == {"name": "normal", "std": 0.25}
    assert get_initializer(init.get_config()).std == 0.25
    assert repr(init) == "Normal(std=0.25)"
