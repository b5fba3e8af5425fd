"""Temperature scaling: make a trained classifier's probabilities mean what they say.

A network trained with cross-entropy is usually over-confident: of the digits it calls
"96 % sure", fewer than 96 % are right. Temperature scaling (Guo et al., "On Calibration of
Modern Neural Networks", 2017) divides the log-probabilities by one number T > 1 before the
softmax::

    p_T = softmax(log p / T)        (= softmax(z / T) for logits z: log p = z − logsumexp z)

T is fitted on held-out digits (the validation set) by minimising their negative
log-likelihood. It changes no prediction (the order of the classes is kept), only how sure
they look. How well the probabilities match reality is the expected calibration error::

    ECE = Σ_b (n_b / n) · |accuracy(b) − mean confidence(b)|

over 15 equal-width bins b of the top probability. The fitted T and the ECE before and after
are stored in the model file as ``metadata["calibration"]``; ``barenet predict`` and
``barenet serve`` apply T to every answer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from barenet.train.model import Model

BINS = 15
_LOG_T_RANGE = (math.log(0.05), math.log(20.0))
_TOLERANCE = 1e-4


def temperature_scale(proba: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T) row by row; ``proba`` (n, classes) → (n, classes), float64."""
    logp = np.log(np.clip(np.asarray(proba, np.float64), 1e-12, None)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    out = np.exp(logp)
    out /= out.sum(axis=1, keepdims=True)
    return out


def expected_calibration_error(proba: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """ECE = Σ_b (n_b / n)·|acc(b) − conf(b)| over ``bins`` equal-width bins of the top
    probability; ``proba`` (n, classes), ``labels`` (n,) class indices."""
    proba = np.asarray(proba, np.float64)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == labels).astype(np.float64)
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    n_b = np.bincount(which, minlength=bins)
    gap = np.bincount(which, correct - confidence, minlength=bins)
    return float(np.abs(gap).sum() / len(labels)) if n_b.sum() else 0.0


def _nll(proba: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = temperature_scale(proba, temperature)
    return float(-np.mean(np.log(np.clip(scaled[np.arange(len(labels)), labels], 1e-12, None))))


def fit_temperature(proba: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.05, 20] that minimises the mean negative log-likelihood of ``labels``
    under softmax(log ``proba`` / T), by golden-section search on log T (the NLL is convex
    in 1/T, so unimodal in log T)."""
    labels = np.asarray(labels, np.int64)
    lo, hi = _LOG_T_RANGE
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(proba, labels, math.exp(a)), _nll(proba, labels, math.exp(b))
    while hi - lo > _TOLERANCE:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(proba, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(proba, labels, math.exp(b))
    return math.exp((lo + hi) / 2)


def calibrate(model: Model, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Fit T on held-out ``x`` (n, features) and ``y`` (labels or one-hot) and return what
    goes into ``metadata["calibration"]``: temperature, ECE and NLL before and after, the
    number of digits and the bins. Does not change ``model``."""
    labels = np.asarray(y)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    labels = labels.astype(np.int64)
    if len(labels) == 0:
        raise ValueError("calibration needs at least one held-out example")
    proba = np.concatenate(
        [model.predict_proba(x[i : i + 8192]) for i in range(0, len(x), 8192)]
    ).astype(np.float64)
    t = fit_temperature(proba, labels)
    after = temperature_scale(proba, t)
    return {
        "temperature": round(t, 4),
        "ece_before": round(expected_calibration_error(proba, labels), 5),
        "ece_after": round(expected_calibration_error(after, labels), 5),
        "nll_before": round(_nll(proba, labels, 1.0), 5),
        "nll_after": round(_nll(proba, labels, t), 5),
        "examples": len(labels),
        "bins": BINS,
    }


def temperature_of(model: Model) -> float:
    """The model's fitted temperature (``metadata["calibration"]["temperature"]``), 1.0 when
    it has none."""
    calibration = model.metadata.get("calibration")
    if isinstance(calibration, dict):
        t = calibration.get("temperature")
        if isinstance(t, int | float) and t > 0:
            return float(t)
    return 1.0
