"""`barenet train / evaluate / plot / recipes` end to end, each in a real subprocess, on a tiny
synthetic digit set given with --data (the real-MNIST runs are in tests/train)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests._cli import run_barenet as barenet

RECIPE = """
name = "tiny"
description = "a test recipe"

[data]
split = "official"

[model]
sizes = [784, 32, 10]
activation = "relu"
output_activation = "softmax"
init = "he_normal"

[train]
epochs = 3
batch_size = 32
loss = "cross_entropy"
seed = 0

[optimizer]
name = "adam"
lr = 0.005
"""


def digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class k is a bright 6×6 square at one of ten places, on a noisy background."""
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(y):
        r, c = 2 + 12 * (k // 5), 1 + 5 * (k % 5)
        x[i, r : r + 6, c : c + 6] = 255
    return x, y


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = digits(600, rng), digits(200, rng)
    data = root / "tiny.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    recipe = root / "tiny.toml"
    recipe.write_text(RECIPE)
    return root, data, recipe


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained(tiny):
    root, data, recipe = tiny
    run = root / "run"
    proc = barenet("train", "--recipe", recipe, "--data", data, "--out", run)
    assert proc.returncode == 0, proc.stderr
    return run, proc.stdout


def test_train_writes_a_complete_run_directory(trained):
    run, out = trained
    assert "training recipe 'tiny'" in out
    assert f"model: {run / 'model.npz'}" in out
    for name in ("recipe.toml", "metrics.csv", "metrics.jsonl", "evaluation.json", "model.npz"):
        assert (run / name).is_file(), name
    assert (run / "checkpoints" / "last.npz").is_file()
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and len(rows) == 1 + 3
    accuracy = json.loads((run / "evaluation.json").read_text())["accuracy"]
    assert f"test accuracy: {accuracy:.2%}" in out
    assert accuracy > 0.9  # the squares are easy to tell apart
    for png in ("curves", "confusion", "misclassified", "weights"):
        assert (run / "plots" / f"{png}.png").stat().st_size > 1000


def test_evaluate_reports_what_training_measured(trained, tiny):
    run, _ = trained
    proc = barenet("evaluate", run / "model.npz", "--data", tiny[1], "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["split"] == "official"
    assert result["accuracy"] == json.loads((run / "evaluation.json").read_text())["accuracy"]
    assert np.array(result["confusion"]).sum() == 200
    table = barenet("evaluate", run / "model.npz", "--data", tiny[1])
    assert table.returncode == 0 and "precision" in table.stdout


def test_plot_redraws_the_plots(trained, tiny):
    run, _ = trained
    for png in (run / "plots").glob("*.png"):
        png.unlink()
    proc = barenet("plot", run, "--data", tiny[1])
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 4
    assert all((run / "plots" / f"{n}.png").exists() for n in ("curves", "confusion"))


def test_recipes_lists_every_shipped_recipe():
    proc = barenet("recipes")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines() if line[:1].strip()]
    assert names == sorted(names)
    assert set(names) == {
        "best", "cnn", "cnn-best", "default", "fast", "nielsen-ch3", "seed000", "seed001"
    }  # fmt: skip


@pytest.mark.parametrize("command", ["", "train", "evaluate", "plot", "recipes", "data"])
def test_every_command_has_help(command):
    proc = barenet(*command.split(), "--help")
    assert proc.returncode == 0
    assert "usage: barenet" in proc.stdout


def test_a_finished_run_directory_is_not_overwritten(trained, tiny):
    run, _ = trained
    before = (run / "model.npz").read_bytes()
    proc = barenet("train", "--recipe", tiny[2], "--data", tiny[1], "--out", run)
    assert_one_line_error(proc, str(run), "--resume")
    assert (run / "model.npz").read_bytes() == before


@pytest.mark.parametrize(
    "args,needles",
    [
        (["train", "--recipe", "no-such-recipe"], ["no-such-recipe", "seed001"]),
        (["train", "--resume", "{tmp}/nothing"], ["nothing", "not a barenet run directory"]),
        (["evaluate", "{tmp}/missing.npz"], ["missing.npz", "does not exist"]),
        (["evaluate", "{recipe}"], ["tiny.toml", "not"]),
        (["plot", "{tmp}/not-a-run"], ["not-a-run"]),
        (["train", "--recipe", "{recipe}", "--data", "{tmp}/nope.npz"], ["nope.npz"]),
        (["train", "--recipe", "{recipe}", "--data", "{recipe}"], ["tiny.toml", ".npz"]),
        (["train", "--recipe", "{recipe}", "--out", "{recipe}"], ["tiny.toml", "is a file"]),
        (["evaluate", "{tmp}"], ["is a directory"]),
    ],
)
def test_user_mistakes_end_in_one_line_and_a_non_zero_exit(tmp_path, tiny, args, needles):
    subst = {"tmp": tmp_path, "recipe": tiny[2]}
    proc = barenet(*(a.format(**subst) for a in args), cwd=tmp_path)
    assert_one_line_error(proc, *needles)
    assert not list(tmp_path.glob("runs/*")), "a failed command left a run directory"


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--epochs", "0"],
        ["train", "--hidden", "12,x"],
        ["train", "--hidden", "128,,64"],
        ["train", "--lr", "-1"],
        ["train", "--seed", "-1"],
    ],
)
def test_bad_option_values_are_refused_before_anything_runs(tmp_path, args):
    proc = barenet(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("barenet train: error:")
    assert not (tmp_path / "runs").exists()


def test_a_failed_start_leaves_no_run_directory_behind(tiny, tmp_path):
    proc = barenet(
        "train", "--recipe", tiny[2], "--data", tiny[1], "--batch-size", "5000", cwd=tmp_path
    )
    assert_one_line_error(proc, "batch_size 5,000", "600 training examples")
    assert not list((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(
    "given,expected",
    [
        ([], 1),
        (["--threads", "2"], 2),
        (["recipes", "--threads", "2"], 2),
        (["--threads", "3", "recipes", "--debug"], 3),
    ],
)
def test_threads_option_caps_the_blas_pool_before_or_after_the_command(given, expected):
    # A spy around the real `recipes` command reads the BLAS pool while the command runs.
    code = (
        "import barenet.app.commands.train as t; from barenet.app.cli import main;"
        "from threadpoolctl import threadpool_info; real = t.run_recipes\n"
        "def spy(args):\n"
        "    pools = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "    print('BLAS', pools)\n"
        "    return real(args)\n"
        f"t.run_recipes = spy; argv = {given!r}\n"
        "main(argv if 'recipes' in argv else argv + ['recipes'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "BARENET_THREADS"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"BLAS [{expected}]" in proc.stdout


@pytest.mark.parametrize("command", ["train", "evaluate", "plot", "recipes", "data fetch"])
def test_global_options_appear_in_every_command_help(command):
    proc = barenet(*command.split(), "--help")
    assert "--threads" in proc.stdout and "--debug" in proc.stdout


def test_a_bad_thread_count_in_the_environment_is_blamed_by_name():
    proc = subprocess.run(
        [sys.executable, "-m", "barenet", "recipes"],
        capture_output=True,
        text=True,
        env={**os.environ, "BARENET_THREADS": "many"},
    )
    assert_one_line_error(proc, "BARENET_THREADS", "'many'")
    assert "--threads" not in proc.stderr


def test_set_changes_a_run_names_it_and_records_it(tiny, tmp_path):
    _, data, recipe = tiny
    proc = barenet(
        "train",
        "--recipe",
        recipe,
        "--data",
        data,
        "--epochs",
        "1",
        "--no-plots",
        "--set",
        "optimizer.name=sgd",
        "--set",
        "optimizer.momentum=0.9",
        "--set",
        "model.dropout=0.1",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "note: optimizer adam -> sgd; kept lr=0.005 (sgd's default: 0.1)" in proc.stdout
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("tiny-sgd-momentum0.9-dropout0.1-epochs1-")
    import tomllib

    recorded = tomllib.loads((run / "recipe.toml").read_text())
    assert recorded["optimizer"] == {"name": "sgd", "lr": 0.005, "momentum": 0.9}
    assert recorded["model"]["dropout"] == 0.1 and recorded["train"]["epochs"] == 1


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--set", "optimizer.lrr=0.1"], ["optimizer.lrr", "did you mean optimizer.lr"]),
        (["--set", "optimizer.momentum=0.9"], ["optimizer.momentum", "sgd"]),
        (["--set", "lr"], ["KEY=VALUE"]),
        (["--lr", "0.1", "--set", "optimizer.lr=0.2"], ["optimizer.lr is given twice"]),
    ],
)
def test_bad_set_is_refused_in_one_line(tmp_path, args, needles):
    proc = barenet("train", *args, cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr
    assert not list(tmp_path.glob("runs/*"))


@pytest.mark.parametrize("name", ["default", "seed001", "nielsen-ch3"])
def test_recipes_show_prints_toml_that_parses_back_to_the_recipe(name, tmp_path):
    from barenet.train import Recipe

    proc = barenet("recipes", "show", name)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "shown.toml"
    path.write_text(proc.stdout)
    assert Recipe.from_file(path).data == Recipe.find(name).data
    changed = barenet("recipes", "show", name, "--set", "optimizer.lr=0.5")
    path.write_text(changed.stdout)
    assert Recipe.from_file(path).data["optimizer"]["lr"] == 0.5


def test_debug_shows_the_traceback_of_a_user_mistake(tmp_path):
    plain = barenet("evaluate", tmp_path / "missing.npz")
    assert_one_line_error(plain, "missing.npz")
    for args in (["--debug", "evaluate"], ["evaluate", "--debug"]):
        proc = barenet(*args, tmp_path / "missing.npz")
        assert proc.returncode != 0
        assert "Traceback" in proc.stderr and "missing.npz" in proc.stderr


def test_a_bug_shows_its_traceback():
    # A command that fails with an exception no user could cause (a real bug, planted here).
    code = (
        "import barenet.app.commands.train as t; from barenet.app.cli import main\n"
        "def broken(args):\n"
        "    return 1 / 0\n"
        "t.run_recipes = broken; main(['recipes'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "ZeroDivisionError" in proc.stderr
