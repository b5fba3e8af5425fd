"""Kill a real `barenet train` process mid-run, resume it, and get the same weights as a run
that was never interrupted."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from barenet import load
from barenet.io import read_checkpoint
from tests._cli import start_barenet as barenet

pytestmark = pytest.mark.mnist

EPOCHS = 5
# The default recipe (dropout, shifted digits, Adam, cosine schedule: every kind of state a
# resume must restore) on a smaller network: about half a second an epoch on the real data.
ARGS = ["train", "--recipe", "default", "--epochs", str(EPOCHS), "--hidden", "128"]
ARGS += ["--seed", "3", "--no-plots"]


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"barenet failed ({proc.returncode}):\n{out}\n{err}"
    return out


def checkpoint_epoch(run_dir: Path) -> int:
    path = run_dir / "checkpoints" / "last.npz"
    if not path.exists():
        return 0
    try:
        return read_checkpoint(path).epoch
    except ValueError:  # only if the atomic rename failed, which is what we test
        raise AssertionError(f"{path} was readable only in part") from None


def test_killed_run_resumes_to_identical_weights(tmp_path, mnist_cache):
    kill_and_resume(tmp_path, ARGS)


CNN_RECIPE = """
name = "tiny-cnn"
[data]
split = "official"
[model]
input_shape = [28, 28, 1]
init = "he_normal"
layers = [
    { type = "conv2d", out = 4, kernel = 5, stride = 2 },
    { type = "batchnorm", activation = "relu" },
    { type = "maxpool2d", size = 2 },
    { type = "flatten" },
    { type = "dropout", p = 0.2 },
    { type = "dense", out = 10, activation = "softmax" },
]
[train]
epochs = 5
batch_size = 32
seed = 3
augment = "shift"
[optimizer]
name = "adam"
lr = 0.003
[schedule]
name = "cosine"
total_epochs = 5
"""


def test_killed_cnn_run_resumes_to_identical_weights_and_running_statistics(tmp_path, mnist):
    """A small conv net with batch norm (running statistics are buffers), dropout, shifted
    digits and a cosine schedule, on the first 6,000 real training digits."""
    subset = tmp_path / "subset.npz"
    images = (mnist.train.x[:6000].reshape(-1, 28, 28) * 255).round().astype(np.uint8)
    test_images = (mnist.test.x[:1000].reshape(-1, 28, 28) * 255).round().astype(np.uint8)
    np.savez(
        subset,
        train_images=images,
        train_labels=mnist.train.y[:6000].astype(np.uint8),
        test_images=test_images,
        test_labels=mnist.test.y[:1000].astype(np.uint8),
    )
    recipe = tmp_path / "tiny-cnn.toml"
    recipe.write_text(CNN_RECIPE)
    data = ["--data", str(subset)]
    a, b = kill_and_resume(tmp_path, ["train", "--recipe", str(recipe), *data, "--no-plots"], data)
    for (name, p), (_, q) in zip(a.named_buffers(), b.named_buffers(), strict=True):
        assert np.array_equal(p, q), f"{name} differs after resume"
    assert len(a.named_buffers()) == 2 and not np.all(a.named_buffers()[1][1] == 1)


def kill_and_resume(tmp_path, args, resume_args=()):
    """Train ``args`` whole, then again killed with SIGKILL after the second epoch's
    checkpoint and resumed; both models must be identical. Returns both models."""
    whole = tmp_path / "whole"
    finish(barenet(*args, "--out", str(whole)))

    broken = tmp_path / "broken"
    proc = barenet(*args, "--out", str(broken))
    deadline = time.monotonic() + 300
    while checkpoint_epoch(broken) < 2:
        assert proc.poll() is None, f"training ended early:\n{proc.communicate()}"
        assert time.monotonic() < deadline, "no checkpoint after 300 s"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    killed_at = checkpoint_epoch(broken)
    assert proc.returncode == -signal.SIGKILL
    assert 2 <= killed_at < EPOCHS, "the process must die before it finishes"
    assert not (broken / "model.npz").exists()

    out = finish(barenet("train", "--resume", str(broken), *resume_args, "--no-plots"))
    assert f"resuming {broken} after epoch {killed_at}" in out

    a, b = load(whole / "model.npz"), load(broken / "model.npz")
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p.value, q.value), f"{name} differs after resume"
    history = [json.loads(line) for line in (broken / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in history] == list(range(1, EPOCHS + 1))
    assert a.metadata["metrics"]["test_accuracy"] == b.metadata["metrics"]["test_accuracy"]
    return a, b
