import pytest

from barenet.errors import BarenetError
from barenet.nn import SGD
from barenet.train import Model, Recipe, list_recipes

SHIPPED = {"seed000", "seed001", "nielsen-ch3", "default", "best", "fast"}


def test_every_shipped_recipe_loads_and_builds():
    recipes = {r.name: r for r in list_recipes()}
    assert set(recipes) == SHIPPED
    for recipe in recipes.values():
        model = recipe.build_model()
        assert isinstance(model, Model)
        assert (model.in_features, model.out_features) == (784, 10)
        recipe.build_optimizer(model)
        assert (recipe.expected.get("test_accuracy") or recipe.expected["published"]) > 0.9
        assert recipe.summary_line()


def test_seed001_is_exactly_the_seed():
    recipe = Recipe.find("seed001")
    model = recipe.build_model()
    assert model.get_config()["layers"] == [
        {
            "type": "dense",
            "in_features": 784,
            "out_features": 16,
            "init": {"name": "normal", "std": 0.1},
            "bias_init": {"name": "normal", "std": 0.1},
        },
        {"type": "activation", "activation": {"name": "relu"}},
        {
            "type": "dense",
            "in_features": 16,
            "out_features": 10,
            "init": {"name": "normal", "std": 0.1},
            "bias_init": {"name": "normal", "std": 0.1},
        },
        {"type": "activation", "activation": {"name": "sigmoid"}},
    ]
    t = recipe.train
    assert (t["loss"], t["batch_size"], t["epochs"]) == ("mse", 64, 50)
    opt = recipe.build_optimizer(model)
    assert isinstance(opt, SGD) and opt.lr == 0.1 and opt.momentum == 0
    assert (recipe.split, recipe.split_seed) == ("seed001", 42)


def test_nielsen_recipes_follow_the_book():
    ch1 = Recipe.find("seed000")
    assert ch1.data["model"]["sizes"] == [784, 30, 10]
    assert (ch1.train["loss"], ch1.train["batch_size"], ch1.train["epochs"]) == (
        "quadratic",
        10,
        30,
    )
    ch3 = Recipe.find("nielsen-ch3")
    opt = ch3.build_optimizer(ch3.build_model())
    assert opt.weight_decay == pytest.approx(5.0 / 50_000) and opt.lr == 0.1


def test_toml_round_trip(tmp_path):
    recipe = Recipe.find("best")
    path = tmp_path / "r.toml"
    path.write_text(recipe.to_toml())
    assert Recipe.from_file(path).data == recipe.data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[model]\nsizes=[4,2]\n[train]\nepochs=1\nbatchsize=3\n", "'train.batchsize'.*batch_size"),
        ("[model]\nsizes=[4,2]\n[trian]\n", "unknown recipe key 'trian'"),
        ("[model]\nsizes=[4,2]\n[optimizer]\nname='adam'\nmomentum=0.9\n", "momentum.*sgd"),
        ("[model]\nsizes=[4,2]\ndropout=1.5\n", r"model.dropout must be a number in \[0, 1\)"),
        ("[model]\nactivation='relu'\n", "exactly one of 'layers' or 'sizes'"),
        ("[model\n", "not valid TOML"),
        ("[model]\nsizes=[4,2]\n[train]\nvalidate_on='tomorrow'\n", "validate_on"),
    ],
)
def test_bad_recipe_files_are_rejected(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        Recipe.from_file(path)


def test_unknown_recipe_name_lists_shipped_ones():
    with pytest.raises(ValueError, match=r"unknown recipe 'fastest'.*default"):
        Recipe.find("fastest")
    with pytest.raises(BarenetError, match=r"missing\.toml does not exist"):
        Recipe.find("missing.toml")


def test_a_recipe_that_is_not_text_is_named(tmp_path):
    picture = tmp_path / "some.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(BarenetError, match=r"some\.png is not a text"):
        Recipe.find(str(picture))


def test_default_run_dirs_started_together_differ(tmp_path):
    from barenet.train.run import default_run_dir

    recipe = Recipe.find("seed001")
    first, second = default_run_dir(recipe, tmp_path), default_run_dir(recipe, tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
