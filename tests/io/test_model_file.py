import numpy as np
import pytest

from barenet.io import FormatError, input_contract, read_model, read_model_header, write_model
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
    assert header["format"] == "barenet-model" and header["format_version"] == 2
    assert header["input"] == {"shape": [6], "range": [0, 1], "preprocessing": "mnist"}


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


def cnn(seed=0):
    return Sequential.from_spec(
        [
            {"type": "conv2d", "out": 3, "kernel": 3, "padding": "same"},
            {"type": "batchnorm", "activation": "relu"},
            {"type": "maxpool2d", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "out": 4, "activation": "softmax"},
        ],
        input_shape=(6, 6, 1),
        seed=seed,
    )


def test_a_cnn_round_trips_with_its_buffers_and_input_contract(tmp_path):
    model = cnn()
    x = np.random.default_rng(1).random((10, 36), dtype=np.float32)
    for _ in range(3):  # move the running statistics away from their initial values
        model.backprop(x, np.arange(10) % 4, "cross_entropy")
    bn = model.layers[1]
    assert not np.all(bn.running_var == 1)
    path = write_model(tmp_path / "cnn.npz", model)
    back = read_model(path)
    np.testing.assert_array_equal(back.layers[1].running_mean, bn.running_mean)
    np.testing.assert_array_equal(back.layers[1].running_var, bn.running_var)
    np.testing.assert_array_equal(back.predict_proba(x), model.predict_proba(x))
    header = read_model_header(path)
    assert header["input"]["shape"] == [6, 6, 1]
    contract = input_contract(header)
    assert contract.shape == (6, 6, 1) and contract.image_size == (6, 6)
    assert contract.range == (0.0, 1.0) and contract.preprocessing == "mnist"


def test_a_version_1_model_file_still_loads(tmp_path):
    """Written as barenet wrote them before format 2: no input entry, no input_shape in the
    config, no buffers."""
    model = small_model()
    config = model.get_config()
    del config["input_shape"]
    header = {
        "format": "barenet-model",
        "format_version": 1,
        "barenet_version": "0.1.0",
        "config": config,
        "metadata": {"class_names": ["a", "b", "c"]},
    }
    arrays = {f"param/{name}": p.value for name, p in model.named_parameters()}
    path = write_container(tmp_path / "v1.npz", header, arrays)
    back = read_model(path)
    x = np.random.default_rng(2).random((5, 6), dtype=np.float32)
    np.testing.assert_array_equal(back.predict_proba(x), model.predict_proba(x))
    assert back.input_shape == (6,)
    contract = input_contract(read_model_header(path))
    assert contract.shape == (6,) and contract.preprocessing == "mnist"


def test_a_square_flat_input_is_an_image():
    from barenet.io import InputContract

    assert InputContract((784,)).image_size == (28, 28)
    with pytest.raises(ValueError, match="not a square image"):
        _ = InputContract((6,)).image_size
