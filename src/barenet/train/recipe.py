"""Recipes: a training run described in a TOML file (``recipes/*.toml``).

A recipe has these tables (every key optional except the architecture)::

    name = "seed001"
    description = "..."
    [data]       split = "official" | "validation" | "seed001";  seed = 42
    [model]      layers = [{in = 784, out = 16, activation = "relu"}, ...]   # seed 001 form
                 # or: sizes = [784, 128, 10], activation = "relu", output_activation = "softmax"
                 init = "he_normal";  bias_init = "zeros";  dropout = 0.0;  dtype = "float32"
    [train]      epochs = 10;  batch_size = 64;  loss = "cross_entropy";  seed = 0
                 augment = "shift";  validate_on = "validation" | "test" | "none"
                 # validate_on defaults to "validation" with that split, else "none"
    [optimizer]  name = "adam";  lr = 0.001;  ...any keyword of that optimizer
    [schedule]   name = "cosine";  total_epochs = 10   # optional
    [expected]   test_accuracy = 0.978   # a floor the recipe must reach (tests and docs check it)
                 published = 0.95        # or: the approximate result its source reports
                 source = "..."

Unknown tables or keys are errors, so a typo never silently changes a run.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from barenet.nn import Optimizer, get_optimizer

from .model import Model

_ALLOWED: dict[str, set[str]] = {
    "data": {"split", "seed"},
    "model": {
        "layers",
        "sizes",
        "activation",
        "output_activation",
        "init",
        "bias_init",
        "dropout",
        "dtype",
    },
    "train": {"epochs", "batch_size", "loss", "seed", "augment", "validate_on"},
    "optimizer": {"name", "lr", "momentum", "nesterov", "weight_decay", "betas", "eps", "alpha"},
    "schedule": {"name", "step_size", "gamma", "total_epochs", "min_lr", "warmup_epochs", "after"},
    "expected": {"test_accuracy", "published", "source", "note"},
}
_TOP = {"name", "description", *_ALLOWED}

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
    return [Recipe.from_file(p) for p in sorted(recipe_dir().glob("*.toml"))]


@dataclass
class Recipe:
    data: dict[str, Any]

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "recipe") -> Recipe:
        unknown = sorted(set(data) - _TOP)
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}; allowed: {sorted(_TOP)}")
        for table, keys in _ALLOWED.items():
            section = data.get(table, {})
            if not isinstance(section, dict):
                raise ValueError(f"{source}: [{table}] must be a table")
            bad = sorted(set(section) - keys)
            if bad:
                raise ValueError(
                    f"{source}: unknown keys {bad} in [{table}]; allowed: {sorted(keys)}"
                )
        model = data.get("model", {})
        if ("layers" in model) == ("sizes" in model):
            raise ValueError(f"{source}: [model] needs exactly one of 'layers' or 'sizes'")
        recipe = cls(copy.deepcopy(data))
        recipe.data.setdefault("name", Path(source).stem)
        recipe.data["train"] = {**_DEFAULT_TRAIN, **data.get("train", {})}
        split = recipe.data.setdefault("data", {}).setdefault("split", "official")
        # Validate on the held-out set when the split has one; never on the test set unasked.
        recipe.data["train"].setdefault(
            "validate_on", "validation" if split == "validation" else "none"
        )
        recipe.data.setdefault("optimizer", {"name": "adam", "lr": 0.001})
        if recipe.train["validate_on"] not in ("validation", "test", "none"):
            raise ValueError(f"{source}: validate_on must be 'validation', 'test' or 'none'")
        return recipe

    @classmethod
    def from_file(cls, path: str | Path) -> Recipe:
        path = Path(path)
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f"recipe file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from None
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
        raise ValueError(
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

    # ------------------------------------------------------------------ overrides
    def with_overrides(
        self,
        *,
        epochs: int | None = None,
        lr: float | None = None,
        batch_size: int | None = None,
        hidden: list[int] | None = None,
        optimizer: str | None = None,
        seed: int | None = None,
    ) -> Recipe:
        """A copy with command-line overrides applied (``None`` leaves a value alone).

        A changed recipe is no longer the one that reached the documented result, so its
        ``[expected]`` table is dropped and its description says what was changed.
        """
        given = {
            "epochs": epochs,
            "lr": lr,
            "batch_size": batch_size,
            "hidden": hidden,
            "optimizer": optimizer,
            "seed": seed,
        }
        changed = {k: v for k, v in given.items() if v is not None}
        data = copy.deepcopy(self.data)
        if not changed:
            return Recipe.from_dict(data, source=self.name)
        data.pop("expected", None)
        note = ", ".join(
            f"{k}={','.join(map(str, v)) if k == 'hidden' else v}" for k, v in changed.items()
        )
        data["description"] = f"{data.get('description', self.name)} [changed: {note}]"
        train = data["train"]
        if epochs is not None:
            train["epochs"] = epochs
            schedule = data.get("schedule", {})
            if schedule.get("name") == "cosine":
                schedule["total_epochs"] = epochs
            elif schedule.get("name") == "warmup" and schedule.get("after", {}).get("name") == (
                "cosine"
            ):
                warm = int(schedule.get("warmup_epochs", 0))
                schedule["after"]["total_epochs"] = max(1, epochs - warm)
        if batch_size is not None:
            train["batch_size"] = batch_size
        if seed is not None:
            train["seed"] = seed
        if optimizer is not None and optimizer != data["optimizer"].get("name"):
            data["optimizer"] = {"name": optimizer}
        if lr is not None:
            data["optimizer"]["lr"] = lr
        if hidden is not None:
            model = data["model"]
            if "layers" in model:
                layers = model.pop("layers")
                model["sizes"] = [layers[0]["in"], *(layer["out"] for layer in layers)]
                model["activation"] = layers[0]["activation"]
                model["output_activation"] = layers[-1]["activation"]
            model["sizes"] = [model["sizes"][0], *hidden, model["sizes"][-1]]
        return Recipe.from_dict(data, source=self.name)

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
        if "layers" in m:
            return Model.from_spec(m["layers"], **options)
        return Model.from_sizes(
            m["sizes"],
            activation=m.get("activation", "relu"),
            output_activation=m.get("output_activation"),
            **options,
        )

    def build_optimizer(self, model: Model) -> Optimizer:
        return get_optimizer(dict(self.data["optimizer"]), model.parameters())

    def summary_line(self) -> str:
        m = self.data["model"]
        sizes = m.get("sizes") or [m["layers"][0]["in"], *(x["out"] for x in m["layers"])]
        opt = self.data["optimizer"]
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
            f"{'-'.join(map(str, sizes))} {t['loss']} {opt['name']} lr={opt.get('lr')} "
            f"batch={t['batch_size']} epochs={t['epochs']}{bar}"
        )
