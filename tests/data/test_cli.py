"""`barenet data fetch | info | verify | path`, offline, on synthetic data."""

import io
import json

import pytest

from barenet.app.cli import main
from barenet.app.commands.data import _ProgressBar

from ._synthetic import make_raw, write_folder


@pytest.fixture
def folder(tmp_path):
    write_folder(tmp_path / "digits", make_raw())
    return tmp_path / "digits"


def run(capsys, *argv):
    code = main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_path_prints_the_cache_file(capsys, tmp_path):
    assert run(capsys, "path") == (0, f"{tmp_path / 'cache' / 'mnist.npz'}\n", "")


def test_info_on_a_folder(capsys, folder):
    code, out, err = run(capsys, "info", "--data", str(folder))
    assert code == 0 and err == ""
    assert f"source:   folder {folder}\n" in out
    assert "official: no" in out
    assert "examples: 60 train, 20 test, 4x4 uint8 images" in out
    assert "train-images-idx3-ubyte.gz" in out
    assert "      0       6      2\n" in out  # class 0: 6 of 60 train, 2 of 20 test


def test_info_as_json(capsys, folder):
    code, out, _ = run(capsys, "info", "--json", "--data", str(folder))
    info = json.loads(out)
    assert code == 0
    assert info["train"] == 60 and info["test"] == 20 and info["official_mnist"] is False
    assert info["test_class_counts"] == [2] * 10
    assert set(info["built_from"]) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }


def one_line_error(code, out, err, *parts):
    assert code == 1 and out == ""
    assert err.startswith("barenet: error: ") and err.count("\n") == 1, err
    for part in parts:
        assert part in err, (part, err)


def test_verify_rejects_data_that_is_not_the_official_mnist(capsys, folder):
    one_line_error(*run(capsys, "verify", "--data", str(folder)), "training examples: found 60")


def test_fetch_can_refuse_files_placed_by_hand(capsys, folder, tmp_path):
    one_line_error(*run(capsys, "fetch", "--data", str(folder)), str(folder), "expected 60000")
    assert not (tmp_path / "cache" / "mnist.npz").exists()


def test_fetch_with_every_source_failing(capsys):
    one_line_error(
        *run(capsys, "fetch"), "could not get MNIST from any source", "To place the files by hand"
    )


def test_info_and_verify_download_nothing(capsys):
    for command in ("info", "verify"):
        one_line_error(*run(capsys, command), "MNIST is not in the cache", "barenet data fetch")


def test_a_missing_path(capsys, tmp_path):
    one_line_error(*run(capsys, "info", "--data", str(tmp_path / "none")), "does not exist")


def test_the_group_alone_prints_its_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "fetch" in out and "verify" in out


@pytest.mark.parametrize("command", ["fetch", "info", "verify", "path"])
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main(["data", command, "--help"])
    assert exit_.value.code == 0
    assert f"barenet data {command}" in capsys.readouterr().out


def test_progress_bar_redraws_in_place_and_ends_the_line():
    stream = io.StringIO()
    bar = _ProgressBar(stream, width=10)
    for done in (0, 500, 501, 1000):
        bar("f.gz", done, 1000)
    text = stream.getvalue()
    assert text.count("\r") == 3  # 501 bytes is still 50%: not redrawn
    assert "[#####.....]  50%" in text
    assert text.endswith("[##########] 100%    0.0/0.0 MB\n")
