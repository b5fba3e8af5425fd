"""The container shared by model files and checkpoints: an ``.npz`` zip archive with one
entry ``header`` (UTF-8 JSON, stored as a uint8 array) and any number of named arrays.

The header always has ``format`` (what kind of file) and ``format_version``. Reading uses
``np.load(..., allow_pickle=False)``: object arrays are refused, so loading a file can never
run code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from barenet._files import atomic_write, existing_file, read_npz
from barenet.errors import BarenetError

HEADER_KEY = "header"


class FormatError(BarenetError):
    """A file that is not what it should be: not an archive, truncated, foreign or too new."""


def write_container(
    path: str | os.PathLike[str], header: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    """Atomically write ``header`` and ``arrays`` to ``path`` (no suffix is added)."""
    if HEADER_KEY in arrays:
        raise ValueError(f"array name {HEADER_KEY!r} is reserved")
    blob = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as handle:
        np.savez(handle, **{HEADER_KEY: blob}, **arrays)
    return Path(path)


def read_container(
    path: str | os.PathLike[str], *, kind: str, fmt: str, max_version: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a container written by ``write_container``; ``kind`` names it in error messages
    ("model file", "checkpoint"), ``fmt`` is the expected ``header["format"]``."""
    path = existing_file(path, kind)
    try:
        arrays = read_npz(path, f"barenet {kind}")
        if HEADER_KEY not in arrays:
            raise FormatError(f"{path} is not a barenet {kind} (no header)")
        header = json.loads(arrays.pop(HEADER_KEY).tobytes().decode("utf-8"))
    except FormatError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path} is not a barenet {kind} (unreadable header: {exc})") from None
    except ValueError as exc:
        raise FormatError(str(exc)) from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        found = header.get("format") if isinstance(header, dict) else None
        raise FormatError(f"{path} is not a barenet {kind} (format {found!r}, expected {fmt!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{path}: invalid format_version {version!r}")
    if version > max_version:
        raise FormatError(
            f"{path} was written by a newer barenet ({kind} format version {version}; this "
            f"version reads up to {max_version}); upgrade barenet to read it"
        )
    return header, arrays
