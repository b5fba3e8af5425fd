"""`--set KEY=VALUE`: parsing, validation against the recipe's keys, optimizer switches,
schedules that follow the epochs, and run names."""

import pytest

from barenet.errors import BarenetError
from barenet.nn import SGD, Adam
from barenet.train import Recipe
from barenet.train.overrides import apply_overrides, describe_overrides, parse_set


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("optimizer.lr=0.05", ("optimizer.lr", 0.05)),
        ("train.epochs=3", ("train.epochs", 3)),
        ("schedule.name=cosine", ("schedule.name", "cosine")),
        ("optimizer.nesterov=true", ("optimizer.nesterov", True)),
        ("model.hidden=[128, 64]", ("model.hidden", [128, 64])),
        ('train.augment="shift"', ("train.augment", "shift")),
        (
            "train.early_stopping={patience=3, metric='val_loss'}",
            ("train.early_stopping", {"patience": 3, "metric": "val_loss"}),
        ),
        (" optimizer.lr = 1e-3 ", ("optimizer.lr", 0.001)),
    ],
)
def test_parse_set_reads_toml_values_and_bare_words(text, expected):
    assert parse_set(text) == expected


@pytest.mark.parametrize(
    "text", ["optimizer.lr", "=3", "optimizer.lr=", "optim izer.lr=3", "a.b=(1"]
)
def test_parse_set_rejects_what_is_not_key_value(text):
    with pytest.raises(BarenetError, match="--set"):
        parse_set(text)


def test_overrides_change_only_what_is_given():
    base = Recipe.find("seed001")
    new = apply_overrides(
        base,
        {
            "train.epochs": 3,
            "optimizer.lr": 0.5,
            "model.hidden": [32, 8],
            "optimizer.name": "adam",
            "train.seed": 7,
        },
    )
    assert new.data["model"]["sizes"] == [784, 32, 8, 10]
    assert new.data["model"]["activation"] == "relu"
    assert new.data["model"]["output_activation"] == "sigmoid"
    assert new.train["epochs"] == 3 and new.train["seed"] == 7
    assert isinstance(new.build_optimizer(new.build_model()), Adam)
    assert new.data["optimizer"] == {"name": "adam", "lr": 0.5}
    assert base.train["epochs"] == 50  # the original is untouched


def test_every_documented_kind_of_setting_is_reachable():
    new = apply_overrides(
        Recipe.find("default"),
        dict(
            parse_set(s)
            for s in [
                "train.loss=mse",
                "model.activation=tanh",
                "model.dropout=0.1",
                "optimizer.weight_decay=0.0005",
                "schedule.name=step",
                "schedule.step_size=2",
                "train.early_stopping.patience=2",
            ]
        ),
    )
    assert new.train["loss"] == "mse"
    assert new.data["model"]["activation"] == "tanh" and new.data["model"]["dropout"] == 0.1
    assert new.data["optimizer"]["weight_decay"] == 0.0005
    assert new.data["schedule"] == {"name": "step", "step_size": 2}
    assert new.train["early_stopping"] == {"patience": 2}


def test_changing_the_optimizer_keeps_what_applies_and_says_what_it_dropped():
    ch3 = Recipe.find("nielsen-ch3")
    adam = apply_overrides(ch3, {"optimizer.name": "adam"})
    assert adam.data["optimizer"] == {"name": "adam", "lr": 0.1, "weight_decay": 0.0001}
    assert " adam lr=0.1 " in adam.summary_line()
    bare = Recipe.from_dict({"model": {"sizes": [4, 2]}, "optimizer": {"name": "sgd"}})
    assert " sgd lr=0.1 " in bare.summary_line()  # the optimizer's default, never None
    momentum = apply_overrides(ch3, {"optimizer.momentum": 0.9})
    rms = apply_overrides(momentum, {"optimizer.name": "rmsprop"})
    assert rms.data["optimizer"] == {"name": "rmsprop", "lr": 0.1, "weight_decay": 0.0001}
    assert any("dropped momentum=0.9" in note for note in rms.notes), rms.notes
    assert "kept lr=0.1 (rmsprop's default: 0.001)" in rms.notes[-1]
    # The new optimizer's own settings apply after the switch, in any order of the keys.
    sgd = apply_overrides(
        Recipe.find("default"), {"optimizer.momentum": 0.9, "optimizer.name": "sgd"}
    )
    opt = sgd.build_optimizer(sgd.build_model())
    assert isinstance(opt, SGD) and opt.momentum == 0.9 and opt.lr == 0.001


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"optimizer.lrr": 0.1}, r"'optimizer.lrr'.*did you mean optimizer.lr"),
        ({"optimizer.momentum": 0.9}, "optimizer.momentum does not apply to optimizer 'adam'"),
        ({"model.dropout": 1.5}, r"model.dropout must be a number in \[0, 1\), got 1.5"),
        ({"optimizer.lr": -1}, "optimizer.lr must be"),
        (
            {"optimizer.name": "lbfgs"},
            "optimizer.name must be one of the optimizers adam, rmsprop, sgd",
        ),
        ({"train.epochs": 2.5}, "train.epochs must be an integer"),
        ({"nosuch.key": 1}, "unknown recipe key 'nosuch.key'"),
        ({"schedule.name": "warmup"}, r"\[schedule\].*warmup_epochs"),
    ],
)
def test_bad_overrides_name_the_key(overrides, message):
    with pytest.raises(BarenetError, match=message):
        apply_overrides(Recipe.find("default"), overrides)


def test_cosine_schedule_follows_the_epochs():
    assert apply_overrides(Recipe.find("default"), {"train.epochs": 3}).data["schedule"] == {
        "name": "cosine",
        "total_epochs": 3,
    }
    best = apply_overrides(Recipe.find("best"), {"train.epochs": 10})
    assert best.data["schedule"]["after"]["total_epochs"] == 10 - 2
    cycle = apply_overrides(Recipe.find("default"), {"schedule.name": "one_cycle"})
    assert cycle.data["schedule"] == {"name": "one_cycle", "total_epochs": 15}
    longer = apply_overrides(cycle, {"train.epochs": 6})
    assert longer.data["schedule"]["total_epochs"] == 6
    switched = apply_overrides(Recipe.find("seed001"), {"schedule.name": "cosine"})
    assert switched.data["schedule"] == {"name": "cosine", "total_epochs": 50}


def test_a_changed_recipe_drops_its_documented_result():
    base = Recipe.find("default")
    assert apply_overrides(base, {}).data == base.data
    changed = apply_overrides(base, {"train.epochs": 1, "model.hidden": [64]})
    assert "expected" not in changed.data
    assert changed.description.endswith("[changed: train.epochs=1, model.hidden=64]")
    assert "expects" not in changed.summary_line()


def test_describe_overrides_makes_a_short_name():
    assert describe_overrides({"optimizer.lr": 0.05, "model.dropout": 0.2}) == "lr0.05-dropout0.2"
    assert describe_overrides({"optimizer.name": "sgd", "model.hidden": [128, 64]}) == (
        "sgd-hidden128x64"
    )
    assert describe_overrides({}) == ""
