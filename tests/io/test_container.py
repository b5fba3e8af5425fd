import json
import stat
import zipfile

import numpy as np
import pytest

from barenet._files import _UMASK
from barenet.io import FormatError, atomic_write, read_container, write_container


def test_round_trip_keeps_header_and_arrays_exactly(tmp_path):
    path = tmp_path / "c.npz"
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5])}
    write_container(path, {"format": "x", "format_version": 1, "n": [1, 2]}, arrays)
    header, back = read_container(path, kind="thing", fmt="x", max_version=1)
    assert header["n"] == [1, 2]
    assert set(back) == {"a", "b"}
    np.testing.assert_array_equal(back["a"], arrays["a"])
    assert back["a"].dtype == np.float32


def test_newer_version_is_refused_with_upgrade_hint(tmp_path):
    path = tmp_path / "c.npz"
    write_container(path, {"format": "x", "format_version": 7}, {})
    with pytest.raises(FormatError, match=r"newer barenet.*version 7.*upgrade"):
        read_container(path, kind="thing", fmt="x", max_version=1)


def test_foreign_format_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    write_container(path, {"format": "other", "format_version": 1}, {})
    with pytest.raises(FormatError, match=r"not a barenet thing.*'other'"):
        read_container(path, kind="thing", fmt="x", max_version=1)


def test_plain_npz_without_header_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(FormatError, match="no header"):
        read_container(path, kind="model file", fmt="x", max_version=1)


@pytest.mark.parametrize("keep", [0, 10, 200, -30])
def test_truncated_file_is_refused(tmp_path, keep):
    path = tmp_path / "c.npz"
    write_container(path, {"format": "x", "format_version": 1}, {"w": np.ones((50, 50))})
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    with pytest.raises(FormatError, match="corrupt or truncated"):
        read_container(path, kind="thing", fmt="x", max_version=1)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    header = np.frombuffer(json.dumps({"format": "x", "format_version": 1}).encode(), np.uint8)
    np.savez(path, header=header, w=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FormatError):
        read_container(path, kind="thing", fmt="x", max_version=1)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_container(tmp_path / "nope.npz", kind="thing", fmt="x", max_version=1)
    with pytest.raises(IsADirectoryError):
        read_container(tmp_path, kind="thing", fmt="x", max_version=1)


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(path) as f:
        f.write(b"half")
        raise RuntimeError("crash")
    assert path.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_atomic_write_needs_existing_directory(tmp_path):
    with (
        pytest.raises(FileNotFoundError, match="does not exist"),
        atomic_write(tmp_path / "missing" / "f.bin"),
    ):
        pass


def test_written_file_is_a_standard_zip(tmp_path):
    path = tmp_path / "c.npz"
    write_container(path, {"format": "x", "format_version": 1}, {"w": np.ones(2)})
    assert sorted(zipfile.ZipFile(path).namelist()) == ["header.npy", "w.npy"]


def test_atomic_write_gives_the_file_the_mode_open_would(tmp_path):
    with atomic_write(tmp_path / "f.bin") as f:
        f.write(b"x")
    # mkstemp alone would leave it 0600, private to its owner.
    assert stat.S_IMODE((tmp_path / "f.bin").stat().st_mode) == 0o666 & ~_UMASK
