"""Sequential: backprop, constructors, learning, configs, validation, summary."""

import json

import numpy as np
import pytest

from barenet.nn import (
    SGD,
    Activation,
    Adam,
    Dense,
    Dropout,
    Sequential,
    get_activation,
    get_loss,
    gradcheck,
)
from barenet.nn.gradcheck import numeric_gradient

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([0, 1, 1, 0])


def three_layers(hidden="tanh", output="softmax", dropout=0.0, seed=0):
    return Sequential.from_sizes(
        [4, 6, 5, 3],
        activation=hidden,
        output_activation=output,
        init="xavier_normal",
        bias_init={"name": "normal", "std": 0.5},
        dropout=dropout,
        dtype="float64",
        seed=seed,
    )


@pytest.mark.parametrize(
    ("hidden", "output", "loss"),
    [
        ("tanh", "softmax", "cross_entropy"),  # fused: δᴸ = (softmax − y)/B
        ("sigmoid", "sigmoid", "binary_cross_entropy"),  # fused: δᴸ = (σ − y)/B
        ("relu", "identity", "mse"),
        ("leaky_relu", "sigmoid", "quadratic"),  # seed 000's cost: BP1 with σ'(zᴸ)
        ("tanh", "softmax", "mse"),  # BP1 through the softmax Jacobian
        ("sigmoid", "tanh", "mse"),
    ],
)
def test_gradcheck_three_layer_network(hidden, output, loss, rng):
    model = three_layers(hidden, output)
    x = rng.standard_normal((5, 4))
    result = gradcheck(model, x, rng.integers(0, 3, 5), loss=loss)
    assert result.checked == model.n_params == 4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3
    assert result.max_rel_error < 1e-6, str(result)


def test_gradcheck_network_with_dropout(rng):
    model = three_layers(dropout=0.3)
    assert sum(isinstance(layer, Dropout) for layer in model.layers) == 2
    x = rng.standard_normal((6, 4))
    result = gradcheck(model, x, rng.integers(0, 3, 6), loss="cross_entropy")
    assert result.max_rel_error < 1e-6, str(result)


def test_backward_returns_the_input_gradient(rng):
    model = three_layers("tanh", "sigmoid")
    x, r = rng.standard_normal((3, 4)), rng.standard_normal((3, 3))
    model.forward(x, training=True)
    grad_x = model.backward(r)
    numeric = numeric_gradient(lambda: float(np.sum(model.forward(x) * r)), x)
    np.testing.assert_allclose(grad_x, numeric, rtol=1e-6, atol=1e-9)


def test_backprop_returns_the_cost_and_fills_every_grad(rng):
    model = three_layers("relu", "softmax")
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    for p in model.parameters():
        p.grad.fill(np.nan)
    cost = model.backprop(x, y, "cross_entropy")
    assert cost == pytest.approx(get_loss("cross_entropy").value(model.forward(x), y), rel=1e-12)
    assert all(np.all(np.isfinite(p.grad)) for p in model.parameters())


def test_fused_and_unfused_output_errors_agree(rng):
    fused = three_layers("relu", "softmax")
    # The same network with the softmax moved into a layer the loss cannot fuse with.
    unfused = three_layers("relu", "softmax")
    unfused.layers.append(Activation("identity"))
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    assert fused.backprop(x, y, "cross_entropy") == pytest.approx(
        unfused.backprop(x, y, "cross_entropy"), rel=1e-12
    )
    for p, q in zip(fused.parameters(), unfused.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-8, atol=1e-14)


