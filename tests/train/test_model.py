import numpy as np
import pytest

import barenet
from barenet.train import Model, load

from ._synthetic import blobs, make_model


def test_evaluate_reports_consistent_metrics(data):
    x, y = data
    model = make_model()
    model.fit(x, y, epochs=3, verbose=False)
    ev = model.evaluate(x, y)
    assert ev.accuracy == pytest.approx(np.mean(model.predict(x) == y))
    assert ev.confusion.shape == (3, 3) and ev.confusion.sum() == len(y)
    assert np.trace(ev.confusion) == round(ev.accuracy * len(y))
    np.testing.assert_array_equal(ev.confusion.sum(1), np.bincount(y, minlength=3))
    assert ev.loss is not None and ev.loss > 0  # the training loss is remembered
    assert np.all((ev.precision >= 0) & (ev.precision <= 1))
    report = ev.report()
    assert "precision" in report and "confusion matrix" in report


def test_precision_recall_f1_by_hand():
    from barenet.train.metrics import Evaluation

    ev = Evaluation(accuracy=0.5, loss=None, confusion=np.array([[3, 1], [2, 0]]))
    np.testing.assert_allclose(ev.precision, [3 / 5, 0])
    np.testing.assert_allclose(ev.recall, [3 / 4, 0])
    np.testing.assert_allclose(ev.f1, [2 * 0.6 * 0.75 / 1.35, 0])


def test_save_and_load_give_identical_predictions(tmp_path, data):
    x, y = data
    model = make_model(dropout=0.2)
    model.fit(x, y, epochs=2, verbose=False)
    path = model.save(tmp_path / "model.npz", class_names=["a", "b", "c"])
    back = barenet.load(path)
    assert isinstance(back, Model)
    np.testing.assert_array_equal(back.predict_proba(x), model.predict_proba(x))
    assert back.metadata["class_names"] == ["a", "b", "c"]
    assert back.metadata["loss"] == {"name": "cross_entropy"}


def test_load_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "none.npz")
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a barenet model file"):
        load(tmp_path / "foreign.npz")


def test_validation_split_holds_out_the_end():
    x, y = blobs(100)
    model = make_model()
    seen = []

    from barenet.train import Callback

    class Spy(Callback):
        def on_train_begin(self, trainer):
            seen.append(trainer.batches_per_epoch)

    model.fit(x, y, epochs=1, batch_size=10, validation_split=0.3, callbacks=[Spy()], verbose=False)
    assert seen == [7]  # 70 training examples in batches of 10
