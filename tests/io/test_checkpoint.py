import numpy as np
import pytest

from barenet.io import Checkpoint, FormatError, read_checkpoint, write_checkpoint
from barenet.io.container import write_container
from barenet.nn import Adam, Sequential


def test_checkpoint_round_trip(tmp_path):
    model = Sequential.from_sizes([4, 3, 2], activation="relu", seed=0)
    opt = Adam(model.parameters())
    for p in model.parameters():
        p.grad[...] = 0.5
    opt.step()
    ckpt = Checkpoint(
        config=model.get_config(),
        params=model.state_dict(),
        optimizer=opt.state_dict(),
        epoch=3,
        rng={"model": model.rng.bit_generator.state},
        history={"records": [{"epoch": 1, "loss": 0.5}]},
        recipe={"name": "r"},
    )
    path = write_checkpoint(tmp_path / "c.npz", ckpt)
    back = read_checkpoint(path)
    assert back.epoch == 3 and back.recipe == {"name": "r"} and back.config == ckpt.config
    assert back.rng["model"] == model.rng.bit_generator.state
    for name, value in ckpt.params.items():
        np.testing.assert_array_equal(back.params[name], value)
    opt2 = Adam(model.parameters())
    opt2.load_state_dict(back.optimizer)
    assert opt2.steps == 1
    for a, b in zip(opt2.buffers["m"], opt.buffers["m"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_incomplete_checkpoint_is_refused(tmp_path):
    write_container(tmp_path / "c.npz", {"format": "barenet-checkpoint", "format_version": 1}, {})
    with pytest.raises(FormatError, match="incomplete"):
        read_checkpoint(tmp_path / "c.npz")
