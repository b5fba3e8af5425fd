"""A sweep spec: a base recipe and what varies, read from TOML and checked before any work.

::

    name = "example"                 # optional: the file's name
    base = "default"                 # a shipped recipe or a path (relative to the spec)
    seeds = [0, 1, 2]                # default [0]
    [set]                            # fixed for every configuration
    "train.epochs" = 9
    [grid]                           # every combination of these values
    "optimizer.lr" = [3e-4, 1e-3, 3e-3]
    "model.hidden" = [[256], [512, 256]]
    [random]                         # and/or n samples of these distributions
    n = 12
    seed = 0                         # default 0: the same samples every time
    "model.dropout" = { uniform = [0.0, 0.5] }
    "optimizer.lr" = { loguniform = [1e-4, 1e-2] }
    "train.batch_size" = { choice = [64, 128, 256] }
    [search]
    method = "grid"                  # "grid", "random" or "halving"
    metric = "val_accuracy"          # or "val_loss"
    min_epochs = 1                   # halving: epochs of the first rung
    eta = 3                          # halving: keep the best 1/eta of each rung

The configurations are the grid's combinations followed by the random samples (either table
may be absent; with neither, the base recipe alone, e.g. to run it over several seeds). Keys
are dotted recipe paths, applied with the same override mechanism as ``barenet train --set``
(``barenet.train.overrides``), so every configuration is validated against what a recipe
accepts before the sweep starts. Sampled numbers keep 3 significant digits, which keeps run
names and recipes readable.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from barenet._files import read_toml
from barenet.errors import BarenetError
from barenet.train import Recipe
from barenet.train.overrides import apply_overrides, describe_overrides
from barenet.train.recipe import recipe_dir

METHODS = ("grid", "random", "halving")
METRICS = {"val_accuracy": "max", "val_loss": "min"}
DISTRIBUTIONS = ("uniform", "loguniform", "choice")
_TOP = {"name", "description", "base", "seeds", "set", "grid", "random", "search"}
_SEARCH = {"method", "metric", "min_epochs", "eta"}


@dataclass(frozen=True)
class Config:
    """One configuration: its position in the sweep, the overrides that make it, and the
    resolved recipe (plain data) those overrides give."""

    index: int
    params: dict[str, Any]
    recipe: dict[str, Any]

    @property
    def label(self) -> str:
        """``c03-lr0.001-hidden512``: position first, so labels are unique and sort in order."""
        described = describe_overrides(self.params) if self.params else "base"
        return f"c{self.index:02d}-{described}"[:100]

    @property
    def epochs(self) -> int:
        return int(self.recipe["train"]["epochs"])


@dataclass(frozen=True)
class SweepSpec:
    name: str
    base: str
    seeds: list[int]
    configs: list[Config]
    method: str = "grid"
    metric: str = "val_accuracy"
    min_epochs: int = 1
    eta: int = 3
    description: str = ""
    swept: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def maximize(self) -> bool:
        return METRICS[self.metric] == "max"

    @property
    def epochs(self) -> int:
        """The full training length (the longest configuration's)."""
        return max(c.epochs for c in self.configs)

    @property
    def rungs(self) -> list[int]:
        """Halving's epoch budgets: ``min_epochs · eta^k`` below the full length, then the
        full length (``[epochs]`` for grid and random)."""
        if self.method != "halving":
            return [self.epochs]
        budgets, e = [], self.min_epochs
        while e < self.epochs:
            budgets.append(e)
            e *= self.eta
        return [*budgets, self.epochs]


def _fail(where: str, message: str) -> BarenetError:
    return BarenetError(f"{where}: {message}")


def _non_empty_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int_at_least(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _sample(where: str, key: str, dist: Any, n: int, rng: np.random.Generator) -> list[Any]:
    """``n`` values of one ``[random]`` key: ``{uniform = [lo, hi]}``, ``{loguniform = [lo,
    hi]}`` (lo > 0) or ``{choice = [a, b, ...]}``."""
    if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
        raise _fail(
            where,
            f"[random] {key!r} must be one of {{uniform = [lo, hi]}}, "
            f"{{loguniform = [lo, hi]}} or {{choice = [...]}}, got {dist!r}",
        )
    kind, args = next(iter(dist.items()))
    if kind == "choice":
        if not _non_empty_list(args):
            raise _fail(where, f"[random] {key!r}: choice needs a non-empty list, got {args!r}")
        return [args[i] for i in rng.integers(0, len(args), size=n)]
    ok = isinstance(args, list) and len(args) == 2 and all(_is_number(a) for a in args)
    if not ok or args[0] > args[1] or (kind == "loguniform" and args[0] <= 0):
        low = "0 < lo" if kind == "loguniform" else "lo"
        raise _fail(
            where, f"[random] {key!r}: {kind} needs [lo, hi] with {low} <= hi, got {args!r}"
        )
    lo, hi = float(args[0]), float(args[1])
    if kind == "uniform":
        values = rng.uniform(lo, hi, size=n)
    else:
        values = np.exp(rng.uniform(math.log(lo), math.log(hi), size=n))
    return [float(f"{v:.3g}") for v in values]


def _grid(where: str, grid: Any) -> list[dict[str, Any]]:
    if not isinstance(grid, dict):
        raise _fail(where, "[grid] must be a table of key = [values]")
    if not grid:
        raise _fail(where, "[grid] is empty: give each swept key a list of values")
    for key, values in grid.items():
        if not _non_empty_list(values):
            raise _fail(where, f"[grid] {key!r} must be a non-empty list of values, got {values!r}")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _random(where: str, table: Any) -> list[dict[str, Any]]:
    if not isinstance(table, dict):
        raise _fail(where, "[random] must be a table")
    n, seed = table.get("n"), table.get("seed", 0)
    if not _int_at_least(n, 1):
        raise _fail(where, f"[random] n must be a positive integer (how many samples), got {n!r}")
    if not _int_at_least(seed, 0):
        raise _fail(where, f"[random] seed must be a non-negative integer, got {seed!r}")
    dists = {k: v for k, v in table.items() if k not in ("n", "seed")}
    if not dists:
        raise _fail(where, "[random] has no keys to sample")
    rng = np.random.default_rng(seed)
    columns = {key: _sample(where, key, dist, n, rng) for key, dist in dists.items()}
    return [{key: columns[key][i] for key in columns} for i in range(n)]


def parse_spec(
    data: Mapping[str, Any], where: str = "sweep spec", root: Path | None = None
) -> SweepSpec:
    """Check a spec's tables and keys, resolve every configuration against its base recipe,
    and return the ``SweepSpec``. Anything wrong raises ``BarenetError`` naming the key."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise _fail(where, f"unknown keys {unknown}; allowed: {sorted(_TOP)}")
    base = data.get("base")
    if not isinstance(base, str) or not base:
        raise _fail(
            where, 'base must name a shipped recipe or a recipe file, e.g. base = "default"'
        )
    found = str(root / base) if root is not None and (root / base).is_file() else base
    try:
        base_recipe = Recipe.find(found)
    except (ValueError, OSError) as exc:
        raise _fail(where, f"base: {exc}") from None
    seeds = data.get("seeds", [0])
    if (
        not _non_empty_list(seeds)
        or not all(_int_at_least(s, 0) for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise _fail(
            where, f"seeds must be a non-empty list of distinct integers >= 0, got {seeds!r}"
        )
    search = data.get("search", {})
    if not isinstance(search, dict):
        raise _fail(where, "[search] must be a table")
    bad = sorted(set(search) - _SEARCH)
    if bad:
        raise _fail(where, f"unknown keys {bad} in [search]; allowed: {sorted(_SEARCH)}")
    method = search.get("method", "grid")
    if method not in METHODS:
        raise _fail(where, f"[search] method must be one of {', '.join(METHODS)}, got {method!r}")
    metric = search.get("metric", "val_accuracy")
    if metric not in METRICS:
        raise _fail(where, f"[search] metric must be one of {', '.join(METRICS)}, got {metric!r}")
    min_epochs, eta = search.get("min_epochs", 1), search.get("eta", 3)
    if not _int_at_least(min_epochs, 1):
        raise _fail(where, f"[search] min_epochs must be an integer >= 1, got {min_epochs!r}")
    if not _int_at_least(eta, 2):
        raise _fail(where, f"[search] eta must be an integer >= 2, got {eta!r}")
    if method == "random" and "random" not in data:
        raise _fail(where, 'method "random" needs a [random] table')
    if method == "grid" and "random" in data and "grid" not in data:
        raise _fail(where, 'a [random] table without [grid] needs method = "random" or "halving"')

    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        raise _fail(where, "[set] must be a table of key = value")
    if fixed:
        try:
            base_recipe = apply_overrides(base_recipe, fixed)
        except (ValueError, TypeError, KeyError) as exc:
            raise _fail(where, f"[set]: {exc}") from None
    params = []
    if "grid" in data:
        params += _grid(where, data["grid"])
    if "random" in data:
        params += _random(where, data["random"])
    configs = []
    for index, overrides in enumerate(params or [{}]):
        try:
            recipe = apply_overrides(base_recipe, overrides) if overrides else base_recipe
        except (ValueError, TypeError, KeyError) as exc:
            raise _fail(where, f"configuration {index} ({overrides}): {exc}") from None
        configs.append(Config(index, dict(overrides), dict(recipe.data)))

    validates = {c.recipe["train"].get("validate_on") for c in configs}
    if validates != {"validation"}:
        raise _fail(
            where,
            f"the sweep chooses on {metric}, so every configuration must validate on held-out "
            f'digits: use a base recipe with data.split = "validation" ({base_recipe.name!r} '
            f"validates on {sorted(map(str, validates))})",
        )
    if method == "halving":
        full = max(c.epochs for c in configs)
        if min_epochs >= full:
            raise _fail(
                where,
                f"[search] min_epochs ({min_epochs}) must be below the recipe's {full} epochs "
                "for halving to have rungs",
            )
    swept = list(dict.fromkeys(k for p in params for k in p))
    return SweepSpec(
        name=str(data.get("name", "sweep")),
        base=base,
        seeds=list(seeds),
        configs=configs,
        method=method,
        metric=metric,
        min_epochs=min_epochs,
        eta=eta,
        description=str(data.get("description", "")),
        swept=swept,
    )


def spec_dir() -> Path:
    """The sweep specs shipped with barenet (``recipes/sweeps/``)."""
    return recipe_dir() / "sweeps"


def load_spec(path: str | Path) -> SweepSpec:
    """Read and check the spec file at ``path``, or a shipped spec by name (``"example"``);
    the file's name is the sweep's default name."""
    path = Path(path)
    if not path.exists() and path.suffix != ".toml" and (spec_dir() / f"{path}.toml").is_file():
        path = spec_dir() / f"{path}.toml"
    text, data = read_toml(path, "sweep spec")
    data.setdefault("name", path.stem)
    spec = parse_spec(data, where=str(path), root=path.parent)
    return replace(spec, text=text)
