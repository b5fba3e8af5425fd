"""History: one record per epoch (train/validation loss and accuracy, learning rate, time)."""

from __future__ import annotations

import math
from typing import Any

KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "batch_loss", "lr", "seconds")
"""``loss`` and ``accuracy`` are measured clean at the end of each epoch on (up to 10,000 of)
the training examples; ``val_*`` on the validation data; ``batch_loss`` is the running mean of
the epoch's batch losses, with dropout and augmentation on."""


class History:
    """Per-epoch records. ``history["val_accuracy"]`` is the list over epochs of one key;
    ``history.records`` the list of dicts."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records or []]

    def append(self, record: dict[str, Any]) -> None:
        """Add one epoch's record (a copy of ``record``)."""
        self.records.append(dict(record))

    def __getitem__(self, key: str) -> list[Any]:
        if self.records and key not in self.records[0]:
            raise KeyError(f"no {key!r} in history; keys are {sorted(self.records[0])}")
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def last(self) -> dict[str, Any]:
        """The last epoch's record (``{}`` before the first epoch)."""
        return self.records[-1] if self.records else {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN and infinities become None."""
        clean = [
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in self.records
        ]
        return {"records": clean}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of ``to_dict``."""
        return cls(data.get("records", []))

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, last={self.last})"
