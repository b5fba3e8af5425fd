"""The local cache: one canonical ``.npz`` of uint8 arrays, verified every time it is read.

Where: ``$BARENET_DATA`` if set, else ``$XDG_CACHE_HOME/barenet``, else ``~/.cache/barenet``.
The file holds the four arrays and a JSON header (``meta``) with the SHA-256 of the arrays and
of the files they were built from. It is written with ``allow_pickle=False`` under a temporary
name and renamed into place, so a crash never leaves a half-written cache that a later run
trusts; a cache whose check fails is rebuilt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from barenet._files import atomic_write, read_npz
from barenet.errors import BarenetError

from .checksums import ROLES, Catalog
from .raw import RawData

CACHE_FILE = "mnist.npz"
FORMAT = "barenet-mnist-cache"
VERSION = 1


def cache_dir() -> Path:
    """``$BARENET_DATA``, else ``$XDG_CACHE_HOME/barenet``, else ``~/.cache/barenet``."""
    if os.environ.get("BARENET_DATA"):
        return Path(os.environ["BARENET_DATA"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "barenet"
    return Path.home() / ".cache" / "barenet"


def cache_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """The cache file: ``mnist.npz`` in ``directory`` (default :func:`cache_dir`)."""
    return Path(directory if directory is not None else cache_dir()) / CACHE_FILE


def write_cache(raw: RawData, path: Path) -> None:
    """Write ``raw`` to ``path`` atomically (temporary name, fsync, rename)."""
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "content_sha256": raw.content_sha256(),
        "built_from": raw.built_from,
        "source": raw.source,
    }
    with atomic_write(path) as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **raw.arrays())


def read_cache(path: Path, catalog: Catalog) -> RawData:
    """Read and verify the cache file.

    It must be a barenet cache whose arrays hash to the recorded ``content_sha256``, which
    must be the ``catalog``'s. Raises ``FileNotFoundError`` if missing and
    ``ValueError`` naming the file and the failed check otherwise.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no cache file at {path}")
    loaded = read_npz(path, "barenet MNIST cache file", {"meta", *ROLES})
    try:
        meta = json.loads(str(loaded["meta"])) if "meta" in loaded else None
    except ValueError as exc:
        raise BarenetError(f"cache file {path} has an unreadable header ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BarenetError(f"{path} is not a barenet cache file")
    if meta.get("version") != VERSION:
        raise BarenetError(f"cache file {path} has version {meta.get('version')}, not {VERSION}")
    built_from = meta.get("built_from")
    if not isinstance(built_from, dict):
        raise BarenetError(f"cache file {path} does not record what it was built from")
    missing = [role for role in ROLES if role not in loaded]
    if missing:
        raise BarenetError(f"cache file {path} lacks {', '.join(missing)}")
    try:
        raw = RawData(
            **{role: loaded[role] for role in ROLES},
            source=f"cache {path}, built from {meta.get('source') or 'an unknown source'}",
            path=path,
            built_from={str(k): str(v) for k, v in built_from.items()},
        )
    except ValueError as exc:
        raise BarenetError(f"cache file {path}: {exc}") from None
    digest = raw.content_sha256()
    if digest != meta.get("content_sha256") or digest != catalog.content_sha256:
        raise BarenetError(
            f"cache file {path} fails its SHA-256 check: its arrays hash to {digest}, "
            f"expected {catalog.content_sha256} (corrupt or modified)"
        )
    return raw
