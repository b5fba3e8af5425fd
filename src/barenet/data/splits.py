"""Train / validation / test splits of the published arrays, as model-ready ``x`` and ``y``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from barenet.errors import BarenetError

from .raw import RawData

SPLITS = ("official", "validation", "seed001")
SEED001_TEST_FRACTION = 0.33


@dataclass(frozen=True)
class Split:
    """``x``: images ``(N, 784)`` (or ``(N, 28, 28)``), float in [0, 1] or uint8;
    ``y``: class ids ``(N,)`` uint8."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class MNISTData:
    """The splits of one load, where the data came from (``source``, in words), and the
    identity of the arrays they were cut from (``sha256``, ``RawData.content_sha256``)."""

    train: Split
    test: Split
    validation: Split | None
    source: str
    sha256: str = ""


Rows = slice | np.ndarray


def split_indices(raw: RawData, split: str, seed: int) -> tuple[Rows, Rows, Rows | None, bool]:
    """Rows of (train, test, validation) and whether they index the pooled arrays.

    - ``official``: the published 60,000 / 10,000.
    - ``validation``: the first 50,000 training images train, the last 10,000 validate
      (Nielsen's 50k/10k/10k).
    - ``seed001``: all 70,000 pooled (train then test), split 67% / 33% exactly as seed 001's
      ``sklearn.model_selection.train_test_split(test_size=0.33, random_state=seed)``:
      ``perm = RandomState(seed).permutation(n)``, test = ``perm[:ceil(0.33 n)]``, train = rest.
    """
    n_train, n_test = len(raw.train_labels), len(raw.test_labels)
    if split == "official":
        return slice(0, n_train), slice(0, n_test), None, False
    if split == "validation":
        if n_train <= 10_000:
            raise BarenetError(
                f"split 'validation' needs over 10,000 training images, got {n_train}"
            )
        cut = n_train - 10_000
        return slice(0, cut), slice(0, n_test), slice(cut, n_train), False
    if split == "seed001":
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise BarenetError(f"seed must be a non-negative integer, got {seed!r}")
        n = n_train + n_test
        n_held = int(np.ceil(SEED001_TEST_FRACTION * n))
        # The legacy generator on purpose: it is the stream scikit-learn's random_state uses.
        perm = np.random.RandomState(seed).permutation(n)
        return perm[n_held:], perm[:n_held], None, True
    raise BarenetError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")


def make_splits(
    raw: RawData, split: str, seed: int, *, flatten: bool, dtype: np.dtype
) -> MNISTData:
    """Cut ``raw`` into splits; images become ``dtype`` (uint8 as published, floats = uint8/255)."""
    train_idx, test_idx, val_idx, pooled = split_indices(raw, split, seed)
    if pooled:
        images = np.concatenate([raw.train_images, raw.test_images])
        labels = np.concatenate([raw.train_labels, raw.test_labels])
        sources = (images, labels), (images, labels)
    else:
        sources = (raw.train_images, raw.train_labels), (raw.test_images, raw.test_labels)

    def take(part: tuple[np.ndarray, np.ndarray], rows: Rows) -> Split:
        images, labels = part
        x = _convert(images[rows], dtype)
        return Split(x.reshape(len(x), -1) if flatten else x, labels[rows].copy())

    train = take(sources[0], train_idx)
    test = take(sources[1], test_idx)
    validation = take(sources[0], val_idx) if val_idx is not None else None
    return MNISTData(
        train=train,
        test=test,
        validation=validation,
        source=raw.source,
        sha256=raw.content_sha256(),
    )


def _convert(images: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return images.copy()
    return np.divide(images, dtype.type(255), dtype=dtype)
