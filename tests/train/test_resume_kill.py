"""Kill a real `barenet train` process mid-run, resume it, and get the same weights as a run
that was never interrupted."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from barenet import load
from barenet.io import read_checkpoint

pytestmark = pytest.mark.mnist

EPOCHS = 5
# The default recipe (dropout, shifted digits, Adam, cosine schedule: every kind of state a
# resume must restore) on a smaller network: about half a second an epoch on the real data.
ARGS = ["train", "--recipe", "default", "--epochs", str(EPOCHS), "--hidden", "128"]
ARGS += ["--seed", "3", "--no-plots"]


def barenet(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "barenet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


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
    whole = tmp_path / "whole"
    finish(barenet(*ARGS, "--out", str(whole)))

    broken = tmp_path / "broken"
    proc = barenet(*ARGS, "--out", str(broken))
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

    out = finish(barenet("train", "--resume", str(broken), "--no-plots"))
    assert f"resuming {broken} after epoch {killed_at}" in out

    a, b = load(whole / "model.npz"), load(broken / "model.npz")
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p.value, q.value), f"{name} differs after resume"
    history = [json.loads(line) for line in (broken / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in history] == list(range(1, EPOCHS + 1))
    assert a.metadata["metrics"]["test_accuracy"] == b.metadata["metrics"]["test_accuracy"]
