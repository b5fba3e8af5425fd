"""Data augmentation for digit images: random small translations."""

from __future__ import annotations

import numpy as np


def random_shift(
    x: np.ndarray, rng: np.random.Generator, max_shift: int = 2, side: int = 28
) -> np.ndarray:
    """Shift each flattened ``side``×``side`` image by a random whole number of pixels in
    [−max_shift, max_shift] along each axis, filling with 0 (background). Returns a new array.
    """
    n = len(x)
    images = x.reshape(n, side, side)
    m = max_shift
    padded = np.zeros((n, side + 2 * m, side + 2 * m), dtype=x.dtype)
    padded[:, m : m + side, m : m + side] = images
    dy = rng.integers(-m, m + 1, size=n)
    dx = rng.integers(-m, m + 1, size=n)
    out = np.empty_like(images)
    # Group the batch by shift: at most (2m+1)² slicing operations, no per-image loop.
    for sy in range(-m, m + 1):
        for sx in range(-m, m + 1):
            idx = np.flatnonzero((dy == sy) & (dx == sx))
            if idx.size:
                out[idx] = padded[idx, m - sy : m - sy + side, m - sx : m - sx + side]
    return out.reshape(n, side * side)


AUGMENTATIONS = {"shift": random_shift}
