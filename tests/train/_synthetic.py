"""Small synthetic data sets and models for the training tests."""

import numpy as np

from barenet.train import Model


def blobs(n=300, features=12, classes=3, seed=0, spread=0.6):
    """Separable Gaussian blobs: a small synthetic classification problem."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (classes, features))
    y = rng.integers(0, classes, n).astype(np.uint8)
    x = (centres[y] + rng.normal(0, spread, (n, features))).astype(np.float32)
    return x, y


def make_model(seed=0, dropout=0.0):
    return Model.from_sizes(
        [12, 16, 3],
        activation="relu",
        output_activation="softmax",
        init="he_normal",
        dropout=dropout,
        seed=seed,
    )
