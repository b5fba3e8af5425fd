"""A run remembers its data, can be extended, and stops on nonsense: `barenet train --resume`,
`evaluate` and `plot` on the data a run recorded, in real subprocesses, on a tiny synthetic
digit set written as a folder of IDX files. The MNIST cache is pointed at an empty folder
with every download turned off, so falling back to it would fail loudly."""

import json
import shutil

import numpy as np
import pytest

from barenet.data import RawData
from tests._cli import run_barenet as barenet
from tests.app.test_cli_train import RECIPE, assert_one_line_error, digits
from tests.data._synthetic import write_folder


@pytest.fixture
def no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("BARENET_MNIST_PIP", "0")
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", "")


def idx_folder(path, seed):
    rng = np.random.default_rng(seed)
    (xt, yt), (xs, ys) = digits(600, rng), digits(200, rng)
    write_folder(path, RawData(xt, yt, xs, ys))
    return path


@pytest.fixture
def run(tmp_path, no_cache):
    """A 2-epoch run trained with --data on an IDX folder."""
    data = idx_folder(tmp_path / "mine", 0)
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(RECIPE.replace("epochs = 3", "epochs = 2"))
    out = tmp_path / "run"
    proc = barenet("train", "--recipe", recipe, "--data", data, "--out", out, "--no-plots")
    assert proc.returncode == 0, proc.stderr
    return out, data


def test_a_run_records_its_data(run):
    out, data = run
    import tomllib

    from barenet import load

    recorded = tomllib.loads((out / "recipe.toml").read_text())["data"]
    assert recorded["source"] == str(data.resolve())
    assert len(recorded["sha256"]) == 64
    meta = load(out / "model.npz").metadata["data"]
    assert meta["source"] == recorded["source"] and meta["sha256"] == recorded["sha256"]
    assert meta["split"] == "official"


