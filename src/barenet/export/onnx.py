"""A barenet network as an ONNX graph, built with the ``onnx`` package's helper API.

The graph takes what the network takes, float32 rows ``input`` of shape (N, 784) with values
in [0, 1] for the MNIST networks, and gives what ``Sequential.predict_proba`` gives,
``probabilities`` of shape (N, classes)::

    input ─ Gemm(W₁, b₁) ─ Relu ─ Identity (dropout) ─ Gemm(W₂, b₂) ─ Softmax ─ probabilities

Each layer kind has one converter in ``CONVERTERS``, keyed by the ``"type"`` of the layer's
config (the engine's registry name): adding a layer kind to the export is one function with
``@converter("name")``. The model's class names, preprocessing and input contract travel in
the ONNX ``metadata_props`` (JSON strings), so a consumer without barenet knows what the
outputs mean and how to make an input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from barenet._files import existing_file
from barenet._version import __version__
from barenet.errors import BarenetError
from barenet.io import atomic_write, input_contract, read_model
from barenet.nn import Activation, Layer, Sequential

OPSET = 17
"""ONNX operator set 17 (onnxruntime ≥ 1.13, onnxruntime-web, most converters read it)."""
IR_VERSION = 8
"""The ONNX file-format version that goes with opset 17."""

INPUT, OUTPUT, VALUES = "input", "probabilities", "values"
"""Graph input and outputs: a classifier gives ``probabilities``, a regression network (one
output unit that is not a sigmoid, ``Sequential.is_classifier``) its ``values``."""

Converter = Callable[[Layer, "Graph", str], str]
CONVERTERS: dict[str, Converter] = {}


def converter(kind: str) -> Callable[[Converter], Converter]:
    """Register the converter of the layers whose config has ``"type": kind``."""

    def register(fn: Converter) -> Converter:
        CONVERTERS[kind] = fn
        return fn

    return register


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "ONNX export needs the onnx package: pip install 'barenet[onnx]'"
        ) from None
    return onnx


class Graph:
    """The nodes and weights of the graph being built; names are made unique here."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.onnx = _onnx()
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value: Any, hint: str) -> str:
        """A weight or constant as a graph initializer, in the network's dtype."""
        name = self.name(hint)
        array = np.asarray(value, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def axes(self, axes: list[int]) -> str:
        """An int64 constant, e.g. the ``axes`` input of ReduceSum."""
        name = self.name("axes")
        array = np.asarray(axes, dtype=np.int64)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        """Add ``op(inputs)`` and return the name of its one output."""
        out = self.name(hint)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out


# ---------------------------------------------------------------------- converters
@converter("dense")
def _dense(layer: Layer, graph: Graph, x: str) -> str:
    """z = x W + b: one Gemm, W (in, out) as stored."""
    w = graph.constant(layer.W.value, "W")  # type: ignore[attr-defined]
    b = graph.constant(layer.b.value, "b")  # type: ignore[attr-defined]
    return graph.node("Gemm", [x, w, b], "dense")


def _sigmoid(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("Sigmoid", [x], "sigmoid")


def _relu(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("Relu", [x], "relu")


def _leaky_relu(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("LeakyRelu", [x], "leaky_relu", alpha=float(config["alpha"]))


def _tanh(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("Tanh", [x], "tanh")


def _softmax(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("Softmax", [x], "softmax", axis=-1)


def _identity(graph: Graph, x: str, config: dict[str, Any]) -> str:
    return graph.node("Identity", [x], "identity")


ACTIVATIONS: dict[str, Callable[[Graph, str, dict[str, Any]], str]] = {
    "sigmoid": _sigmoid,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "tanh": _tanh,
    "softmax": _softmax,
    "identity": _identity,
}
"""Every activation of ``barenet.nn.activations.ACTIVATIONS``, by name (a test checks)."""


@converter("activation")
def _activation(layer: Layer, graph: Graph, x: str) -> str:
    config = layer.get_config()["activation"]
    try:
        convert = ACTIVATIONS[config["name"]]
    except KeyError:
        raise BarenetError(
            f"cannot export activation {config['name']!r} to ONNX; "
            f"supported: {', '.join(sorted(ACTIVATIONS))}"
        ) from None
    return convert(graph, x, config)


@converter("dropout")
def _dropout(layer: Layer, graph: Graph, x: str) -> str:
    """Inverted dropout is the identity at inference time."""
    return graph.node("Identity", [x], "dropout")


# Images flow through barenet as NHWC (batch, height, width, channels); ONNX's Conv and pooling
# take NCHW, so each of them sits between two Transposes (onnxruntime cancels the pairs that
# meet). Flatten, Reshape and BatchNorm work on NHWC as barenet does.
def _nchw(graph: Graph, x: str, op: str, inputs: list[str], **attributes: Any) -> str:
    nchw = graph.node("Transpose", [x], "to_nchw", perm=[0, 3, 1, 2])
    y = graph.node(op, [nchw, *inputs], op.lower(), **attributes)
    return graph.node("Transpose", [y], "to_nhwc", perm=[0, 2, 3, 1])


@converter("conv2d")
def _conv2d(layer: Layer, graph: Graph, x: str) -> str:
    """Conv with W (k, k, C_in, C_out) reordered to ONNX's (C_out, C_in, k, k)."""
    w = graph.constant(layer.W.value.transpose(3, 2, 0, 1), "W")  # type: ignore[attr-defined]
    b = graph.constant(layer.b.value, "b")  # type: ignore[attr-defined]
    k, s, p = layer.kernel_size, layer.stride, layer.pad  # type: ignore[attr-defined]
    return _nchw(graph, x, "Conv", [w, b], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)


@converter("maxpool2d")
def _maxpool2d(layer: Layer, graph: Graph, x: str) -> str:
    k, s = layer.size, layer.stride  # type: ignore[attr-defined]
    return _nchw(graph, x, "MaxPool", [], kernel_shape=[k, k], strides=[s, s])


@converter("avgpool2d")
def _avgpool2d(layer: Layer, graph: Graph, x: str) -> str:
    k, s = layer.size, layer.stride  # type: ignore[attr-defined]
    return _nchw(graph, x, "AveragePool", [], kernel_shape=[k, k], strides=[s, s])


@converter("flatten")
def _flatten(layer: Layer, graph: Graph, x: str) -> str:
    return graph.node("Flatten", [x], "flatten", axis=1)


@converter("reshape")
def _reshape(layer: Layer, graph: Graph, x: str) -> str:
    shape = graph.axes([-1, *layer.shape])  # type: ignore[attr-defined]
    return graph.node("Reshape", [x, shape], "reshape")


@converter("batchnorm")
def _batchnorm(layer: Layer, graph: Graph, x: str) -> str:
    """Inference: (x − running mean) · γ/√(running var + ε) + β over the last axis, computed
    in the order BatchNorm.forward computes it."""
    inv_std = 1.0 / np.sqrt(layer.running_var + layer.eps)  # type: ignore[attr-defined]
    scale = inv_std * layer.gamma.value  # type: ignore[attr-defined]
    centred = graph.node("Sub", [x, graph.constant(layer.running_mean, "mean")], "centred")  # type: ignore[attr-defined]
    scaled = graph.node("Mul", [centred, graph.constant(scale, "scale")], "scaled")
    return graph.node("Add", [scaled, graph.constant(layer.beta.value, "beta")], "batchnorm")  # type: ignore[attr-defined]


def _probabilities(model: Sequential, graph: Graph, out: str) -> tuple[str, int]:
    """What ``Sequential.predict_proba`` does to the last layer's output: a softmax is
    returned as is; one sigmoid unit p becomes [1 − p, p]; several sigmoid units are
    divided by their row sum; anything else goes through a softmax. Returns the output's
    name and its number of columns."""
    last = model.layers[-1]
    name = last.name if isinstance(last, Activation) else "identity"
    k = model.out_features
    if name == "softmax":
        return out, k
    if name == "sigmoid" and k == 1:
        one = graph.constant(1.0, "one")
        return graph.node("Concat", [graph.node("Sub", [one, out], "not_p"), out], "pq", axis=1), 2
    if name == "sigmoid":
        total = graph.node("ReduceSum", [out, graph.axes([1])], "total", keepdims=1)
        tiny = graph.constant(np.finfo(graph.dtype).tiny, "tiny")
        floor = graph.node("Max", [total, tiny], "floor")
        return graph.node("Div", [out, floor], "normalised"), k
    return graph.node("Softmax", [out], "softmax", axis=-1), k


# ---------------------------------------------------------------------- the model
def build(model: Sequential, metadata: dict[str, Any] | None = None) -> Any:
    """The ``onnx.ModelProto`` of ``model``, checked by ``onnx.checker``.

    ``metadata`` (JSON-able values) is merged over ``model.metadata`` and stored, with the
    class names, the preprocessing and the input contract, in ``metadata_props``.
    """
    onnx = _onnx()
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a barenet network, got {type(model).__name__}")
    graph = Graph(model.dtype)
    out = INPUT
    if len(model.input_shape) > 1:
        # Flat rows in, as for every MNIST model; the network's own shape from here on.
        shape = graph.axes([-1, *model.input_shape])
        out = graph.node("Reshape", [out, shape], "image")
    for i, layer in enumerate(model.layers, start=1):
        kind = layer.get_config()["type"]
        if kind not in CONVERTERS:
            raise BarenetError(
                f"cannot export layer {i} ({layer!r}) to ONNX: no converter for {kind!r} "
                f"layers; supported: {', '.join(sorted(CONVERTERS))}"
            )
        out = CONVERTERS[kind](layer, graph, out)
    if model.is_classifier():
        output, (out, classes) = OUTPUT, _probabilities(model, graph, out)
    else:
        output, classes = VALUES, model.out_features
    graph.nodes.append(onnx.helper.make_node("Identity", [out], [output], name=output))

    elem = onnx.helper.np_dtype_to_tensor_dtype(model.dtype)
    info = {**model.metadata, **(metadata or {})}
    names = info.get("class_names") or [str(k) for k in range(classes)]
    if model.is_classifier() and len(names) != classes:
        raise BarenetError(f"{len(names)} class names for {classes} outputs: {names!r}")
    contract = input_contract(model).to_json()
    props = {
        "class_names": names if model.is_classifier() else None,
        "input": info.get("input", contract),
        "preprocessing": info.get("preprocessing"),
        "barenet_version": __version__,
        "source": info.get("source"),
    }
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes,
            "barenet",
            [onnx.helper.make_tensor_value_info(INPUT, elem, ["N", model.in_features])],
            [onnx.helper.make_tensor_value_info(output, elem, ["N", classes])],
            graph.initializers,
        ),
        producer_name="barenet",
        producer_version=__version__,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        doc_string=f"barenet network: {model!r}. Output: {output}.",
    )
    # Structured entries as JSON; the version and the source file name as plain strings.
    onnx.helper.set_model_props(
        proto,
        {
            k: v if k in ("barenet_version", "source") else json.dumps(v)
            for k, v in props.items()
            if v is not None
        },
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def to_onnx(
    model: Sequential,
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` as an ONNX file at ``path`` (atomically) and return the path."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory: give a file name such as model.onnx")
    proto = build(model, metadata)
    with atomic_write(target) as handle:
        handle.write(proto.SerializeToString())
    return target


def export_file(
    model_path: str | os.PathLike[str], out: str | os.PathLike[str]
) -> tuple[Sequential, Path]:
    """Export a barenet model file (``model.npz``) to ONNX: (the network, the ONNX path)."""
    source = existing_file(model_path, "model file")
    if Path(out).resolve() == source.resolve():
        raise BarenetError(f"the ONNX file would overwrite the model file {source}")
    model = read_model(source)
    return model, to_onnx(model, out, metadata={"source": source.name})


def check_with_onnxruntime(
    model: Sequential, path: str | os.PathLike[str], x: np.ndarray
) -> tuple[float, float]:
    """Run the ONNX file with onnxruntime on ``x`` and compare with ``model.predict_proba``
    (a regression network: ``model.infer``): (largest absolute difference of an output, share
    of rows with the same argmax)."""
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(
            "checking an export needs onnxruntime: pip install 'barenet[onnx]'"
        ) from None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    classifier = model.is_classifier()
    ours = model.predict_proba(x) if classifier else model.infer(x)
    output = OUTPUT if classifier else VALUES
    theirs = session.run([output], {INPUT: x.astype(model.dtype, copy=False)})[0]
    same = float(np.mean(np.argmax(ours, axis=1) == np.argmax(theirs, axis=1)))
    return float(np.max(np.abs(ours - theirs), initial=0.0)), same
