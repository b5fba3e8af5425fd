"""Recipe overrides: ``--set optimizer.lr=0.05``, the one way to change a recipe's settings.

``barenet train --set``, its shortcuts (``--lr``, ``--epochs``, ``--optimizer``, ...) and
``barenet sweep`` all go through ``apply_overrides``::

    key, value = parse_set("optimizer.lr=0.05")              # ("optimizer.lr", 0.05)
    recipe = apply_overrides(Recipe.find("default"), {key: value, "model.dropout": 0.1})
    describe_overrides({key: value, "model.dropout": 0.1})  # "lr0.05-dropout0.1"

Keys are dotted paths ``table.key`` checked against ``schema.KEYS`` (a table-valued key may
be reached one level deeper: ``train.early_stopping.patience``). Changing
``optimizer.name`` or ``schedule.name`` keeps the settings the new one takes and drops the
others; the returned recipe's ``notes`` say what was dropped. Changing ``train.epochs``
moves a cosine schedule's end with it when it ended with the training.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from barenet.errors import BarenetError
from barenet.nn.optim import OPTIMIZERS
from barenet.nn.schedules import SCHEDULES

from .recipe import Recipe
from .schema import constructor_args, find_key

_KEY = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_BARE_WORD = re.compile(r"[A-Za-z_][\w.+-]*")


def parse_set(text: str) -> tuple[str, Any]:
    """``"KEY=VALUE"`` → ``(key, value)``; the value is read as a TOML value (``0.05``,
    ``true``, ``[128, 64]``, ``{patience = 5}``, ``"text"``), a bare word as a string."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or not raw:
        raise BarenetError(f"--set takes KEY=VALUE (e.g. optimizer.lr=0.05), got {text!r}")
    if not _KEY.fullmatch(key):
        raise BarenetError(f"--set: {key!r} is not a dotted key such as optimizer.lr")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if not _BARE_WORD.fullmatch(raw):
            raise BarenetError(
                f"--set {key}: {raw!r} is not a value (a number, true/false, a word, "
                '"a string", a [list] or an {inline = table})'
            ) from None
        value = raw
    return key, value


def apply_overrides(recipe: Recipe, overrides: Mapping[str, Any]) -> Recipe:
    """A new recipe with ``overrides`` (dotted key → value) applied; ``recipe`` is untouched.

    A changed recipe no longer reaches its documented result: its ``[expected]`` table is
    dropped and its description says what changed. Raises ``BarenetError`` naming a key that
    does not exist, a value it does not take, or a key the chosen optimizer/schedule ignores.
    """
    data = copy.deepcopy(recipe.data)
    if not overrides:
        return Recipe.from_dict(data, source=recipe.name)
    notes: list[str] = []
    old_epochs = int(data["train"]["epochs"])
    # Names first, so "--optimizer sgd --set optimizer.momentum=0.9" applies to the SGD.
    for path, value in sorted(overrides.items(), key=lambda kv: not kv[0].endswith(".name")):
        parts = path.split(".")
        key = find_key(".".join(parts[:2]) if len(parts) > 2 else path, overrides=True)
        if len(parts) > 2:
            _set_nested(data, key.table, parts[1:], value, path)
            continue
        key.check(value, where="override")
        if key.path == "model.hidden":
            _set_hidden(data, value)
        elif key.name == "name" and key.table in ("optimizer", "schedule"):
            _switch(data, key.table, value, notes)
        elif key.table:
            data.setdefault(key.table, {})[key.name] = value
        else:
            data[key.name] = value
    epochs = int(data["train"]["epochs"])
    if epochs != old_epochs and "schedule.total_epochs" not in overrides:
        _follow_epochs(data, old_epochs, epochs, notes)
    data.pop("expected", None)
    changed = ", ".join(f"{k}={_text(v)}" for k, v in overrides.items())
    data["description"] = f"{recipe.description or recipe.name} [changed: {changed}]"
    new = Recipe.from_dict(data, source=recipe.name)
    new.notes = [*recipe.notes, *notes]
    return new


