"""A worker's one copy of the data: loaded and verified once, reloaded when the file changes,
read-only so no trial changes what the next one trains on."""

from __future__ import annotations

import numpy as np
import pytest

from barenet.data import load_mnist
from barenet.sweep import trial
from barenet.sweep.trial import worker_data

from ._helpers import save_npz


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10_600, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=10_600, dtype=np.uint8)
    path = save_npz(tmp_path / "data.npz", images, labels, images[:100], labels[:100])
    yield path
    trial._DATA.clear()


def test_a_worker_loads_the_data_once_and_keeps_it_read_only(data_file):
    first = worker_data(str(data_file), "validation", 42)
    assert worker_data(str(data_file), "validation", 42) is first
    fresh = load_mnist(data_file, split="validation")
    np.testing.assert_array_equal(first.train.x, fresh.train.x)
    assert first.sha256 == fresh.sha256
    for part in (first.train, first.validation, first.test):
        assert not part.x.flags.writeable and not part.y.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            part.x[0, 0] = 1.0


def test_another_split_or_a_changed_file_is_loaded_again(data_file):
    first = worker_data(str(data_file), "validation", 42)
    official = worker_data(str(data_file), "official", 42)
    assert official is not first and official.validation is None
    assert len(trial._DATA) == 1  # one copy per worker
    # The same path with other content (a new file in its place): read and checked again.
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(10_600, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=10_600, dtype=np.uint8)
    save_npz(data_file, images, labels, images[:100], labels[:100])
    changed = worker_data(str(data_file), "official", 42)
    assert changed is not official and changed.sha256 != official.sha256
    np.testing.assert_array_equal(changed.train.y, labels)