def test_backprop_by_hand_for_a_two_layer_sigmoid_network(rng):
    """The four equations written out, against ``backprop``."""
    model = Sequential.from_sizes([3, 4, 2], dtype="float64", seed=1)
    (w1, b1), (w2, b2) = [(d.W.value, d.b.value) for d in model.layers[::2]]
    x, y = rng.standard_normal((5, 3)), rng.uniform(0, 1, (5, 2))
    z1 = x @ w1 + b1
    a1 = 1 / (1 + np.exp(-z1))
    z2 = a1 @ w2 + b2
    a2 = 1 / (1 + np.exp(-z2))
    delta2 = (a2 - y) / 5 * a2 * (1 - a2)  # BP1, quadratic cost ½‖a − y‖² averaged
    delta1 = (delta2 @ w2.T) * a1 * (1 - a1)  # BP2
    model.backprop(x, y, "quadratic")
    np.testing.assert_allclose(model.layers[2].b.grad, delta2.sum(axis=0))  # BP3
    np.testing.assert_allclose(model.layers[2].W.grad, a1.T @ delta2)  # BP4
    np.testing.assert_allclose(model.layers[0].b.grad, delta1.sum(axis=0))
    np.testing.assert_allclose(model.layers[0].W.grad, x.T @ delta1)


