"""The sweep engine's benchmark (issue 15): halving against the full grid, trials per hour on
one and two workers, the overhead per trial, and the `fast` recipe against PyTorch.

    python -m benchmarks.sweeps                       # everything, on real MNIST
    python -m benchmarks.sweeps --parts halving       # one part: halving, scaling, fast
    python -m benchmarks.sweeps --smoke               # scaling on a few tiny trials

``benchmarks.run`` calls ``run()`` and ``report`` renders ``markdown()``. Each part uses its
own local Dask cluster. The machine is shared: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("halving", "scaling", "fast")


def available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def halving_vs_grid(out: Path, workers: int | None = None) -> dict[str, Any]:
    """The shipped example sweep twice on one cluster: every configuration in full (grid),
    then successive halving. Trials are bit-identical to plain runs, so the halving's choice
    is scored with the grid's own figure for that configuration."""
    from barenet.sweep import load_spec, open_client, run_sweep

    spec = load_spec("example")
    grid_spec = dataclasses.replace(spec, method="grid")
    with open_client(workers=workers) as client:
        start = time.perf_counter()
        grid = run_sweep(grid_spec, out / "grid", client, stream=sys.stdout)
        grid_seconds = time.perf_counter() - start
        start = time.perf_counter()
        halving = run_sweep(spec, out / "halving", client, stream=sys.stdout)
        halving_seconds = time.perf_counter() - start

    def val(result: Any, config: int) -> float:
        records = [r for r in result.records if r["config"] == config]
        return statistics.mean(r["val_accuracy"] for r in records) * 100

    assert grid.chosen is not None and halving.chosen is not None
    grid_best, halving_choice = val(grid, grid.chosen), val(grid, halving.chosen)
    return {
        "spec": "example",
        "configurations": len(spec.configs),
        "rungs": spec.rungs,
        "grid_choice": spec.configs[grid.chosen].label,
        "grid_best_val": grid_best,
        "halving_choice": spec.configs[halving.chosen].label,
        "halving_choice_val": halving_choice,
        "halving_own_val": val(halving, halving.chosen),
        "grid_epochs": grid.epochs_trained,
        "halving_epochs": halving.epochs_trained,
        "grid_seconds": grid_seconds,
        "halving_seconds": halving_seconds,
        "within_0_1": grid_best - halving_choice <= 0.1,
        "third_of_epochs": halving.epochs_trained * 3 <= grid.epochs_trained,
    }


def _scaling_jobs(smoke: bool) -> list[Any]:
    from barenet.sweep import Job
    from barenet.train import Recipe
    from barenet.train.overrides import apply_overrides

    n, epochs, hidden = (4, 1, [16]) if smoke else (8, 2, [128])
    recipe = apply_overrides(
        Recipe.find("default"), {"model.hidden": hidden, "train.epochs": epochs}
    )
    return [Job(f"trial{i}", recipe.data, i, epochs) for i in range(n)]


def scaling(smoke: bool = False) -> dict[str, Any]:
    """The same trials on a local cluster of one worker, then two: trials per hour, and the
    overhead per trial (on one worker, the wall time not spent inside trials)."""
    from barenet.sweep import Runner, open_client

    jobs = _scaling_jobs(smoke)
    figures: dict[str, Any] = {"trials": len(jobs), "epochs": jobs[0].epochs}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, open_client(workers=workers) as client:
            client.run(lambda: __import__("barenet.train"))  # imports are not the trials' cost
            start = time.perf_counter()
            records = Runner(client, tmp).run(jobs)
            wall = time.perf_counter() - start
        inside = [r["seconds"] for r in records.values()]
        training = [r["train_seconds"] for r in records.values()]
        figures[f"wall_{workers}"] = wall
        figures[f"trials_per_hour_{workers}"] = len(jobs) / wall * 3600
        if workers == 1:
            figures["overhead_per_trial"] = (wall - sum(inside)) / len(jobs)
            figures["in_trial_not_training"] = statistics.mean(
                i - t for i, t in zip(inside, training, strict=True)
            )
    figures["speedup"] = figures["trials_per_hour_2"] / figures["trials_per_hour_1"]
    return figures


def fast_vs_torch(torch_seconds: float | None = None) -> dict[str, Any]:
    """The shipped `fast` recipe, trained once with one thread: its training seconds and test
    accuracy, against PyTorch's time to 98% with the benchmark's standard recipe (from the
    same `make bench` run when given, else measured here)."""
    from barenet.train import Recipe, run_training

    if torch_seconds is None:
        torch_seconds = _torch_time_to_98()
    recipe = Recipe.find("fast")
    with tempfile.TemporaryDirectory() as tmp:
        result = run_training(recipe, Path(tmp) / "fast", stream=None, threads=1)
    return {
        "recipe": recipe.summary_line(),
        "seconds": result.seconds,
        "test_accuracy": result.evaluation.accuracy,
        "torch_seconds": torch_seconds,
        "ratio": torch_seconds / result.seconds if torch_seconds else None,
        "met": bool(
            torch_seconds
            and result.evaluation.accuracy >= 0.98
            and result.seconds * 3 <= torch_seconds
        ),
    }


