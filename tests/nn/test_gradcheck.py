"""gradcheck: the public finite-difference check finds wrong gradients and says where."""

import numpy as np
import pytest

import barenet
from barenet.nn import Activation, Dense, GradcheckResult, Sequential, get_activation, gradcheck
from barenet.nn.gradcheck import numeric_gradient
from barenet.nn.losses import MSE


class BiasOffByOnePercent(Dense):
    """A Dense layer whose BP3 is 1% too large."""

    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        self.b.grad *= 1.01
        return grad_x


class HalfMSE(MSE):
    """Claims the MSE value but returns the quadratic cost's gradient (a − y)/B."""

    def gradient(self, a, y):
        return super().gradient(a, y) / 2


def test_a_wrong_layer_gradient_is_found_and_located(rng):
    model = Sequential(
        [
            Dense(4, 6, dtype="float64", rng=0),
            Activation("tanh"),
            BiasOffByOnePercent(6, 3, bias_init="standard_normal", dtype="float64", rng=1),
        ]
    )
    result = gradcheck(model, rng.standard_normal((3, 4)), np.array([0, 1, 2]), loss="mse")
    assert result.max_rel_error == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert result.where.startswith("2.b[")
    assert result.checked == model.n_params
    layer_result = gradcheck(model.layers[2], rng.standard_normal((3, 6)))
    assert layer_result.max_rel_error > 1e-3 and layer_result.where.startswith("b[")


def test_a_wrong_loss_gradient_is_found(rng):
    result = gradcheck(HalfMSE(), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert result.max_rel_error == pytest.approx(0.5, rel=1e-6)
    assert result.where.startswith("dC/da[")


def test_the_result_reports_error_location_and_count(rng):
    result = gradcheck(Dense(3, 2, dtype="float64", rng=0), rng.standard_normal((2, 3)))
    assert isinstance(result, GradcheckResult)
    assert isinstance(result.max_rel_error, float) and 0 <= result.max_rel_error < 1e-6
    assert result.where.split("[")[0] in {"input", "W", "b"}
    assert result.checked == 2 * 3 + 3 * 2 + 2
    assert str(result).startswith("max relative error ")
    assert f"at {result.where} (14 entries checked)" in str(result)


def test_an_activation_function_is_checked_as_a_layer(rng):
    z = rng.standard_normal((3, 4))
    result = gradcheck(get_activation("softmax"), z)
    assert result.checked == 12 and result.max_rel_error < 1e-6


def test_the_readme_example(rng):
    small = Sequential.from_sizes([5, 4, 3], dtype="float64", seed=0)
    result = barenet.gradcheck(
        small, np.ones((2, 5)), np.array([0, 2]), loss="binary_cross_entropy"
    )
    assert result.max_rel_error < 1e-6
    assert barenet.gradcheck is gradcheck


def test_numeric_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    grad = numeric_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])  # restored


def test_float32_is_refused():
    model = Sequential.from_sizes([3, 2], seed=0)
    with pytest.raises(TypeError, match=r"needs float64 arrays, got float32.*astype"):
        gradcheck(model, np.ones((1, 3)), np.array([0]), loss="mse")
    with pytest.raises(TypeError, match="needs float64"):
        gradcheck("mse", np.ones((1, 3), np.float32), np.ones((1, 3)))


def test_missing_arguments_raise():
    model = Sequential.from_sizes([3, 2], dtype="float64", seed=0)
    with pytest.raises(ValueError, match="needs targets y and a loss"):
        gradcheck(model, np.ones((1, 3)), np.array([0]))
    with pytest.raises(ValueError, match="checking a loss needs targets y"):
        gradcheck("mse", np.ones((1, 3)))
    with pytest.raises(TypeError, match="cannot check a list"):
        gradcheck([], np.ones((1, 3)))
    with pytest.raises(ValueError, match="unknown loss 'relu'"):
        gradcheck("relu", np.ones((1, 3)), np.ones((1, 3)))
