import numpy as np
import pytest

from barenet.io import read_checkpoint
from barenet.nn import SGD, Adam
from barenet.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
    Trainer,
    TrainingDiverged,
)

from ._synthetic import blobs, make_model


def test_fit_learns_and_records_history(data):
    x, y = data
    model = make_model()
    history = model.fit(
        x,
        y,
        epochs=5,
        batch_size=16,
        optimizer={"name": "adam", "lr": 0.01},
        validation_split=0.2,
        seed=0,
        verbose=False,
    )
    assert len(history) == 5
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.95
    assert all(s > 0 for s in history["seconds"])
    assert history["lr"] == [0.01] * 5


def test_progress_prints_one_line_per_epoch_when_not_a_terminal(data, capsys):
    x, y = data
    make_model().fit(x, y, epochs=3, batch_size=32, seed=0, verbose=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3") and "loss" in lines[0] and "\r" not in lines[0]


def test_same_seed_gives_bit_identical_weights(data):
    x, y = data
    states = []
    for _ in range(2):
        model = make_model(seed=3, dropout=0.3)
        model.fit(x, y, epochs=3, batch_size=16, seed=5, verbose=False)
        states.append(model.state_dict())
    for name in states[0]:
        np.testing.assert_array_equal(states[0][name], states[1][name])
    other = make_model(seed=3, dropout=0.3)
    other.fit(x, y, epochs=3, batch_size=16, seed=6, verbose=False)
    assert not np.array_equal(other.state_dict()["0.W"], states[0]["0.W"])


def _trainer(model, callbacks=()):
    return Trainer(
        model,
        Adam(model.parameters(), lr=0.01),
        "cross_entropy",
        batch_size=16,
        seed=11,
        callbacks=list(callbacks),
    )


def test_resume_from_checkpoint_is_bit_identical(tmp_path, data):
    x, y = data
    straight = make_model(seed=1, dropout=0.2)
    _trainer(straight).fit(x, y, 4)

    first = make_model(seed=1, dropout=0.2)
    ckpt = tmp_path / "last.npz"
    _trainer(first, [ModelCheckpoint(ckpt)]).fit(x, y, 2)
    assert read_checkpoint(ckpt).epoch == 2

    resumed = make_model(seed=99, dropout=0.2)  # different init: everything must come from disk
    trainer = _trainer(resumed)
    trainer.restore(ckpt)
    history = trainer.fit(x, y, 4)
    assert history["epoch"] == [1, 2, 3, 4]
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)


def test_restore_refuses_another_architecture(tmp_path, data):
    x, y = data
    ckpt = tmp_path / "last.npz"
    _trainer(make_model(), [ModelCheckpoint(ckpt)]).fit(x, y, 1)
    from barenet.train import Model

    other = Model.from_sizes([12, 8, 3], activation="relu", output_activation="softmax")
    with pytest.raises(ValueError, match="architecture differs"):
        _trainer(other).restore(ckpt)


def test_early_stopping_restores_best_weights(data):
    x, y = data
    y_wrong = (y + 1) % 3  # the better the model learns y, the worse it does on these
    snapshots = {}

    class Snapshot(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = trainer.model.state_dict()

    model = make_model()
    stopper = EarlyStopping("val_loss", patience=2)
    history = model.fit(
        x,
        y,
        epochs=30,
        batch_size=16,
        optimizer={"name": "adam", "lr": 0.01},
        validation_data=(x, y_wrong),
        callbacks=[Snapshot(), stopper],
        seed=0,
        verbose=False,
    )
    best = int(np.argmin(history["val_loss"]))
    assert stopper.best_epoch == best
    assert len(history) == best + 2 + 1 < 30  # stopped after `patience` epochs without progress
    for name, value in snapshots[best].items():
        np.testing.assert_array_equal(model.state_dict()[name], value)


def test_resume_keeps_early_stopping_count_and_best_weights(tmp_path, data):
    """Interrupted after the best epoch and before the stop, a resumed run stops at the same
    epoch and restores the same best weights as an uninterrupted one (the count and the best
    weights travel in the checkpoint)."""
    x, y = data
    wrong = (x, (y + 1) % 3)  # validation loss is best early, then only grows

    def run(model, epochs, checkpoint=None, resume=None):
        stopper = EarlyStopping("val_loss", patience=3)
        callbacks = [stopper] + ([ModelCheckpoint(checkpoint)] if checkpoint else [])
        trainer = _trainer(model, callbacks)
        if resume:
            trainer.restore(resume)
        return trainer.fit(x, y, epochs, validation_data=wrong), stopper

    straight = make_model(seed=1)
    history, stopper = run(straight, 30)
    assert stopper.best_epoch + 2 < len(history) < 30  # the interruption falls in between

    ckpt = tmp_path / "last.npz"
    run(make_model(seed=1), stopper.best_epoch + 2, checkpoint=ckpt)
    assert read_checkpoint(ckpt).callbacks["early_stopping"]["best_epoch"] == stopper.best_epoch
    resumed = make_model(seed=99)
    resumed_history, resumed_stopper = run(resumed, 30, resume=ckpt)
    assert resumed_history["epoch"] == history["epoch"]
    assert resumed_stopper.best_epoch == stopper.best_epoch
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)


def test_early_stopping_needs_a_logged_metric(data):
    x, y = data
    with pytest.raises(ValueError, match="not logged"):
        make_model().fit(x, y, epochs=2, callbacks=[EarlyStopping("val_loss")], verbose=False)


