"""barenet.export: every layer kind and activation becomes ONNX that onnx.checker accepts
and onnxruntime runs to barenet's own probabilities; the file is written atomically."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx
import onnxruntime as ort

from barenet.export import CONVERTERS, build, check_with_onnxruntime, to_onnx
from barenet.export.onnx import ACTIVATIONS as EXPORTED_ACTIVATIONS
from barenet.nn import Dense, Layer, Sequential
from barenet.nn.activations import ACTIVATIONS
from barenet.nn.layers import LAYERS
from barenet.train import Model


def run(path, x, output="probabilities"):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run([output], {"input": x})[0]


def test_every_layer_and_activation_of_the_engine_has_a_converter():
    assert set(CONVERTERS) == set(LAYERS.names())
    assert set(EXPORTED_ACTIVATIONS) == set(ACTIVATIONS.names())


@pytest.mark.parametrize(
    "hidden",
    ["sigmoid", "relu", {"name": "leaky_relu", "alpha": 0.2}, "tanh", "identity", "softmax"],
)
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity", "tanh"])
@pytest.mark.parametrize("width", [10, 1])
def test_onnxruntime_gives_barenets_probabilities(tmp_path, hidden, output, width):
    model = Sequential.from_sizes(
        [20, 16, 8, width],
        activation=hidden,
        output_activation=output,
        init="xavier_normal",
        bias_init={"name": "normal", "std": 0.5},
        dropout=0.3,
        seed=0,
    )
    x = np.random.default_rng(1).random((300, 20), dtype=np.float32)
    path = to_onnx(model, tmp_path / "m.onnx")
    onnx.checker.check_model(onnx.load(path), full_check=True)
    if model.is_classifier():
        theirs, ours = run(path, x), model.predict_proba(x)
    else:  # one unbounded output: a regression, whose values are the output
        theirs, ours = run(path, x, "values"), model.infer(x)
    assert theirs.shape == ours.shape == (300, 2 if (output, width) == ("sigmoid", 1) else width)
    assert np.max(np.abs(theirs - ours)) < 1e-5
    assert check_with_onnxruntime(model, path, x) == (pytest.approx(0, abs=1e-5), 1.0)


def test_dropout_is_the_identity_and_metadata_travels(tmp_path):
    model = Model.from_sizes([4, 3, 2], activation="relu", output_activation="softmax", dropout=0.5)
    model.metadata["class_names"] = ["cat", "dog"]
    path = model.to_onnx(tmp_path / "m.onnx", preprocessing={"scale": "pixel / 255"})
    proto = onnx.load(path)
    ops = [node.op_type for node in proto.graph.node]
    assert ops == ["Gemm", "Relu", "Identity", "Gemm", "Softmax", "Identity"]
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["class_names"]) == ["cat", "dog"]
    assert json.loads(props["preprocessing"]) == {"scale": "pixel / 255"}
    assert json.loads(props["input"]) == {"shape": [4], "range": [0, 1], "preprocessing": "mnist"}
    assert proto.opset_import[0].version == 17
    inp = proto.graph.input[0].type.tensor_type
    assert inp.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in inp.shape.dim] == ["N", 4]


def test_a_float64_network_exports_as_double(tmp_path):
    model = Sequential.from_sizes([5, 4, 3], output_activation="softmax", dtype="float64")
    x = np.random.default_rng(0).random((50, 5))
    np.testing.assert_allclose(run(to_onnx(model, tmp_path / "d.onnx"), x), model.predict_proba(x))


class Mystery(Layer):
    def forward(self, x, training=False):
        return x

    def get_config(self):
        return {"type": "mystery"}


def test_a_layer_without_converter_is_named_and_nothing_is_written(tmp_path):
    model = Sequential([Dense(3, 2), Mystery()])
    out = tmp_path / "m.onnx"
    out.write_bytes(b"previous")
    with pytest.raises(ValueError, match=r"layer 2 .* no converter for 'mystery'.*supported: "):
        to_onnx(model, out)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temporary left


def test_bad_arguments(tmp_path):
    model = Sequential.from_sizes([3, 2], output_activation="softmax")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        to_onnx(model, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        to_onnx(model, tmp_path / "nowhere" / "m.onnx")
    with pytest.raises(TypeError, match="expected a barenet network"):
        build("not a model")
    model.metadata["class_names"] = ["a", "b", "c"]
    with pytest.raises(ValueError, match="3 class names for 2 outputs"):
        build(model)


def test_without_the_onnx_package_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # what `import onnx` meets when absent
    model = Sequential.from_sizes([3, 2], output_activation="softmax")
    with pytest.raises(ImportError, match=r"pip install 'barenet\[onnx\]'"):
        to_onnx(model, tmp_path / "m.onnx")


def test_a_conv_net_exports_with_every_image_layer(tmp_path):
    spec = [
        {"type": "conv2d", "out": 4, "kernel": 3, "padding": "same", "activation": "relu"},
        {"type": "batchnorm"},
        {"type": "maxpool2d", "size": 2},
        {"type": "conv2d", "out": 6, "kernel": 3, "stride": 2, "padding": 1, "activation": "tanh"},
        {"type": "avgpool2d", "size": 2, "stride": 1},
        {"type": "reshape", "shape": [36, 6]},
        {"type": "flatten"},
        {"type": "dense", "out": 10, "activation": "softmax"},
    ]
    model = Sequential.from_spec(spec, input_shape=(28, 28, 1), seed=0)
    rng = np.random.default_rng(2)
    norm = next(layer for layer in model.layers if type(layer).__name__ == "BatchNorm")
    norm.running_mean[...] = rng.normal(size=4)
    norm.running_var[...] = rng.uniform(0.5, 2.0, size=4)
    norm.gamma.value[...] = rng.normal(size=4)
    x = rng.random((200, 784), dtype=np.float32)
    path = to_onnx(model, tmp_path / "cnn.onnx")
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    ops = {node.op_type for node in proto.graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "Flatten", "Reshape", "Transpose"} <= ops
    assert json.loads({p.key: p.value for p in proto.metadata_props}["input"])["shape"] == [
        28,
        28,
        1,
    ]
    theirs, ours = run(path, x), model.predict_proba(x)
    assert theirs.shape == (200, 10)
    assert np.max(np.abs(theirs - ours)) < 1e-5
    np.testing.assert_array_equal(np.argmax(theirs, axis=1), np.argmax(ours, axis=1))
