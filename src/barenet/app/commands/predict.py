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
        description="Predict the digit in each image: any format Pillow reads (PNG, JPEG, "
        "TIFF, BMP, GIF, WebP, ...), any size, dark on light or light on dark; a folder means "
        "every image in it (--recursive: and in its subfolders). Each image is preprocessed "
        "the way MNIST was made (docs/predict.md). An image that is probably not one digit "
        "(several digits, too little ink, an odd shape, an unsure network) gets its best "
        "guess and a note. An image that fails gets one error line and the others are still "
        "predicted; the exit status is 1 if any failed.",
    )
    p.add_argument("model", help="a model file (model.npz) written by barenet")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of them")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument(
        "--recursive", "-r", action="store_true", help="look for images in subfolders too"
    )
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

    from barenet.app.answer import answer
    from barenet.app.preprocess import ImageError, class_names, load_digit_model, read_digit

    model = load_digit_model(args.model)
    check_input_contract(args.model)
    # A (28, 28) image as one flat row: the model reshapes rows to its input shape itself.
    names = class_names(model)
    out_dir = Path(args.save_preprocessed) if args.save_preprocessed else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    files, errors = _expand(args.images, args.recursive)
    for _, message in errors:
        print(f"barenet: error: {message}", file=sys.stderr)
    predictions: list[dict[str, Any]] = []
    saved: set[str] = set()
    for path in files:
        try:
            reading = read_digit(path)
        except (ImageError, OSError) as exc:
            message = " ".join(str(exc).split())
            errors.append((str(path), message))
            print(f"barenet: error: {message}", file=sys.stderr)
            continue
        result = answer(model, reading, names)
        top = result.top(TOP, names)
        row: dict[str, Any] = {
            "file": str(path),
            "digit": result.digit,
            "label": result.label,
            "probabilities": result.probabilities,
            "top": top,
            "warning": result.warning,
        }
        if out_dir is not None:
            row["preprocessed"] = str(_save_preprocessed(reading.image, out_dir, path, saved))
        predictions.append(row)
        if not args.json:
            shown = "  ".join(f"{t['label']}: {t['probability']:6.1%}" for t in top)
            note = f"\n  note: {result.warning}" if result.warning else ""
            print(f"{path}: {result.label}   ({shown}){note}", flush=True)
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


def _expand(arguments: list[str], recursive: bool) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files named by ``arguments`` (a folder → its images, sorted by path; with
    ``recursive`` its subfolders' too) and an error for each folder that holds none.

    In a folder, a file is an image when Pillow knows its extension (TIFF, JPEG 2000, ...
    as well as PNG and JPEG) or, for a file without one, when Pillow recognises its contents;
    hidden files are skipped. A file named directly is always tried."""
    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    for argument in arguments:
        path = Path(argument)
        if not path.is_dir():
            files.append(path)
            continue
        candidates = path.rglob("*") if recursive else path.iterdir()
        found = sorted(
            p
            for p in candidates
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and _is_image(p)
        )
        if not found:
            where = "or its subfolders " if recursive else ""
            errors.append((argument, f"folder {path} {where}has no images Pillow can read"))
        files += found
    return files, errors


def _is_image(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    if path.suffix:  # formats Pillow can open, not those it can only write (PDF)
        return Image.registered_extensions().get(path.suffix.lower()) in Image.OPEN
    try:
        with Image.open(path):  # reads the header only
            return True
    except (UnidentifiedImageError, OSError):
        return False


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
