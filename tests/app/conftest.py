"""Models for the app tests: one small network trained on real MNIST once per session, and an
untrained one for tests that only need the shapes right."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

CLASS_NAMES = [str(d) for d in range(10)]


@dataclass(frozen=True)
class Trained:
    path: Path
    model: object
    test_x: np.ndarray
    test_y: np.ndarray


@pytest.fixture(scope="session")
def trained(tmp_path_factory, mnist) -> Trained:
    """784-128-10 (ReLU, softmax), Adam, 2 epochs on the 60,000 MNIST training digits: about
    97 % on the test set, in a few seconds. Saved once; tests load it from ``path``."""
    import barenet

    model = barenet.Model.from_sizes(
        [784, 128, 10], activation="relu", output_activation="softmax", init="he_normal", seed=0
    )
    model.fit(
        mnist.train.x,
        mnist.train.y,
        epochs=2,
        batch_size=64,
        optimizer={"name": "adam", "lr": 1e-3},
        seed=0,
        verbose=False,
    )
    path = tmp_path_factory.mktemp("model") / "model.npz"
    model.save(path, class_names=CLASS_NAMES)
    return Trained(path=path, model=model, test_x=mnist.test.x, test_y=mnist.test.y)


@pytest.fixture(scope="session")
def untrained(tmp_path_factory):
    """(path, model): a 784-16-10 network with random weights."""
    import barenet

    model = barenet.Model.from_sizes([784, 16, 10], output_activation="softmax", seed=0)
    path = tmp_path_factory.mktemp("untrained") / "untrained.npz"
    model.save(path)
    return path, model
