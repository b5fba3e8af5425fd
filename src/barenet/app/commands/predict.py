"""`barenet predict MODEL IMAGE [IMAGE ...]`: the digit in photos or drawings of digits."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

TOP = 3


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "predict",
        help="recognise handwritten digits in images (photos, scans, drawings)",
        description="Predict the digit in each image: PNG, JPEG, BMP, GIF or WebP, any size, "
        "dark on light or light on dark; a folder means every image in it. Each image is "
        "preprocessed the way MNIST was made (docs/predict.md). An image that fails gets one "
        "error line and the others are still predicted; the exit status is 1 if any failed.",
    )
    p.add_argument("model", help="a model file (model.npz) written by barenet")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of them")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument(
        "--save-preprocessed",
        metavar="DIR",
        help="write the 28×28 image the network saw for each input to DIR (as <name>.png)",
    )
    p.set_defaults(func=run_predict)


def check_input_contract(path: str) -> None:
    """The model file (or checkpoint) at ``path`` must take what ``preprocess_image`` makes:
    one 28×28 MNIST image (as 784 values, or a 28×28×1 image), by its input contract."""
    from barenet.app.preprocess import FRAME
    from barenet.errors import BarenetError
    from barenet.io import FormatError, input_contract, read_checkpoint, read_model_header

    try:
        header = read_model_header(path)
    except FormatError:  # a checkpoint: its architecture gives the input shape
        header = {"config": read_checkpoint(path).config}
    contract = input_contract(header)
    takes_frame = contract.shape in ((FRAME * FRAME,), (FRAME, FRAME, 1))
    if contract.preprocessing != "mnist" or not takes_frame:
        raise BarenetError(
            f"model {path} takes {math.prod(contract.shape)} inputs (shape "
            f"{list(contract.shape)}, {contract.preprocessing!r} preprocessing), not the "
            f"{FRAME}×{FRAME} MNIST images predict and serve make"
        )


def run_predict(args: argparse.Namespace) -> int:
    import json
    import sys

    import numpy as np

    from barenet.app.preprocess import ImageError, class_names, load_digit_model, preprocess_image

    model = load_digit_model(args.model)
    check_input_contract(args.model)
    # A (28, 28) image as one flat row: the model reshapes rows to its input shape itself.
    names = class_names(model)
    out_dir = Path(args.save_preprocessed) if args.save_preprocessed else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    files, errors = _expand(args.images)
    for _, message in errors:
        print(f"barenet: error: {message}", file=sys.stderr)
    predictions: list[dict[str, Any]] = []
    saved: set[str] = set()
    for path in files:
        try:
            image = preprocess_image(path)
        except (ImageError, OSError) as exc:
            message = " ".join(str(exc).split())
            errors.append((str(path), message))
            print(f"barenet: error: {message}", file=sys.stderr)
            continue
        proba = model.predict_proba(image.reshape(1, -1))[0].astype(np.float64)
        order = np.argsort(-proba, kind="stable")[:TOP]
        result: dict[str, Any] = {
            "file": str(path),
            "digit": int(order[0]),
            "label": names[order[0]],
            "probabilities": [float(p) for p in proba],
            "top": [{"label": names[i], "probability": float(proba[i])} for i in order],
        }
        if out_dir is not None:
            result["preprocessed"] = str(_save_preprocessed(image, out_dir, path, saved))
        predictions.append(result)
        if not args.json:
            top = "  ".join(f"{names[i]}: {proba[i]:6.1%}" for i in order)
            print(f"{path}: {names[order[0]]}   ({top})", flush=True)
    if args.json:
        print(
            json.dumps(
                {
                    "model": args.model,
                    "predictions": predictions,
                    "errors": [{"file": f, "error": m} for f, m in errors],
                }
            )
        )
    return 1 if errors else 0


def _expand(arguments: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files named by ``arguments`` (a folder → its images, sorted by name) and an
    error for each folder that holds none."""
    from barenet.app.preprocess import IMAGE_SUFFIXES

    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    for argument in arguments:
        path = Path(argument)
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        )
        if not found:
            errors.append((argument, f"folder {path} has no images ({', '.join(IMAGE_SUFFIXES)})"))
        files += found
    return files, errors


def _save_preprocessed(image: Any, out_dir: Path, source: Path, used: set[str]) -> Path:
    """Write the 28×28 input as an 8-bit PNG named after ``source`` (``-2``, ``-3``, ... when
    two inputs share a name)."""
    import io

    import numpy as np
    from PIL import Image

    from barenet.io import atomic_write

    name, k = f"{source.stem}.png", 1
    while name in used:
        k += 1
        name = f"{source.stem}-{k}.png"
    used.add(name)
    buffer = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, "PNG")
    target = out_dir / name
    with atomic_write(target) as handle:
        handle.write(buffer.getvalue())
    return target
