"""The recipe schema: one list of keys that validates recipes and documents them."""

import re
import tomllib
from pathlib import Path

import pytest

from barenet.train import Recipe, list_recipes
from barenet.train.schema import KEYS, markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"


def test_docs_recipes_lists_every_key_as_the_code_declares_it():
    text = DOC.read_text()
    table = text.split("<!-- keys:begin -->\n")[1].split("<!-- keys:end -->")[0]
    assert table == markdown_table(), (
        "docs/recipes.md is out of date; regenerate the table with "
        "python -c 'from barenet.train.schema import markdown_table; print(markdown_table())'"
    )
    documented = set(re.findall(r"^\| `([\w.]+)` \|", table, flags=re.M))
    assert documented == {k.path for k in KEYS}


def test_every_key_a_shipped_recipe_uses_is_declared():
    declared = {k.path for k in KEYS}
    for recipe in list_recipes():
        for table, section in recipe.data.items():
            keys = [f"{table}.{k}" for k in section] if isinstance(section, dict) else [table]
            assert set(keys) <= declared, (recipe.name, set(keys) - declared)


@pytest.mark.parametrize("key", [k for k in KEYS if k.table in ("optimizer", "schedule")])
def test_optimizer_and_schedule_keys_apply_to_some_constructor(key):
    assert key.name == "name" or key.applies_to(), key.path


@pytest.mark.parametrize("name", ["default", "seed001", "best", "nielsen-ch3", "seed000"])
def test_a_resolved_recipe_parses_back_to_itself(name):
    recipe = Recipe.find(name)
    assert Recipe.from_dict(tomllib.loads(recipe.to_toml()), source=name) == recipe
