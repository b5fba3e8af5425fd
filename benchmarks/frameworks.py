"""One runner per framework, each training the same workload the way its users would.

A runner is built from a workload and the data, starts from ``initial_weights`` and exposes
``train_epoch(order)`` (one pass over the training set in the given order, returning the
mean batch loss) and ``predict(x)`` (class ids). The orders come from ``epoch_orders`` and
are the same for everyone. Each library is imported inside its runner, so a missing optional
peer (PyTorch, scikit-learn) only skips that peer.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .numpy_reference import NumpyAdam, NumpyMLP, NumpySGD, train_epoch
from .workloads import SEED, Data, Workload, batch_slices, initial_weights


class Runner:
    """Base class: ``name`` is the key used on the command line and in the report."""

    name = ""

    def __init__(self, workload: Workload, data: Data) -> None:
        self.workload = workload
        self.data = data
        self.slices = batch_slices(len(data.x_train), workload.batch_size)

    def train_epoch(self, order: np.ndarray) -> float:
        raise NotImplementedError

    def timed_epochs(
        self, orders: Iterator[np.ndarray], epochs: int
    ) -> tuple[list[float], list[float] | None]:
        """Train ``epochs`` epochs: the wall-clock seconds of each, and the CPU seconds this
        process spent in each (None if not measurable). Sets ``last_loss``."""
        seconds, cpu = [], []
        for _ in range(epochs):
            order = next(orders)
            start, start_cpu = time.perf_counter(), time.process_time()
            self.last_loss = self.train_epoch(order)
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        return seconds, cpu

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def version() -> str:
        raise NotImplementedError


class BarenetRunner(Runner):
    """barenet's engine and data layer: ``Batches`` gathers each shuffled mini-batch into a
    reused buffer, ``Sequential.backprop`` runs BP1–BP4, the optimizer steps in place."""

    name = "barenet"

    def __init__(self, workload: Workload, data: Data) -> None:
        super().__init__(workload, data)
        from barenet.data import Batches
        from barenet.nn import SGD, Adam, Sequential, get_loss

        self.model = Sequential.from_sizes(
            workload.sizes, activation="relu", output_activation="softmax", init="zeros"
        )
        self.model.load_state_dict(_barenet_state(workload))
        params = self.model.parameters()
        self.optimizer = (
            SGD(params, lr=workload.lr)
            if workload.optimizer == "sgd"
            else Adam(params, workload.lr)
        )
        self.loss = get_loss("cross_entropy")  # built once, as the Trainer does
        # Seeded like ``epoch_orders``, Batches draws the very same permutation every epoch.
        self.batches = Batches(data.x_train, data.y_train, workload.batch_size, rng=SEED)

    def train_epoch(self, order: np.ndarray) -> float:
        total = 0.0
        for xb, yb in self.batches:
            total += self.model.backprop(xb, yb, self.loss)
            self.optimizer.step()
        return total / len(self.batches)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)

    @staticmethod
    def version() -> str:
        import barenet

        return barenet.__version__


class BarenetFitRunner(Runner):
    """barenet's high-level ``Model.fit``: the Trainer with its callbacks, seeded so its
    ``Batches`` draw the same order. Its epoch time is the Trainer's own (the batch loop; the
    per-epoch accuracy pass is left out), so the gap to ``barenet`` is what the loop adds."""

    name = "barenet-fit"

    def __init__(self, workload: Workload, data: Data) -> None:
        super().__init__(workload, data)
        from barenet.nn import SGD, Adam
        from barenet.train import Model, TerminateOnNaN, Trainer

        self.model = Model.from_sizes(
            workload.sizes, activation="relu", output_activation="softmax", init="zeros"
        )
        self.model.load_state_dict(_barenet_state(workload))
        params = self.model.parameters()
        optimizer = (
            SGD(params, lr=workload.lr)
            if workload.optimizer == "sgd"
            else Adam(params, workload.lr)
        )
        # The callbacks Model.fit(verbose=False) installs.
        self.trainer = Trainer(
            self.model,
            optimizer,
            "cross_entropy",
            batch_size=workload.batch_size,
            seed=SEED,
            callbacks=[TerminateOnNaN()],
        )

    def timed_epochs(
        self, orders: Iterator[np.ndarray], epochs: int
    ) -> tuple[list[float], list[float] | None]:
        for _ in range(epochs):
            next(orders)  # the Trainer draws the same orders itself
        history = self.trainer.fit(
            self.data.x_train, self.data.y_train, self.trainer.epoch + epochs
        )
        self.last_loss = float(history["loss"][-1])
        # The Trainer times its epochs by the wall clock only.
        return [float(s) for s in history["seconds"][-epochs:]], None

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)

    @staticmethod
    def version() -> str:
        return BarenetRunner.version()


def _barenet_state(workload: Workload) -> dict[str, np.ndarray]:
    """``initial_weights`` under barenet's parameter names: Dense layers sit at 0, 2, 4, ..."""
    state = {}
    for i, (w, b) in enumerate(initial_weights(workload.sizes)):
        state[f"{2 * i}.W"], state[f"{2 * i}.b"] = w, b
    return state


