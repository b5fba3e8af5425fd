"""The IDX file format of MNIST, Fashion-MNIST and KMNIST, gzip-compressed or raw.

An IDX file is a header and a C-order array::

    bytes 0-1   zero
    byte  2     dtype: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       each dimension as a big-endian uint32
    rest        prod(dims) items, big-endian

Every check names the file, so a truncated download or a wrong file is found at once.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from barenet.errors import BarenetError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not, whatever its name) into a native-endian array.

    Raises ``FileNotFoundError`` when it is missing and ``ValueError`` naming the file when it is
    not a complete, valid IDX file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist")
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise BarenetError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return parse_idx(data, str(path))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file; ``name`` is used in error messages.

    Shape is the header's dimensions; e.g. MNIST images (60000, 28, 28) uint8.
    """
    if len(data) < 4:
        raise BarenetError(f"{name}: not an IDX file (only {len(data)} bytes, no header)")
    if data[0] != 0 or data[1] != 0:
        raise BarenetError(
            f"{name}: not an IDX file (magic number 0x{data[:4].hex()} does not start with 0000)"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise BarenetError(f"{name}: unknown IDX dtype code 0x{code:02X} (valid: {valid})")
    if ndim == 0:
        raise BarenetError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise BarenetError(f"{name}: truncated IDX header ({len(data)} of {header} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header
    if got < expected:
        raise BarenetError(
            f"{name}: truncated IDX data: shape {dims} needs {expected:,} bytes, found {got:,}"
        )
    if got > expected:
        raise BarenetError(
            f"{name}: {got - expected:,} unexpected bytes after the IDX data of shape {dims}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    # A native, writeable copy: frombuffer views the (immutable) bytes and may be big-endian.
    return array.astype(dtype.newbyteorder("="))