def test_a_tiny_batch_is_overfit_to_near_zero_loss(rng):
    x = rng.standard_normal((8, 5)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    model = Sequential.from_sizes(
        [5, 32, 3], activation="relu", output_activation="softmax", init="he_normal", seed=0
    )
    optimizer = Adam(model.parameters(), lr=0.01)
    first = model.backprop(x, y, "cross_entropy")
    for _ in range(300):
        cost = model.backprop(x, y, "cross_entropy")
        optimizer.step()
    assert first > 0.5
    assert cost < 1e-3
    np.testing.assert_array_equal(model.predict(x), y)


def test_xor_is_learned_by_a_2_4_1_network():
    model = Sequential.from_sizes(
        [2, 4, 1], activation="tanh", output_activation="sigmoid", init="xavier_uniform", seed=0
    )
    assert [repr(layer) for layer in model.layers if isinstance(layer, Dense)] == [
        "Dense(2, 4)",
        "Dense(4, 1)",
    ]
    optimizer = SGD(model.parameters(), lr=2.0, momentum=0.9)
    x = XOR_X.astype(np.float32)
    for _ in range(1000):
        cost = model.backprop(x, XOR_Y, "binary_cross_entropy")
        optimizer.step()
    assert cost < 0.05
    out = model.forward(x).ravel()
    assert np.all(out[[1, 2]] > 0.9) and np.all(out[[0, 3]] < 0.1)
    np.testing.assert_array_equal(model.predict(x), XOR_Y)


def test_from_sizes_and_from_spec_build_the_same_network(rng):
    by_sizes = Sequential.from_sizes(
        [6, 5, 4], activation="relu", output_activation="sigmoid", init="he_uniform", seed=3
    )
    by_spec = Sequential.from_spec(
        [
            {"in": 6, "out": 5, "activation": "relu"},
            {"in": 5, "out": 4, "activation": "sigmoid"},
        ],
        init="he_uniform",
        seed=3,
    )
    assert type(by_sizes) is type(by_spec) is Sequential
    assert by_sizes.get_config() == by_spec.get_config()
    x = rng.standard_normal((10, 6)).astype(np.float32)
    np.testing.assert_array_equal(by_sizes.forward(x), by_spec.forward(x))
    other_seed = Sequential.from_sizes(
        [6, 5, 4], activation="relu", output_activation="sigmoid", init="he_uniform", seed=4
    )
    assert not np.array_equal(other_seed.forward(x), by_spec.forward(x))


def test_seed_001s_spec_as_written():
    model = Sequential.from_spec(
        [
            {"in": 784, "out": 16, "activation": "relu"},
            {"in": 16, "out": 10, "activation": "sigmoid"},
        ],
        init={"name": "normal", "std": 0.1},
        seed=0,
    )
    w, b = model.layers[0].W.value, model.layers[0].b.value
    assert w.shape == (784, 16) and w.dtype == np.float32
    assert w.std() == pytest.approx(0.1, rel=0.05)
    assert b.std() > 0.05  # seed 001 draws its biases from the same N(0, 0.1²)
    assert model.n_params == 784 * 16 + 16 + 16 * 10 + 10


def test_seed_000s_defaults():
    model = Sequential.from_sizes([784, 30, 10], seed=0)
    assert [layer.name for layer in model.layers if isinstance(layer, Activation)] == [
        "sigmoid",
        "sigmoid",
    ]
    d = model.layers[0]
    assert d.init.name == "standard_normal" and d.bias_init.name == "standard_normal"


def test_float32_by_default_float64_on_request(rng):
    x = rng.standard_normal((3, 4))
    default = three_layers().astype("float32")
    assert default.dtype == np.float32
    assert Sequential.from_sizes([4, 3], seed=0).dtype == np.float32
    wide = Sequential.from_sizes([4, 5, 3], dtype="float64", seed=0)
    assert wide.dtype == np.float64
    assert all(p.value.dtype == np.float64 == p.grad.dtype for p in wide.parameters())
    assert wide.forward(x).dtype == np.float64
    narrow = wide.astype("float32")
    assert narrow.forward(x.astype(np.float32)).dtype == np.float32
    assert wide.layers[0].W.value.dtype == np.float64  # astype returns a copy
    np.testing.assert_allclose(narrow.predict_proba(x), wide.predict_proba(x), rtol=1e-5)


def test_backprop_works_in_the_network_dtype(rng):
    model = Sequential.from_sizes([4, 3], seed=0)
    model.backprop(rng.standard_normal((2, 4)), np.array([0, 2]), "mse")  # float64 input
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert model.forward(rng.standard_normal((2, 4))).dtype == np.float32
    assert model.forward(np.ones((2, 4), np.uint8)).dtype == np.float32


def test_predict_and_predict_proba(rng):
    x = rng.standard_normal((6, 4))
    softmax_out = three_layers("relu", "softmax")
    p = softmax_out.predict_proba(x)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(softmax_out.predict(x), np.argmax(softmax_out.forward(x), 1))
    for output in ("sigmoid", "identity", "relu"):
        model = three_layers("relu", output)
        p = model.predict_proba(x)
        assert p.shape == (6, 3)
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
        np.testing.assert_array_equal(model.predict(x), np.argmax(model.forward(x), axis=1))
    assert softmax_out.predict_proba(x[:0]).shape == (0, 3)
    np.testing.assert_allclose(softmax_out.predict_proba(x, batch_size=4), softmax_out(x))


def test_a_single_sigmoid_output_is_a_binary_classifier():
    model = Sequential.from_sizes([2, 1], seed=0, dtype="float64")
    p = model.predict_proba(XOR_X)
    a = model.forward(XOR_X)
    np.testing.assert_allclose(p, np.hstack([1 - a, a]))
    np.testing.assert_array_equal(model.predict(XOR_X), (a[:, 0] > 0.5).astype(int))


def test_inference_ignores_dropout_and_training_uses_it(rng):
    model = three_layers(dropout=0.5)
    x = rng.standard_normal((20, 4))
    np.testing.assert_array_equal(model.forward(x), model.forward(x))
    assert not np.allclose(model.forward(x, training=True), model.forward(x))


@pytest.mark.parametrize("call", ["forward", "predict", "predict_proba", "backprop"])
def test_wrong_input_width_raises(call):
    model = Sequential.from_sizes([4, 3], seed=0)
    x = np.zeros((2, 5), np.float32)
    method = getattr(model, call)
    with pytest.raises(ValueError, match=r"shape \(batch, 4\)"):
        method(x, np.array([0, 1]), "mse") if call == "backprop" else method(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("call", ["predict", "predict_proba"])
def test_non_finite_input_raises(bad, call):
    model = Sequential.from_sizes([4, 3], seed=0)
    x = np.zeros((2, 4), np.float32)
    x[1, 2] = bad
    with pytest.raises(ValueError, match="input contains NaN or infinite values"):
        getattr(model, call)(x)


def test_input_must_be_an_array():
    with pytest.raises(TypeError, match="input must be a numpy array, got list"):
        Sequential.from_sizes([2, 1], seed=0).predict([[0.0, 1.0]])


@pytest.mark.parametrize(
    ("sizes", "error", "message"),
    [
        ([784, 0, 10], ValueError, r"sizes must be positive integers, got \[784, 0, 10\]"),
        ([784, -30, 10], ValueError, "sizes must be positive integers"),
        ([784, 2.5, 10], ValueError, "sizes must be positive integers"),
        ([784], ValueError, "at least an input and an output width"),
        ("784,10", TypeError, "sizes must be a list of layer widths"),
    ],
)
def test_bad_sizes_raise(sizes, error, message):
    with pytest.raises(error, match=message):
        Sequential.from_sizes(sizes)


def test_a_chain_that_does_not_fit_says_where():
    spec = [
        {"in": 784, "out": 32, "activation": "relu"},
        {"in": 16, "out": 10, "activation": "sigmoid"},
    ]
    with pytest.raises(ValueError) as info:
        Sequential.from_spec(spec)
    assert str(info.value) == "layer 2 expects in=16 but layer 1 gives out=32"
    # A list of layers is checked by passing the shape of one example through it.
    with pytest.raises(
        ValueError, match=r"^layer 3: Dense\(16, 10\) expects input of shape \(16,\), got \(32,\)$"
    ):
        Sequential([Dense(784, 32), Activation("relu"), Dense(16, 10)])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([{"in": 4, "out": 3}], "layer 1 of the spec is missing 'activation'"),
        (
            [{"in": 4, "out": 3, "activation": "relu"}, {"activation": "relu"}],
            "layer 2 of the spec is missing 'in', 'out'",
        ),
        ([{"in": 4, "out": 0, "activation": "relu"}], "layer 1 of the spec: 'out' must be a posit"),
        ([{"in": -4, "out": 3, "activation": "relu"}], "'in' must be a positive integer, got -4"),
        ([{"in": 4, "out": 3, "activation": "relu", "units": 3}], r"unknown keys \['units'\]"),
        ([{"in": 4, "out": 3, "activation": "gelu"}], "unknown activation 'gelu'; valid names"),
        ([{"in": 4, "out": 3, "activation": "relu", "init": "glorot"}], "unknown initializer"),
        ([], "non-empty list"),
        ({"in": 4, "out": 3, "activation": "relu"}, "non-empty list"),
        (["relu"], "layer 1 of the spec must be a dict"),
    ],
)
def test_bad_specs_raise(spec, message):
    with pytest.raises(ValueError, match=message):
        Sequential.from_spec(spec)