class NumpyRunner(Runner):
    """The plain NumPy reference of ``numpy_reference.py``."""

    name = "numpy"

    def __init__(self, workload: Workload, data: Data) -> None:
        super().__init__(workload, data)
        weights, biases = zip(*initial_weights(workload.sizes), strict=True)
        self.model = NumpyMLP(list(weights), list(biases))
        self.optimizer = (
            NumpySGD(workload.lr) if workload.optimizer == "sgd" else NumpyAdam(workload.lr)
        )

    def train_epoch(self, order: np.ndarray) -> float:
        batches = [order[s] for s in self.slices]
        return train_epoch(
            self.model, self.optimizer, self.data.x_train, self.data.y_train, batches
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)

    @staticmethod
    def version() -> str:
        return np.__version__


class TorchRunner(Runner):
    """PyTorch on the CPU, idiomatic: ``nn.Sequential`` of ``Linear`` + ``ReLU``,
    ``F.cross_entropy``, ``zero_grad`` / ``backward`` / ``step``; batches gathered with
    ``index_select`` from tensors sharing the NumPy arrays' memory."""

    name = "torch"

    def __init__(self, workload: Workload, data: Data) -> None:
        super().__init__(workload, data)
        import torch

        self.torch = torch
        layers: list[Any] = []
        initial = initial_weights(workload.sizes)
        for i, (w, b) in enumerate(initial):
            linear = torch.nn.Linear(*w.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w.T.copy()))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
            if i < len(initial) - 1:
                layers.append(torch.nn.ReLU())
        self.net = torch.nn.Sequential(*layers)
        self.optimizer = (
            torch.optim.SGD(self.net.parameters(), lr=workload.lr)
            if workload.optimizer == "sgd"
            else torch.optim.Adam(self.net.parameters(), lr=workload.lr)
        )
        self.x = torch.from_numpy(data.x_train)
        self.y = torch.from_numpy(data.y_train)

    def train_epoch(self, order: np.ndarray) -> float:
        torch = self.torch
        loss_fn = torch.nn.functional.cross_entropy
        order_t = torch.from_numpy(order)
        total = torch.zeros(())
        for s in self.slices:
            idx = order_t[s]
            xb, yb = self.x.index_select(0, idx), self.y.index_select(0, idx)
            loss = loss_fn(self.net(xb), yb)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.detach()
        return float(total) / len(self.slices)

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.net(self.torch.from_numpy(x)).argmax(dim=1).numpy()

    @staticmethod
    def version() -> str:
        import torch

        return f"{torch.__version__} (threads: {torch.get_num_threads()})"


class SklearnRunner(Runner):
    """scikit-learn's ``MLPClassifier`` with the same sizes, solver, batch size and learning
    rate (no L2 penalty, no momentum), one ``partial_fit`` per epoch on the images put in the
    epoch's order (``shuffle=False``, so scikit-learn keeps that order)."""

    name = "sklearn"

    def __init__(self, workload: Workload, data: Data) -> None:
        super().__init__(workload, data)
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(
            hidden_layer_sizes=workload.sizes[1:-1],
            activation="relu",
            solver=workload.optimizer,
            alpha=0.0,
            batch_size=workload.batch_size,
            learning_rate_init=workload.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            shuffle=False,
            random_state=SEED,
        )
        # The first partial_fit sets up the classes and shapes; then the initial weights are
        # swapped in and the optimizer dropped, so the next call starts it afresh on them.
        b = workload.batch_size
        self.clf.partial_fit(data.x_train[:b], data.y_train[:b], classes=np.arange(10))
        initial = initial_weights(workload.sizes)
        self.clf.coefs_ = [w.copy() for w, _ in initial]
        self.clf.intercepts_ = [b.copy() for _, b in initial]
        del self.clf._optimizer

    def train_epoch(self, order: np.ndarray) -> float:
        self.clf.partial_fit(self.data.x_train[order], self.data.y_train[order])
        return float(self.clf.loss_)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.clf.predict(x)

    @staticmethod
    def version() -> str:
        import sklearn

        return sklearn.__version__


RUNNERS: dict[str, type[Runner]] = {
    r.name: r for r in (BarenetRunner, BarenetFitRunner, NumpyRunner, TorchRunner, SklearnRunner)
}
OPTIONAL = {"torch": "torch", "sklearn": "sklearn"}
"""Peers that are skipped, with a note, when their package is not installed."""


def available(name: str) -> bool:
    module = OPTIONAL.get(name)
    return module is None or importlib.util.find_spec(module) is not None
