"""Conv2D, MaxPool2D, AvgPool2D, Flatten, Reshape and BatchNorm: float64 gradient checks
(strided, padded, odd sizes, a batch of one), results computed the slow obvious way, shapes,
configs and clear errors."""

import numpy as np
import pytest

from barenet.nn import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    Reshape,
    Sequential,
    gradcheck,
)
from barenet.nn.layers import layer_from_config


def conv_by_loops(x, w, b, stride, pad):
    """The textbook definition, one output value at a time."""
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, h, wd, _ = x.shape
    k = w.shape[0]
    ho, wo = (h - k) // stride + 1, (wd - k) // stride + 1
    out = np.zeros((n, ho, wo, w.shape[3]))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, i * stride : i * stride + k, j * stride : j * stride + k, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


@pytest.mark.parametrize(
    ("batch", "size", "c_in", "c_out", "kernel", "stride", "padding"),
    [
        (2, 5, 1, 3, 3, 1, 0),
        (1, 7, 2, 3, 3, 2, 1),  # a batch of one, strided and padded, odd sizes
        (3, 6, 3, 2, 2, 2, 0),  # an even kernel
        (2, 5, 2, 2, 3, 1, "same"),
        (1, 9, 1, 2, 5, 3, 2),
    ],
)
def test_conv2d_matches_the_definition_and_passes_gradcheck(
    batch, size, c_in, c_out, kernel, stride, padding, rng
):
    layer = Conv2D(c_in, c_out, kernel, stride, padding, bias_init="normal", dtype="float64", rng=0)
    x = rng.standard_normal((batch, size, size + 1, c_in))  # not square either
    pad = layer.pad
    expected = conv_by_loops(x, layer.W.value, layer.b.value, stride, pad)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)
    assert layer.output_shape(x.shape[1:]) == expected.shape[1:]
    result = gradcheck(layer, x)
    assert result.checked == x.size + layer.W.value.size + c_out
    assert result.max_rel_error < 1e-6, str(result)


def test_conv2d_same_padding_keeps_the_image_size():
    assert Conv2D(1, 4, 5, padding="same").output_shape((28, 28, 1)) == (28, 28, 4)
    assert Conv2D(1, 4, 5).output_shape((28, 28, 1)) == (24, 24, 4)
    assert Conv2D(1, 4, 3, stride=2, padding=1).output_shape((28, 28, 1)) == (14, 14, 4)


def test_conv2d_inference_in_slices_gives_the_same_result(rng, monkeypatch):
    layer = Conv2D(2, 3, 3, padding=1, dtype="float64", rng=0)
    x = rng.standard_normal((7, 6, 6, 2))
    whole = layer.forward(x)
    monkeypatch.setattr("barenet.nn.conv._CHUNK_VALUES", 6 * 6 * 18 * 2)  # 2 images a slice
    np.testing.assert_array_equal(layer.forward(x), whole)


def test_conv2d_weights_use_the_kernels_fans():
    layer = Conv2D(8, 16, 5, init="he_uniform", rng=0)
    limit = np.sqrt(6 / (5 * 5 * 8))
    assert layer.W.shape == (5, 5, 8, 16)
    assert np.abs(layer.W.value).max() <= limit
    assert np.abs(layer.W.value).max() > 0.9 * limit


def pool_by_loops(x, k, s, fn):
    n, h, w, c = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j] = fn(x[:, i * s : i * s + k, j * s : j * s + k], axis=(1, 2))
    return out


@pytest.mark.parametrize(("pool", "fn"), [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
@pytest.mark.parametrize(
    ("batch", "h", "w", "size", "stride"), [(2, 4, 6, 2, None), (1, 5, 7, 2, None), (2, 7, 5, 3, 2)]
)
def test_pooling_matches_the_definition_and_passes_gradcheck(
    pool, fn, batch, h, w, size, stride, rng
):
    layer = pool(size, stride)
    x = rng.standard_normal((batch, h, w, 3))
    expected = pool_by_loops(x, size, stride or size, fn)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12)
    assert layer.output_shape(x.shape[1:]) == expected.shape[1:]
    result = gradcheck(layer, x)
    assert result.checked == x.size
    assert result.max_rel_error < 1e-6, str(result)


def test_max_pool_sends_a_tied_windows_gradient_to_its_first_maximum():
    layer = MaxPool2D(2)
    x = np.zeros((1, 2, 2, 1))
    layer.forward(x, training=True)
    grad = layer.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5, 4), (1, 3, 3, 4)])
