"""`barenet train`, `barenet evaluate` and `barenet recipes`."""

from __future__ import annotations

import argparse
from typing import Any

from ._types import DATA_HELP, non_negative_int, positive_float, positive_int


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes widths like 128,64, got {text!r}"
        ) from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"--hidden takes positive widths like 128,64, got {text!r}"
        )
    return sizes


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network on MNIST from a recipe",
        description="Train on MNIST. The recipe sets everything; options override it. "
        "Writes a run directory with the recipe, metrics, checkpoints, the model and plots.",
    )
    p.add_argument(
        "--recipe",
        default="default",
        help="a shipped recipe name (see `barenet recipes`) or a .toml file (default: %(default)s)",
    )
    p.add_argument("--epochs", type=positive_int, help="number of epochs")
    p.add_argument("--lr", type=positive_float, help="learning rate")
    p.add_argument("--batch-size", type=positive_int, help="mini-batch size")
    p.add_argument("--hidden", type=_hidden, help="hidden layer widths, e.g. 128,64")
    p.add_argument("--optimizer", choices=["sgd", "adam", "rmsprop"], help="optimizer")
    p.add_argument(
        "--seed", type=non_negative_int, help="seed for weights, dropout and batch order"
    )
    p.add_argument("--out", help="run directory (default: runs/<recipe>-<date>-<time>)")
    p.add_argument("--data", metavar="PATH", help=DATA_HELP)
    p.add_argument(
        "--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint"
    )
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    p.set_defaults(func=run_train)

    e = subparsers.add_parser(
        "evaluate",
        help="evaluate a model file on the MNIST test set",
        description="Accuracy, per-class precision/recall/F1 and the confusion matrix of a "
        "model on the MNIST test set its recipe held out (the official 10,000 test digits, or "
        "seed 001's 23,100).",
    )
    e.add_argument("model", help="a model file (model.npz) written by barenet")
    e.add_argument("--data", metavar="PATH", help=DATA_HELP)
    e.add_argument(
        "--split",
        choices=["official", "validation", "seed001"],
        help="which test set: default the one the model's recipe held out (seed001 models "
        "pool all 70,000 digits, so the official test set would include their training data)",
    )
    e.add_argument("--json", action="store_true", help="print the result as JSON")
    e.set_defaults(func=run_evaluate)

    r = subparsers.add_parser(
        "recipes",
        help="list the shipped training recipes",
        description="List the recipes shipped with barenet.",
    )
    r.set_defaults(func=run_recipes)


def run_train(args: argparse.Namespace) -> int:
    import functools
    import sys
    from pathlib import Path

    from barenet.train import Recipe, resume_training, run_training
    from barenet.train.run import default_run_dir

    overrides = {
        k: getattr(args, k) for k in ("epochs", "lr", "batch_size", "hidden", "optimizer", "seed")
    }
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k, v in overrides.items() if v is not None]
        if given or args.out:
            raise ValueError(
                f"--resume continues a run exactly as it was recorded; "
                f"drop {', '.join(given + (['--out'] if args.out else []))}"
            )
        run_dir = Path(args.resume)
        train = functools.partial(resume_training, run_dir, data_path=args.data)
    else:
        recipe = Recipe.find(args.recipe).with_overrides(**overrides)
        run_dir = Path(args.out) if args.out else default_run_dir(recipe)
        print(f"training recipe '{recipe.name}': {recipe.summary_line()}")
        print(f"run directory: {run_dir}")
        train = functools.partial(run_training, recipe, run_dir, data_path=args.data)
    try:
        result = train()
    except KeyboardInterrupt:
        if (run_dir / "checkpoints" / "last.npz").exists():
            print(
                f"stopped; the run keeps its checkpoint of the last finished epoch. "
                f"Continue with: barenet train --resume {run_dir}",
                file=sys.stderr,
            )
        raise
    ev = result.evaluation
    print(
        f"test accuracy: {ev.accuracy:.2%} ({ev.n:,} test digits; "
        f"{result.seconds:.1f} s of training)"
    )
    print(f"model: {result.model_path}")
    if not args.no_plots:
        from barenet.app.plots import plot_run

        for path in plot_run(result.run_dir):
            print(f"plot: {path}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    import json

    from barenet.data import load_mnist
    from barenet.train import Recipe, load

    model = load(args.model)
    # By default, the test set of the split the model's recipe trained on (with its seed).
    recipe = model.metadata.get("recipe")
    trained_on = Recipe.from_dict(recipe, source=args.model) if recipe else None
    split = args.split or (trained_on.split if trained_on else "official")
    if trained_on and split == trained_on.split:
        data = load_mnist(args.data, split=split, seed=trained_on.split_seed)
    else:
        data = load_mnist(args.data, split=split)
    ev = model.evaluate(data.test.x, data.test.y)
    if args.json:
        print(json.dumps({"split": split, **ev.to_dict()}))
    else:
        print(f"model: {args.model}")
        print(f"test set: {ev.n:,} digits of the '{split}' split")
        print(ev.report(model.metadata.get("class_names")))
    return 0


def run_recipes(args: argparse.Namespace) -> int:
    from barenet.train import list_recipes

    recipes = list_recipes()
    width = max(len(r.name) for r in recipes)
    for r in recipes:
        print(f"{r.name:<{width}}  {r.summary_line()}")
        if r.description:
            print(f"{'':<{width}}  {r.description}")
    return 0
