"""The answer to "which digit is this?": the best guess, calibrated probabilities, and a
warning when the image is unlikely to be one MNIST-like digit.

Used alike by ``barenet predict`` and ``barenet serve``. The warning joins what
``preprocess.read_digit`` saw in the image's shape (several digits side by side, too little
ink, a shape no digit has) with what the network says: a top probability below 60 % after
temperature scaling (``barenet.train.calibration``) means it is unsure, and with a calibrated
model that is meant literally: of such answers, fewer than 60 % are right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from barenet.train.calibration import temperature_of, temperature_scale

if TYPE_CHECKING:
    from barenet.app.preprocess import Reading
    from barenet.train import Model

UNSURE = 0.6
"""A top probability (after calibration) below this gets a warning."""


@dataclass(frozen=True)
class Answer:
    digit: int
    label: str
    probabilities: list[float]
    """One per class, calibrated with the model's temperature, summing to 1."""
    image: np.ndarray
    """The (28, 28) input the network saw."""
    warnings: list[str] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        """The warnings as one sentence ("not a single digit? ..."), or None."""
        if not self.warnings:
            return None
        return "probably not a single digit: " + "; ".join(self.warnings)

    def top(self, k: int, names: list[str]) -> list[dict[str, Any]]:
        order = np.argsort(-np.asarray(self.probabilities), kind="stable")[:k]
        return [{"label": names[i], "probability": self.probabilities[i]} for i in order]


def answer(
    model: Model, reading: Reading, names: list[str], proba: np.ndarray | None = None
) -> Answer:
    """The answer for one ``reading``; ``proba`` is the model's (classes,) output on it when
    the caller already has it (the server computes it under its lock)."""
    if proba is None:
        proba = model.predict_proba(reading.image.reshape(1, -1))[0]
    proba = np.asarray(proba, np.float64)
    t = temperature_of(model)
    calibrated = proba if t == 1.0 else temperature_scale(proba[None, :], t)[0]
    best = int(np.argmax(calibrated))
    warnings = list(reading.warnings)
    if calibrated[best] < UNSURE:
        warnings.append(f"the network is unsure (top probability {calibrated[best]:.0%})")
    return Answer(
        digit=best,
        label=names[best],
        probabilities=[float(p) for p in calibrated],
        image=reading.image,
        warnings=warnings,
    )
