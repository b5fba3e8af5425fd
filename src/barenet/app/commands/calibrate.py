"""`barenet calibrate MODEL`: fit the model's temperature on its validation digits."""

from __future__ import annotations

import argparse
from typing import Any

from ._types import DATA_HELP


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="make a model's probabilities honest (temperature scaling on validation digits)",
        description="Fit a temperature T on the validation digits of the split the model's "
        "recipe trained on (10,000 digits it never trained on), so that its probabilities "
        "mean what they say, and store it in the model file as metadata['calibration'] with "
        "the expected calibration error (ECE) before and after. `barenet train` does this at "
        "the end of every run that has a validation set; predict and serve apply T. "
        "See docs/predict.md.",
    )
    p.add_argument("model", help="a model file (model.npz) written by barenet")
    p.add_argument("--data", metavar="PATH", help=DATA_HELP)
    p.add_argument(
        "--dry-run", action="store_true", help="print the result, do not change the model file"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    import json

    from barenet.data import load_mnist
    from barenet.errors import BarenetError
    from barenet.train import Recipe, load
    from barenet.train.calibration import calibrate

    model = load(args.model)
    recipe = model.metadata.get("recipe")
    if not recipe:
        raise BarenetError(
            f"{args.model} has no recipe in its metadata, so which digits it trained on is "
            "unknown; calibrate models written by `barenet train`"
        )
    trained_on = Recipe.from_dict(recipe, source=args.model)
    split = trained_on.split
    data = load_mnist(args.data, split=split, seed=trained_on.split_seed)
    if data.validation is None:
        raise BarenetError(
            f"{args.model} was trained on the {split!r} split, which holds no validation "
            "digits: calibrating on its test digits would make the test score optimistic"
        )
    result = calibrate(model, data.validation.x, data.validation.y)
    if not args.dry_run:
        model.save(args.model, calibration=result)
    if args.json:
        print(json.dumps({"model": args.model, "split": split, **result}))
        return 0
    print(f"model: {args.model}")
    print(f"validation digits: {result['examples']:,} of the '{split}' split")
    print(f"temperature: {result['temperature']:.3f}")
    print(
        f"expected calibration error ({result['bins']} bins): "
        f"{result['ece_before']:.2%} before, {result['ece_after']:.2%} after"
    )
    nll = f"{result['nll_before']:.4f} before, {result['nll_after']:.4f} after"
    print(f"negative log-likelihood: {nll}")
    print("not written (--dry-run)" if args.dry_run else f"written to {args.model}")
    return 0