def test_bad_layer_lists_raise():
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential([])
    with pytest.raises(ValueError, match="at least one layer with parameters"):
        Sequential([Activation("relu")])
    with pytest.raises(TypeError, match="layer 2 is not a barenet Layer"):
        Sequential([Dense(2, 2), "relu"])
    with pytest.raises(ValueError, match="share one dtype"):
        Sequential([Dense(2, 2), Dense(2, 2, dtype="float64")])


def test_per_layer_options_in_a_spec():
    model = Sequential.from_spec(
        [
            {"in": 4, "out": 8, "activation": "relu", "init": "he_normal", "dropout": 0.2},
            {"in": 8, "out": 3, "activation": {"name": "leaky_relu", "alpha": 0.1}},
        ],
        seed=0,
    )
    assert [repr(layer) for layer in model.layers] == [
        "Dense(4, 8)",
        "Activation(ReLU())",
        "Dropout(p=0.2)",
        "Dense(8, 3)",
        "Activation(LeakyReLU(alpha=0.1))",
    ]
    assert model.layers[0].init.name == "he_normal"
    assert model.layers[3].init.name == "xavier_uniform"


def test_config_round_trip(rng):
    model = Sequential.from_spec(
        [
            {"in": 5, "out": 7, "activation": {"name": "leaky_relu", "alpha": 0.2}},
            {"in": 7, "out": 3, "activation": "softmax"},
        ],
        init={"name": "normal", "std": 0.3},
        dropout=0.25,
        dtype="float64",
        seed=11,
    )
    config = json.loads(json.dumps(model.get_config()))  # plain JSON all the way down
    assert config["dtype"] == "float64"
    rebuilt = Sequential.from_config(config, seed=11)
    assert rebuilt.get_config() == model.get_config()
    assert [repr(layer) for layer in rebuilt.layers] == [repr(layer) for layer in model.layers]
    x = rng.standard_normal((4, 5))
    np.testing.assert_array_equal(rebuilt.forward(x), model.forward(x))  # same seed, same draws
    with pytest.raises(ValueError, match="'layers' list"):
        Sequential.from_config({"dtype": "float32"})


