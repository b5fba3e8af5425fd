"""A trial killed with SIGKILL leaves its temporary folder; the next trial on the host removes
it, and nothing else."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from barenet.sweep.trial import OWNER_FILE, TRIAL_PREFIX, remove_stale_trial_dirs


def a_dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def make_folder(root, name, owner=None):
    folder = root / (TRIAL_PREFIX + name)
    (folder / "run" / "checkpoints").mkdir(parents=True)
    (folder / "run" / "checkpoints" / "last.npz").write_bytes(b"x" * 100)
    if owner is not None:
        (folder / OWNER_FILE).write_text(owner)
    return folder


def test_only_the_folders_of_dead_trials_on_this_host_are_removed(tmp_path):
    host = socket.gethostname()
    dead = make_folder(tmp_path, "dead", f"{host} {a_dead_pid()}")
    live = make_folder(tmp_path, "live", f"{host} {os.getpid()}")
    elsewhere = make_folder(tmp_path, "elsewhere", f"another-host {a_dead_pid()}")
    unowned = make_folder(tmp_path, "unowned")  # being created, or from an older barenet
    garbled = make_folder(tmp_path, "garbled", "not an owner line")
    unrelated = tmp_path / "something-else"
    unrelated.mkdir()

    assert remove_stale_trial_dirs(tmp_path) == [dead]
    assert not dead.exists()
    assert all(f.is_dir() for f in (live, elsewhere, unowned, garbled, unrelated))
    assert remove_stale_trial_dirs(tmp_path) == []
