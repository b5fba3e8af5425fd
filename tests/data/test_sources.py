"""Where the data comes from: the user's path, then the cache, then the mirrors (a local HTTP
server on 127.0.0.1 serving good and bad files), in that order, with every failure explained."""

import threading

import numpy as np
import pytest

from barenet.data import MNISTNotFoundError, get_raw, load_mnist
from barenet.data.mirrors import DEFAULT_TIMEOUT

from ._synthetic import dead_url, make_raw, send_truncated, write_folder

CACHE_FILE = "mnist.npz"


def same(a, b):
    for role, array in a.arrays().items():
        np.testing.assert_array_equal(array, getattr(b, role), err_msg=role)


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name != CACHE_FILE)


def test_the_first_mirror_that_serves_good_files_wins(synthetic, server, monkeypatch, tmp_path):
    raw, files, catalog = synthetic
    bad = tmp_path / "bad"
    write_folder(bad, make_raw(seed=9))  # same names, other bytes: wrong SHA-256
    good = server.serve_folder("good", files["train_images"].parent)
    server.serve_folder("bad", bad)
    truncated = f"{server.url}/cut/"
    for f in files.values():
        server.routes[f"/cut/{f.name}"] = send_truncated(f.read_bytes())
    dead = dead_url()
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", f"{dead} {server.url}/bad/,{truncated} {good}")

    got = get_raw(catalog=catalog)
    same(got, raw)
    cache = tmp_path / "cache"
    assert got.source == f"official mirrors, cached in {cache / CACHE_FILE}"
    assert got.built_from == {f.name: catalog.files[r].sha256 for r, f in files.items()}
    first = files["train_images"].name
    # In order; the refused mirror is not asked again, the others are asked for each file.
    assert server.requests[:3] == [f"/bad/{first}", f"/cut/{first}", f"/good/{first}"]
    assert len(server.requests) == 12
    assert leftovers(cache) == []  # no .part, no temporary folder

    server.requests.clear()
    again = get_raw(catalog=catalog)
    assert server.requests == [], "a valid cache comes before the mirrors"
    assert again.source.startswith(f"cache {cache / CACHE_FILE}, built from official mirrors")
    same(again, raw)


def test_the_users_path_comes_before_the_cache_and_the_network(
    synthetic, server, monkeypatch, tmp_path
):
    _, files, catalog = synthetic
    monkeypatch.setenv(
        "BARENET_MNIST_MIRRORS", server.serve_folder("m", files["test_labels"].parent)
    )
    get_raw(catalog=catalog)
    server.requests.clear()
    mine = make_raw(n_train=30, n_test=10, seed=4)
    write_folder(tmp_path / "mine", mine)
    got = get_raw(tmp_path / "mine", catalog=catalog)
    same(got, mine)
    assert got.source == f"folder {tmp_path / 'mine'}"
    assert server.requests == []


def test_when_every_source_fails_one_error_lists_each_attempt(synthetic, server, monkeypatch):
    _, files, catalog = synthetic
    dead = dead_url()
    server.routes[f"/m/{files['train_images'].name}"] = b"not the file"
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", f"{dead},{server.url}/m/")
    with pytest.raises(MNISTNotFoundError) as err:
        get_raw(catalog=catalog)
    message = str(err.value)
    for part in (
        "could not get MNIST from any source",
        "not there yet",
        f"{dead}: cannot connect",
        f"{server.url}/m/train-images-idx3-ubyte.gz: train-images-idx3-ubyte.gz: truncated",
        "To place the files by hand",
        "barenet data fetch --data FOLDER",
        "t10k-labels-idx1-ubyte.gz",
    ):
        assert part in message, part
    assert isinstance(err.value, FileNotFoundError)


def test_wrong_checksum_oversize_and_http_errors_are_named(synthetic, server, monkeypatch):
    _, files, catalog = synthetic
    name = files["train_images"].name
    data = files["train_images"].read_bytes()
    flipped = bytes([data[0] ^ 1]) + data[1:]
    server.routes[f"/flip/{name}"] = flipped
    server.routes[f"/big/{name}"] = data + b"extra"
    monkeypatch.setenv(
        "BARENET_MNIST_MIRRORS", f"{server.url}/flip/ {server.url}/big/ {server.url}/none/"
    )
    with pytest.raises(MNISTNotFoundError) as err:
        get_raw(catalog=catalog)
    message = str(err.value)
    assert f"{name}: wrong SHA-256" in message
    assert f"{name}: larger than the expected {len(data):,} bytes" in message
    assert f"{server.url}/none/{name}: HTTP 404" in message


