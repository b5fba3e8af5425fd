"""Sweeps on a real two-worker LocalCluster: trials equal plain `barenet train` runs, a trial
that fails on its own is recorded and the sweep goes on, and what a sweep writes."""

from __future__ import annotations

import csv

import pytest

from barenet.app.cli import main
from barenet.sweep import load_spec, run_sweep

from ._helpers import assert_same_weights, write_recipe

pytestmark = pytest.mark.mnist


def test_every_trial_equals_a_plain_barenet_train(tmp_path, mnist_subset, local_client, capsys):
    recipe = write_recipe(tmp_path)
    spec_path = tmp_path / "small.toml"
    spec_path.write_text(
        'base = "tiny.toml"\nseeds = [0, 1]\n[grid]\n"optimizer.lr" = [0.001, 0.003]\n'
    )
    spec = load_spec(spec_path)
    result = run_sweep(spec, tmp_path / "out", local_client, data=str(mnist_subset), stream=None)

    assert [r["status"] for r in result.records] == ["ok"] * 4
    # Both workers took trials: the sweep really ran on the cluster.
    assert len({r["worker"] for r in result.records}) == 2
    for record in result.records:
        plain = tmp_path / f"plain-{record['name']}"
        lr = record["params"]["optimizer.lr"]
        status = main(
            [
                *("train", "--recipe", str(recipe), "--set", f"optimizer.lr={lr}"),
                *("--seed", str(record["seed"]), "--data", str(mnist_subset)),
                *("--out", str(plain), "--no-plots"),
            ]
        )
        assert status == 0
        assert_same_weights(result.out / "runs" / record["name"] / "model.npz", plain / "model.npz")
    capsys.readouterr()

    # What the sweep wrote: a row per trial, a summary sorted by validation accuracy, the
    # chosen recipe, which trains to the same weights again.
    with (result.out / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["optimizer.lr"], r["seed"]) for r in rows] == [
        ("0.001", "0"),
        ("0.001", "1"),
        ("0.003", "0"),
        ("0.003", "1"),
    ]
    by_config = {}
    for r in rows:
        by_config.setdefault(r["config"], []).append(float(r["val_accuracy"]))
    means = {c: sum(v) / len(v) for c, v in by_config.items()}
    best = max(means, key=lambda c: (means[c], -int(c)))
    assert result.chosen == int(best)
    summary = (result.out / "summary.md").read_text()
    assert f"**Chosen: `{spec.configs[result.chosen].label}`**" in summary
    assert "test accuracy" in summary
    best_recipe = result.out / "best.toml"
    assert (
        main(
            [
                "train",
                "--recipe",
                str(best_recipe),
                "--data",
                str(mnist_subset),
                "--out",
                str(tmp_path / "again"),
                "--no-plots",
            ]
        )
        == 0
    )
    chosen = next(r for r in result.records if r["config"] == result.chosen and r["seed"] == 0)
    assert_same_weights(
        tmp_path / "again" / "model.npz", result.out / "runs" / chosen["name"] / "model.npz"
    )


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path, mnist_subset, local_client):
    write_recipe(tmp_path)
    spec_path = tmp_path / "diverge.toml"
    # lr = 1e6 makes Adam's steps a million times too large: the loss overflows.
    spec_path.write_text('base = "tiny.toml"\n[grid]\n"optimizer.lr" = [0.001, 1e6]\n')
    result = run_sweep(
        load_spec(spec_path), tmp_path / "out", local_client, data=str(mnist_subset), stream=None
    )
    ok, failed = result.records
    assert ok["status"] == "ok" and failed["status"] == "failed"
    assert "loss" in failed["error"] and "\n" not in failed["error"]
    assert result.chosen == 0
    summary = (result.out / "summary.md").read_text()
    assert f"`{failed['name']}`: {failed['error']}" in summary
    with (result.out / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[1]["error"] == failed["error"]


def test_trials_form_one_task_group_so_the_scheduler_queues_them():
    """Dask queues tasks on the scheduler (and gives each worker one as a thread frees) only
    for a task group larger than the cluster; trials named after their configuration or
    recipe each made a group of their own and were all assigned at once."""
    from dask.utils import key_split

    from barenet.sweep.runner import TASK_GROUP, Job, trial_key

    names = ["c00-lr0.001-batch_size128-hidden256-seed0", "cnn-seed1", "best-seed2", "x"]
    keys = [trial_key(Job(name, {}, 0, 3, i)) for i, name in enumerate(names)]
    assert {key_split(key) for key in keys} == {TASK_GROUP}
    assert len(set(keys)) == len(keys)  # yet every submission has its own key


def _worker_environment() -> dict[str, str | None]:
    import os

    return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")}


def test_local_workers_keep_glibcs_adaptive_allocator(local_client):
    """Dask's default MALLOC_TRIM_THRESHOLD_ makes every large temporary an mmap and a page
    fault (a conv net step: +19% CPU); the local cluster starts its workers without it, and
    keeps Dask's one thread per library."""
    for env in local_client.run(_worker_environment).values():
        assert env == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}
