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


def _set(text: str) -> tuple[str, Any]:
    from barenet.train.overrides import parse_set

    try:
        return parse_set(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# The shortcut options, each the same as one --set key.
SHORTCUTS = {
    "epochs": "train.epochs",
    "lr": "optimizer.lr",
    "batch_size": "train.batch_size",
    "hidden": "model.hidden",
    "optimizer": "optimizer.name",
    "seed": "train.seed",
}


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The --set pairs and the shortcut options as one dict of overrides; the same key given
    twice with different values is an error."""
    from barenet.errors import BarenetError

    given: dict[str, Any] = {}
    pairs = list(args.overrides) + [
        (key, getattr(args, option))
        for option, key in SHORTCUTS.items()
        if getattr(args, option) is not None
    ]
    for key, value in pairs:
        if key in given and given[key] != value:
            raise BarenetError(f"{key} is given twice, as {given[key]!r} and {value!r}")
        given[key] = value
    return given


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
    p.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        type=_set,
        action="append",
        default=[],
        help="change one recipe setting, e.g. --set optimizer.lr=0.05 --set model.dropout=0.2 "
        "--set schedule.name=cosine (every key: docs/recipes.md; repeatable)",
    )
    p.add_argument("--epochs", type=positive_int, help="number of epochs (train.epochs)")
    p.add_argument("--lr", type=positive_float, help="learning rate (optimizer.lr)")
    p.add_argument("--batch-size", type=positive_int, help="mini-batch size (train.batch_size)")
    p.add_argument("--hidden", type=_hidden, help="hidden layer widths, e.g. 128,64 (model.hidden)")
    p.add_argument(
        "--optimizer",
        choices=["sgd", "adam", "rmsprop"],
        help="optimizer (optimizer.name); keeps the settings it takes, says which it drops",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        help="seed for weights, dropout and batch order (train.seed)",
    )
    p.add_argument(
        "--name",
        help="the run's name (default: the recipe's, followed by what was changed)",
    )
    p.add_argument("--out", help="run directory (default: runs/<name>-<date>-<time>)")
    p.add_argument("--data", metavar="PATH", help=DATA_HELP)
    p.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its last checkpoint, on the data it recorded; "
        "with --epochs N, train it to N epochs in total (also a finished run)",
    )
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    p.set_defaults(func=run_train)

    e = subparsers.add_parser(
        "evaluate",
        help="evaluate a model file or checkpoint on the data it was trained with",
        description="Accuracy, per-class precision/recall/F1 and the confusion matrix of a "
        "model on one part of the split it recorded (by default its test set: the official "
        "10,000 test digits, or seed 001's 23,100), read from the data it recorded.",
    )
    e.add_argument("model", help="a model file (model.npz) or a checkpoint (checkpoints/last.npz)")
    e.add_argument(
        "--data",
        metavar="PATH",
        help=DATA_HELP.replace("the cache", "the data the model recorded"),
    )
    e.add_argument(
        "--split",
        choices=["train", "validation", "test"],
        default="test",
        help="which part of the model's recorded split to score (default: %(default)s)",
    )
    e.add_argument("--json", action="store_true", help="print the result as JSON")
    e.set_defaults(func=run_evaluate)

    r = subparsers.add_parser(
        "recipes",
        help="list the shipped training recipes, or print one",
        description="List the recipes shipped with barenet (`barenet recipes` or `recipes "
        "list`), or print one as TOML to start your own from (`recipes show NAME`). Every key "
        "is documented in docs/recipes.md.",
    )
    r.set_defaults(func=run_recipes)
    rsub = r.add_subparsers(dest="recipes_command", metavar="COMMAND")
    rsub.add_parser("list", help="list the shipped recipes").set_defaults(func=run_recipes)
    show = rsub.add_parser(
        "show",
        help="print a recipe as TOML",
        description="Print a shipped recipe (or a .toml file) as TOML; with --set, the "
        "recipe those overrides make. The output is a valid recipe: save it, edit it, and "
        "train it with --recipe FILE.",
    )
    show.add_argument("name", help="a shipped recipe name or a .toml file")
    show.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        type=_set,
        action="append",
        default=[],
        help="change one setting first, as for `barenet train --set`",
    )
    show.set_defaults(func=run_recipes_show)


def run_train(args: argparse.Namespace) -> int:
    import functools
    import sys
    from pathlib import Path

    from barenet.errors import BarenetError
    from barenet.train import Recipe, resume_training, run_training
    from barenet.train.overrides import apply_overrides, describe_overrides
    from barenet.train.run import default_run_dir, run_progress

    overrides = overrides_of(args)
    if args.resume:
        overrides.pop("train.epochs", None)
        given = [f"--set {k}" for k in overrides] + (["--out"] if args.out else [])
        if args.name:
            given.append("--name")
        if given:
            raise BarenetError(
                f"--resume continues a run as it was recorded (only --epochs may extend it); "
                f"drop {', '.join(given)}"
            )
        run_dir = Path(args.resume)
        done, planned, finished = run_progress(run_dir)
        if finished and (args.epochs is None or args.epochs <= done):
            print(
                f"{run_dir} is finished ({done} of {planned} epochs); nothing changed. "
                f"To train it longer: barenet train --resume {run_dir} --epochs N (N > {done})"
            )
            return 0
        train = functools.partial(resume_training, run_dir, data_path=args.data, epochs=args.epochs)
    else:
        base = Recipe.find(args.recipe)
        recipe = apply_overrides(base, overrides)
        if args.name or overrides:
            recipe.data["name"] = args.name or f"{base.name}-{describe_overrides(overrides)}"
        for note in recipe.notes:
            print(f"note: {note}")
        if args.name and (args.name in (".", "..") or "/" in args.name or "\\" in args.name):
            raise BarenetError(f"--name must be a plain name (no folders), got {args.name!r}")
        print(f"training recipe '{recipe.name}': {recipe.summary_line()}")
        run_dir = Path(args.out) if args.out else default_run_dir(recipe)
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

        for path in plot_run(result.run_dir, data_path=args.data):
            print(f"plot: {path}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    import json
    import sys

    from barenet.errors import BarenetError
    from barenet.train import load
    from barenet.train.run import load_run_data

    model = load(args.model)
    record = dict(model.metadata.get("data") or model.metadata.get("recipe", {}).get("data", {}))
    data, note = load_run_data(record, args.data)
    if note:
        print(f"note: {note}", file=sys.stderr)
    part = getattr(data, args.split)
    if part is None:
        raise BarenetError(
            f"the model's split {record.get('split', 'official')!r} has no validation set; "
            "choose --split train or test"
        )
    split = record.get("split", "official")
    what = {"train": "training set", "validation": "validation set", "test": "test set"}
    label = f"{what[args.split]} of the '{split}' split: {len(part):,} digits"
    if args.split == "train":
        label += " (the digits the model trained on)"
    elif not record:
        print(
            "warning: this model file does not record the data it was trained on; if it "
            "trained on any of these digits (e.g. seed 001's split pools the official test "
            "set into training), this score is optimistic. Save it with "
            "model.save(path, data={'split': 'seed001', 'seed': 42}) to score its own test set",
            file=sys.stderr,
        )
    ev = model.evaluate(part.x, part.y)
    if args.json:
        print(json.dumps({"split": split, "part": args.split, "n": len(part), **ev.to_dict()}))
    else:
        print(f"model: {args.model}")
        print(label)
        print(ev.report(model.metadata.get("class_names")))
    return 0


def run_recipes_show(args: argparse.Namespace) -> int:
    from pathlib import Path

    from barenet.train import Recipe
    from barenet.train.overrides import apply_overrides
    from barenet.train.recipe import recipe_dir

    recipe = Recipe.find(args.name)
    if args.overrides:
        print(apply_overrides(recipe, dict(args.overrides)).to_toml(), end="")
        return 0
    # The file itself, with its comments (it parses to the same recipe).
    path = Path(args.name)
    if not (path.suffix == ".toml" or path.exists()):
        path = recipe_dir() / f"{args.name}.toml"
    print(path.read_text(), end="")
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
