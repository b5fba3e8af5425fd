"""``Network(sizes)``: seed 000's column-vector API, as a thin adapter over ``Sequential``.

Seed 000 (after Nielsen's ``network.py``) keeps one example as a column vector x of shape
(n, 1) and stores W of shape (n_out, n_in), so a layer is a = σ(W x + b). The engine keeps
examples as rows and W as (n_in, n_out). This adapter only transposes at the boundary:
``weights[l]`` and ``biases[l]`` are *views* of the engine's arrays, and every computation
runs in ``Sequential``.

What the seed's code got wrong, and what this class does instead:

* ``sgd`` sliced mini-batches as ``train[b:batch_size]``, so every batch after the first was
  empty or truncated; here batches are ``train[k:k + batch_size]``.
* ``ff`` and ``backprop`` referred to an undefined ``bias``/``activation``/``l``;
  here they use the network's own parameters.
* ``update`` summed per-example gradients in a Python loop; here the mini-batch is stacked
  into one matrix and backpropagated at once, which gives the same averaged gradient.
* ``random.shuffle`` used global random state; here shuffling uses the network's own seeded
  generator.
* The seed talks of cross-entropy but its output error (a − y) ⊙ σ'(z) is the quadratic
  cost's. Both are available: ``cost="cross_entropy"`` (the default, δ = a − y) and
  ``cost="quadratic"`` (the seed's code and Nielsen's chapter 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._typing import Array, DTypeLike
from .layers import Dense, as_rng
from .losses import get_loss
from .network import Sequential

Example = tuple[Array, Any]

_COSTS = {"cross_entropy": "binary_cross_entropy", "quadratic": "quadratic"}


class Network:
    """A sigmoid network in seed 000's API: ``Network([784, 30, 10])``."""

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        cost: str = "cross_entropy",
        init: str = "standard_normal",
        dtype: DTypeLike = "float64",
        seed: np.random.Generator | int | None = None,
    ) -> None:
        if cost not in _COSTS:
            raise ValueError(f"unknown cost {cost!r}; valid names are {sorted(_COSTS)}")
        self.rng = as_rng(seed)
        self.model = Sequential.from_sizes(
            sizes,
            activation="sigmoid",
            init=init,
            bias_init="standard_normal",
            dtype=dtype,
            seed=self.rng,
        )
        self.sizes = list(sizes)
        self.num_layers = len(self.sizes)
        self.cost = cost
        self.loss = get_loss(_COSTS[cost])

    @property
    def _dense(self) -> list[Dense]:
        return [layer for layer in self.model.layers if isinstance(layer, Dense)]

    @property
    def weights(self) -> list[Array]:
        """W of each layer, shape (n_out, n_in): a transposed view of the engine's array."""
        return [d.W.value.T for d in self._dense]

    @property
    def biases(self) -> list[Array]:
        """b of each layer as a column, shape (n_out, 1): a view of the engine's array."""
        return [d.b.value.reshape(-1, 1) for d in self._dense]

    def ff(self, a: Array) -> Array:
        """Feed forward: the output column(s) for input column(s) ``a`` of shape (n_in, k)."""
        a = np.asarray(a, dtype=self.model.dtype)
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[0] != self.sizes[0]:
            raise ValueError(
                f"ff expects a column vector of shape ({self.sizes[0]}, 1) or columns "
                f"({self.sizes[0]}, k), got {a.shape}"
            )
        return self.model.forward(self.model._check_input(a.T)).T

    def backprop(self, x: Array, y: Array) -> tuple[list[Array], list[Array]]:
        """(nabla_b, nabla_w) for one example: ∂C/∂b (n_out, 1) and ∂C/∂W (n_out, n_in)."""
        xs, ys = self._stack([(x, y)])
        self.model.backprop(xs, ys, self.loss)
        return (
            [d.b.grad.reshape(-1, 1).copy() for d in self._dense],
            [d.W.grad.T.copy() for d in self._dense],
        )

    def update(self, mini_batch: Sequence[Example], lr: float) -> None:
        """One gradient-descent step on the mean cost of ``mini_batch`` [(x, y), ...]."""
        xs, ys = self._stack(mini_batch)
        self.model.backprop(xs, ys, self.loss)
        for p in self.model.parameters():
            p.value -= lr * p.grad

    def sgd(
        self,
        epochs: int,
        batch_size: int,
        lr: float,
        train: Sequence[Example],
        test: Sequence[Example] | None = None,
    ) -> list[float]:
        """Mini-batch SGD for ``epochs`` epochs, printing progress after each: with ``test``
        data ``Epoch 0: 9012 / 10000 (90.12%)``, without it ``Epoch 0 complete``. Returns the
        test accuracy per epoch (empty without test data)."""
        if epochs <= 0 or batch_size <= 0:
            raise ValueError(f"epochs and batch_size must be positive, got {epochs}, {batch_size}")
        train = list(train)
        accuracies = []
        for epoch in range(epochs):
            order = self.rng.permutation(len(train))
            for k in range(0, len(train), batch_size):
                self.update([train[i] for i in order[k : k + batch_size]], lr)
            if test:
                correct = self.evaluate(test)
                accuracies.append(correct / len(test))
                print(f"Epoch {epoch}: {correct} / {len(test)} ({accuracies[-1]:.2%})")
            else:
                print(f"Epoch {epoch} complete")
        return accuracies

    def evaluate(self, test: Sequence[Example]) -> int:
        """How many examples of ``test`` the network classifies correctly. Labels may be
        class ids (as in Nielsen's test data) or one-hot columns."""
        if not test:
            return 0
        xs, ys = self._stack(test)
        predicted = self.model.predict(xs)
        truth = ys if ys.ndim == 1 else np.argmax(ys, axis=1)
        return int(np.sum(predicted == truth))

    def _stack(self, examples: Sequence[Example]) -> tuple[Array, Array]:
        """Column examples [(x (n, 1), y (k, 1) or int)] → rows X (B, n) and Y (B, k) or (B,)."""
        if not examples:
            raise ValueError("empty mini-batch")
        xs = np.stack([np.asarray(x, dtype=self.model.dtype).reshape(-1) for x, _ in examples])
        first = np.asarray(examples[0][1])
        if first.ndim == 0:
            ys = np.array([int(y) for _, y in examples])
        else:
            ys = np.stack([np.asarray(y, dtype=self.model.dtype).reshape(-1) for _, y in examples])
        return xs, ys
