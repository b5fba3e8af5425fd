import numpy as np
import pytest

from barenet.io import FormatError, read_model, read_model_header, write_model
from barenet.io.container import write_container
from barenet.nn import Sequential


def small_model(seed=0):
    return Sequential.from_spec(
        [
            {"in": 6, "out": 5, "activation": "relu", "dropout": 0.1},
            {"in": 5, "out": 3, "activation": "softmax"},
        ],
        seed=seed,
    )


def test_save_load_gives_identical_predictions(tmp_path):
    model = small_model()
    x = np.random.default_rng(1).random((20, 6), dtype=np.float32)
    path = write_model(tmp_path / "m.npz", model, {"class_names": ["a", "b", "c"]})
    back = read_model(path)
    np.testing.assert_array_equal(back.predict_proba(x), model.predict_proba(x))
    assert back.get_config() == model.get_config()
    assert back.metadata["class_names"] == ["a", "b", "c"]
    header = read_model_header(path)
    assert header["format"] == "barenet-model" and header["format_version"] == 1


def test_float64_model_round_trips_in_float64(tmp_path):
    model = small_model().astype("float64")
    back = read_model(write_model(tmp_path / "m.npz", model))
    assert back.dtype == np.float64
    assert all(p.value.dtype == np.float64 for p in back.parameters())


def test_checkpoint_is_not_a_model_file(tmp_path):
    path = tmp_path / "c.npz"
    write_container(path, {"format": "barenet-checkpoint", "format_version": 1}, {})
    with pytest.raises(FormatError, match="not a barenet model file"):
        read_model(path)


def test_inconsistent_weights_are_refused(tmp_path):
    model = small_model()
    path = write_model(tmp_path / "m.npz", model)
    header = read_model_header(path)
    write_container(tmp_path / "bad.npz", header, {"param/0.W": np.zeros((2, 2), np.float32)})
    with pytest.raises(FormatError, match="inconsistent"):
        read_model(tmp_path / "bad.npz")


def test_non_finite_weights_are_refused(tmp_path):
    model = small_model()
    model.parameters()[0].value[0, 0] = np.nan
    path = write_model(tmp_path / "m.npz", model)
    with pytest.raises(FormatError, match="NaN"):
        read_model(path)


def test_text_file_is_not_a_model(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(FormatError, match=r"not a barenet model file \(not an .npz archive\)"):
        read_model(path)
