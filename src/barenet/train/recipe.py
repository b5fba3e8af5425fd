"""Recipes: a training run described in a TOML file (``recipes/*.toml``).

A recipe has these tables (every key optional except the architecture)::

    name = "seed001"
    description = "..."
    [data]       split = "official" | "validation" | "seed001";  seed = 42
    [model]      layers = [{in = 784, out = 16, activation = "relu"}, ...]   # seed 001 form
                 # or: sizes = [784, 128, 10], activation = "relu", output_activation = "softmax"
                 # or typed layers with the shape of one input example (a conv net):
                 # layers = [{type = "conv2d", out = 32, kernel = 5, activation = "relu"},
                 #           {type = "maxpool2d", size = 2}, {type = "flatten"}, ...]
                 # input_shape = [28, 28, 1]
                 init = "he_normal";  bias_init = "zeros";  dropout = 0.0;  dtype = "float32"
    [train]      epochs = 10;  batch_size = 64;  loss = "cross_entropy";  seed = 0
                 augment = "shift" | {shift = 2, rotate = 10, scale = 0.1, elastic = {...}}
                 validate_on = "validation" | "test" | "none"
                 # validate_on defaults to "validation" with that split, else "none"
    [optimizer]  name = "adam";  lr = 0.001;  ...any keyword of that optimizer
    [schedule]   name = "cosine";  total_epochs = 10   # optional
    [expected]   test_accuracy = 0.978   # a floor the recipe must reach (tests and docs check it)
                 published = 0.95        # or: the approximate result its source reports
                 source = "..."

Every key, its default and allowed values are declared once in ``schema.KEYS`` (and listed in
``docs/recipes.md``). Unknown tables or keys are errors, so a typo never silently changes a run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from barenet._files import read_toml
from barenet.errors import BarenetError
from barenet.nn import Optimizer, get_optimizer, get_schedule
from barenet.nn.optim import OPTIMIZERS

from .augment import Augmentation
from .model import Model
from .schema import constructor_args, validate

_DEFAULT_TRAIN = {
    "epochs": 10,
    "batch_size": 64,
    "loss": "cross_entropy",
    "seed": 0,
}


def recipe_dir() -> Path:
    """The folder of the recipes shipped with barenet."""
    return Path(str(resources.files("barenet") / "recipes"))


def list_recipes() -> list[Recipe]:
    return [Recipe.from_file(p) for p in sorted(recipe_dir().glob("*.toml"), key=lambda p: p.stem)]


@dataclass
class Recipe:
    """A recipe's resolved data (defaults filled in) and ``notes``: what overrides changed
    beyond what was asked (e.g. settings dropped with a new optimizer), for the user."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list, compare=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "recipe") -> Recipe:
        validate(data, source)
        recipe = cls(copy.deepcopy(data))
        recipe.data.setdefault("name", Path(source).stem)
        recipe.data["train"] = {**_DEFAULT_TRAIN, **data.get("train", {})}
        split = recipe.data.setdefault("data", {}).setdefault("split", "official")
        # Validate on the held-out set when the split has one; never on the test set unasked.
        recipe.data["train"].setdefault(
            "validate_on", "validation" if split == "validation" else "none"
        )
        recipe.data.setdefault("optimizer", {"name": "adam", "lr": 0.001})
        if "augment" in recipe.train:
            try:
                Augmentation.from_config(recipe.train["augment"], key="train.augment")
            except ValueError as exc:
                raise BarenetError(f"{source}: {exc}") from None
        schedule = recipe.data.get("schedule")
        if schedule:
            if schedule["name"] in ("cosine", "one_cycle"):
                schedule.setdefault("total_epochs", recipe.data["train"]["epochs"])
            try:
                get_schedule(schedule)
            except (ValueError, TypeError) as exc:
                raise BarenetError(f"{source}: [schedule] {exc}") from None
        return recipe

    @classmethod
    def from_file(cls, path: str | Path) -> Recipe:
        path = Path(path)
        _, data = read_toml(path, "recipe file")
        return cls.from_dict(data, source=str(path))

    @classmethod
    def find(cls, name_or_path: str) -> Recipe:
        """A shipped recipe by name (``"default"``) or a ``.toml`` file by path."""
        path = Path(name_or_path)
        if path.suffix == ".toml" or path.exists():
            return cls.from_file(path)
        candidate = recipe_dir() / f"{name_or_path}.toml"
        if candidate.exists():
            return cls.from_file(candidate)
        names = ", ".join(r.name for r in list_recipes())
        raise BarenetError(
            f"unknown recipe {name_or_path!r}; shipped recipes are {names} "
            "(or give a path to a .toml file)"
        )

    # ------------------------------------------------------------------ accessors
    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))

    @property
    def train(self) -> dict[str, Any]:
        return dict(self.data["train"])

    @property
    def split(self) -> str:
        return str(self.data["data"]["split"])

    @property
    def split_seed(self) -> int:
        return int(self.data["data"].get("seed", 42))

    @property
    def expected(self) -> dict[str, Any]:
        return dict(self.data.get("expected", {}))

    def to_toml(self) -> str:
        return tomli_w.dumps(self.data)

    # ------------------------------------------------------------------ building
    def build_model(self) -> Model:
        m = self.data["model"]
        options: dict[str, Any] = {
            "dtype": m.get("dtype", "float32"),
            "dropout": m.get("dropout", 0.0),
            "seed": int(self.train["seed"]),
        }
        if "init" in m:
            options["init"] = m["init"]
        if "bias_init" in m:
            options["bias_init"] = m["bias_init"]
        # The engine raises ValueError for a spec that does not fit (it imports no barenet
        # error type): in a recipe that is the user's mistake.
        try:
            if "layers" in m:
                return Model.from_spec(m["layers"], input_shape=m.get("input_shape"), **options)
            return Model.from_sizes(
                m["sizes"],
                activation=m.get("activation", "relu"),
                output_activation=m.get("output_activation"),
                **options,
            )
        except (ValueError, TypeError) as exc:
            raise BarenetError(f"recipe {self.name}: [model] {exc}") from None

    def build_optimizer(self, model: Model) -> Optimizer:
        return get_optimizer(dict(self.data["optimizer"]), model.parameters())

    def summary_line(self) -> str:
        m = self.data["model"]
        opt = self.data["optimizer"]
        lr = opt.get("lr", constructor_args(OPTIMIZERS.lookup(opt["name"]))["lr"])
        t = self.train
        floor, published = self.expected.get("test_accuracy"), self.expected.get("published")
        bar = (
            f", expects ≥{floor:.1%}"
            if floor
            else f", published ≈{published:.1%}"
            if published
            else ""
        )
        return (
            f"{_architecture(m)} {t['loss']} {opt['name']} lr={lr:g} "
            f"batch={t['batch_size']} epochs={t['epochs']}{bar}"
        )


def _architecture(model: dict[str, Any]) -> str:
    """Sizes joined by dashes (784-128-10); typed layers by kind and width (conv32k5-pool2-...)."""
    if "sizes" in model:
        return "-".join(map(str, model["sizes"]))
    layers = model["layers"]
    if not any("type" in layer for layer in layers):
        return "-".join(map(str, [layers[0]["in"], *(x["out"] for x in layers)]))
    short = {"conv2d": "conv", "maxpool2d": "maxpool", "avgpool2d": "avgpool", "dense": ""}
    parts = []
    for layer in layers:
        kind = layer.get("type", "dense")
        if kind in ("flatten", "reshape", "activation"):
            continue
        size = layer.get("out", layer.get("size", layer.get("p", "")))
        kernel = f"k{layer['kernel']}" if "kernel" in layer else ""
        parts.append(f"{short.get(kind, kind)}{size}{kernel}")
    return "-".join(parts)
