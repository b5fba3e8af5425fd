"""Download the official IDX archives from public mirrors, each checked by size and SHA-256.

The default mirrors are the ones PyTorch and TensorFlow use. ``$BARENET_MNIST_MIRRORS``
replaces them (base URLs separated by spaces or commas; empty or ``none`` turns mirrors off)
and ``$BARENET_TIMEOUT`` sets the connect/read timeout in seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from barenet.errors import BarenetError

from .checksums import KnownFile

DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
DEFAULT_TIMEOUT = 10.0
CHUNK = 1 << 16

Progress = Callable[[str, int, int], None]
"""``progress(file_name, bytes_done, bytes_total)``, called as a download advances."""


def mirrors_from_env() -> list[str]:
    """The mirror base URLs to try, in order (see the module docstring)."""
    value = os.environ.get("BARENET_MNIST_MIRRORS")
    if value is None:
        return list(DEFAULT_MIRRORS)
    urls = value.replace(",", " ").split()
    if urls == ["none"]:
        return []
    return [u if u.endswith("/") else u + "/" for u in urls]


def timeout_from_env() -> float:
    value = os.environ.get("BARENET_TIMEOUT", "")
    try:
        timeout = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        timeout = -1.0
    if not timeout > 0:
        raise BarenetError(f"BARENET_TIMEOUT must be a positive number of seconds, got {value!r}")
    return timeout


class MirrorDown(OSError):
    """The mirror did not answer at all (no connection, DNS failure, timeout)."""


def download(
    url: str, known: KnownFile, dest: Path, timeout: float, progress: Progress | None = None
) -> None:
    """Stream ``url`` to ``dest`` through ``dest.part``; rename only once size and SHA-256 match.

    Raises ``MirrorDown`` when the server cannot be reached, ``OSError`` for an HTTP error and
    ``ValueError`` for a truncated, oversized or wrong file. ``dest.part`` never survives.
    """
    part = dest.with_name(dest.name + ".part")
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MirrorDown(f"cannot connect ({reason})") from None
    h = hashlib.sha256()
    done = 0
    try:
        with response, open(part, "wb") as out:
            while chunk := response.read(CHUNK):
                done += len(chunk)
                if done > known.size:
                    raise BarenetError(
                        f"{known.name}: larger than the expected {known.size:,} bytes"
                    )
                h.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(known.name, done, known.size)
        if done != known.size:
            raise BarenetError(
                f"{known.name}: truncated download ({done:,} of {known.size:,} bytes)"
            )
        if h.hexdigest() != known.sha256:
            raise BarenetError(
                f"{known.name}: wrong SHA-256 {h.hexdigest()}, expected {known.sha256}"
            )
        os.replace(part, dest)
    except TimeoutError as exc:
        raise OSError(f"{known.name}: download stalled ({exc})") from None
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the server hung up early
        raise BarenetError(f"{known.name}: truncated download ({exc!r})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)


def fetch_from_mirrors(
    files: dict[str, KnownFile],
    mirrors: list[str],
    workdir: Path,
    *,
    timeout: float,
    progress: Progress | None = None,
    failures: list[str],
) -> dict[str, Path] | None:
    """Get every file from the first mirror that serves it intact.

    Returns the verified files by role, or ``None`` when some file could not be had; each
    failed attempt is appended to ``failures`` as a line ``url: reason``. A mirror that
    cannot be reached is not asked again for the other files.
    """
    got: dict[str, Path] = {}
    down: set[str] = set()
    for role, known in files.items():
        for base in mirrors:
            if base in down:
                continue
            url = base + known.name
            try:
                download(url, known, workdir / known.name, timeout, progress)
            except MirrorDown as exc:
                down.add(base)
                failures.append(f"{base}: {exc}")
            except (OSError, ValueError) as exc:
                failures.append(f"{url}: {exc}")
            else:
                got[role] = workdir / known.name
                break
        else:
            return None
    return got
