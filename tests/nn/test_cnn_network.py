"""A convolutional Sequential: typed specs, shapes through the chain, flat rows reshaped once,
configs, buffers in the state, gradients of the whole network and a small batch overfit."""

import numpy as np
import pytest

from barenet.nn import (
    Activation,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Sequential,
    gradcheck,
)
from barenet.nn.optim import get_optimizer

SPEC = [
    {"type": "conv2d", "out": 4, "kernel": 3, "activation": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "out": 6, "kernel": 3, "padding": "same"},
    {"type": "batchnorm", "activation": "relu"},
    {"type": "avgpool2d", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "out": 8, "activation": "tanh", "dropout": 0.25},
    {"type": "dense", "out": 3, "activation": "softmax"},
]


def test_a_typed_spec_builds_the_layers_with_sizes_from_the_input_shape():
    model = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), seed=0)
    conv1, conv2 = (layer for layer in model.layers if isinstance(layer, Conv2D))
    assert (conv1.in_channels, conv1.out_channels, conv2.in_channels) == (1, 4, 4)
    assert model.shapes[0] == (8, 8, 4) and model.shapes[2] == (4, 4, 4)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert dense[0].in_features == 2 * 2 * 6
    assert sum(isinstance(layer, Dropout) for layer in model.layers) == 1
    assert model.input_shape == (10, 10, 1) and model.in_features == 100
    assert model.output_shape == (3,) and model.out_features == 3
    assert "(batch, 4, 4, 4)" in model.summary()


def test_flat_rows_and_images_give_the_same_output(rng):
    model = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), seed=0)
    images = rng.random((5, 10, 10, 1), dtype=np.float32)
    np.testing.assert_array_equal(
        model.predict_proba(images.reshape(5, 100)), model.predict_proba(images)
    )
    with pytest.raises(
        ValueError, match=r"input must have shape \(batch, 100\) or \(batch, 10, 10, 1\)"
    ):
        model.predict(rng.random((5, 99)))


def test_config_round_trip_keeps_the_input_shape():
    model = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), seed=0)
    config = model.get_config()
    assert config["input_shape"] == [10, 10, 1]
    rebuilt = Sequential.from_config(config, seed=0)
    assert rebuilt.get_config() == config
    for a, b in zip(rebuilt.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value)


def test_state_dict_holds_the_buffers(rng):
    model = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), seed=0)
    model.backprop(rng.random((4, 100)), np.array([0, 1, 2, 0]), "cross_entropy")
    state = model.state_dict()
    assert {"4.running_mean", "4.running_var"} <= set(state)
    other = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), seed=1)
    other.load_state_dict(state)
    bn = next(layer for layer in other.layers if isinstance(layer, BatchNorm))
    np.testing.assert_array_equal(bn.running_var, state["4.running_var"])


def test_gradcheck_a_whole_cnn(rng):
    model = Sequential.from_spec(SPEC, input_shape=(10, 10, 1), dtype="float64", seed=0)
    x = rng.random((3, 100))
    result = gradcheck(model, x, np.array([0, 2, 1]), loss="cross_entropy")
    assert result.checked == model.n_params
    assert result.max_rel_error < 1e-5, str(result)


def test_a_tiny_conv_net_overfits_a_small_batch(rng):
    model = Sequential(
        [
            Conv2D(1, 8, 3, init="he_normal", rng=0),
            MaxPool2D(2),
            Flatten(),
            Dense(8 * 3 * 3, 4, rng=0),
            Activation("softmax"),
        ],
        input_shape=(8, 8, 1),
    )
    x = rng.random((16, 64), dtype=np.float32)
    y = np.arange(16) % 4
    opt = get_optimizer({"name": "adam", "lr": 0.01}, model.parameters())
    first = model.backprop(x, y, "cross_entropy")
    for _ in range(300):
        cost = model.backprop(x, y, "cross_entropy")
        opt.step()
    assert first > 1.0 and cost < 0.01
    assert np.all(model.predict(x) == y)


@pytest.mark.parametrize(
    ("spec", "input_shape", "message"),
    [
        ([{"type": "conv2d", "out": 4, "kernel": 3}], None, "give input_shape"),
        (
            [{"type": "conv2d", "out": 4}],
            (8, 8, 1),
            r"layer 1 of the spec \(conv2d\) is missing 'kernel'",
        ),
        ([{"type": "conv3d", "out": 4}], (8, 8, 1), "unknown type 'conv3d'; valid types are"),
        (
            [{"type": "conv2d", "out": 4, "kernel": 3, "size": 2}],
            (8, 8, 1),
            r"unknown keys \['size'\]",
        ),
        ([{"type": "dense", "out": 4}], (8, 8, 1), "dense needs rows, got shape"),
        ([{"type": "conv2d", "out": 4, "kernel": 3}], (784,), "conv2d needs images"),
        ([{"type": "conv2d", "out": 4, "kernel": 9}], (8, 8, 1), "at least 9×9 pixels"),
        ([{"type": "dense", "in": 5, "out": 4}], (6,), "layer 1 expects in=5 but its input has 6"),
        ([{"type": "reshape", "shape": [5, 5, 1]}], (784,), "needs 25 values per example, got 784"),
    ],
)
def test_bad_typed_specs_say_what_is_wrong(spec, input_shape, message):
    with pytest.raises(ValueError, match=message):
        Sequential.from_spec(spec, input_shape=input_shape)


def test_old_and_typed_entries_mix_and_old_specs_are_unchanged():
    old = [
        {"in": 784, "out": 16, "activation": "relu"},
        {"in": 16, "out": 10, "activation": "sigmoid"},
    ]
    model = Sequential.from_spec(old, seed=0)
    assert model.input_shape == (784,)
    typed = Sequential.from_spec(
        [
            {"type": "dense", "out": 16, "activation": "relu"},
            {"type": "dense", "out": 10, "activation": "sigmoid"},
        ],
        input_shape=(784,),
        seed=0,
    )
    assert typed.get_config() == model.get_config()
    for a, b in zip(typed.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value)
