"""Losses: values and gradients by hand, finite differences, fusion, clipping, labels."""

import math

import numpy as np
import pytest

from barenet.nn import LOSSES, get_loss, gradcheck, sigmoid, softmax


def probabilities(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def gradcheck_input(name, rng, shape):
    """What gradcheck takes for a loss: logits for a fusing loss, else outputs in (0, 1)."""
    if get_loss(name).fuses_with is None:
        return probabilities(rng, shape)
    return rng.standard_normal(shape)


def one_hot(ids, classes):
    return np.eye(classes)[ids]


@pytest.mark.parametrize("name", LOSSES.names())
def test_gradcheck_every_loss_with_one_hot_targets(name, rng):
    x = gradcheck_input(name, rng, (5, 3))
    y = one_hot(rng.integers(0, 3, 5), 3)
    result = gradcheck(name, x, y)
    fused = get_loss(name).fuses_with is not None
    assert result.checked == x.size * (2 if fused else 1)
    assert result.max_rel_error < 1e-6, str(result)


@pytest.mark.parametrize("name", LOSSES.names())
def test_gradcheck_every_loss_with_class_ids(name, rng):
    x = gradcheck_input(name, rng, (6, 4))
    assert gradcheck(name, x, rng.integers(0, 4, 6)).max_rel_error < 1e-6


def test_gradcheck_binary_cross_entropy_with_soft_targets(rng):
    z = rng.standard_normal((4, 3))
    assert gradcheck("binary_cross_entropy", z, rng.uniform(0, 1, (4, 3))).max_rel_error < 1e-6


def test_mse_convention_is_seed_001s_two_times_a_minus_y():
    a = np.array([[1.0, 2.0], [0.5, 0.0]])
    y = np.array([[0.0, 0.0], [0.5, 1.0]])
    mse = get_loss("mse")
    # Summed over units, averaged over the batch: ((1 + 4) + (0 + 1)) / 2.
    assert mse.value(a, y) == 3.0
    np.testing.assert_array_equal(mse.gradient(a, y), 2 * (a - y) / 2)


def test_quadratic_is_half_the_squared_error():
    a = np.array([[1.0, 2.0], [0.5, 0.0]])
    y = np.array([[0.0, 0.0], [0.5, 1.0]])
    quadratic = get_loss("quadratic")
    assert quadratic.value(a, y) == 1.5
    np.testing.assert_array_equal(quadratic.gradient(a, y), (a - y) / 2)


def test_binary_cross_entropy_by_hand():
    a = np.array([[0.8, 0.4]])
    y = np.array([[1.0, 0.0]])
    bce = get_loss("binary_cross_entropy")
    assert bce.value(a, y) == pytest.approx(-math.log(0.8) - math.log(0.6), rel=1e-12)
    np.testing.assert_allclose(bce.gradient(a, y), [[-1 / 0.8, 1 / 0.6]])


def test_cross_entropy_by_hand():
    a = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    ce = get_loss("cross_entropy")
    assert ce.value(a, np.array([0, 2])) == pytest.approx(-(math.log(0.7) + math.log(0.5)) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_is_clipped_so_log_never_sees_zero(dtype):
    a = np.array([[0.0, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0]], dtype=dtype)
    bce = get_loss("binary_cross_entropy")
    value, grad = bce.value(a, y), bce.gradient(a, y)
    assert math.isfinite(value) and value > 10
    assert np.all(np.isfinite(grad))
    assert grad.dtype == dtype
    assert bce.value(np.array([[1.0, 0.0]], dtype=dtype), y) == pytest.approx(0.0, abs=1e-5)


def test_cross_entropy_is_clipped():
    ce = get_loss("cross_entropy")
    a = np.array([[0.0, 1.0]])
    assert math.isfinite(ce.value(a, np.array([0])))
    assert np.all(np.isfinite(ce.gradient(a, np.array([0]))))


def test_softmax_cross_entropy_fused_gradient_is_softmax_minus_y_over_batch(rng):
    z = rng.standard_normal((4, 3))
    ids = np.array([0, 2, 1, 2])
    cost, delta, a = get_loss("cross_entropy").fused(z, ids)
    expected_a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a, expected_a)
    np.testing.assert_allclose(delta, (expected_a - one_hot(ids, 3)) / 4)
    assert cost == pytest.approx(-np.log(expected_a[np.arange(4), ids]).mean())


def test_sigmoid_binary_cross_entropy_fused_gradient(rng):
    z = rng.standard_normal((4, 2))
    y = rng.integers(0, 2, (4, 2)).astype(float)
    cost, delta, a = get_loss("binary_cross_entropy").fused(z, y)
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(delta, (a - y) / 4)
    assert cost == pytest.approx(get_loss("binary_cross_entropy").value(a, y))


def test_one_hot_and_class_ids_give_the_same_fused_result(rng):
    z = rng.standard_normal((5, 4))
    ids = rng.integers(0, 4, 5)
    ce = get_loss("cross_entropy")
    cost_ids, delta_ids, _ = ce.fused(z, ids)
    cost_hot, delta_hot, _ = ce.fused(z, one_hot(ids, 4))
    assert cost_ids == pytest.approx(cost_hot, rel=1e-14)
    np.testing.assert_allclose(delta_ids, delta_hot, atol=1e-16)


@pytest.mark.parametrize("name", LOSSES.names())
def test_one_hot_and_class_ids_give_the_same_value_and_gradient(name, rng):
    a = probabilities(rng, (5, 4))
    ids = rng.integers(0, 4, 5)
    loss = get_loss(name)
    assert loss.value(a, ids) == loss.value(a, one_hot(ids, 4))
    np.testing.assert_array_equal(loss.gradient(a, ids), loss.gradient(a, one_hot(ids, 4)))


def test_fused_losses_survive_huge_logits():
    ce = get_loss("cross_entropy")
    cost, delta, _ = ce.fused(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 1]))
    assert cost == pytest.approx(500.0)
    np.testing.assert_allclose(delta, [[0.5, -0.5], [0.0, 0.0]])
    bce = get_loss("binary_cross_entropy")
    cost, delta, _ = bce.fused(np.array([[-1000.0], [1000.0]]), np.array([[1.0], [1.0]]))
    assert cost == pytest.approx(500.0)
    np.testing.assert_allclose(delta, [[-0.5], [0.0]])