def test_batchnorm_gradcheck_on_rows_and_images(shape, rng):
    layer = BatchNorm(4, dtype="float64")
    layer.gamma.value[...] = rng.standard_normal(4)
    layer.beta.value[...] = rng.standard_normal(4)
    x = rng.standard_normal(shape) * 3 + 1
    result = gradcheck(layer, x)
    assert result.checked == x.size + 8
    assert result.max_rel_error < 1e-6, str(result)


def test_batchnorm_normalises_in_training_and_uses_running_stats_in_inference(rng):
    layer = BatchNorm(3, momentum=0.5, dtype="float64")
    x = rng.standard_normal((50, 3)) * [1.0, 2.0, 3.0] + [5.0, -1.0, 0.0]
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(layer.forward(x), expected)
    assert set(layer.buffers()) == {"running_mean", "running_var"}


def test_flatten_and_reshape_are_inverse_views(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    flat = Flatten()
    rows = flat.forward(x, training=True)
    assert rows.shape == (2, 60) and np.shares_memory(rows, x)
    np.testing.assert_array_equal(flat.backward(rows), x)
    back = Reshape([3, 4, 5])
    np.testing.assert_array_equal(back.forward(rows, training=True), x)
    assert back.backward(x).shape == (2, 60)
    assert gradcheck(Reshape([4, 15]), rows).max_rel_error < 1e-6


@pytest.mark.parametrize(
    "layer",
    [
        Conv2D(3, 8, 5, stride=2, padding=2, init="he_normal"),
        Conv2D(3, 8, 5, padding="same"),
        MaxPool2D(3, 2),
        AvgPool2D(2),
        Flatten(),
        Reshape([28, 28, 1]),
        BatchNorm(7, momentum=0.2, eps=1e-3),
    ],
)
def test_new_layer_configs_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(config, rng=np.random.default_rng(0))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Conv2D(0, 3, 3), "in_channels must be a positive integer, got 0"),
        (lambda: Conv2D(1, 3, 4, padding="same"), "padding='same' needs stride 1 and an odd"),
        (lambda: Conv2D(1, 3, 3, padding=-1), "padding must be a non-negative integer or 'same'"),
        (lambda: MaxPool2D(0), "size must be a positive integer"),
        (lambda: Reshape("28x28"), "reshape needs a shape like"),
        (lambda: BatchNorm(3, momentum=0), "momentum must be a number in"),
    ],
)
def test_bad_layer_arguments_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        (
            [Conv2D(3, 4, 3), Flatten(), Dense(4, 2)],
            (5, 5, 1),
            r"layer 1: Conv2D\(3, 4, 3\) expects images of shape \(height, width, 3\)",
        ),
        (
            [Conv2D(1, 4, 7), Flatten(), Dense(4, 2)],
            (5, 5, 1),
            r"layer 1: .* at least 7×7 pixels, got 5×5",
        ),
        (
            [Conv2D(1, 4, 3), Dense(36, 2)],
            (5, 5, 1),
            r"layer 2: Dense\(36, 2\) expects input of shape \(36,\), got \(3, 3, 4\); put a",
        ),
        ([Dense(784, 4), MaxPool2D(2)], (784,), r"layer 2: MaxPool2D\(2\) expects images"),
        (
            [Reshape([20, 20, 1]), Conv2D(1, 2, 3)],
            (784,),
            r"layer 1: Reshape\(\[20, 20, 1\]\) needs 400 values",
        ),
    ],
)
def test_a_chain_of_image_layers_that_does_not_fit_says_where(layers, input_shape, message):
    with pytest.raises(ValueError, match=message):
        Sequential(layers, input_shape=input_shape)


def test_a_conv_layer_rejects_the_wrong_input_at_run_time(rng):
    with pytest.raises(ValueError, match=r"expects input of shape \(batch, height, width, 2\)"):
        Conv2D(2, 3, 3).forward(rng.standard_normal((1, 5, 5, 3)))


def test_layers_without_parameters_still_need_one_layer_that_has_some():
    with pytest.raises(ValueError, match="at least one layer with parameters"):
        Sequential([Flatten(), Activation("relu")], input_shape=(4, 4, 1))