def test_state_dict_round_trip(rng):
    model, other = three_layers(seed=0), three_layers(seed=1)
    x = rng.standard_normal((3, 4))
    assert not np.array_equal(model(x), other(x))
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(model(x), other(x))
    assert list(model.state_dict()) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]


def test_load_state_dict_rejects_what_does_not_fit():
    model = three_layers()
    state = model.state_dict()
    with pytest.raises(ValueError, match=r"missing \['4.b'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "4.b"})
    with pytest.raises(ValueError, match=r"0.W: expected shape \(4, 6\), got \(6, 4\)"):
        model.load_state_dict({**state, "0.W": state["0.W"].T})
    with pytest.raises(ValueError, match=r"2\.b contains NaN"):
        model.load_state_dict({**state, "2.b": np.full(5, np.nan)})


def test_summary_lists_layers_shapes_and_parameter_counts():
    model = Sequential.from_sizes(
        [784, 30, 10], activation="relu", output_activation="softmax", dropout=0.5, seed=0
    )
    text = model.summary()
    lines = text.splitlines()
    assert lines[0].split() == ["#", "layer", "output", "shape", "params"]
    assert lines[2].split() == ["0", "Dense(784,", "30)", "(batch,", "30)", "23,550"]
    assert lines[3].split() == ["1", "Activation(ReLU())", "(batch,", "30)", "0"]
    assert lines[4].split() == ["2", "Dropout(p=0.5)", "(batch,", "30)", "0"]
    assert lines[5].split() == ["3", "Dense(30,", "10)", "(batch,", "10)", "310"]
    assert lines[6].split() == ["4", "Activation(Softmax())", "(batch,", "10)", "0"]
    assert lines[-1] == "total parameters: 23,860  (dtype float32)"
    assert model.n_params == 23_860
    assert all(line == line.rstrip() for line in lines)


def test_activation_instances_work_in_a_spec():
    model = Sequential.from_spec([{"in": 2, "out": 2, "activation": get_activation("tanh")}])
    assert model.layers[1].name == "tanh"


def test_backprop_skips_only_the_input_gradient(rng):
    """backprop's first layer gets BP3 and BP4 alone; its gradients must equal those of
    the full backward pass, which also computes ∂C/∂x."""
    model = Sequential.from_sizes([6, 5, 4, 3], activation="tanh", dtype="float64", seed=0)
    x, y = rng.standard_normal((7, 6)), rng.integers(0, 3, 7)
    model.backprop(x, y, "mse")
    fast = [p.grad.copy() for p in model.parameters()]
    a = model.forward(x, training=True)
    model.backward(get_loss("mse").gradient(a, y))
    for p, g in zip(model.parameters(), fast, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12)


@pytest.mark.parametrize("copy_of", ["pickle", "deepcopy"])
def test_a_copied_network_keeps_its_packed_buffer(copy_of, rng):
    import copy
    import pickle

    from barenet.nn.parameter import packed

    net = three_layers(dropout=0.3)
    twin = pickle.loads(pickle.dumps(net)) if copy_of == "pickle" else copy.deepcopy(net)
    assert packed(twin.parameters()) is not None
    assert packed(net.parameters()) is not None  # the original is untouched
    assert len(SGD(twin.parameters(), lr=0.1)._groups()) == 1  # one whole-buffer step
    # Same values, not shared, and dropout still draws from the network's generator.
    for mine, theirs in zip(net.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(mine.value, theirs.value)
        assert not np.shares_memory(mine.value, theirs.value)
    dropouts = [layer for layer in twin.layers if isinstance(layer, Dropout)]
    assert dropouts and all(layer.rng is twin.rng for layer in dropouts)
    x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    for model in (net, twin):
        opt = SGD(model.parameters(), lr=0.1)
        model.backprop(x, y, "cross_entropy")
        opt.step()
    for mine, theirs in zip(net.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(mine.value, theirs.value)
