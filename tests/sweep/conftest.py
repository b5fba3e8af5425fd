"""Fixtures for the sweep tests: small data files any worker can read, a tiny recipe, and a
real two-worker Dask ``LocalCluster`` shared by the tests of a module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ._helpers import save_npz


@pytest.fixture(scope="session")
def mnist_subset(mnist_cache, tmp_path_factory) -> Path:
    """Real MNIST digits as an .npz: 12,000 training images (the validation split trains on
    the first 2,000 and validates on the last 10,000) and 1,000 test images."""
    from barenet.data import get_raw

    raw = get_raw()
    path = tmp_path_factory.mktemp("subset") / "mnist-subset.npz"
    return save_npz(
        path,
        raw.train_images[:12_000],
        raw.train_labels[:12_000],
        raw.test_images[:1_000],
        raw.test_labels[:1_000],
    )


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory) -> Path:
    """A tiny learnable problem in MNIST's shape: sparse random 28x28 images whose label a
    fixed random linear map decides; 10,600 training images (600 train, 10,000 validate)."""
    rng = np.random.default_rng(7)
    n = 10_600 + 500
    images = (np.maximum(rng.random((n, 784)) * 5 - 4, 0) * 255).astype(np.uint8)
    labels = np.argmax(images.astype(np.float32) @ rng.standard_normal((784, 10)), axis=1)
    images, labels = images.reshape(n, 28, 28), labels.astype(np.uint8)
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.npz"
    return save_npz(path, images[:10_600], labels[:10_600], images[10_600:], labels[10_600:])


@pytest.fixture(scope="module")
def local_client():
    """A real LocalCluster: two worker processes, one thread each, as `barenet sweep` starts."""
    from barenet.sweep import open_client

    with open_client(workers=2) as client:
        yield client
