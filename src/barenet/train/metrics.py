"""Classification metrics: accuracy, confusion matrix, per-class precision/recall/F1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of class ids that agree."""
    if predicted.shape != truth.shape:
        raise ValueError(f"{predicted.shape} predictions for {truth.shape} labels")
    return float(np.mean(predicted == truth)) if truth.size else float("nan")


def confusion_matrix(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class i predicted as class j."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (truth.astype(np.int64), predicted.astype(np.int64)), 1)
    return cm


def class_ids(y: np.ndarray) -> np.ndarray:
    """Class ids from labels given as ids (B,) or one-hot rows (B, K)."""
    y = np.asarray(y)
    return np.argmax(y, axis=1) if y.ndim == 2 else y.astype(np.int64)


@dataclass
class Evaluation:
    """What ``Model.evaluate`` returns."""

    accuracy: float
    loss: float | None
    confusion: np.ndarray
    precision: np.ndarray = field(init=False)
    recall: np.ndarray = field(init=False)
    f1: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        cm = self.confusion.astype(np.float64)
        tp = np.diag(cm)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
            self.recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
            denom = self.precision + self.recall
            self.f1 = np.where(denom > 0, 2 * self.precision * self.recall / denom, 0.0)

    @property
    def n(self) -> int:
        """The number of examples evaluated."""
        return int(self.confusion.sum())

    def report(self, class_names: list[str] | None = None) -> str:
        """A plain-text table: per-class precision, recall, F1 and support, then the matrix."""
        k = len(self.confusion)
        names = class_names or [str(i) for i in range(k)]
        loss = f"  loss {self.loss:.4f}" if self.loss is not None else ""
        lines = [
            f"accuracy {self.accuracy:.4f} ({self.n:,} examples){loss}",
            "",
            f"{'class':>7} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}",
        ]
        support = self.confusion.sum(1)
        for i in range(k):
            lines.append(
                f"{names[i]:>7} {self.precision[i]:9.4f} {self.recall[i]:7.4f} "
                f"{self.f1[i]:7.4f} {support[i]:8d}"
            )
        lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
        width = max(5, len(str(self.confusion.max())) + 1)
        lines.append("       " + "".join(f"{n:>{width}}" for n in names))
        for i in range(k):
            lines.append(f"{names[i]:>7}" + "".join(f"{v:>{width}d}" for v in self.confusion[i]))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: accuracy, loss, per-class precision, recall, F1 and support, confusion
        matrix."""
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "precision": self.precision.round(6).tolist(),
            "recall": self.recall.round(6).tolist(),
            "f1": self.f1.round(6).tolist(),
            "confusion": self.confusion.tolist(),
        }
