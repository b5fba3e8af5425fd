"""`barenet calibrate` and the calibration at the end of `barenet train`
(src/barenet/app/commands/calibrate.py, src/barenet/train/run.py), on a small synthetic digit
set with a validation split."""

import json

import numpy as np
import pytest

import barenet
from tests._cli import run_barenet as cli

from .test_cli_train import RECIPE, digits

VALIDATION_RECIPE = RECIPE.replace('split = "official"', 'split = "validation"').replace(
    "epochs = 3", "epochs = 1"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run of the validation split (10,600 training digits: 600 train, 10,000 validate)."""
    root = tmp_path_factory.mktemp("calibrate")
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = digits(10_600, rng), digits(200, rng)
    data = root / "digits.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    recipe = root / "small.toml"
    recipe.write_text(VALIDATION_RECIPE)
    proc = cli("train", "--recipe", recipe, "--data", data, "--out", root / "run", "--no-plots")
    assert proc.returncode == 0, proc.stderr
    return root / "run" / "model.npz", data


def test_training_stores_the_calibration_in_the_model_file(run):
    model_path, _ = run
    calibration = barenet.load(model_path).metadata["calibration"]
    assert calibration["examples"] == 10_000
    assert calibration["temperature"] > 0
    assert 0 <= calibration["ece_after"] <= 1 and 0 <= calibration["ece_before"] <= 1


def test_calibrate_prints_and_writes(run, tmp_path):
    model_path, data = run
    copy = tmp_path / "model.npz"
    copy.write_bytes(model_path.read_bytes())
    before = barenet.load(copy).metadata["calibration"]
    proc = cli("calibrate", copy, "--data", data, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "expected calibration error (15 bins)" in proc.stdout
    assert "not written (--dry-run)" in proc.stdout
    proc = cli("calibrate", copy, "--data", data, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # The same digits, the same model: the same temperature as training fitted.
    assert result["temperature"] == pytest.approx(before["temperature"], rel=1e-3)
    assert barenet.load(copy).metadata["calibration"]["ece_after"] == result["ece_after"]


def test_a_split_without_validation_digits_is_refused(tmp_path):
    model = barenet.Model.from_sizes([784, 10], output_activation="softmax", seed=0)
    path = tmp_path / "m.npz"
    model.save(path, recipe={"name": "x", "data": {"split": "seed001"}})
    proc = cli("calibrate", path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_model_without_a_recipe_is_refused(untrained):
    path, _ = untrained
    proc = cli("calibrate", path)
    assert proc.returncode == 1 and "has no recipe" in proc.stderr
