"""Sequential: a feed-forward network as a list of layers.

Two constructors describe the same kind of object:

* ``Sequential.from_sizes([784, 30, 10], activation="sigmoid")``: seed 000's list of sizes;
* ``Sequential.from_spec([{"in": 784, "out": 16, "activation": "relu"}, ...])``: seed 001's
  list of dicts.

``backprop(x, y, loss)`` is the whole of backpropagation for one mini-batch: the forward
pass, the output error δᴸ (BP1), and the backward pass through every layer (BP2–BP4).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._typing import Array, DTypeLike, as_float_dtype
from .activations import ActivationFunction, softmax
from .init import Initializer
from .layers import Activation, Dense, Dropout, Layer, as_rng, layer_from_config
from .losses import Loss, get_loss
from .parameter import Parameter, pack

InitSpec = str | dict[str, Any] | Initializer
ActivationSpec = str | dict[str, Any] | ActivationFunction


class Sequential:
    """A stack of layers applied in order to batches of rows ``x`` of shape (B, features)."""

    def __init__(
        self,
        layers: Sequence[Layer],
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("a Sequential network needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i + 1} is not a barenet Layer: {layer!r}")
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        if not dense:
            raise ValueError("a Sequential network needs at least one Dense layer")
        for prev, nxt in itertools.pairwise(dense):
            if prev.out_features != nxt.in_features:
                raise ValueError(
                    f"layer {dense.index(nxt) + 1} expects in={nxt.in_features} but "
                    f"layer {dense.index(prev) + 1} gives out={prev.out_features}"
                )
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
            if isinstance(layer, Dropout):
                layer.rng = self.rng
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
        init: InitSpec = "xavier_uniform",
        bias_init: InitSpec | None = None,
        dropout: float = 0.0,
        dtype: DTypeLike = "float32",
        seed: np.random.Generator | int | None = None,
    ) -> Sequential:
        """Seed 001's form: a list of ``{"in": n, "out": m, "activation": name}`` dicts.

        A dict may also carry its own ``"init"``, ``"bias_init"`` and ``"dropout"`` (applied
        after the activation). ``dropout`` here applies after every hidden activation.
        """
        if isinstance(spec, dict) or not isinstance(spec, Sequence) or not spec:
            raise ValueError("spec must be a non-empty list of {'in', 'out', 'activation'} dicts")
        rng = as_rng(seed)
        bias_default = bias_init if bias_init is not None else _default_bias_init(init)
        layers: list[Layer] = []
        allowed = {"in", "out", "activation", "init", "bias_init", "dropout"}
        for i, entry in enumerate(spec, start=1):
            if not isinstance(entry, dict):
                raise ValueError(f"layer {i} of the spec must be a dict, got {entry!r}")
            missing = [k for k in ("in", "out", "activation") if k not in entry]
            if missing:
                raise ValueError(
                    f"layer {i} of the spec is missing {', '.join(map(repr, missing))}"
                )
            unknown = sorted(set(entry) - allowed)
            if unknown:
                raise ValueError(
                    f"layer {i} of the spec has unknown keys {unknown}; allowed: {sorted(allowed)}"
                )
            for key in ("in", "out"):
                n = entry[key]
                if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
                    raise ValueError(
                        f"layer {i} of the spec: '{key}' must be a positive integer, got {n!r}"
                    )
            if i > 1 and entry["in"] != spec[i - 2]["out"]:
                raise ValueError(
                    f"layer {i} expects in={entry['in']} but layer {i - 1} gives "
                    f"out={spec[i - 2]['out']}"
                )
            layers.append(
                Dense(
                    entry["in"],
                    entry["out"],
                    init=entry.get("init", init),
                    bias_init=entry.get("bias_init", bias_default),
                    dtype=dtype,
                    rng=rng,
                )
            )
            layers.append(Activation(entry["activation"]))
            p = entry.get("dropout", dropout if i < len(spec) else 0.0)
            if p:
                layers.append(Dropout(p))
        return cls(layers, rng=rng)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, seed: np.random.Generator | int | None = None
    ) -> Sequential:
        """Rebuild the architecture from ``get_config()``; weights are freshly initialised."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("a network config must be a dict with a 'layers' list")
        rng = as_rng(seed)
        dtype = config.get("dtype", "float32")
        return cls([layer_from_config(c, dtype=dtype, rng=rng) for c in config["layers"]], rng=rng)

    def get_config(self) -> dict[str, Any]:
        return {"dtype": str(self.dtype), "layers": [layer.get_config() for layer in self.layers]}

    # ---------------------------------------------------------------- forward / backward
    @property
    def in_features(self) -> int:
        return self._dense()[0].in_features

    @property
    def out_features(self) -> int:
        return self._dense()[-1].out_features

    def _dense(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    def forward(self, x: Array, training: bool = False) -> Array:
        """The network's output for a batch ``x`` of shape (B, in_features), computed in the
        network's dtype (``x`` is converted if need be: float32 stays float32 end to end)."""
        x = np.asarray(x).astype(self.dtype, copy=False)
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

        ``x`` (B, in_features) is converted to the network's dtype. Its shape is checked, but
        not its finiteness (that would cost a pass over every batch): a training loop checks
        its data set once, before the first epoch.
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
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"input must have shape (batch, {self.in_features}), got {x.shape}")
        if finite and not np.all(np.isfinite(x)):
            raise ValueError("input contains NaN or infinite values")
        return x

    def infer(self, x: Array, batch_size: int = 8192) -> Array:
        """The inference-mode output for ``x``, computed ``batch_size`` rows at a time (so the
        activations of a large set never all live at once), shape (B, out_features).
        The one chunked forward pass: prediction, evaluation and training metrics use it."""
        x = np.asarray(x).astype(self.dtype, copy=False)
        if not len(x):
            return np.zeros((0, self.out_features), self.dtype)
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

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.parameters())

    def state_dict(self) -> dict[str, Array]:
        """A copy of every parameter value, keyed by ``named_parameters`` names."""
        return {name: p.value.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Array]) -> None:
        """Copy values in from ``state_dict()`` output; names, shapes must match exactly."""
        params = dict(self.named_parameters())
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        if missing or unexpected:
            raise ValueError(f"state does not fit: missing {missing}, unexpected {unexpected}")
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.value.shape:
                raise ValueError(f"{name}: expected shape {p.value.shape}, got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or infinite values")
            p.value[...] = value

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
        width = self.in_features
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                width = layer.out_features
            count = sum(p.size for p in layer.parameters())
            rows.append((str(i), repr(layer), f"(batch, {width})", f"{count:,}"))
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
