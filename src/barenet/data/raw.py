"""The four published arrays of an IDX data set, checked, with a digest of their content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from barenet.errors import BarenetError

from .checksums import ROLES, Facts


@dataclass(frozen=True)
class RawData:
    """Images ``(N, H, W)`` uint8 and labels ``(N,)`` uint8, exactly as published.

    ``built_from`` maps each file the arrays were read from to its SHA-256; ``source`` says in
    words where they came from and ``path`` is the file or folder they were loaded from.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str = ""
    path: Path | None = None
    built_from: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            images, labels = getattr(self, f"{part}_images"), getattr(self, f"{part}_labels")
            check_pair(images, labels, f"{part} images", f"{part} labels")
        if self.train_images.shape[1:] != self.test_images.shape[1:]:
            raise BarenetError(
                f"train images are {self.train_images.shape[1:]} but test images are "
                f"{self.test_images.shape[1:]}"
            )

    def arrays(self) -> dict[str, np.ndarray]:
        """The four arrays by role (``train_images``, ``train_labels``, ...)."""
        return {role: getattr(self, role) for role in ROLES}

    def content_sha256(self) -> str:
        """SHA-256 over each array's role, shape and bytes: the identity of the data itself,
        whichever file format it was read from."""
        h = hashlib.sha256()
        for role, a in self.arrays().items():
            h.update(f"{role} {a.shape} {a.dtype.str}\n".encode())
            h.update(np.ascontiguousarray(a).data)
        return h.hexdigest()

    def class_counts(self, part: str = "test") -> np.ndarray:
        """How many examples of each class id 0..max in ``part`` ("train" or "test")."""
        labels = getattr(self, f"{part}_labels")
        return np.bincount(labels, minlength=int(self.num_classes))

    @property
    def num_classes(self) -> int:
        """1 + the largest label in either set (10 for MNIST)."""
        return int(max(self.train_labels.max(initial=0), self.test_labels.max(initial=0))) + 1


def check_pair(images: np.ndarray, labels: np.ndarray, image_name: str, label_name: str) -> None:
    """Images must be ``(N, H, W)`` uint8 and labels ``(N,)`` uint8, with the same N."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise BarenetError(
            f"{image_name}: expected uint8 images of shape (N, H, W), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise BarenetError(
            f"{label_name}: expected uint8 labels of shape (N,), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise BarenetError(
            f"image/label count mismatch: {image_name} has {len(images):,} images "
            f"but {label_name} has {len(labels):,} labels"
        )


def check_facts(raw: RawData, facts: Facts, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` if ``raw`` contradicts the published ``facts``."""
    found = {
        "training examples": (len(raw.train_labels), facts.train_count),
        "test examples": (len(raw.test_labels), facts.test_count),
        "image shape": (tuple(raw.train_images.shape[1:]), facts.image_shape),
        "first training labels": (
            tuple(int(v) for v in raw.train_labels[: len(facts.first_train_labels)]),
            facts.first_train_labels,
        ),
        "first test labels": (
            tuple(int(v) for v in raw.test_labels[: len(facts.first_test_labels)]),
            facts.first_test_labels,
        ),
        "test class counts": (
            tuple(int(v) for v in np.bincount(raw.test_labels)),
            facts.test_class_counts,
        ),
    }
    for what, (got, expected) in found.items():
        if got != expected:
            raise BarenetError(f"{name}: {what}: found {got}, expected {expected}")