def test_terminate_on_nan_names_epoch_and_batch_and_keeps_checkpoint(tmp_path, data):
    x, y = data

    class Poison(Callback):
        def on_batch(self, trainer, batch, cost):
            if trainer.epoch == 1 and batch == 2:
                trainer.model.parameters()[0].value[0, 0] = np.nan

    model = make_model()
    ckpt = tmp_path / "last.npz"
    trainer = Trainer(
        model,
        SGD(model.parameters(), lr=0.1),
        "cross_entropy",
        batch_size=16,
        seed=0,
        callbacks=[Poison(), TerminateOnNaN(), ModelCheckpoint(ckpt)],
    )
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 4.*last good checkpoint"):
        trainer.fit(x, y, 5)
    good = read_checkpoint(ckpt)
    assert good.epoch == 1
    assert all(np.all(np.isfinite(v)) for v in good.params.values())


def test_learning_rate_scheduler_sets_rate_per_epoch(data):
    x, y = data
    history = make_model().fit(
        x,
        y,
        epochs=4,
        optimizer={"name": "sgd", "lr": 0.1},
        schedule={"name": "step", "step_size": 2, "gamma": 0.5},
        verbose=False,
    )
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    cb = LearningRateScheduler("exponential", base_lr=1.0)
    assert cb.schedule(2, 1.0) == pytest.approx(0.95**2)


class StepRates(Callback):
    """Records the rate and β₁ each optimizer step uses (callbacks after the scheduler)."""

    def __init__(self):
        self.lr, self.beta1 = [], []

    def on_batch(self, trainer, batch, cost):
        self.lr.append(trainer.optimizer.lr)
        self.beta1.append(getattr(trainer.optimizer, "beta1", None))


def test_one_cycle_sets_the_rate_and_momentum_before_every_step(data):
    x, y = data
    spec = {"name": "one_cycle", "total_epochs": 3, "max_momentum": 0.95, "base_momentum": 0.85}
    seen = StepRates()
    trainer = _trainer(make_model())
    trainer.callbacks = [LearningRateScheduler(spec, base_lr=0.01), *trainer.callbacks, seen]
    trainer.fit(x, y, 3)
    n = trainer.batches_per_epoch
    schedule = LearningRateScheduler(spec, base_lr=0.01).schedule
    positions = [e + b / n for e in range(3) for b in range(n)]
    assert seen.lr == pytest.approx([schedule(t, 0.01) for t in positions])
    assert seen.beta1 == pytest.approx([schedule.momentum(t) for t in positions])
    assert max(seen.lr) == pytest.approx(0.01, rel=0.05) and seen.lr[-1] < 0.01 / 25


def test_one_cycle_run_resumes_bit_identically(tmp_path, data):
    x, y = data
    spec = {"name": "one_cycle", "total_epochs": 4}

    def trainer(model, callbacks=()):
        return _trainer(model, [LearningRateScheduler(spec, base_lr=0.01), *callbacks])

    straight = make_model(seed=1)
    trainer(straight).fit(x, y, 4)
    ckpt = tmp_path / "last.npz"
    trainer(make_model(seed=1), [ModelCheckpoint(ckpt)]).fit(x, y, 2)
    resumed = make_model(seed=99)
    again = trainer(resumed)
    again.restore(ckpt)
    again.fit(x, y, 4)
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)


def test_momentum_cycling_refuses_an_optimizer_without_momentum(data):
    x, y = data
    model = make_model()
    spec = {"name": "one_cycle", "total_epochs": 2, "max_momentum": 0.95, "base_momentum": 0.85}
    trainer = Trainer(
        model,
        SGD(model.parameters(), lr=0.1),
        "cross_entropy",
        callbacks=[LearningRateScheduler(spec, base_lr=0.1)],
    )
    with pytest.raises(ValueError, match="needs adam, or sgd with a momentum > 0"):
        trainer.fit(x, y, 2)


def test_one_hot_labels_and_mse_train_too(data):
    x, y = data
    onehot = np.eye(3, dtype=np.float32)[y]
    model = make_model()
    history = model.fit(
        x, onehot, epochs=8, loss="mse", optimizer={"name": "sgd", "lr": 0.5}, verbose=False
    )
    assert history["accuracy"][-1] > 0.9


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.full((10, 12), np.nan, np.float32), np.zeros(10, np.uint8), "NaN"),
        (np.zeros((10, 5), np.float32), np.zeros(10, np.uint8), r"shape \(N, 12\)"),
        (np.zeros((10, 12), np.float32), np.full(10, 7, np.uint8), r"in \[0, 2\]"),
        (np.zeros((10, 12), np.float32), np.zeros(9, np.uint8), "10 inputs but 9 labels"),
        (np.zeros((0, 12), np.float32), np.zeros(0, np.uint8), "empty"),
        (np.zeros((4, 12), np.float32), np.array([0.5, 1, 2, 0]), "integer class ids"),
    ],
)
def test_bad_training_data_is_rejected_before_training(x, y, message):
    with pytest.raises(ValueError, match=message):
        make_model().fit(x, y, epochs=1, verbose=False)


def test_bad_fit_arguments():
    x, y = blobs(40)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        make_model().fit(x, y, epochs=0, verbose=False)
    with pytest.raises(ValueError, match="batch_size"):
        make_model().fit(x, y, epochs=1, batch_size=0, verbose=False)
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        make_model().fit(x, y, epochs=1, optimizer="adamw", verbose=False)
    with pytest.raises(ValueError, match="not both"):
        make_model().fit(x, y, epochs=1, validation_split=0.1, validation_data=(x, y))
    with pytest.raises(ValueError, match="unknown augmentation"):
        make_model().fit(x, y, epochs=1, augment="rotate", verbose=False)


def test_a_nan_far_into_a_large_data_set_is_found():
    x, y = blobs(n=9000)
    x[8999, 3] = np.nan  # in the third slice of 4,096 rows
    with pytest.raises(ValueError, match="NaN or infinite"):
        make_model().fit(x, y, epochs=1, verbose=False)
