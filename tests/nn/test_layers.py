"""Layers: Dense, Activation, Dropout; their backward passes, validation and configs."""

import numpy as np
import pytest

from barenet.nn import Activation, Dense, Dropout, gradcheck
from barenet.nn.layers import layer_from_config


def test_gradcheck_dense(rng):
    layer = Dense(5, 3, init="standard_normal", bias_init="standard_normal", dtype="float64", rng=0)
    result = gradcheck(layer, rng.standard_normal((4, 5)))
    assert result.checked == 4 * 5 + 5 * 3 + 3
    assert result.max_rel_error < 1e-6, str(result)


def test_dense_backward_is_bp2_to_bp4_by_hand(rng):
    layer = Dense(3, 2, dtype="float64", rng=0)
    x = rng.standard_normal((4, 3))
    delta = rng.standard_normal((4, 2))
    z = layer.forward(x, training=True)
    np.testing.assert_allclose(z, x @ layer.W.value + layer.b.value)
    grad_x = layer.backward(delta)
    np.testing.assert_allclose(layer.W.grad, x.T @ delta)  # BP4
    np.testing.assert_allclose(layer.b.grad, delta.sum(axis=0))  # BP3
    np.testing.assert_allclose(grad_x, delta @ layer.W.value.T)  # BP2, before ⊙ σ'(z)


def test_gradcheck_dropout_with_a_fixed_mask(rng):
    layer = Dropout(0.5, rng=3)
    x = rng.standard_normal((6, 5))
    out = layer.forward(x, training=True)
    dropped = out == 0
    assert dropped.any() and not dropped.all()  # the mask really drops some units
    result = gradcheck(layer, x)
    assert result.checked == x.size
    assert result.max_rel_error < 1e-6, str(result)


def test_dropout_is_inverted_and_only_active_in_training(rng):
    x = rng.uniform(1, 2, (200, 50))
    layer = Dropout(0.25, rng=0)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    out = layer.forward(x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_allclose(grad, kept / 0.75)  # the same mask on the way back


def test_dropout_backward_after_inference_is_the_identity(rng):
    layer = Dropout(0.5, rng=0)
    g = rng.standard_normal((2, 3))
    layer.forward(g, training=False)
    np.testing.assert_array_equal(layer.backward(g), g)


def test_dropout_zero_is_the_identity(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(Dropout(0.0).forward(x, training=True), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_the_dtype(dtype, rng):
    x = rng.standard_normal((3, 4)).astype(dtype)
    assert Dropout(0.5, rng=0).forward(x, training=True).dtype == dtype


def test_dropout_masks_follow_the_seed(rng):
    x = rng.standard_normal((5, 6))
    a = Dropout(0.5, rng=7).forward(x, training=True)
    b = Dropout(0.5, rng=7).forward(x, training=True)
    c = Dropout(0.5, rng=8).forward(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), "0.5"])
def test_dropout_rejects_a_bad_p(p):
    with pytest.raises(ValueError, match="dropout p must be a number in"):
        Dropout(p)


def test_gradcheck_activation_layers(rng):
    x = rng.standard_normal((3, 4))
    for name in ("sigmoid", "tanh", "softmax"):
        assert gradcheck(Activation(name), x).max_rel_error < 1e-6


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4", None])
@pytest.mark.parametrize("which", ["in_features", "out_features"])
def test_dense_rejects_non_positive_sizes(bad, which):
    kwargs = {"in_features": 4, "out_features": 2, which: bad}
    with pytest.raises(ValueError, match=f"{which} must be a positive integer, got {bad!r}"):
        Dense(**kwargs)


def test_dense_rejects_the_wrong_input_width():
    layer = Dense(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"Dense\(4, 2\) expects input of shape \(batch, 4\)"):
        layer.forward(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="expects input of shape"):
        layer.forward(np.zeros(4, np.float32))


def test_backward_before_a_training_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Dense(2, 2, rng=0).backward(np.zeros((1, 2), np.float32))
    with pytest.raises(RuntimeError, match="before forward"):
        Activation("relu").backward(np.zeros((1, 2)))


def test_dense_dtype_is_float32_by_default_and_float64_on_request():
    layer = Dense(3, 2, rng=0)
    assert layer.W.value.dtype == np.float32 and layer.b.value.dtype == np.float32
    assert layer.W.grad.dtype == np.float32
    wide = Dense(3, 2, dtype="float64", rng=0)
    assert wide.W.value.dtype == np.float64 and wide.b.grad.dtype == np.float64
    np.testing.assert_allclose(wide.W.value, layer.W.value, rtol=1e-6)
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'int32'"):
        Dense(3, 2, dtype="int32")
    with pytest.raises(ValueError, match="dtype must be"):
        Dense(3, 2, dtype="float16")


def test_dense_weights_follow_the_seed():
    a, b, c = Dense(4, 3, rng=1), Dense(4, 3, rng=1), Dense(4, 3, rng=2)
    np.testing.assert_array_equal(a.W.value, b.W.value)
    assert not np.array_equal(a.W.value, c.W.value)
    np.testing.assert_array_equal(a.b.value, 0)  # default bias init: zeros
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        Dense(4, 3, rng="1")


def test_dense_biases_do_not_decay():
    layer = Dense(2, 2, rng=0)
    assert layer.W.decay and not layer.b.decay
    assert [p.name for p in layer.parameters()] == ["W", "b"]


def test_unknown_init_in_a_layer_lists_the_valid_names():
    with pytest.raises(
        ValueError, match=r"unknown initializer 'uniform'; valid names are .*'zeros'"
    ):
        Dense(2, 2, init="uniform")


@pytest.mark.parametrize(
    "layer",
    [
        Dense(3, 2, init={"name": "normal", "std": 0.5}, bias_init="standard_normal", rng=0),
        Activation({"name": "leaky_relu", "alpha": 0.3}),
        Dropout(0.2),
    ],
    ids=["dense", "activation", "dropout"],
)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(config, rng=np.random.default_rng(0))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config


def test_dense_from_config_draws_the_same_weights_with_the_same_generator():
    layer = Dense(3, 2, init="he_normal", dtype="float64", rng=5)
    rebuilt = layer_from_config(layer.get_config(), dtype="float64", rng=np.random.default_rng(5))
    np.testing.assert_array_equal(rebuilt.W.value, layer.W.value)


def test_bad_layer_configs():
    with pytest.raises(ValueError, match="unknown layer 'conv'; valid names are"):
        layer_from_config({"type": "conv"})
    with pytest.raises(ValueError, match="'type' key"):
        layer_from_config({"in_features": 3})
    with pytest.raises(ValueError, match="bad dense layer config"):
        layer_from_config({"type": "dense", "in_features": 3})
