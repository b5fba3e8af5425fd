"""scripts/results.py --update: which rows of the existing table it keeps, and when it refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from barenet.train import list_recipes

SHIPPED = [r.name for r in list_recipes()]
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "results.py"
spec = importlib.util.spec_from_file_location("results_script", SCRIPT)
assert spec is not None and spec.loader is not None
results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(results)

TABLE = """# Results

| recipe | network, loss, optimizer | test accuracy % | per seed | target | train time |
|---|---|---|---|---|---|
| `cnn` | conv | 99.46 ± 0.02 | 99.44, 99.48, 99.45 | ≥ 99.3 met | 2086 s |
| `default` | 784-512-256-10 | 98.80 ± 0.05 | 98.76, 98.78, 98.86 | ≥ 97.8 met | 190 s |
| `retired` | 784-10 | 91.00 ± 0.00 | 91.00, 91.00, 91.00 | — | 1 s |

Seeds: 0, 1, 2. Generated 2026-12-02 with Python 3.11.7, one BLAS thread per run.
"""


def test_the_rows_of_a_table_by_recipe_name():
    rows = results.table_rows(TABLE)
    assert list(rows) == ["cnn", "default", "retired"]
    assert rows["default"].startswith("| `default` | 784-512-256-10 | 98.80 ± 0.05 |")


def test_update_keeps_the_rows_of_shipped_recipes_it_does_not_train_again():
    kept = results.kept_rows(TABLE, [0, 1, 2], ["cnn"], SHIPPED)
    # `cnn` is trained again, `retired` is no longer shipped: only `default` stays.
    assert kept == {"default": results.table_rows(TABLE)["default"]}


def test_update_refuses_a_table_of_other_seeds():
    with pytest.raises(SystemExit, match=r"averages seeds \[0, 1, 2\], this run \[0, 1\]"):
        results.kept_rows(TABLE, [0, 1], ["cnn"], SHIPPED)


def test_update_refuses_a_file_without_its_seeds():
    with pytest.raises(SystemExit, match=r"no 'Seeds: \.\.\.' line"):
        results.kept_rows(
            TABLE.replace("Seeds: 0, 1, 2.", "Generated"), [0, 1, 2], ["cnn"], SHIPPED
        )


def test_the_shipped_results_file_names_its_seeds_for_update():
    shipped = (SCRIPT.parent.parent / "docs" / "results.md").read_text()
    assert results.kept_rows(shipped, [0, 1, 2], [], SHIPPED), (
        "no row of docs/results.md would be kept"
    )