def test_resume_extends_on_the_recorded_data_not_the_cache(run):
    out, _ = run
    proc = barenet("train", "--resume", out, "--epochs", "3", "--no-plots")
    assert proc.returncode == 0, proc.stderr
    rows = (out / "metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + 3
    assert json.loads((out / "evaluation.json").read_text())["accuracy"] > 0.9


def test_resuming_a_finished_run_says_so_and_changes_nothing(run):
    out, _ = run
    before = {p.name: p.read_bytes() for p in out.glob("*.*")}
    proc = barenet("train", "--resume", out)
    assert proc.returncode == 0, proc.stderr
    assert "is finished (2 of 2 epochs); nothing changed" in proc.stdout
    assert "--epochs N" in proc.stdout
    assert {p.name: p.read_bytes() for p in out.glob("*.*")} == before


def test_data_that_is_gone_or_differs_is_refused_unless_given(run, tmp_path):
    out, data = run
    moved = tmp_path / "moved"
    shutil.move(data, moved)
    gone = barenet("train", "--resume", out, "--epochs", "3")
    assert_one_line_error(gone, str(data), "is gone", "--data")
    evaluate = barenet("evaluate", out / "model.npz")
    assert_one_line_error(evaluate, str(data), "is gone")
    idx_folder(data, 1)  # other digits at the recorded path
    differs = barenet("plot", out)
    assert_one_line_error(differs, str(data), "other data", "sha256")
    explicit = barenet("evaluate", out / "model.npz", "--data", data)
    assert explicit.returncode == 0, explicit.stderr
    assert "differs from the data the run recorded" in explicit.stderr
    same = barenet("evaluate", out / "model.npz", "--data", moved)
    assert same.returncode == 0 and "differs" not in same.stderr


def test_evaluate_and_plot_use_the_recorded_data(run):
    out, _ = run
    proc = barenet("evaluate", out / "model.npz", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n"] == 200 and result["part"] == "test"
    assert result["accuracy"] == json.loads((out / "evaluation.json").read_text())["accuracy"]
    train = barenet("evaluate", out / "model.npz", "--split", "train")
    assert "training set of the 'official' split: 600 digits" in train.stdout
    assert_one_line_error(
        barenet("evaluate", out / "model.npz", "--split", "validation"), "no validation set"
    )
    plots = barenet("plot", out)
    assert plots.returncode == 0, plots.stderr
    assert (out / "plots" / "misclassified.png").exists()


def test_a_checkpoint_can_be_evaluated_and_loaded(run):
    out, _ = run
    from barenet import load

    ckpt = out / "checkpoints" / "last.npz"
    model, final = load(ckpt), load(out / "model.npz")
    assert model.metadata["checkpoint_epoch"] == 2
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(model.predict_proba(x), final.predict_proba(x))
    proc = barenet("evaluate", ckpt, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == 200


def test_a_diverging_run_stops_with_one_line_and_no_warnings(tmp_path, no_cache):
    data = idx_folder(tmp_path / "mine", 0)
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(RECIPE)
    proc = barenet("train", "--recipe", recipe, "--data", data, "--lr", "1e9", cwd=tmp_path)
    assert_one_line_error(proc, "training diverged", "smaller learning rate")
    assert "RuntimeWarning" not in proc.stderr
    assert not list((tmp_path / "runs").iterdir())  # nothing to resume: nothing kept


def test_errors_about_the_data_come_before_the_run_directory(tmp_path, no_cache):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(RECIPE)
    proc = barenet("train", "--recipe", recipe, "--data", tmp_path / "nope", cwd=tmp_path)
    assert_one_line_error(proc, "nope")
    assert "run directory" not in proc.stdout


def test_evaluate_warns_about_a_model_that_does_not_record_its_data(tmp_path, no_cache):
    from barenet import Model, load_mnist

    data = idx_folder(tmp_path / "mine", 0)
    digits_ = load_mnist(data)
    model = Model.from_sizes([784, 16, 10], activation="relu", seed=0)
    model.fit(digits_.train.x, digits_.train.y, epochs=1, verbose=False)
    model.save(tmp_path / "m.npz")
    proc = barenet("evaluate", tmp_path / "m.npz", "--data", data)
    assert proc.returncode == 0, proc.stderr
    assert "does not record the data it was trained on" in proc.stderr
    assert "test set of the 'official' split: 200 digits" in proc.stdout


def test_errors_about_the_run_directory_come_before_it_is_announced(tmp_path, no_cache):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(RECIPE)
    data = idx_folder(tmp_path / "mine", 0)
    proc = barenet("train", "--recipe", recipe, "--data", data, "--out", recipe)
    assert_one_line_error(proc, "is a file")
    assert "run directory" not in proc.stdout


def test_resuming_on_other_data_says_so_and_the_model_names_it(run, tmp_path):
    out, data = run
    other = idx_folder(tmp_path / "other", 1)
    proc = barenet("train", "--resume", out, "--epochs", "3", "--data", other, "--no-plots")
    assert proc.returncode == 0, proc.stderr
    assert f"--data {other} differs from the data the run recorded ({data}" in proc.stdout
    from barenet import load

    assert load(out / "model.npz").metadata["data"]["source"] == str(other.resolve())


def test_a_model_saved_with_its_split_is_scored_on_that_split(tmp_path, no_cache):
    from barenet import Model, load_mnist

    data = idx_folder(tmp_path / "mine", 0)
    pooled = load_mnist(data, split="seed001", seed=7)
    model = Model.from_sizes([784, 16, 10], activation="relu", seed=0)
    model.fit(pooled.train.x, pooled.train.y, epochs=1, verbose=False)
    model.save(tmp_path / "m.npz", data={"split": "seed001", "seed": 7})
    proc = barenet("evaluate", tmp_path / "m.npz", "--data", data, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    result = json.loads(proc.stdout)
    assert (result["split"], result["n"]) == ("seed001", len(pooled.test))
    np.testing.assert_allclose(
        result["accuracy"], model.evaluate(pooled.test.x, pooled.test.y).accuracy
    )


def test_predict_accepts_a_checkpoint(run, tmp_path):
    from PIL import Image

    out, _ = run
    x, _ = digits(1, np.random.default_rng(5))
    Image.fromarray(255 - x[0]).save(tmp_path / "digit.png")  # dark on white, like paper
    proc = barenet("predict", out / "checkpoints" / "last.npz", tmp_path / "digit.png")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{tmp_path / 'digit.png'}: ")
