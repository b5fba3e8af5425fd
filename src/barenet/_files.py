"""Files barenet writes and reads, shared by every layer above the engine (data cache, model
files, checkpoints, run logs):

* ``atomic_write``: a crash or Ctrl-C never leaves a half-written file behind;
* ``read_npz``: the arrays of an ``.npz`` archive, never unpickling anything;
* ``existing_file``: a path checked to be a file, with an error naming it if not;
* ``read_toml``: a TOML file (recipes, sweep specs), every way it can be wrong named in one line.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from barenet.errors import BarenetError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on success fsync it and rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was. The rename
    is atomic on POSIX, so a reader sees either the old file or the complete new one.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {directory} does not exist (writing {target.name})")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the mode open() would have.
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def existing_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a ``Path``, or ``FileNotFoundError`` / ``IsADirectoryError`` naming it as
    ``what`` ("model file", "image", ...)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{what} {path} is a directory, not a file")
    return path


def read_npz(
    path: str | os.PathLike[str], what: str, names: Collection[str] | None = None
) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` archive at ``path`` (only ``names``, if given).

    Object arrays are refused (``allow_pickle=False``), so reading a file never runs code. A
    file that is not a zip archive, or a corrupt or truncated one, raises ``ValueError``
    naming the file as ``what`` ("barenet model file", "MNIST cache file", ...).
    """
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise BarenetError(f"{path} is not a readable {what} (corrupt or truncated: it is empty)")
    if magic != b"PK\x03\x04" and magic != b"PK\x05\x06":  # a zip's first entry, or empty
        # np.load would try such a file as a pickle, and its error would say so.
        raise BarenetError(f"{path} is not a {what} (not an .npz archive)")
    try:
        # Open the file ourselves so it is closed even when np.load fails half-way.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            return {n: archive[n] for n in archive.files if names is None or n in names}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        raise BarenetError(
            f"{path} is not a readable {what} (corrupt or truncated: {exc})"
        ) from None


def read_toml(path: Path, what: str) -> tuple[str, dict[str, Any]]:
    """The text of the TOML file ``path`` and what it parses to; ``what`` names the file in
    errors ("recipe", "sweep spec"): missing, a folder, not text, or not valid TOML."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise BarenetError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise BarenetError(f"{what} {path} is a folder, not a .toml file") from None
    except UnicodeDecodeError:
        raise BarenetError(f"{what} {path} is not a text (TOML) file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BarenetError(f"{what} {path} is not valid TOML: {exc}") from None
