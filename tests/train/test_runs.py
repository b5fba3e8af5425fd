"""Runs you can trust: extending equals training longer in one go, early stopping from a
recipe, divergence caught with the checkpoint intact, one training set-up, thread limits."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import barenet
from barenet.data import RawData
from barenet.io import read_checkpoint
from barenet.nn.schedules import Constant
from barenet.train import (
    Callback,
    EarlyStopping,
    Model,
    Recipe,
    TrainingDiverged,
    resume_training,
    run_training,
)
from tests.app.test_cli_train import RECIPE, digits
from tests.data._synthetic import write_folder

from ._synthetic import make_model


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    rng = np.random.default_rng(0)
    (xt, yt), (xs, ys) = digits(600, rng), digits(200, rng)
    path = tmp_path_factory.mktemp("digits") / "idx"
    write_folder(path, RawData(xt, yt, xs, ys))
    return path


def tiny(extra: str = "", epochs: int = 4) -> Recipe:
    import tomllib

    text = RECIPE.replace("epochs = 3", f"epochs = {epochs}") + extra
    return Recipe.from_dict(tomllib.loads(text), source="tiny")


def params(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


STEP = '\n[schedule]\nname = "step"\nstep_size = 1\ngamma = 0.5\n'


def test_extending_a_run_gives_the_weights_of_one_longer_run(tmp_path, folder):
    one_go = run_training(tiny(STEP, epochs=4), tmp_path / "one", data_path=folder, stream=None)
    run_training(tiny(STEP, epochs=2), tmp_path / "two", data_path=folder, stream=None)
    extended = resume_training(tmp_path / "two", epochs=4, stream=None)
    assert len(extended.history) == 4
    a, b = params(one_go.model), params(extended.model)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert Recipe.from_file(tmp_path / "two" / "recipe.toml").train["epochs"] == 4


def test_an_extended_cosine_is_stretched_to_the_new_end(tmp_path, folder):
    cosine = '\n[schedule]\nname = "cosine"\n'
    run_training(tiny(cosine, epochs=2), tmp_path / "run", data_path=folder, stream=None)
    result = resume_training(tmp_path / "run", epochs=4, stream=None)
    recorded = Recipe.from_file(tmp_path / "run" / "recipe.toml")
    assert recorded.data["schedule"]["total_epochs"] == 4
    lrs = result.history["lr"]
    # Epochs 1-2 ran on the 2-epoch cosine; 3-4 follow the 4-epoch one from epoch 3 on.
    assert lrs[1] == pytest.approx(0.005 * 0.5 * (1 + np.cos(np.pi / 2)))
    assert lrs[2] == pytest.approx(0.005 * 0.5 * (1 + np.cos(np.pi * 2 / 4)))
    assert lrs[3] == pytest.approx(0.005 * 0.5 * (1 + np.cos(np.pi * 3 / 4)))


def test_a_finished_run_is_not_resumed_without_more_epochs(tmp_path, folder):
    run_training(tiny(epochs=1), tmp_path / "run", data_path=folder, stream=None)
    with pytest.raises(barenet.errors.BarenetError, match="is finished"):
        resume_training(tmp_path / "run", stream=None)


def test_early_stopping_in_a_recipe_keeps_the_best_weights(tmp_path, folder):
    recipe = tiny('\n[train.early_stopping]\npatience = 2\nmetric = "val_accuracy"\n', 30)
    recipe.data["train"]["validate_on"] = "test"
    result = run_training(recipe, tmp_path / "run", data_path=folder, stream=None)
    accuracies = result.history["val_accuracy"]
    assert len(accuracies) < 30  # the squares are learnt in a few epochs; then it stalls
    best = int(np.argmax(accuracies))
    assert barenet.load(result.model_path).metadata["metrics"]["best_epoch"] == best + 1
    assert result.evaluation.accuracy == accuracies[best]
    assert result.evaluation.loss == pytest.approx(result.history["val_loss"][best], rel=1e-5)


class Explode(Constant):
    """A real schedule whose second epoch uses an absurd learning rate."""

    def __call__(self, epoch, base_lr):
        return base_lr if epoch == 0 else 1e9


def test_divergence_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    from barenet.train import ModelCheckpoint

    from ._synthetic import blobs

    x, _ = blobs()
    # Labels no network can fit: after the 1e9 step its logits are huge, so most examples cost
    # ~1e9. (With the blobs' own separable labels one full CI run trained through the 1e9
    # epochs without the guard firing; a huge step can also classify every blob correctly.)
    y = np.random.default_rng(1).integers(0, 3, len(x)).astype(np.uint8)
    model = make_model()
    ckpt = tmp_path / "last.npz"
    # pytest turns any RuntimeWarning (overflow) into an error: the guard must come first.
    with pytest.raises(TrainingDiverged, match=r"epoch 2.*smaller learning rate.*last\.npz"):
        model.fit(
            x,
            y,
            epochs=5,
            optimizer={"name": "sgd", "lr": 0.1},
            schedule=Explode(),
            callbacks=[ModelCheckpoint(ckpt)],
            verbose=False,
        )
    good = read_checkpoint(ckpt)
    assert good.epoch == 1
    assert all(np.all(np.isfinite(v)) for v in good.params.values())


def test_early_stopping_starts_afresh_when_reused():
    from ._synthetic import blobs

    x, y = blobs()
    stop = EarlyStopping(monitor="val_loss", patience=2)
    first = make_model(seed=0)
    first.fit(x, y, epochs=8, validation_split=0.2, callbacks=[stop], verbose=False)
    second = make_model(seed=1)
    history = second.fit(
        x,
        y,
        epochs=3,
        validation_split=0.2,
        callbacks=[stop],
        verbose=False,
        optimizer={"name": "sgd", "lr": 1e-4},
    )
    # A stale best from the first model would stop the second at once and load its weights.
    assert len(history) == 3
    assert not np.array_equal(second.state_dict()["0.W"], first.state_dict()["0.W"])


class ReadPool(Callback):
    def on_epoch_end(self, trainer, epoch, logs):
        self.threads = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.mark.parametrize(("threads", "expected"), [(None, 1), (2, 2)])
def test_model_fit_limits_the_blas_pool(monkeypatch, threads, expected):
    from ._synthetic import blobs

    monkeypatch.delenv("BARENET_THREADS", raising=False)
    spy = ReadPool()
    make_model().fit(*blobs(), epochs=1, callbacks=[spy], threads=threads, verbose=False)
    assert spy.threads and set(spy.threads) == {expected}


def test_training_metrics_are_measured_clean_at_epoch_end():
    from ._synthetic import blobs

    x, y = blobs()
    model = make_model(dropout=0.5)
    history = model.fit(x, y, epochs=2, verbose=False)
    clean_loss = model.evaluate(x, y).loss
    assert history.last["loss"] == pytest.approx(clean_loss, rel=1e-5)
    assert history.last["batch_loss"] != pytest.approx(clean_loss, rel=1e-3)


def test_predict_proba_is_for_classifiers():
    regression = Model.from_sizes([3, 4, 1], activation="tanh", output_activation="identity")
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="predict_proba is for classifiers"):
        regression.predict_proba(x)
    np.testing.assert_allclose(regression.predict(x), regression(x)[:, 0])


def test_dir_barenet_shows_the_public_api():
    names = dir(barenet)
    assert {"Model", "load", "load_mnist", "Network", "BarenetError"} <= set(names)
    assert "Any" not in names and "TYPE_CHECKING" not in names


def test_a_test_set_used_for_validation_is_called_a_test_set(tmp_path, folder):
    import io

    from barenet.app.plots import curve_labels

    recipe = tiny(epochs=1)
    recipe.data["train"]["validate_on"] = "test"
    out = io.StringIO()
    result = run_training(recipe, tmp_path / "run", data_path=folder, stream=out)
    assert "test_acc" in out.getvalue() and "val_acc" not in out.getvalue()
    labels = curve_labels(result.history.records, "test")
    assert labels["val_accuracy"] == "accuracy (test set)"
    assert labels["loss"] == "loss (train, end of epoch)"
    old = [{k: v for k, v in r.items() if k != "batch_loss"} for r in result.history.records]
    assert curve_labels(old)["loss"] == "loss (train, running mean)"