def test_fused_value_agrees_with_the_unfused_value(rng):
    z = rng.standard_normal((6, 3))
    y = rng.integers(0, 3, 6)
    ce = get_loss("cross_entropy")
    assert ce.fused(z, y)[0] == pytest.approx(ce.value(softmax(z), y), rel=1e-12)
    bce = get_loss("binary_cross_entropy")
    assert bce.fused(z, y)[0] == pytest.approx(bce.value(sigmoid(z), y), rel=1e-12)


@pytest.mark.parametrize("name", ["mse", "quadratic", "binary_cross_entropy"])
def test_a_single_output_takes_one_dimensional_binary_targets(name):
    a = np.array([[0.2], [0.9], [0.6]])
    y = np.array([0, 1, 1])
    loss = get_loss(name)
    assert loss.value(a, y) == loss.value(a, y.reshape(-1, 1).astype(float))
    np.testing.assert_array_equal(loss.gradient(a, y), loss.gradient(a, y.reshape(-1, 1) * 1.0))


def test_bad_targets_raise():
    ce = get_loss("cross_entropy")
    a = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"class ids must lie in \[0, 2\]"):
        ce.value(a, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"class ids must lie in \[0, 2\]"):
        ce.fused(a, np.array([-1, 0]))
    with pytest.raises(ValueError, match="3 labels for a batch of 2"):
        ce.value(a, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="3 labels for a batch of 2"):
        ce.fused(a, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="integer class ids"):
        ce.value(a, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"targets of shape \(2, 2\) do not match"):
        ce.value(a, np.zeros((2, 2)))


def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'hinge'") as info:
        get_loss("hinge")
    for name in LOSSES.names():
        assert repr(name) in str(info.value)


def test_loss_aliases_and_configs():
    assert get_loss("bce").name == "binary_cross_entropy"
    assert get_loss("softmax_cross_entropy").name == "cross_entropy"
    assert get_loss(get_loss("mse").get_config()).name == "mse"
