"""`barenet export MODEL.npz OUT.onnx`: a trained model as an ONNX file (docs/onnx.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

VERIFY_ROWS = 256


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a model file to ONNX, to run it without barenet (onnxruntime, browsers)",
        description="Write MODEL (a model.npz written by barenet) as an ONNX graph: float32 "
        "input rows (N, 784) in [0, 1], output class probabilities (N, classes) (a regression "
        "network: its values); the class "
        "names and preprocessing go in the ONNX metadata. Needs the onnx package "
        "(pip install 'barenet[onnx]').",
    )
    p.add_argument("model", metavar="MODEL", help="a model file (model.npz) written by barenet")
    p.add_argument("out", metavar="OUT", help="the ONNX file to write (e.g. model.onnx)")
    p.add_argument(
        "--verify",
        action="store_true",
        help=f"run the file with onnxruntime on {VERIFY_ROWS} random inputs and compare its "
        "probabilities with barenet's (fails above 1e-5)",
    )
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    import numpy as np

    from barenet.export import check_with_onnxruntime, export_file

    try:
        model, path = export_file(args.model, args.out)
        print(
            f"wrote {path} ({path.stat().st_size:,} bytes): input (N, {model.in_features}) "
            f"{model.dtype} → {'probabilities' if model.is_classifier() else 'values'}, "
            f"{len(model.layers)} layers"
        )
        if args.verify:
            x = np.random.default_rng(0).random((VERIFY_ROWS, model.in_features))
            diff, same = check_with_onnxruntime(model, path, x.astype(model.dtype))
            print(f"onnxruntime vs barenet: max |Δp| = {diff:.2e}, same class {same:.0%}")
            if diff >= 1e-5 or same < 1:
                print("barenet: error: the ONNX file does not match the model", file=sys.stderr)
                return 1
    except ImportError as exc:
        print(f"barenet: error: {exc}", file=sys.stderr)
        return 1
    return 0
