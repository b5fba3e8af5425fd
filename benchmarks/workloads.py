"""What every framework trains on: workloads, data, initial weights and batch order.

Everything here is deterministic, so each framework, run in its own process, rebuilds
exactly the same data, the same initial weights and the same order of mini-batches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

ARCHITECTURES: tuple[tuple[int, ...], ...] = ((784, 16, 10), (784, 128, 10), (784, 256, 128, 10))
BATCH_SIZES = (64, 256)
LEARNING_RATES = {"sgd": 0.1, "adam": 1e-3}
SEED = 0


@dataclass(frozen=True)
class Workload:
    """One training configuration: ReLU hidden layers, softmax cross-entropy output."""

    sizes: tuple[int, ...]
    batch_size: int
    optimizer: str
    learning_rate: float | None = None  # None: the optimizer's LEARNING_RATES entry

    @property
    def lr(self) -> float:
        return self.learning_rate or LEARNING_RATES[self.optimizer]

    @property
    def arch(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def label(self) -> str:
        """For people: ``784-16-10, batch 64, SGD``."""
        name = {"sgd": "SGD", "adam": "Adam"}[self.optimizer]
        lr = "" if self.learning_rate is None else f" (lr {self.learning_rate:g})"
        return f"{self.arch}, batch {self.batch_size}, {name}{lr}"

    @property
    def key(self) -> str:
        """A name usable on a command line: ``784-16-10/64/sgd``, or with a learning rate
        other than the optimizer's usual one, ``784-256-10/256/adam/0.003``."""
        key = f"{self.arch}/{self.batch_size}/{self.optimizer}"
        return key if self.learning_rate is None else f"{key}/{self.learning_rate:g}"

    @classmethod
    def from_key(cls, key: str) -> Workload:
        try:
            arch, batch, optimizer, *lr = key.split("/")
            sizes = tuple(int(n) for n in arch.split("-"))
            workload = cls(sizes, int(batch), optimizer, float(lr[0]) if lr else None)
        except (ValueError, IndexError):
            raise ValueError(f"bad workload {key!r}: expected e.g. '784-16-10/64/sgd'") from None
        if optimizer not in LEARNING_RATES or len(sizes) < 2 or workload.batch_size <= 0:
            raise ValueError(f"bad workload {key!r}: optimizer must be one of {LEARNING_RATES}")
        if len(lr) > 1 or workload.lr <= 0:
            raise ValueError(f"bad workload {key!r}: a learning rate must be one positive number")
        return workload


WORKLOADS = [
    Workload(sizes, batch, opt)
    for sizes, batch, opt in itertools.product(ARCHITECTURES, BATCH_SIZES, LEARNING_RATES)
]

TIME_TO_ACCURACY = Workload((784, 512, 10), 512, "adam", 4e-3)
"""The network timed to 98% test accuracy."""


@dataclass(frozen=True)
class Data:
    """float32 images in [0, 1] of shape (N, 784) and int64 class ids of shape (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def load_data(kind: str, n_train: int | None = None) -> Data:
    """``"mnist"``: the real MNIST (60,000 train / 10,000 test) via ``barenet.load_mnist``;
    ``"synthetic"``: random images whose labels a linear map decides (learnable, no download).
    ``n_train`` keeps only the first examples of the training set."""
    if kind == "mnist":
        from barenet.data import load_mnist

        mnist = load_mnist()
        x_train, y_train = mnist.train.x, mnist.train.y
        x_test, y_test = mnist.test.x, mnist.test.y
        source = "MNIST (official 60,000 / 10,000 split)"
    elif kind == "synthetic":
        # Mostly-zero images, like MNIST's, so the same learning rates behave alike.
        rng = np.random.default_rng(SEED + 1)
        n = n_train or 60_000
        x = np.maximum(rng.random((n + 10_000, 784), dtype=np.float32) * 5 - 4, 0)
        teacher = rng.standard_normal((784, 10)).astype(np.float32)
        y = np.argmax(x @ teacher, axis=1)
        x_train, y_train, x_test, y_test = x[:n], y[:n], x[n:], y[n:]
        source = "synthetic (random pixels, labels from a random linear map)"
    else:
        raise ValueError(f"unknown data {kind!r}: use 'mnist' or 'synthetic'")
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
        source += f", first {n_train:,} training images"
    # Every framework gets the same contiguous float32 images and int64 labels (what
    # torch's cross-entropy wants; NumPy indexes with them just as well).
    return Data(
        np.ascontiguousarray(x_train, dtype=np.float32),
        np.asarray(y_train, dtype=np.int64),
        np.ascontiguousarray(x_test, dtype=np.float32),
        np.asarray(y_test, dtype=np.int64),
        source,
    )


def initial_weights(sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, W of shape (n_in, n_out): He-uniform W ~ U(±√(6/n_in)), b = 0."""
    rng = np.random.default_rng(SEED)
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / n_in)
        w = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        layers.append((w, np.zeros(n_out, np.float32)))
    return layers


def epoch_orders(n: int) -> Iterator[np.ndarray]:
    """One permutation of range(n) per epoch, each from ``rng.permutation(n)`` of one
    generator seeded with ``SEED``: the order ``barenet.data.Batches`` draws with that seed."""
    rng = np.random.default_rng(SEED)
    while True:
        yield rng.permutation(n)


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Positions of each mini-batch within an epoch's order (the last one may be shorter)."""
    return [slice(start, start + batch_size) for start in range(0, n, batch_size)]
