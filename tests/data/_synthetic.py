"""Small synthetic IDX data sets, their catalogs, and a local HTTP server to serve them."""

from __future__ import annotations

import gzip
import http.server
import pickle
import socket
import struct
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from barenet.data import Catalog, KnownFile, RawData, sha256_file
from barenet.data.checksums import KnownPackage, sha256_bytes

IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}
NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``: header (0, 0, dtype code, ndim, dims) + big-endian data."""
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    code = IDX_CODES[big.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + big.tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def make_raw(n_train: int = 60, n_test: int = 20, shape=(4, 4), seed: int = 0) -> RawData:
    """Random uint8 images and labels 0..9 (every class present in train and test)."""
    rng = np.random.default_rng(seed)
    return RawData(
        train_images=rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        train_labels=rng.permutation(np.arange(n_train) % 10).astype(np.uint8),
        test_images=rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        test_labels=rng.permutation(np.arange(n_test) % 10).astype(np.uint8),
    )


def write_folder(folder: Path, raw: RawData) -> dict[str, Path]:
    """The four ``.gz`` IDX files of ``raw`` in ``folder``, by role."""
    folder.mkdir(parents=True, exist_ok=True)
    return {role: write_idx(folder / NAMES[role], a) for role, a in raw.arrays().items()}


def mnist_pickle_gz(raw: RawData, dumps: Callable[[object], bytes] | None = None) -> bytes:
    """``raw`` as the classic ``mnist.pkl.gz``: ((train, valid), valid, test) of float32
    ``uint8 / 256`` rows, split 5/6 : 1/6 between train and validation."""

    def rows(images: np.ndarray) -> np.ndarray:
        return (images.reshape(len(images), -1) / np.float32(256)).astype(np.float32)

    cut = len(raw.train_labels) * 5 // 6
    x, y = rows(raw.train_images), raw.train_labels.astype(np.int64)
    parts = ((x[:cut], y[:cut]), (x[cut:], y[cut:]), (rows(raw.test_images), raw.test_labels))
    # Protocol 4: Python 3's protocol 2 would pickle bytes through _codecs.encode, which the
    # real (Python 2) file does not need and the restricted unpickler refuses.
    data = (dumps or (lambda obj: pickle.dumps(obj, protocol=4)))(parts)
    return gzip.compress(data, mtime=0)


def make_wheel(folder: Path, name: str, version: str, member: str, payload: bytes) -> Path:
    """A minimal wheel holding ``payload`` at ``member``, as a package index would serve it."""
    dist = f"{name.replace('-', '_')}-{version}"
    wheel = folder / f"{dist}-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(member, payload)
        z.writestr(f"{dist}.dist-info/METADATA", meta)
        z.writestr(
            f"{dist}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr(f"{dist}.dist-info/RECORD", "")
    return wheel


def catalog_for(raw: RawData, files: dict[str, Path], package: KnownPackage | None = None):
    """A catalog that knows ``files`` (by role) and ``raw``'s content, as MNIST knows its own."""
    return Catalog(
        files={
            role: KnownFile(path.name, path.stat().st_size, sha256_file(path))
            for role, path in files.items()
        },
        content_sha256=raw.content_sha256(),
        package=package,
    )


def package_for(wheel_name: str, payload: bytes) -> KnownPackage:
    return KnownPackage(
        requirement=wheel_name, member="digits/data/mnist.pkl.gz", sha256=sha256_bytes(payload)
    )


class Server:
    """An HTTP server on 127.0.0.1 in a thread. ``routes`` maps a path to the bytes to send or
    to ``handler(request)``; everything else is 404. ``requests`` logs each path asked for."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes | Callable[[http.server.BaseHTTPRequestHandler], None]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                elif callable(route):
                    route(self)
                else:
                    self.send_response(200)
                    kind = "text/html" if self.path.endswith("/") else "application/octet-stream"
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(route)))
                    self.end_headers()
                    self.wfile.write(route)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve_folder(self, prefix: str, folder: Path) -> str:
        """Serve every file of ``folder`` under ``/prefix/``; returns that base URL."""
        for f in folder.iterdir():
            self.routes[f"/{prefix}/{f.name}"] = f.read_bytes()
        return f"{self.url}/{prefix}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def send_truncated(data: bytes) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A route that promises ``len(data)`` bytes and hangs up after half of them."""

    def route(request: http.server.BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data[: len(data) // 2])
        request.wfile.flush()
        request.close_connection = True

    return route


def unpicklable_payload(command: str) -> bytes:
    """A gzip'd pickle that would run ``command`` with ``os.system`` if a plain unpickler
    loaded it."""

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, (command,))

    return gzip.compress(pickle.dumps(Evil(), protocol=2), mtime=0)
