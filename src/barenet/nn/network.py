"""Sequential: a feed-forward network as a list of layers.

Two constructors describe the same kind of object:

* ``Sequential.from_sizes([784, 30, 10], activation="sigmoid")``: seed 000's list of sizes;
* ``Sequential.from_spec([{"in": 784, "out": 16, "activation": "relu"}, ...])``: seed 001's
  list of dicts, or typed entries such as ``{"type": "conv2d", "out": 32, "kernel": 5}`` with
  an ``input_shape`` such as (28, 28, 1).

The network knows the shape of one input example (``input_shape``) and passes it through
every layer's ``output_shape`` when it is built, so a layer that does not fit is reported
before any data flows. A batch of flat rows (B, 784) given to a network of image input
(28, 28, 1) is reshaped (a view) on the way in.

``backprop(x, y, loss)`` is the whole of backpropagation for one mini-batch: the forward
pass, the output error δᴸ (BP1), and the backward pass through every layer (BP2–BP4).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._typing import Array, DTypeLike, as_float_dtype
from .activations import ActivationFunction, softmax
from .conv import Conv2D
from .init import Initializer
from .layers import Activation, Dense, Dropout, Layer, Shape, as_rng, layer_from_config
from .losses import Loss, get_loss
from .normalization import BatchNorm
from .parameter import Parameter, pack
from .pooling import AvgPool2D, MaxPool2D
from .shape import Flatten, Reshape

InitSpec = str | dict[str, Any] | Initializer
ActivationSpec = str | dict[str, Any] | ActivationFunction


class Sequential:
    """A stack of layers applied in order to batches ``x`` of shape (B, *input_shape)."""

    def __init__(
        self,
        layers: Sequence[Layer],
        *,
        input_shape: Sequence[int] | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("a Sequential network needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i + 1} is not a barenet Layer: {layer!r}")
        if not any(layer.parameters() for layer in layers):
            raise ValueError("a Sequential network needs at least one layer with parameters")
        if input_shape is None:
            first = next((layer for layer in layers if isinstance(layer, Dense)), None)
            if first is None:
                raise ValueError("give input_shape, e.g. (28, 28, 1): no Dense layer implies it")
            input_shape = (first.in_features,)
        self.input_shape: Shape = _check_shape(input_shape)
        # Each layer's output shape from its input shape: the chain is checked here, once.
        self.shapes: list[Shape] = []
        shape = self.input_shape
        for i, layer in enumerate(layers, start=1):
            try:
                shape = layer.output_shape(shape)
            except ValueError as exc:
                raise ValueError(f"layer {i}: {exc}") from None
            self.shapes.append(shape)
        dtypes = {p.value.dtype for layer in layers for p in layer.parameters()}
        if len(dtypes) != 1:
            raise ValueError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
        self.layers = layers
        self.dtype: np.dtype[Any] = dtypes.pop()
        # One generator for everything random at training time (dropout masks), so a
        # checkpoint can save and restore it.
        self.rng = as_rng(rng)
        # Free-form JSON-able facts about the model (class names, preprocessing, metrics),
        # kept in its model file.
        self.metadata: dict[str, Any] = {}
        for layer in layers:
            layer.use_generator(self.rng)
        # All weights and biases in one buffer: an optimizer steps them all at once.
        pack(self.parameters())

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_sizes(
        cls,
        sizes: Sequence[int],
        *,
        activation: ActivationSpec = "sigmoid",
        output_activation: ActivationSpec | None = None,
        init: InitSpec = "standard_normal",
        bias_init: InitSpec | None = None,
        dropout: float = 0.0,
        dtype: DTypeLike = "float32",
        seed: np.random.Generator | int | None = None,
    ) -> Sequential:
        """Seed 000's form: ``sizes=[784, 30, 10]`` gives 784 → 30 → 10, every layer Dense
        followed by ``activation`` (the last by ``output_activation`` if given).

        The defaults are seed 000's: sigmoid everywhere, weights and biases N(0, 1).
        ``bias_init`` defaults to ``init`` when that is a plain normal, else zeros.
        """
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a list of layer widths, got {sizes!r}")
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, got {sizes!r}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
                raise ValueError(f"sizes must be positive integers, got {list(sizes)!r}")
        spec = [
            {"in": n_in, "out": n_out, "activation": activation}
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        if output_activation is not None:
            spec[-1]["activation"] = output_activation
        return cls.from_spec(
            spec, init=init, bias_init=bias_init, dropout=dropout, dtype=dtype, seed=seed
        )

    @classmethod
    def from_spec(
        cls,
        spec: Sequence[dict[str, Any]],
        *,
        input_shape: Sequence[int] | None = None,
        init: InitSpec = "xavier_uniform",
        bias_init: InitSpec | None = None,
        dropout: float = 0.0,
        dtype: DTypeLike = "float32",
        seed: np.random.Generator | int | None = None,
    ) -> Sequential:
        """Seed 001's form: a list of ``{"in": n, "out": m, "activation": name}`` dicts, or
        typed entries (``TYPED_SPEC`` lists their keys) whose input sizes follow from
        ``input_shape``::

            Sequential.from_spec([
                {"type": "conv2d", "out": 32, "kernel": 5, "activation": "relu"},
                {"type": "maxpool2d", "size": 2},
                {"type": "flatten"},
                {"type": "dense", "out": 10, "activation": "softmax"},
            ], input_shape=(28, 28, 1))

        A dict may also carry its own ``"init"``, ``"bias_init"`` and ``"dropout"`` (applied
        after the activation). ``dropout`` here applies after every hidden Dense activation.
        """
        if isinstance(spec, dict) or not isinstance(spec, Sequence) or not spec:
            raise ValueError("spec must be a non-empty list of {'in', 'out', 'activation'} dicts")
        rng = as_rng(seed)
        options = {
            "init": init,
            "bias_init": bias_init if bias_init is not None else _default_bias_init(init),
            "dtype": dtype,
            "rng": rng,
        }
        # Without input_shape, the first untyped entry's "in" gives it.
        shape = None if input_shape is None else _check_shape(input_shape)
        layers: list[Layer] = []
        last_dense = max(
            (
                i
                for i, e in enumerate(spec)
                if isinstance(e, dict) and e.get("type", "dense") == "dense"
            ),
            default=-1,
        )
        for i, entry in enumerate(spec, start=1):
            if not isinstance(entry, dict):
                raise ValueError(f"layer {i} of the spec must be a dict, got {entry!r}")
            if "type" not in entry:
                built = _dense_entry(i, entry, spec, options)
                shape = shape or (entry["in"],)
            elif shape is None:
                raise ValueError("give input_shape, e.g. (28, 28, 1), for a spec of typed layers")
            else:
                built = _typed_layers(i, entry, shape, options)
            hidden_dense = entry.get("type", "dense") == "dense" and i - 1 < last_dense
            p = entry.get("dropout", dropout if hidden_dense else 0.0)
            if p:
                built.append(Dropout(p))
            for layer in built:
                try:
                    shape = layer.output_shape(shape)
                except ValueError as exc:
                    raise ValueError(f"layer {i} of the spec: {exc}") from None
            layers += built
        return cls(layers, input_shape=input_shape or (spec[0]["in"],), rng=rng)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, seed: np.random.Generator | int | None = None
    ) -> Sequential:
        """Rebuild the architecture from ``get_config()``; weights are freshly initialised."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("a network config must be a dict with a 'layers' list")
        rng = as_rng(seed)
        dtype = config.get("dtype", "float32")
        layers = [layer_from_config(c, dtype=dtype, rng=rng) for c in config["layers"]]
        return cls(layers, input_shape=config.get("input_shape"), rng=rng)

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": str(self.dtype),
            "input_shape": list(self.input_shape),
            "layers": [layer.get_config() for layer in self.layers],
        }

    # ---------------------------------------------------------------- forward / backward
    @property
    def in_features(self) -> int:
        """Values in one input example: 784 for (784,) and for (28, 28, 1)."""
        return math.prod(self.input_shape)

    @property
    def output_shape(self) -> Shape:
        return self.shapes[-1]

    @property
    def out_features(self) -> int:
        return math.prod(self.output_shape)

    def _shaped(self, x: Array) -> Array:
        """``x`` as (B, *input_shape): flat rows (B, in_features) are reshaped (a view)."""
        if x.shape[1:] == self.input_shape:
            return x
        if x.ndim == 2 and x.shape[1] == self.in_features:
            return x.reshape(len(x), *self.input_shape)
        shapes = f"(batch, {self.in_features})"
        if len(self.input_shape) > 1:
            shapes += f" or (batch, {', '.join(map(str, self.input_shape))})"
        raise ValueError(f"input must have shape {shapes}, got {x.shape}")

    def forward(self, x: Array, training: bool = False) -> Array:
        """The network's output for a batch ``x`` of shape (B, *input_shape) or flat rows
        (B, in_features), computed in the network's dtype (``x`` is converted if need be:
        float32 stays float32 end to end)."""
        x = self._shaped(np.asarray(x).astype(self.dtype, copy=False))
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    __call__ = forward

    def backward(self, grad_out: Array) -> Array:
        """Propagate ∂C/∂(output) back through every layer; returns ∂C/∂x."""
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def backprop(self, x: Array, y: Array, loss: str | Loss) -> float:
        """One mini-batch of backpropagation: fills every ``Parameter.grad`` with ∂C/∂θ
        for the batch-mean cost C and returns C.

        If the last layer is the activation the loss fuses with (softmax before
        cross-entropy, sigmoid before binary cross-entropy), δᴸ = (a − y)/B comes straight
        from the logits; otherwise δᴸ = ∂C/∂a ⊙ σ'(zᴸ) (BP1) via the activation's backward.
        Then, layer by layer back to the first, δˡ = (δˡ⁺¹ Wᵀ) ⊙ σ'(zˡ) (BP2), ∂C/∂b = Σ δ
        (BP3) and ∂C/∂W = aᵀ δ (BP4): see ``layers.py``.

        ``x`` (B, *input_shape) or (B, in_features) is converted to the network's dtype. Its
        shape is checked, but not its finiteness (that would cost a pass over every batch): a
        training loop checks its data set once, before the first epoch.
        """
        loss_fn = get_loss(loss)
        x = self._check_input(x, finite=False).astype(self.dtype, copy=False)
        last = self.layers[-1]
        if isinstance(last, Activation) and last.name == loss_fn.fuses_with:
            z = x
            for layer in self.layers[:-1]:
                z = layer.forward(z, training=True)
            cost, delta, _ = loss_fn.fused(z, y)
            layers = self.layers[:-1]
        else:
            a = self.forward(x, training=True)
            cost = loss_fn.value(a, y)
            delta = loss_fn.gradient(a, y)
            layers = self.layers
        # Layers below the first one with parameters need no gradient, and that one needs
        # only BP3 and BP4: ∂C/∂x of the input batch would be computed for nobody.
        first = 0
        while not layers[first].parameters():
            first += 1
        head, layers = layers[first], layers[first + 1 :]
        for layer in reversed(layers):
            delta = layer.backward(delta)
        head.backward_parameters(delta)
        return cost

    # ---------------------------------------------------------------- inference
    def _check_input(self, x: Any, *, finite: bool = True) -> Array:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"input must be a numpy array, got {type(x).__name__}")
        x = self._shaped(x)
        if finite and not np.all(np.isfinite(x)):
            raise ValueError("input contains NaN or infinite values")
        return x

    def infer(self, x: Array, batch_size: int = 8192) -> Array:
        """The inference-mode output for ``x``, computed ``batch_size`` rows at a time (so the
        activations of a large set never all live at once), shape (B, out_features).
        The one chunked forward pass: prediction, evaluation and training metrics use it."""
        x = np.asarray(x).astype(self.dtype, copy=False)
        if not len(x):
            return np.zeros((0, *self.output_shape), self.dtype)
        return np.concatenate(
            [self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        )

    def is_classifier(self) -> bool:
        """False for a regression network: one output unit that is not a sigmoid."""
        last = self.layers[-1]
        name = last.name if isinstance(last, Activation) else "identity"
        return self.out_features > 1 or name == "sigmoid"

    def predict_proba(self, x: Array, batch_size: int = 8192) -> Array:
        """Class probabilities, rows summing to 1, shape (B, classes).

        A softmax output is returned as is; independent sigmoid scores are normalised by their
        row sum; any other output is passed through a softmax. A single sigmoid output p is a
        binary classifier: its rows are [1 − p, p], shape (B, 2).
        Raises ``ValueError`` for an input of the wrong width or with NaN or infinite values,
        and for a regression network (``predict`` gives its values).
        """
        if not self.is_classifier():
            raise ValueError(
                "predict_proba is for classifiers; this network has one unbounded output "
                "(a regression): use predict for its values"
            )
        out = self.infer(self._check_input(x), batch_size)
        last = self.layers[-1]
        name = last.name if isinstance(last, Activation) else "identity"
        if name == "softmax":
            return out
        if name == "sigmoid" and out.shape[1] == 1:
            return np.concatenate([1.0 - out, out], axis=1)
        if name == "sigmoid":
            return out / np.maximum(out.sum(axis=1, keepdims=True), np.finfo(out.dtype).tiny)
        return softmax(out)

    def predict(self, x: Array, batch_size: int = 8192) -> Array:
        """Predicted class ids, shape (B,); a regression network's values, shape (B,)."""
        if not self.is_classifier():
            return self.infer(self._check_input(x), batch_size)[:, 0]
        return np.argmax(self.predict_proba(x, batch_size), axis=1)

    # ---------------------------------------------------------------- parameters
    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(``"<layer index>.<name>"``, parameter) pairs, e.g. ``("0.W", ...)``."""
        return [
            (f"{i}.{p.name}", p) for i, layer in enumerate(self.layers) for p in layer.parameters()
        ]

    def named_buffers(self) -> list[tuple[str, Array]]:
        """(``"<layer index>.<name>"``, array) pairs of the state that is not trained, e.g.
        ``("1.running_mean", ...)``."""
        return [
            (f"{i}.{name}", value)
            for i, layer in enumerate(self.layers)
            for name, value in layer.buffers().items()
        ]

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.parameters())

    def state_dict(self) -> dict[str, Array]:
        """A copy of every parameter value and buffer, keyed by ``named_parameters`` and
        ``named_buffers`` names."""
        state = {name: p.value.copy() for name, p in self.named_parameters()}
        state.update((name, value.copy()) for name, value in self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Array]) -> None:
        """Copy values in from ``state_dict()`` output; names, shapes must match exactly."""
        targets = {name: p.value for name, p in self.named_parameters()}
        targets.update(self.named_buffers())
        missing, unexpected = sorted(set(targets) - set(state)), sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(f"state does not fit: missing {missing}, unexpected {unexpected}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"{name}: expected shape {target.shape}, got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or infinite values")
            target[...] = value

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling and ``copy.deepcopy`` give each parameter a copy of its slice of the
        packed buffer as an array of its own: pack them again, or every optimizer over the
        copy would fall back to stepping parameter by parameter."""
        self.__dict__.update(state)
        pack(self.parameters())

    def astype(self, dtype: DTypeLike) -> Sequential:
        """A deep copy of the network in another float dtype (e.g. float64 for gradcheck)."""
        dt = as_float_dtype(dtype)
        clone = copy.deepcopy(self)
        for layer in clone.layers:
            layer.astype(dt)
        pack(clone.parameters())
        clone.dtype = dt
        return clone

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("#", "layer", "output shape", "params")]
        for i, (layer, shape) in enumerate(zip(self.layers, self.shapes, strict=True)):
            count = sum(p.size for p in layer.parameters())
            rows.append(
                (str(i), repr(layer), f"(batch, {', '.join(map(str, shape))})", f"{count:,}")
            )
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        rule = "-" * max(map(len, lines))
        lines.insert(1, rule)
        lines.append(rule)
        lines.append(f"total parameters: {self.n_params:,}  (dtype {self.dtype})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Sequential({', '.join(repr(layer) for layer in self.layers)})"


def _default_bias_init(init: InitSpec) -> InitSpec:
    """Plain normal draws go to biases too (seeds 000 and 001); fan-scaled schemes use zeros."""
    name = init if isinstance(init, str) else init.get("name") if isinstance(init, dict) else None
    if isinstance(init, Initializer):
        name = init.name
    return init if name in ("normal", "standard_normal") else "zeros"


def _check_shape(shape: Any) -> Shape:
    if isinstance(shape, str) or not isinstance(shape, Sequence) or not shape:
        raise ValueError(f"input_shape must be a list of sizes like [28, 28, 1], got {shape!r}")
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
            raise ValueError(f"input_shape must hold positive integers, got {list(shape)!r}")
    return tuple(int(n) for n in shape)


def _positive(i: int, key: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ValueError(f"layer {i} of the spec: '{key}' must be a positive integer, got {n!r}")
    return int(n)


def _dense_entry(
    i: int, entry: dict[str, Any], spec: Sequence[dict[str, Any]], options: dict[str, Any]
) -> list[Layer]:
    """Seed 001's untyped entry ``{"in", "out", "activation"}``: Dense, then its activation."""
    missing = [k for k in ("in", "out", "activation") if k not in entry]
    if missing:
        raise ValueError(f"layer {i} of the spec is missing {', '.join(map(repr, missing))}")
    allowed = {"in", "out", "activation", "init", "bias_init", "dropout"}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(
            f"layer {i} of the spec has unknown keys {unknown}; allowed: {sorted(allowed)}"
        )
    for key in ("in", "out"):
        _positive(i, key, entry[key])
    if i > 1 and "type" not in spec[i - 2] and entry["in"] != spec[i - 2]["out"]:
        raise ValueError(
            f"layer {i} expects in={entry['in']} but layer {i - 1} gives out={spec[i - 2]['out']}"
        )
    dense = Dense(
        entry["in"],
        entry["out"],
        init=entry.get("init", options["init"]),
        bias_init=entry.get("bias_init", options["bias_init"]),
        dtype=options["dtype"],
        rng=options["rng"],
    )
    return [dense, Activation(entry["activation"])]


TYPED_SPEC: dict[str, tuple[set[str], set[str]]] = {
    "dense": ({"out"}, {"in", "activation", "init", "bias_init", "dropout"}),
    "conv2d": (
        {"out", "kernel"},
        {"stride", "padding", "activation", "init", "bias_init", "dropout"},
    ),
    "maxpool2d": ({"size"}, {"stride"}),
    "avgpool2d": ({"size"}, {"stride"}),
    "flatten": (set(), set()),
    "reshape": ({"shape"}, set()),
    "batchnorm": (set(), {"momentum", "eps", "activation", "dropout"}),
    "dropout": ({"p"}, set()),
    "activation": ({"activation"}, set()),
}
"""The typed spec entries: required keys and optional keys besides ``"type"``."""


def _typed_layers(
    i: int, entry: dict[str, Any], shape: Shape, options: dict[str, Any]
) -> list[Layer]:
    """The layers of one typed spec entry, sized from ``shape``, the entry's input shape."""
    kind = entry["type"]
    if kind not in TYPED_SPEC:
        valid = ", ".join(repr(k) for k in TYPED_SPEC)
        raise ValueError(
            f"layer {i} of the spec has unknown type {kind!r}; valid types are {valid}"
        )
    required, optional = TYPED_SPEC[kind]
    missing = sorted(required - set(entry))
    if missing:
        raise ValueError(
            f"layer {i} of the spec ({kind}) is missing {', '.join(map(repr, missing))}"
        )
    unknown = sorted(set(entry) - required - optional - {"type"})
    if unknown:
        raise ValueError(
            f"layer {i} of the spec ({kind}) has unknown keys {unknown}; "
            f"allowed: {sorted(required | optional)}"
        )
    weights = {
        "init": entry.get("init", options["init"]),
        "bias_init": entry.get("bias_init", options["bias_init"]),
        "dtype": options["dtype"],
        "rng": options["rng"],
    }
    layer: Layer
    if kind == "dense":
        if len(shape) != 1:
            raise ValueError(
                f"layer {i} of the spec: dense needs rows, got shape {shape}; add "
                "{'type': 'flatten'} before it"
            )
        if "in" in entry and entry["in"] != shape[0]:
            raise ValueError(f"layer {i} expects in={entry['in']} but its input has {shape[0]}")
        layer = Dense(shape[0], _positive(i, "out", entry["out"]), **weights)
    elif kind == "conv2d":
        if len(shape) != 3:
            raise ValueError(
                f"layer {i} of the spec: conv2d needs images (height, width, channels), got "
                f"shape {shape}; give input_shape=(28, 28, 1) or a reshape entry"
            )
        layer = Conv2D(
            shape[2],
            _positive(i, "out", entry["out"]),
            _positive(i, "kernel", entry["kernel"]),
            stride=entry.get("stride", 1),
            padding=entry.get("padding", 0),
            **weights,
        )
    elif kind in ("maxpool2d", "avgpool2d"):
        pool = MaxPool2D if kind == "maxpool2d" else AvgPool2D
        layer = pool(entry["size"], entry.get("stride"))
    elif kind == "flatten":
        layer = Flatten()
    elif kind == "reshape":
        layer = Reshape(entry["shape"])
    elif kind == "batchnorm":
        extra = {k: entry[k] for k in ("momentum", "eps") if k in entry}
        layer = BatchNorm(shape[-1], dtype=options["dtype"], **extra)
    elif kind == "dropout":
        return [Dropout(entry["p"])]
    else:
        return [Activation(entry["activation"])]
    return [layer] + ([Activation(entry["activation"])] if "activation" in entry else [])