def test_a_server_that_never_answers_is_abandoned_by_the_timeout_setting(
    synthetic, server, monkeypatch
):
    """No clock: the server holds the request until the test releases it (or, as a safety
    net, for the default 10 s timeout). Only the 0.2 s timeout setting can end the request
    first, so the download must fail while the server is still holding it."""
    _, files, catalog = synthetic
    release, answered = threading.Event(), threading.Event()

    def stall(request):
        release.wait(timeout=DEFAULT_TIMEOUT)
        answered.set()

    server.routes[f"/slow/{files['train_images'].name}"] = stall
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", f"{server.url}/slow/")
    monkeypatch.setenv("BARENET_TIMEOUT", "0.2")
    try:
        with pytest.raises(MNISTNotFoundError, match=r"slow/: cannot connect \(timed out\)"):
            get_raw(catalog=catalog)
        assert not answered.is_set(), "the client waited for the server instead of timing out"
    finally:
        release.set()


def test_bad_timeout_setting(synthetic, monkeypatch):
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", dead_url())
    monkeypatch.setenv("BARENET_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="BARENET_TIMEOUT must be a positive number"):
        get_raw(catalog=synthetic[2])


def test_ctrl_c_during_a_download_leaves_nothing_behind(synthetic, server, monkeypatch, tmp_path):
    catalog = synthetic[2]
    big = make_raw(n_train=3000, shape=(28, 28))  # a download long enough to be interrupted
    folder = write_folder(tmp_path / "big", big)["train_images"].parent
    catalog = type(catalog)(
        files={
            role: type(known)(known.name, (folder / known.name).stat().st_size, known.sha256)
            for role, known in catalog.files.items()
        },
        content_sha256=catalog.content_sha256,
    )
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", server.serve_folder("m", folder))

    def interrupt(name, done, total):
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        get_raw(catalog=catalog, progress=interrupt)
    assert list((tmp_path / "cache").iterdir()) == []


def test_download_false_uses_only_the_cache(synthetic):
    with pytest.raises(MNISTNotFoundError, match="run `barenet data fetch`"):
        get_raw(catalog=synthetic[2], download=False)


def test_load_mnist_reads_the_cache_in_its_default_place(tmp_path, monkeypatch):
    """The three places, in order: $BARENET_DATA, $XDG_CACHE_HOME/barenet, ~/.cache/barenet."""
    from barenet.data import cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("BARENET_DATA")
    assert cache_dir() == tmp_path / "xdg" / "barenet"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "barenet"
    monkeypatch.setenv("BARENET_DATA", "")
    assert cache_dir() == tmp_path / "home" / ".cache" / "barenet"


def test_a_cache_that_fails_its_check_is_rebuilt_not_used(synthetic, server, monkeypatch, tmp_path):
    raw, files, catalog = synthetic
    monkeypatch.setenv(
        "BARENET_MNIST_MIRRORS", server.serve_folder("m", files["test_labels"].parent)
    )
    get_raw(catalog=catalog)
    cache = tmp_path / "cache" / CACHE_FILE
    good = cache.read_bytes()
    np.savez(cache, x=np.zeros(3))  # someone else's npz
    foreign = cache.read_bytes()
    cache.write_bytes(good)
    with np.load(cache) as npz:
        arrays = dict(npz)
    arrays["test_images"] = arrays["test_images"][::-1].copy()  # a valid zip, wrong content
    np.savez(cache, **arrays)
    modified = cache.read_bytes()
    corruptions = {
        "not a barenet cache file": foreign,
        "is not a readable barenet MNIST cache file": good[: len(good) // 2],
        "fails its SHA-256 check": modified,
    }
    for problem, content in corruptions.items():
        cache.write_bytes(content)
        server.requests.clear()
        said = []
        got = get_raw(catalog=catalog, report=said.append)
        same(got, raw)
        assert any(problem in line and "rebuilding" in line for line in said), (problem, said)
        assert str(cache) in said[0]
        assert len(server.requests) == 4, "rebuilt from the mirror"
        assert cache.read_bytes() != content


def test_a_corrupt_cache_with_download_off_says_so(synthetic, server, monkeypatch, tmp_path):
    _, files, catalog = synthetic
    monkeypatch.setenv(
        "BARENET_MNIST_MIRRORS", server.serve_folder("m", files["test_labels"].parent)
    )
    get_raw(catalog=catalog)
    cache = tmp_path / "cache" / CACHE_FILE
    cache.write_bytes(cache.read_bytes()[:100])
    with pytest.raises(
        MNISTNotFoundError, match=f"{cache} is not a readable barenet MNIST cache file"
    ):
        get_raw(catalog=catalog, download=False)


def read_only(directory):
    """Make ``directory`` unwritable even for root (chmod, else the immutable attribute);
    returns how to undo it, or skips the test when neither works here."""
    import subprocess

    directory.chmod(0o555)
    probe = directory / ".probe"
    try:
        probe.touch()
    except PermissionError:
        return lambda: directory.chmod(0o755)
    probe.unlink()
    directory.chmod(0o755)
    if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only directory here (root without chattr)")
    return lambda: subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_a_read_only_cache_directory(synthetic, server, monkeypatch, tmp_path):
    raw, files, catalog = synthetic
    monkeypatch.setenv(
        "BARENET_MNIST_MIRRORS", server.serve_folder("m", files["test_labels"].parent)
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    undo = read_only(cache)
    try:
        with pytest.raises(PermissionError, match=f"cannot write to the cache directory {cache}"):
            get_raw(catalog=catalog)
        assert server.requests == [], "nothing downloaded that could not be kept"
    finally:
        undo()
    get_raw(catalog=catalog)
    undo = read_only(cache)
    try:
        same(get_raw(catalog=catalog), raw)  # a valid cache in a read-only place still loads
    finally:
        undo()


def test_a_cache_path_under_a_file_is_reported(synthetic, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "file" / "cache"))
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", dead_url())
    with pytest.raises(PermissionError, match="cannot write to the cache directory"):
        get_raw(catalog=synthetic[2])


def test_image_label_count_mismatch_in_a_folder(tmp_path):
    raw = make_raw()
    files = write_folder(tmp_path, raw)
    from ._synthetic import write_idx

    write_idx(files["train_labels"], raw.train_labels[:-1])
    with pytest.raises(ValueError, match="image/label count mismatch: train images has 60 images"):
        load_mnist(tmp_path)


def test_a_corrupt_file_in_the_users_folder_is_named(tmp_path):
    files = write_folder(tmp_path, make_raw())
    files["test_images"].write_bytes(files["test_images"].read_bytes()[:-20])
    with pytest.raises(ValueError, match=f"{files['test_images']}: corrupt or truncated gzip"):
        load_mnist(tmp_path)


def test_folders_of_uncompressed_or_differently_named_files(tmp_path):
    import gzip

    raw = make_raw()
    files = write_folder(tmp_path, raw)
    for role, f in files.items():
        new = {"train_images": "train-images.idx3-ubyte"}.get(role, f.name.removesuffix(".gz"))
        (tmp_path / new).write_bytes(gzip.decompress(f.read_bytes()))
        f.unlink()
    same(get_raw(tmp_path), raw)


def test_npz_files_in_barenet_or_keras_layout(tmp_path):
    raw = make_raw()
    np.savez(tmp_path / "mine.npz", **raw.arrays())
    keras = dict(
        zip(["x_train", "y_train", "x_test", "y_test"], raw.arrays().values(), strict=True)
    )
    np.savez(tmp_path / "keras.npz", **keras)
    for name in ("mine.npz", "keras.npz"):
        got = get_raw(tmp_path / name)
        same(got, raw)
        assert got.source == f"file {tmp_path / name}"
    np.savez(tmp_path / "other.npz", images=raw.train_images)
    with pytest.raises(ValueError, match="must hold arrays train_images"):
        get_raw(tmp_path / "other.npz")
    np.savez(tmp_path / "floats.npz", **{**raw.arrays(), "test_images": np.zeros((20, 4, 4))})
    with pytest.raises(ValueError, match=r"floats\.npz: test images: expected uint8 images"):
        get_raw(tmp_path / "floats.npz")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ValueError, match=r"broken\.npz is not a readable MNIST \.npz file"):
        get_raw(tmp_path / "broken.npz")


def test_import_to_cache_accepts_only_the_catalogs_data(synthetic, tmp_path):
    from barenet.data import import_to_cache

    raw, files, catalog = synthetic
    folder = files["train_images"].parent
    got = import_to_cache(folder, catalog=catalog)
    cached = tmp_path / "cache" / CACHE_FILE
    assert got.source == f"folder {folder} (official MNIST), cached in {cached}"
    same(get_raw(catalog=catalog, download=False), raw)
    write_folder(tmp_path / "other", make_raw(seed=5))
    with pytest.raises(ValueError, match="decoded arrays hash to"):
        import_to_cache(tmp_path / "other", catalog=catalog)


def test_environment_turns_the_network_sources_off(synthetic, tmp_path):
    with pytest.raises(MNISTNotFoundError) as err:
        get_raw(catalog=synthetic[2])
    assert "mirrors: turned off (BARENET_MNIST_MIRRORS is empty)" in str(err.value)
    assert leftovers(tmp_path / "cache") == []
