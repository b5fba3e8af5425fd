"""The IDX reader: every dtype, gzip or raw, and a clear error naming the file for each fault."""

import gzip

import numpy as np
import pytest

from barenet.data import parse_idx, read_idx

from ._synthetic import idx_bytes, write_idx


@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8", "<i4", "<f8"])
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_every_dtype_gzip_or_raw(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 5, 2)) * 100).astype(dtype)
    path = write_idx(tmp_path / "a.idx", array, compress=compress)
    got = read_idx(path)
    assert got.shape == (3, 5, 2)
    assert got.dtype.isnative and got.dtype.kind == array.dtype.kind
    assert got.dtype.itemsize == array.dtype.itemsize
    np.testing.assert_array_equal(got, array)
    assert got.flags.writeable


def test_gzip_is_detected_by_content_not_by_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    plain = write_idx(tmp_path / "labels.gz", labels, compress=False)
    packed = write_idx(tmp_path / "labels-idx1-ubyte", labels, compress=True)
    np.testing.assert_array_equal(read_idx(plain), labels)
    np.testing.assert_array_equal(read_idx(packed), labels)


def test_mnist_shaped_file(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    assert gzip.decompress(path.read_bytes())[:4] == b"\x00\x00\x08\x03"
    np.testing.assert_array_equal(read_idx(path), images)


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no header"),
        (b"\x00\x00\x08", "no header"),
        (b"\x08\x03" + GOOD[2:], "magic number 0x0803"),
        (b"\x00\x00\x07\x02" + GOOD[4:], "unknown IDX dtype code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (GOOD[:9], "truncated IDX header"),
        (GOOD[:-1], "truncated IDX data"),
        (GOOD + b"\x00", "1 unexpected bytes"),
    ],
    ids=["empty", "short", "magic", "dtype", "ndim0", "header", "truncated", "trailing"],
)
def test_each_corrupt_file_names_the_file_and_the_problem(tmp_path, data, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_truncated_data_message_says_what_was_expected():
    with pytest.raises(ValueError, match=r"shape \(3, 4\) needs 12 bytes, found 11"):
        parse_idx(GOOD[:-1], "x")


def test_wrong_length_is_caught_for_a_count_mismatch_in_the_header():
    # The header claims 4 rows but the data holds 3: the first dimension is a lie.
    lying = GOOD[:4] + (4).to_bytes(4, "big") + GOOD[8:]
    with pytest.raises(ValueError, match="truncated IDX data"):
        parse_idx(lying, "lying")


def test_corrupt_gzip(tmp_path):
    packed = bytearray(gzip.compress(GOOD * 100))
    packed[20:30] = b"\xff" * 10
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="corrupt or truncated gzip") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(GOOD * 100)[:-12])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere-idx1-ubyte"):
        read_idx(tmp_path / "nowhere-idx1-ubyte")
