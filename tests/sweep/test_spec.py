"""Sweep specs: what they resolve to, and every bad spec refused before work, key named."""

from __future__ import annotations

import copy

import pytest

from barenet.app.cli import main
from barenet.errors import BarenetError
from barenet.sweep import load_spec

from ._helpers import write_recipe


def spec_file(tmp_path, text):
    write_recipe(tmp_path)
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_grid_and_random_resolve_to_configurations(tmp_path):
    spec = load_spec(
        spec_file(
            tmp_path,
            'base = "tiny.toml"\nseeds = [0, 1, 2]\n[grid]\n"optimizer.lr" = [0.001, 0.01]\n'
            '"model.hidden" = [[16], [32, 16]]\n[random]\nn = 3\n'
            '"model.dropout" = { uniform = [0.0, 0.5] }\n'
            '"optimizer.lr" = { loguniform = [1e-4, 1e-2] }\n'
            '"train.batch_size" = { choice = [50, 100] }\n',
        )
    )
    assert spec.name == "spec" and spec.seeds == [0, 1, 2]
    assert len(spec.configs) == 4 + 3
    assert spec.configs[0].params == {"optimizer.lr": 0.001, "model.hidden": [16]}
    assert spec.configs[3].recipe["model"]["sizes"] == [784, 32, 16, 10]
    assert spec.configs[3].recipe["optimizer"]["lr"] == 0.01
    for config in spec.configs[4:]:
        lr, dropout = config.params["optimizer.lr"], config.params["model.dropout"]
        assert 1e-4 <= lr <= 1e-2 and 0.0 <= dropout <= 0.5
        assert config.params["train.batch_size"] in (50, 100)
        assert config.recipe["model"]["dropout"] == dropout
        assert f"{lr:.3g}" == str(lr)  # three significant digits
    assert spec.swept == ["optimizer.lr", "model.hidden", "model.dropout", "train.batch_size"]
    # The same seed draws the same samples.
    again = load_spec(tmp_path / "spec.toml")
    assert [c.params for c in again.configs] == [c.params for c in spec.configs]
    assert len({c.label for c in spec.configs}) == len(spec.configs)


def test_no_grid_means_the_base_recipe_over_the_seeds(tmp_path):
    spec = load_spec(spec_file(tmp_path, 'base = "tiny.toml"\nseeds = [3, 4]\n'))
    assert [c.params for c in spec.configs] == [{}]
    assert spec.rungs == [2]


def test_halving_rungs(tmp_path):
    write_recipe(tmp_path, epochs=10)
    path = tmp_path / "h.toml"
    path.write_text(
        'base = "tiny.toml"\n[grid]\n"optimizer.lr" = [0.1]\n[search]\nmethod = "halving"\n'
        "min_epochs = 1\neta = 3\n"
    )
    assert load_spec(path).rungs == [1, 3, 9, 10]


BAD = [
    ('base = "tiny.toml"\nseed = [1]\n', "unknown keys ['seed']"),
    ('base = "tiny.toml"\n[search]\nmetod = "grid"\n', "unknown keys ['metod'] in [search]"),
    ('base = "nope"\n', "unknown recipe 'nope'"),
    ("seeds = [0]\n", "base must name"),
    ('base = "tiny.toml"\nseeds = []\n', "seeds must be a non-empty list"),
    ('base = "tiny.toml"\nseeds = [1, 1]\n', "seeds must be a non-empty list of distinct"),
    ('base = "tiny.toml"\n[grid]\n', "[grid] is empty"),
    (
        'base = "tiny.toml"\n[grid]\n"optimizer.lr" = []\n',
        "[grid] 'optimizer.lr' must be a non-empty",
    ),
    ('base = "tiny.toml"\n[grid]\n"optimizer.lrr" = [0.1]\n', "optimizer.lrr"),
    ('base = "tiny.toml"\n[grid]\n"optimizer.lr" = [-1.0]\n', "optimizer.lr"),
    ('base = "tiny.toml"\n[grid]\n"model.dropout" = [0.2, 1.5]\n', "model.dropout"),
    (
        'base = "tiny.toml"\n[random]\nn = 0\n"optimizer.lr" = { uniform = [0, 1] }\n'
        '[search]\nmethod = "random"\n',
        "[random] n must be a positive integer",
    ),
    (
        'base = "tiny.toml"\n[random]\nn = 2\n"optimizer.lr" = { loguniform = [0, 1] }\n'
        '[search]\nmethod = "random"\n',
        "loguniform needs [lo, hi] with 0 < lo",
    ),
    (
        'base = "tiny.toml"\n[random]\nn = 2\n"optimizer.lr" = { normal = [0, 1] }\n'
        '[search]\nmethod = "random"\n',
        "[random] 'optimizer.lr' must be one of",
    ),
    ('base = "tiny.toml"\n[search]\nmethod = "bayes"\n', "method must be one of grid, random"),
    ('base = "tiny.toml"\n[search]\nmetric = "test_accuracy"\n', "metric must be one of"),
    ('base = "tiny.toml"\n[search]\nmethod = "random"\n', 'method "random" needs a [random]'),
    (
        'base = "tiny.toml"\n[grid]\n"optimizer.lr" = [0.1]\n[search]\nmethod = "halving"\n'
        "min_epochs = 2\n",
        "min_epochs (2) must be below the recipe's 2 epochs",
    ),
    (
        'base = "tiny.toml"\n[grid]\n"train.epochs" = [1, 2]\n[search]\nmethod = "halving"\n'
        "min_epochs = 2\n",
        "min_epochs (2) must be below the recipe's 2 epochs",
    ),
    ('base = "seed001"\n', "validates on ['test']"),
    ('base = "tiny.toml"\n[grid\n', "is not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_specs_are_refused_naming_the_problem(tmp_path, text, message):
    path = spec_file(tmp_path, text)
    with pytest.raises(BarenetError) as info:
        load_spec(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_the_command_refuses_a_bad_spec_in_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = spec_file(tmp_path, 'base = "tiny.toml"\n[grid]\n"optimizer.lr" = []\n')
    assert main(["sweep", str(path)]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("barenet: error: ") and err.count("\n") == 1
    assert "optimizer.lr" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name", ["example", "fast"])
def test_the_shipped_specs_load_by_name(name):
    spec = load_spec(name)
    assert spec.name == name and spec.method == "halving"
    assert len(spec.configs) >= 9 and spec.rungs[-1] == spec.epochs


def test_sweep_has_help_with_the_global_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: barenet sweep")
    for option in ("--out", "--scheduler", "--workers", "--data", "--threads"):
        assert option in out


def test_a_trials_fingerprint_follows_its_settings_not_its_notes():
    from barenet.sweep.runner import Job
    from barenet.train import Recipe

    recipe = Recipe.find("cnn-best").data
    job = Job("cnn-best-seed0", recipe, 0, 30)
    noted = copy.deepcopy(recipe)
    noted["expected"]["note"] = "measured: 99.6%"
    noted["description"] = "reworded"
    assert Job("cnn-best-seed0", noted, 0, 30).fingerprint == job.fingerprint
    # The epochs reached do not count either: a trial continued further is the same trial.
    assert Job("cnn-best-seed0", recipe, 0, 40).fingerprint == job.fingerprint
    tuned = copy.deepcopy(recipe)
    tuned["optimizer"]["lr"] = 0.001
    assert Job("cnn-best-seed0", tuned, 0, 30).fingerprint != job.fingerprint
    assert Job("cnn-best-seed0", recipe, 1, 30).fingerprint != job.fingerprint
