"""The three splits and the image options of load_mnist, on small synthetic IDX folders."""

import numpy as np
import pytest

from barenet.data import load_mnist

from ._synthetic import make_raw, write_folder


@pytest.fixture
def folder(tmp_path):
    raw = make_raw(n_train=60, n_test=20, shape=(3, 2))
    write_folder(tmp_path / "digits", raw)
    return tmp_path / "digits", raw


def test_official_split_float32_rows_in_0_1(folder):
    path, raw = folder
    data = load_mnist(path)
    assert data.validation is None
    assert data.train.x.shape == (60, 6) and data.train.x.dtype == np.float32
    assert data.test.x.shape == (20, 6) and data.train.y.dtype == np.uint8
    # uint8 / 255 exactly as float32 division, so 255 -> 1.0 and 0 -> 0.0.
    expected = raw.train_images.reshape(60, 6).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(data.train.x, expected)
    assert data.train.x.min() >= 0.0 and data.train.x.max() <= 1.0
    np.testing.assert_array_equal(data.test.y, raw.test_labels)
    assert data.source == f"folder {path}"
    assert len(data.train) == 60


def test_image_shape_and_uint8_and_float64_options(folder):
    path, raw = folder
    images = load_mnist(path, flatten=False, dtype=np.uint8)
    assert images.train.x.shape == (60, 3, 2)
    np.testing.assert_array_equal(images.train.x, raw.train_images)
    assert not np.shares_memory(images.train.x, raw.train_images)
    assert load_mnist(path, dtype="float64").test.x.dtype == np.float64


def test_validation_split_holds_out_the_last_10000_training_images(tmp_path):
    raw = make_raw(n_train=10_050, n_test=30, shape=(2, 2))
    write_folder(tmp_path, raw)
    data = load_mnist(tmp_path, split="validation", dtype=np.uint8)
    assert (len(data.train), len(data.validation), len(data.test)) == (50, 10_000, 30)
    np.testing.assert_array_equal(data.train.x, raw.train_images[:50].reshape(50, 4))
    np.testing.assert_array_equal(data.validation.y, raw.train_labels[50:])


def test_validation_split_needs_enough_training_images(folder):
    with pytest.raises(ValueError, match="over 10,000 training images"):
        load_mnist(folder[0], split="validation")


def test_seed001_pools_and_splits_67_33_by_seed(folder):
    path, raw = folder
    a = load_mnist(path, split="seed001", dtype=np.uint8)
    assert (len(a.train), len(a.test)) == (53, 27)  # ceil(0.33 * 80) = 27 held out
    pooled = np.concatenate([raw.train_images, raw.test_images]).reshape(80, -1)
    rows = {r.tobytes() for r in pooled}
    got = [r.tobytes() for r in np.concatenate([a.train.x, a.test.x])]
    assert len(set(got)) == 80 and set(got) == rows  # a partition of all 80
    b = load_mnist(path, split="seed001", dtype=np.uint8)
    np.testing.assert_array_equal(a.test.x, b.test.x)
    c = load_mnist(path, split="seed001", seed=7, dtype=np.uint8)
    assert not np.array_equal(a.test.x, c.test.x)


def test_seed001_is_exactly_scikit_learns_train_test_split(folder):
    """Seed 001 called train_test_split(test_size=0.33, random_state=42) on the pooled set."""
    sklearn = pytest.importorskip("sklearn.model_selection")
    path, raw = folder
    x = np.concatenate([raw.train_images, raw.test_images]).reshape(80, -1)
    y = np.concatenate([raw.train_labels, raw.test_labels])
    x_train, x_test, y_train, y_test = sklearn.train_test_split(
        x, y, test_size=0.33, random_state=42
    )
    data = load_mnist(path, split="seed001", dtype=np.uint8)
    np.testing.assert_array_equal(data.train.x, x_train)
    np.testing.assert_array_equal(data.test.x, x_test)
    np.testing.assert_array_equal(data.train.y, y_train)
    np.testing.assert_array_equal(data.test.y, y_test)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "random"}, "unknown split 'random'; valid: official, validation, seed001"),
        ({"dtype": np.int16}, "dtype must be float32, float64 or uint8, got int16"),
        ({"split": "seed001", "seed": -1}, "seed must be a non-negative integer, got -1"),
    ],
)
def test_bad_options(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_mnist(folder[0], **kwargs)


def test_path_must_be_given_as_a_folder_or_npz_and_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nothing")
    other = tmp_path / "digits.csv"
    other.write_text("1,2\n")
    with pytest.raises(ValueError, match=r"neither a folder of IDX files nor an \.npz"):
        load_mnist(other)
    with pytest.raises(FileNotFoundError, match=r"has no train-images-idx3-ubyte\.gz"):
        load_mnist(tmp_path)
