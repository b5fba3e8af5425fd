"""Helpers for the sweep tests: a tiny recipe, .npz data files, weight comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The recipe trials train: small and quick, but with every kind of state a trial must carry
# (dropout and shifted digits draw from both generators, Adam has moments, cosine a schedule).
TINY_RECIPE = """\
name = "tiny"
[data]
split = "validation"
[model]
sizes = [784, 32, 10]
activation = "relu"
output_activation = "softmax"
init = "he_normal"
dropout = 0.1
[train]
epochs = {epochs}
batch_size = 100
loss = "cross_entropy"
seed = 0
augment = "shift"
[optimizer]
name = "adam"
lr = 0.001
[schedule]
name = "cosine"
total_epochs = {epochs}
"""


def write_recipe(folder: Path, epochs: int = 2, sizes: str = "[784, 32, 10]") -> Path:
    path = folder / "tiny.toml"
    path.write_text(TINY_RECIPE.format(epochs=epochs).replace("[784, 32, 10]", sizes))
    return path


def save_npz(path: Path, train_x, train_y, test_x, test_y) -> Path:
    np.savez(
        path,
        train_images=train_x,
        train_labels=train_y,
        test_images=test_x,
        test_labels=test_y,
    )
    return path


def weights(model_path: Path) -> dict[str, np.ndarray]:
    from barenet import load

    return load(model_path).state_dict()


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=f"{key} of {a} and {b}")
