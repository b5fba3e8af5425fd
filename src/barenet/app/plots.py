"""Plots of a training run (matplotlib, Agg backend: no display needed).

``plot_run(run_dir)`` writes into ``run_dir/plots/``:

* ``curves.png``        loss and accuracy per epoch, train and validation;
* ``confusion.png``     the test-set confusion matrix;
* ``misclassified.png`` test digits the model got wrong, with true and predicted labels;
* ``weights.png``       the first layer's weights, one 28×28 image per hidden unit; for a conv
                        net, ``filters.png``: the first convolution's kernels, one k×k image
                        per output channel.

Image sizes come from the model file's input contract (``barenet.io.input_contract``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    from barenet.io import atomic_write

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    with atomic_write(path) as f:
        f.write(buffer.getvalue())
    return path


def curve_labels(records: list[dict[str, Any]], val_name: str = "validation") -> dict[str, str]:
    """The legend of each curve. The training curves are measured clean at each epoch's end
    (no dropout or augmentation, like the validation curves); records without ``batch_loss``
    come from an older run whose training loss was the running mean of the epoch's batches,
    and say so. ``val_name`` is what ``val_*`` measured ("validation" or "test")."""
    clean = all("batch_loss" in r for r in records)
    return {
        "loss": "loss (train, end of epoch)" if clean else "loss (train, running mean)",
        "accuracy": "accuracy (train, end of epoch)",
        "val_loss": f"loss ({val_name} set)",
        "val_accuracy": f"accuracy ({val_name} set)",
    }


def plot_curves(
    records: list[dict[str, Any]], path: Path, title: str = "", val_name: str = "validation"
) -> Path:
    """Loss and accuracy per epoch, labelled by ``curve_labels``."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in records]
    labels = curve_labels(records, val_name)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, [r[key] for r in records], "o-", ms=3, label=labels[key])
        val = [r.get(f"val_{key}") for r in records]
        if any(v is not None for v in val):
            ax.plot(
                epochs,
                [np.nan if v is None else v for v in val],
                "o-",
                ms=3,
                label=labels[f"val_{key}"],
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion(confusion: np.ndarray, path: Path, class_names: list[str]) -> Path:
    plt = _pyplot()
    cm = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6, 5.4))
    # Log colour scale so the off-diagonal mistakes are visible next to the large diagonal.
    ax.imshow(np.log1p(cm), cmap="Blues")
    for i in range(len(cm)):
        for j in range(len(cm)):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if i == j else "black",
            )
    ax.set_xticks(range(len(cm)), class_names)
    ax.set_yticks(range(len(cm)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"test accuracy {np.trace(cm) / max(cm.sum(), 1):.2%}")
    return _save(fig, path)


def plot_misclassified(
    images: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    path: Path,
    limit: int = 36,
    image_size: tuple[int, int] = (28, 28),
) -> Path:
    plt = _pyplot()
    wrong = np.flatnonzero(truth != predicted)[:limit]
    cols = 9
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[i].reshape(image_size), cmap="gray_r")
        ax.set_title(f"{truth[i]}→{predicted[i]}", fontsize=8, color="crimson")
    fig.suptitle(
        f"misclassified test digits (true→predicted): {len(np.flatnonzero(truth != predicted))}"
        f" in all, first {len(wrong)} shown",
        fontsize=9,
    )
    return _save(fig, path)


def plot_weights(
    weights: np.ndarray, path: Path, limit: int = 64, image_size: tuple[int, int] = (28, 28)
) -> Path:
    """``weights`` of shape (784, hidden): each column as a 28×28 image."""
    n = min(limit, weights.shape[1])
    images = weights[:, :n].T.reshape(n, *image_size)
    title = f"first-layer weights ({n} of {weights.shape[1]} units; red +, blue −)"
    return _signed_grid(images, title, path)


def plot_filters(kernel: np.ndarray, path: Path, limit: int = 64) -> Path:
    """``kernel`` of shape (k, k, C_in, C_out): each output channel's k×k filter (summed over
    the input channels, which is the filter itself for grey images), red +, blue −."""
    filters = kernel.sum(axis=2)
    n = min(limit, filters.shape[-1])
    title = (
        f"first convolution's {kernel.shape[0]}×{kernel.shape[1]} filters "
        f"({n} of {filters.shape[-1]}; red +, blue −)"
    )
    return _signed_grid(np.moveaxis(filters[:, :, :n], -1, 0), title, path)


def _signed_grid(images: np.ndarray, title: str, path: Path) -> Path:
    """``images`` of shape (n, h, w) in rows of 8, each on its own symmetric colour scale."""
    plt = _pyplot()
    n = images.shape[0]
    cols = 8
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.0), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for image, ax in zip(images, axes.flat, strict=False):
        bound = float(np.abs(image).max()) or 1.0
        ax.imshow(image, cmap="RdBu_r", vmin=-bound, vmax=bound)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def plot_run(
    run_dir: str | Path, data_path: str | Path | None = None, notes: list[str] | None = None
) -> list[Path]:
    """Draw every plot of a run directory on the data the run recorded (``data_path``
    overrides it; a note saying how it differs is appended to ``notes``); returns the files
    written."""
    from barenet.io import input_contract, read_model_header
    from barenet.nn import Conv2D, Dense
    from barenet.train import Recipe, load, read_metrics
    from barenet.train.run import load_run_data

    run_dir = Path(run_dir)
    if run_dir.is_file():
        raise NotADirectoryError(f"{run_dir} is a file; `barenet plot` takes a run directory")
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory {run_dir} does not exist")
    history = read_metrics(run_dir)
    recipe = Recipe.from_file(run_dir / "recipe.toml")
    val_name = "test" if recipe.train["validate_on"] == "test" else "validation"
    out = run_dir / "plots"
    out.mkdir(exist_ok=True)
    written = [plot_curves(history.records, out / "curves.png", run_dir.name, val_name)]
    model_path = run_dir / "model.npz"
    if not model_path.exists():
        return written  # a run still in progress: curves only
    model = load(model_path)
    image_size = input_contract(read_model_header(model_path)).image_size
    names = model.metadata.get("class_names") or [str(i) for i in range(model.out_features)]
    evaluation = run_dir / "evaluation.json"
    if evaluation.exists():
        confusion = np.array(json.loads(evaluation.read_text())["confusion"])
        written.append(plot_confusion(confusion, out / "confusion.png", names))
    data, note = load_run_data(recipe.data["data"], data_path)
    if note and notes is not None:
        notes.append(note)
    test = data.test
    predicted = model.predict(test.x)
    written.append(
        plot_misclassified(
            test.x, test.y, predicted, out / "misclassified.png", image_size=image_size
        )
    )
    first = next(layer for layer in model.layers if layer.parameters())
    if isinstance(first, Conv2D):
        written.append(plot_filters(first.W.value, out / "filters.png"))
    elif isinstance(first, Dense) and first.in_features == image_size[0] * image_size[1]:
        written.append(plot_weights(first.W.value, out / "weights.png", image_size=image_size))
    return written