def _torch_time_to_98() -> float | None:
    from .frameworks import available as peer_available
    from .run import run_child
    from .workloads import TIME_TO_ACCURACY

    if not peer_available("torch"):
        return None
    args = ["--framework", "torch", "--workload", TIME_TO_ACCURACY.key, "--data", "mnist"]
    args += ["--warmup", "1", "--epochs", "1", "--task", "time-to-accuracy"]
    args += ["--target", "0.98", "--max-epochs", "15"]
    result = run_child(args, "1", 1800.0)
    return None if "error" in result or not result.get("reached") else float(result["seconds"])


def run(
    parts: tuple[str, ...] = PARTS, smoke: bool = False, torch_seconds: float | None = None
) -> dict[str, Any]:
    """The figures of ``parts`` (the smoke run: scaling on tiny trials only)."""
    if not available():
        return {"skipped": "Dask is not installed (pip install -e '.[sweep]')"}
    results: dict[str, Any] = {}
    if smoke:
        parts = ("scaling",)
    if "halving" in parts:
        # Kept (build/ is not in git): the two sweeps' summaries and plots are worth a look.
        results["halving"] = halving_vs_grid(ROOT / "build" / "sweeps-bench")
    if "scaling" in parts:
        results["scaling"] = scaling(smoke)
    if "fast" in parts:
        results["fast"] = fast_vs_torch(torch_seconds)
    return results


def markdown(results: dict[str, Any]) -> list[str]:
    """The ``## Sweeps`` section of the benchmark report."""
    lines = ["## Sweeps (issue 15)", ""]
    if "skipped" in results:
        return [*lines, f"Skipped: {results['skipped']}.", ""]
    if "halving" in results:
        h = results["halving"]
        lines += [
            f"Successive halving against the full grid on the example sweep "
            f"(`barenet sweep example`: {h['configurations']} configurations, rungs of "
            f"{', '.join(map(str, h['rungs']))} epochs), in one run:",
            "",
            "| | choice | its validation accuracy % | epochs trained | wall seconds |",
            "|---|---|---|---|---|",
            f"| full grid | `{h['grid_choice']}` | {h['grid_best_val']:.2f} | "
            f"{h['grid_epochs']} | {h['grid_seconds']:.0f} |",
            f"| halving | `{h['halving_choice']}` | {h['halving_choice_val']:.2f} | "
            f"{h['halving_epochs']} | {h['halving_seconds']:.0f} |",
            "",
            f"Within 0.1 points of the grid's best: **{'met' if h['within_0_1'] else 'missed'}**"
            f"; at most a third of the grid's epochs: "
            f"**{'met' if h['third_of_epochs'] else 'missed'}** "
            f"({h['halving_epochs'] / h['grid_epochs']:.0%}).",
            "",
        ]
    if "scaling" in results:
        s = results["scaling"]
        lines += [
            f"The same {s['trials']} trials ({s['epochs']} epochs each) on a local cluster of "
            "one worker, then two:",
            "",
            "| workers | wall seconds | trials per hour |",
            "|---|---|---|",
            f"| 1 | {s['wall_1']:.1f} | {s['trials_per_hour_1']:.0f} |",
            f"| 2 | {s['wall_2']:.1f} | {s['trials_per_hour_2']:.0f} |",
            "",
            f"Two workers: **{s['speedup']:.2f}×** one worker (target ≥ 1.8×: "
            f"**{'met' if s['speedup'] >= 1.8 else 'missed'}**). Overhead per trial "
            f"(scheduling, sending the run's files back): {s['overhead_per_trial']:.2f} s "
            f"(target < 1 s: **{'met' if s['overhead_per_trial'] < 1 else 'missed'}**); "
            f"inside a trial, loading and checking the data, evaluating and saving took "
            f"{s['in_trial_not_training']:.2f} s besides the training.",
            "",
        ]
    if "fast" in results:
        f = results["fast"]
        torch = f"{f['torch_seconds']:.2f} s" if f["torch_seconds"] else "not measured"
        lines += [
            f"The `fast` recipe ({f['recipe']}): {f['seconds']:.2f} s of training, "
            f"{f['test_accuracy']:.2%} test accuracy; PyTorch's time to 98% with the standard "
            f"recipe: {torch}"
            + (f" ({f['ratio']:.2f}× barenet's)" if f["ratio"] else "")
            + f". 98% in at most a third of PyTorch's time: **{'met' if f['met'] else 'missed'}**.",
            "",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated: {PARTS}")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    parts = tuple(p for p in args.parts.split(",") if p)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {PARTS}")
    results = run(parts, args.smoke)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print("\n".join(markdown(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
