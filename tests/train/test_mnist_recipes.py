"""The shipped recipes on the real MNIST digits: the seeds' published results, reproduced."""

import json
import subprocess
import sys

import pytest

from barenet import load
from barenet.train import Recipe, run_training
from barenet.train.overrides import apply_overrides

pytestmark = pytest.mark.mnist


def test_seed001_recipe_reaches_its_published_94_percent(tmp_path, mnist_cache):
    """Seed 001, exactly as published (50 epochs of plain SGD on MSE): over 94%."""
    recipe = Recipe.find("seed001")
    result = run_training(recipe, tmp_path / "run", stream=None)
    assert len(result.history) == 50
    assert result.evaluation.n == 23_100  # 33% of the 70,000 pooled digits
    assert result.evaluation.accuracy >= 0.94, result.evaluation.accuracy
    # The model file records what it reached, and a reload predicts the same.
    model = load(result.model_path)
    assert model.metadata["metrics"]["test_accuracy"] == result.evaluation.accuracy
    saved = json.loads((tmp_path / "run" / "evaluation.json").read_text())
    assert saved["accuracy"] == result.evaluation.accuracy
    # `barenet evaluate` scores it on the split it was trained with, not the official test set
    # (which overlaps seed 001's training digits).
    proc = subprocess.run(
        [sys.executable, "-m", "barenet", "evaluate", str(result.model_path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(proc.stdout)
    assert report["split"] == "seed001"
    assert report["accuracy"] == result.evaluation.accuracy


def test_default_recipe_one_epoch_passes_95_percent(tmp_path, mnist_cache):
    """One epoch of the default recipe reached 95.6-96.5% over train.seed 0-4 (96.1% for
    seed 0); the floor sits just under the worst seed, so a real regression fails."""
    recipe = apply_overrides(Recipe.find("default"), {"train.epochs": 1})
    result = run_training(recipe, tmp_path / "run", stream=None)
    assert result.evaluation.n == 10_000
    assert result.evaluation.accuracy >= 0.95, result.evaluation.accuracy
    assert len(result.history) == 1
