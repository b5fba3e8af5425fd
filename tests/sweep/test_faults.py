"""Faults, against real processes: a worker killed with SIGKILL in the middle of a trial (a real
`dask scheduler` and two `dask worker`s over TCP on localhost), and a sweep interrupted with
Ctrl-C, then run again."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from barenet.sweep import load_spec, run_sweep
from tests._cli import start_barenet as barenet

from ._helpers import assert_same_weights, write_recipe

pytestmark = pytest.mark.mnist

DASK = str(Path(sys.executable).with_name("dask"))
# Trials of a few seconds each, so a kill lands in the middle of one.
SPEC = 'base = "tiny.toml"\nseeds = [0, 1]\n[grid]\n"optimizer.lr" = [0.001, 0.002]\n'
# Six trials, so that work is left when the first one finishes and the sweep is interrupted.
RESUME_SPEC = SPEC.replace("seeds = [0, 1]", "seeds = [0, 1, 2]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> subprocess.Popen:
    # Its own session, so the whole process group (a worker's nanny and the worker) can be
    # killed at once.
    return subprocess.Popen(
        [DASK, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def sweep_rows(out: Path) -> list[dict[str, str]]:
    with (out / "sweep.csv").open() as f:
        return list(csv.DictReader(f))


def test_a_killed_worker_changes_nothing(tmp_path, mnist_subset, local_client):
    from distributed import Client

    write_recipe(tmp_path, epochs=20, sizes="[784, 256, 10]")
    spec = tmp_path / "faults.toml"
    spec.write_text(SPEC)
    calm = run_sweep(
        load_spec(spec), tmp_path / "calm", local_client, data=str(mnist_subset), stream=None
    )

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [
        start(
            "worker",
            address,
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
            "--name",
            f"w{i}",
        )
        for i in range(2)
    ]
    sweep = None
    try:
        with Client(address, timeout=60) as watcher:
            watcher.wait_for_workers(2, timeout=120)
            pids = watcher.run(os.getpid)
            sweep = barenet(
                "sweep",
                str(spec),
                "--scheduler",
                address,
                "--data",
                str(mnist_subset),
                "--out",
                str(tmp_path / "stormy"),
                "--no-plots",
            )
            # Wait until a worker has been busy with a trial for a moment, then kill it.
            victim, key, deadline = None, None, time.monotonic() + 300
            while victim is None and time.monotonic() < deadline:
                busy = {w: keys for w, keys in watcher.processing().items() if keys}
                if busy:
                    time.sleep(0.5)
                    still = watcher.processing()
                    for w, keys in busy.items():
                        common = set(keys) & set(still.get(w, ()))
                        if common:
                            victim, key = w, sorted(common)[0]
                            break
                time.sleep(0.1)
            assert victim is not None, "no trial started"
            os.killpg(os.getpgid(pids[victim]), signal.SIGKILL)
            out, err = sweep.communicate(timeout=600)
        assert sweep.returncode == 0, f"{out}\n{err}"
    finally:
        if sweep is not None and sweep.poll() is None:
            sweep.kill()
        for proc in [*workers, scheduler]:
            stop(proc)

    stormy = tmp_path / "stormy"
    killed_trial = key[1].split("@")[0]  # trial_key: ("barenet-trial", "<trial>@<epochs>-<id>")
    rows = {r["trial"]: r for r in sweep_rows(stormy)}
    # The trial the dead worker was running finished elsewhere.
    assert rows[killed_trial]["status"] == "ok"
    assert rows[killed_trial]["worker"] != victim
    calm_rows = {r["trial"]: r for r in sweep_rows(calm.out)}
    assert rows.keys() == calm_rows.keys()
    for name, row in rows.items():
        for column in (
            "status",
            "epochs",
            "val_accuracy",
            "val_loss",
            "test_accuracy",
            "test_loss",
        ):
            assert row[column] == calm_rows[name][column], (name, column)
        assert_same_weights(
            stormy / "runs" / name / "model.npz", calm.out / "runs" / name / "model.npz"
        )
    assert (stormy / "summary.md").read_text().split("Every trial")[0] == (
        calm.out / "summary.md"
    ).read_text().split("Every trial")[0]


def test_an_interrupted_sweep_runs_only_its_unfinished_trials_again(tmp_path, mnist_subset):
    write_recipe(tmp_path, epochs=10, sizes="[784, 128, 10]")
    spec = tmp_path / "resume.toml"
    spec.write_text(RESUME_SPEC)
    out = tmp_path / "out"
    args = [
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "1",
        "--data",
        str(mnist_subset),
        "--no-plots",
    ]
    # A shell without job control starts background commands with SIGINT ignored, and Python
    # keeps it ignored: give the sweep the default disposition, as a terminal's Ctrl-C finds it.
    first = barenet(*args, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not list(out.glob("runs/*/trial.json")) and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    out_text, err = first.communicate(timeout=120)
    assert first.returncode == 130, f"exit {first.returncode}\n{out_text}\n{err}"
    resume = f"barenet sweep {spec} --out {out} --workers 1 --data {mnist_subset}"
    assert f"Run the rest with: {resume}" in err
    assert "Traceback" not in err

    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("runs/*/trial.json")}
    assert 1 <= len(finished) < 6
    second = barenet(*args)
    stdout, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert f"trials: 6 trials ({len(finished)} already finished, skipped)" in stdout
    # The finished trials were not touched; the others ran and each printed its line.
    for name, mtime in finished.items():
        assert (out / "runs" / name / "trial.json").stat().st_mtime_ns == mtime
        assert f"{name}:" not in stdout
    records = [json.loads(p.read_text()) for p in sorted(out.glob("runs/*/trial.json"))]
    assert len(records) == 6 and all(r["status"] == "ok" for r in records)
    assert sum(f"{r['name']}:" in stdout for r in records) == 6 - len(finished)
