"""Temperature scaling and the expected calibration error (src/barenet/train/calibration.py)."""

import numpy as np
import pytest

import barenet
from barenet.train.calibration import (
    calibrate,
    expected_calibration_error,
    fit_temperature,
    temperature_of,
    temperature_scale,
)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sampled(n, t_true, seed=0):
    """Logits z and labels drawn from softmax(z / t_true): a model whose softmax(z) is
    over-confident (t_true > 1) or under-confident (t_true < 1) by exactly t_true."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 4, (n, 10))
    p_true = softmax(z / t_true)
    labels = (p_true.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return softmax(z), labels


def test_scaling_keeps_every_prediction_and_sums_to_one():
    proba, _ = sampled(500, 2.0)
    for t in (0.5, 1.0, 3.0):
        scaled = temperature_scale(proba, t)
        np.testing.assert_array_equal(scaled.argmax(axis=1), proba.argmax(axis=1))
        np.testing.assert_allclose(scaled.sum(axis=1), 1.0)
    np.testing.assert_allclose(temperature_scale(proba, 1.0), proba, atol=1e-9)
    assert temperature_scale(proba, 3.0).max(axis=1).mean() < proba.max(axis=1).mean()


@pytest.mark.parametrize("t_true", [0.7, 1.0, 2.5])
def test_fit_recovers_the_temperature_that_made_the_labels(t_true):
    proba, labels = sampled(20_000, t_true)
    assert fit_temperature(proba, labels) == pytest.approx(t_true, rel=0.08)


def test_ece_of_an_honest_and_of_an_over_confident_model():
    rng = np.random.default_rng(1)
    n = 50_000
    # Right exactly as often as it says.
    confidence = rng.uniform(0.5, 1.0, n)
    labels = np.where(rng.random(n) < confidence, 0, 1)
    honest = expected_calibration_error(np.column_stack([confidence, 1 - confidence]), labels)
    assert honest < 0.01
    # Says 99 %, right half the time: ECE = 0.49.
    sure = np.column_stack([np.full(n, 0.99), np.full(n, 0.01)])
    coin = rng.integers(0, 2, n)
    assert expected_calibration_error(sure, coin) == pytest.approx(0.49, abs=0.01)


def test_scaling_an_over_confident_model_lowers_its_ece():
    proba, labels = sampled(20_000, 3.0)
    t = fit_temperature(proba, labels)
    before = expected_calibration_error(proba, labels)
    after = expected_calibration_error(temperature_scale(proba, t), labels)
    assert before > 0.1 and after < before / 3


def test_calibrate_a_model_returns_what_goes_in_the_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((300, 8)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    model = barenet.Model.from_sizes([8, 6, 2], output_activation="softmax", seed=0)
    model.fit(x, y, epochs=3, batch_size=32, optimizer={"name": "adam", "lr": 0.01}, verbose=False)
    before = model.predict_proba(x)
    result = calibrate(model, x, y)
    assert set(result) >= {"temperature", "ece_before", "ece_after", "examples"}
    assert result["examples"] == 300 and result["temperature"] > 0
    assert result["nll_after"] <= result["nll_before"] + 1e-6
    np.testing.assert_array_equal(model.predict_proba(x), before)  # the model is unchanged
    assert temperature_of(model) == 1.0
    model.save(tmp_path / "m.npz", calibration=result)
    assert temperature_of(barenet.load(tmp_path / "m.npz")) == result["temperature"]


def test_calibrate_needs_examples():
    model = barenet.Model.from_sizes([4, 2], output_activation="softmax", seed=0)
    with pytest.raises(ValueError, match="at least one"):
        calibrate(model, np.zeros((0, 4), np.float32), np.zeros(0, np.int64))