def describe_overrides(overrides: Mapping[str, Any]) -> str:
    """A short run-name suffix: ``{"optimizer.lr": 0.05, "model.dropout": 0.2}`` →
    ``"lr0.05-dropout0.2"``; a ``*.name`` key contributes its value alone (``"sgd"``)."""
    tokens = []
    for path, value in overrides.items():
        name = path.rsplit(".", 1)[-1]
        text = _text(value).replace(",", "x")
        token = text if name == "name" else f"{name}{text}"
        tokens.append(re.sub(r"[^A-Za-z0-9._+=-]", "", token))
    return "-".join(tokens)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _set_nested(data: dict[str, Any], table: str, parts: list[str], value: Any, path: str) -> None:
    """``train.early_stopping.patience=3``: one key inside a table-valued setting."""
    node = data.setdefault(table, {})
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise BarenetError(f"override {path}: {part} is not a table in this recipe")
        node = child
    node[parts[-1]] = value


def _set_hidden(data: dict[str, Any], hidden: list[int]) -> None:
    """New hidden widths; the input and output widths stay. A seed-001 ``layers`` model
    becomes the ``sizes`` form with its first and last activations."""
    model = data["model"]
    if any("type" in layer for layer in model.get("layers", [])):
        raise BarenetError(
            "model.hidden changes fully connected recipes only; this one has typed layers"
        )
    if "layers" in model:
        layers = model.pop("layers")
        model["sizes"] = [layers[0]["in"], *(layer["out"] for layer in layers)]
        model["activation"] = layers[0]["activation"]
        model["output_activation"] = layers[-1]["activation"]
    model["sizes"] = [model["sizes"][0], *hidden, model["sizes"][-1]]


def _switch(data: dict[str, Any], table: str, name: str, notes: list[str]) -> None:
    """Change the optimizer or schedule, keeping the settings the new one accepts."""
    old = data.get(table, {})
    if str(old.get("name", "")).lower() == name.lower():
        return
    registry = OPTIMIZERS if table == "optimizer" else SCHEDULES
    accepted = constructor_args(registry.lookup(name))
    kept = {k: v for k, v in old.items() if k != "name" and k in accepted}
    dropped = {k: v for k, v in old.items() if k != "name" and k not in accepted}
    data[table] = {"name": name, **kept}
    if table == "schedule" and "total_epochs" in accepted and "total_epochs" not in kept:
        data[table]["total_epochs"] = int(data["train"]["epochs"])
    if old.get("name"):
        words = [f"{table} {old['name']} -> {name}"]
        if kept:
            words.append("kept " + ", ".join(_kept(k, v, name, accepted) for k, v in kept.items()))
        if dropped:
            words.append(
                "dropped "
                + ", ".join(f"{k}={_text(v)}" for k, v in dropped.items())
                + f" ({name} does not take {'it' if len(dropped) == 1 else 'them'})"
            )
        notes.append("; ".join(words))


def _kept(key: str, value: Any, name: str, defaults: dict[str, Any]) -> str:
    """``lr=0.1 (adam's default: 0.001)``: a kept value, and for the learning rate the new
    optimizer's own default when that differs (a rate right for SGD is rarely right for Adam)."""
    default = defaults.get(key)
    if key == "lr" and default != value:
        return f"{key}={_text(value)} ({name}'s default: {_text(default)})"
    return f"{key}={_text(value)}"


def _follow_epochs(data: dict[str, Any], old: int, new: int, notes: list[str]) -> None:
    """A cosine or a one-cycle that ended with the training ends with it again (a cosine
    also after a warm-up)."""
    schedule = data.get("schedule", {})
    if schedule.get("name") in ("cosine", "one_cycle") and schedule.get("total_epochs") == old:
        schedule["total_epochs"] = new
    elif schedule.get("name") == "warmup" and isinstance(schedule.get("after"), dict):
        after, warm = schedule["after"], int(schedule.get("warmup_epochs", 0))
        if after.get("name") == "cosine" and after.get("total_epochs") == old - warm:
            after["total_epochs"] = max(1, new - warm)
        else:
            return
    else:
        return
    what = "one-cycle" if schedule.get("name") == "one_cycle" else "cosine"
    notes.append(f"the {what} schedule now ends after epoch {new}, with the training")
