"""Activation functions: values, derivatives, stability, the registry."""

import numpy as np
import pytest

from barenet.nn import ACTIVATIONS, Activation, get_activation, gradcheck, sigmoid, softmax


def away_from_zero(rng, shape):
    """Random inputs at least 0.1 from the kink of relu and leaky_relu at 0."""
    z = rng.standard_normal(shape)
    return np.sign(z) * (0.1 + np.abs(z))


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_gradcheck_every_activation(name, rng):
    result = gradcheck(Activation(name), away_from_zero(rng, (4, 5)))
    assert result.checked == 20
    assert result.max_rel_error < 1e-6, str(result)


def test_gradcheck_leaky_relu_with_alpha(rng):
    layer = Activation({"name": "leaky_relu", "alpha": 0.2})
    assert gradcheck(layer, away_from_zero(rng, (3, 4))).max_rel_error < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_at_the_extremes(dtype):
    # Runs under np.errstate(all="raise"): any overflow or underflow would fail here.
    z = np.array([-1e6, -1000.0, -745.0, -100.0, 0.0, 100.0, 1000.0, 1e6], dtype=dtype)
    a = sigmoid(z)
    assert a.dtype == dtype
    assert a[1] == 0.0 and a[6] == 1.0
    assert a[0] == 0.0 and a[-1] == 1.0
    assert a[4] == 0.5
    assert np.all((a >= 0) & (a <= 1))


def test_sigmoid_matches_the_textbook_formula(rng):
    z = rng.uniform(-30, 30, 100)
    np.testing.assert_allclose(sigmoid(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-14)


def test_sigmoid_symmetry(rng):
    z = rng.uniform(-50, 50, 100)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable(dtype):
    a = softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]], dtype=dtype))
    assert a.dtype == dtype
    np.testing.assert_allclose(a, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_softmax_rows_sum_to_one_and_ignore_shifts(rng):
    z = rng.standard_normal((6, 4)) * 10
    a = softmax(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(z + rng.standard_normal((6, 1)) * 100), a, atol=1e-12)


def test_softmax_needs_a_batch():
    with pytest.raises(ValueError, match="2-D"):
        get_activation("softmax").forward(np.zeros(3))


@pytest.mark.parametrize(
    ("name", "z", "expected"),
    [
        ("sigmoid", [0.0, 2.0], [0.25, np.exp(-2) / (1 + np.exp(-2)) ** 2]),
        ("tanh", [0.0, 1.0], [1.0, 1 - np.tanh(1.0) ** 2]),
        ("relu", [-2.0, 3.0], [0.0, 1.0]),
        ("leaky_relu", [-2.0, 3.0], [0.01, 1.0]),
        ("identity", [-2.0, 3.0], [1.0, 1.0]),
    ],
)
def test_derivatives_by_hand(name, z, expected):
    np.testing.assert_allclose(get_activation(name).derivative(np.array(z)), expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("relu", [0.0, 0.0, 3.0]),
        ("leaky_relu", [-0.02, 0.0, 3.0]),
        ("identity", [-2.0, 0.0, 3.0]),
        ("tanh", np.tanh([-2.0, 0.0, 3.0])),
    ],
)
def test_forward_by_hand(name, expected):
    np.testing.assert_allclose(get_activation(name).forward(np.array([-2.0, 0.0, 3.0])), expected)


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(ValueError, match="Jacobian"):
        get_activation("softmax").derivative(np.zeros((1, 3)))


@pytest.mark.parametrize("name", ACTIVATIONS.names())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_the_dtype(name, dtype, rng):
    fn = get_activation(name)
    z = rng.standard_normal((3, 4)).astype(dtype)
    a = fn.forward(z)
    assert a.dtype == dtype
    assert fn.backward(np.ones_like(z), z, a).dtype == dtype


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'") as info:
        get_activation("swish")
    for name in ("identity", "leaky_relu", "relu", "sigmoid", "softmax", "tanh"):
        assert repr(name) in str(info.value)


def test_activation_configs_and_aliases():
    leaky = get_activation({"name": "leaky_relu", "alpha": 0.2})
    assert leaky.get_config() == {"name": "leaky_relu", "alpha": 0.2}
    assert get_activation(leaky.get_config()).alpha == 0.2
    assert get_activation("linear").name == "identity"
    assert get_activation("ReLU").name == "relu"
    assert get_activation(leaky) is leaky


@pytest.mark.parametrize("alpha", [-0.1, 1.0, float("nan"), "0.1"])
def test_leaky_relu_rejects_a_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be"):
        get_activation({"name": "leaky_relu", "alpha": alpha})


def test_bad_activation_arguments_and_types():
    with pytest.raises(ValueError, match="bad arguments for activation 'relu'"):
        get_activation({"name": "relu", "alpha": 0.1})
    with pytest.raises(ValueError, match="needs a 'name' key"):
        get_activation({"alpha": 0.1})
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(3)
