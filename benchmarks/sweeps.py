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
import os
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


SCALING = {"trials": 8, "epochs": 3, "hidden": [256]}
"""The scaling part's sweep: 8 trials of 3 epochs of 784-256-10 (the `fast` sweep's base
recipe), about 5 s of training each on a quiet core: long enough that scheduling and the
first trial's data loading on each worker do not decide the ratio."""
SMOKE = {"trials": 4, "epochs": 1, "hidden": [16]}


def _scaling_jobs(smoke: bool) -> list[Any]:
    from barenet.sweep import Job
    from barenet.sweep.spec import spec_dir
    from barenet.train import Recipe
    from barenet.train.overrides import apply_overrides

    size = SMOKE if smoke else SCALING
    recipe = apply_overrides(
        Recipe.find(str(spec_dir() / "fast-base.toml")),
        {"model.hidden": size["hidden"], "train.epochs": size["epochs"]},
    )
    return [Job(f"trial{i}", recipe.data, i, size["epochs"]) for i in range(size["trials"])]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def scaling(smoke: bool = False) -> dict[str, Any]:
    """The same trials on a local cluster of one worker, then two: trials per hour, and the
    overhead per trial, by the wall clock and in CPU seconds.

    - overhead per trial (one worker): the wall time not spent inside trials, over the trials
      (scheduling, sending the recipe out and the run's files back, writing them);
    - client CPU per trial: what the sweep's own process spends on each trial;
    - CPU per trial on the workers, with one and with two: equal when the two workers do not
      slow each other down (no shared cache or memory-bandwidth bottleneck), so on two free
      cores the wall-clock speed-up is then close to 2. On a loaded machine the wall clock
      says how busy the machine was; the CPU figures still describe the engine.
    """
    from barenet.sweep import Runner, open_client

    jobs = _scaling_jobs(smoke)
    figures: dict[str, Any] = {
        "trials": len(jobs),
        "epochs": jobs[0].epochs,
        "hidden": (SMOKE if smoke else SCALING)["hidden"],
        "load_before": _load(),
    }
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, open_client(workers=workers) as client:
            client.run(lambda: __import__("barenet.train"))  # imports are not the trials' cost
            start, start_cpu = time.perf_counter(), time.process_time()
            records = Runner(client, tmp).run(jobs)
            wall = time.perf_counter() - start
            client_cpu = time.process_time() - start_cpu
        failed = [r["error"] for r in records.values() if r["status"] != "ok"]
        if failed:
            raise RuntimeError(f"a scaling trial failed: {failed[0]}")
        inside = [r["seconds"] for r in records.values()]
        cpu = [r["cpu_seconds"] for r in records.values()]
        training = [r["train_seconds"] for r in records.values()]
        figures[f"wall_{workers}"] = wall
        figures[f"trials_per_hour_{workers}"] = len(jobs) / wall * 3600
        figures[f"cpu_per_trial_{workers}"] = statistics.mean(cpu)
        figures[f"inside_per_trial_{workers}"] = statistics.mean(inside)
        figures[f"client_cpu_per_trial_{workers}"] = client_cpu / len(jobs)
        # The wall time the workers were not inside a trial, per trial.
        figures[f"overhead_per_trial_{workers}"] = (wall * workers - sum(inside)) / len(jobs)
        # Inside a trial, besides the training: the data (loaded once per worker), the
        # evaluation, the calibration and the model and checkpoint files.
        extra = sorted(i - t for i, t in zip(inside, training, strict=True))
        figures[f"in_trial_not_training_{workers}"] = {
            "median": statistics.median(extra),
            "max": extra[-1],
        }
    figures["overhead_per_trial"] = figures["overhead_per_trial_1"]
    figures["speedup"] = figures["trials_per_hour_2"] / figures["trials_per_hour_1"]
    figures["cpu_ratio"] = figures["cpu_per_trial_2"] / figures["cpu_per_trial_1"]
    figures["load_after"] = _load()
    return figures


def _fast_run(recipe: Any) -> dict[str, Any]:
    """Train ``recipe`` as ``barenet train`` does (one BLAS thread), timing the training loop
    the way the PyTorch child times its epochs: wall and CPU seconds of the epochs, without
    the scoring after each epoch (the validation and training metrics)."""
    from barenet.data import load_mnist
    from barenet.train.run import recipe_trainer
    from barenet.train.threads import limit_threads

    data = load_mnist(split=recipe.split, seed=recipe.split_seed)
    train = recipe.train
    with limit_threads(1):
        model = recipe.build_model()
        trainer = recipe_trainer(recipe, model)
        scoring = {"cpu": 0.0}
        score = trainer.score

        def timed_score(x: Any, y: Any) -> tuple[float, float]:
            start = time.process_time()
            try:
                return score(x, y)
            finally:
                scoring["cpu"] += time.process_time() - start

        trainer.score = timed_score  # type: ignore[method-assign]
        start_cpu = time.process_time()
        history = trainer.fit(
            data.train.x,
            data.train.y,
            int(train["epochs"]),
            validation_data=(data.validation.x, data.validation.y) if data.validation else None,
        )
        cpu = time.process_time() - start_cpu - scoring["cpu"]
        evaluation = model.evaluate(data.test.x, data.test.y)
    return {
        "seconds": sum(history["seconds"]),
        "cpu_seconds": cpu,
        "val_accuracy": history["val_accuracy"][-1],
        "test_accuracy": evaluation.accuracy,
        "epochs": len(history),
    }


def fast_vs_torch(torch: dict[str, Any] | None = None) -> dict[str, Any]:
    """The shipped `fast` recipe, trained once with one thread: its training seconds (wall
    and CPU) and test accuracy, against PyTorch's time to 98% test accuracy with the
    benchmark's standard recipe (784-512-10, Adam lr 0.004, batch 512, one thread), from the
    same `make bench` run when given, else measured here just before."""
    from barenet.train import Recipe

    if torch is None:
        torch = _torch_time_to_98()
    recipe = Recipe.find("fast")
    mine = _fast_run(recipe)
    reached = bool(torch and torch.get("reached"))
    figures: dict[str, Any] = {
        "recipe": recipe.summary_line(),
        **mine,
        "torch": torch,
        "ratio": torch["seconds"] / mine["seconds"] if reached and torch else None,
        "cpu_ratio": (
            torch["cpu_seconds"] / mine["cpu_seconds"]
            if reached and torch and torch.get("cpu_seconds")
            else None
        ),
    }
    figures["met"] = bool(
        figures["ratio"] and mine["test_accuracy"] >= 0.98 and figures["ratio"] >= 3
    )
    return figures


def _torch_time_to_98() -> dict[str, Any] | None:
    from .frameworks import available as peer_available
    from .run import run_child
    from .workloads import TIME_TO_ACCURACY

    if not peer_available("torch"):
        return None
    args = ["--framework", "torch", "--workload", TIME_TO_ACCURACY.key, "--data", "mnist"]
    args += ["--warmup", "1", "--epochs", "1", "--task", "time-to-accuracy"]
    args += ["--target", "0.98", "--max-epochs", "15"]
    result = run_child(args, "1", 1800.0)
    return None if "error" in result else result


def run(
    parts: tuple[str, ...] = PARTS, smoke: bool = False, torch: dict[str, Any] | None = None
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
        results["fast"] = fast_vs_torch(torch)
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
            f"The same {s['trials']} trials (784-{s['hidden'][0]}-10, {s['epochs']} "
            f"epoch{'s' if s['epochs'] != 1 else ''} each) on a local cluster of one worker, "
            "then two (load average "
            f"{s['load_before'][0]} before, {s['load_after'][0]} after):",
            "",
            "| workers | wall seconds | trials per hour | CPU s per trial (workers) "
            "| client CPU s per trial | idle or overhead s per trial |",
            "|---|---|---|---|---|---|",
            *(
                f"| {w} | {s[f'wall_{w}']:.1f} | {s[f'trials_per_hour_{w}']:.0f} | "
                f"{s[f'cpu_per_trial_{w}']:.2f} | {s[f'client_cpu_per_trial_{w}']:.3f} | "
                f"{s[f'overhead_per_trial_{w}']:.2f} |"
                for w in (1, 2)
            ),
            "",
            f"Two workers: **{s['speedup']:.2f}×** one worker's trials per hour (target ≥ 1.8× "
            f"on 2 free cores: **{'met' if s['speedup'] >= 1.8 else 'missed'}**); a trial's CPU "
            f"seconds with two workers are {s['cpu_ratio']:.2f}× those with one (1.00: the "
            f"workers do not slow each other down). Overhead per trial on one worker "
            f"(scheduling, sending the run's files back and writing them): "
            f"{s['overhead_per_trial']:.2f} s (target < 1 s: "
            f"**{'met' if s['overhead_per_trial'] < 1 else 'missed'}**); inside a trial, "
            f"evaluating, calibrating and saving took "
            f"{s['in_trial_not_training_1']['median']:.2f} s (median) besides the training, "
            f"{s['in_trial_not_training_1']['max']:.2f} s for the first (which also loads "
            "and checks MNIST, once per worker).",
            "",
        ]
    if "fast" in results:
        f = results["fast"]
        t = f["torch"]
        if t and t.get("reached"):
            cpu = f" ({t['cpu_seconds']:.2f} CPU s)" if t.get("cpu_seconds") else ""
            torch = f"{t['seconds']:.2f} s{cpu} over {t['epochs']} epochs"
        elif t:
            torch = f"did not reach 98% in {t['epochs']} epochs"
        else:
            torch = "not measured (PyTorch is not installed)"
        ratio = f"; PyTorch took **{f['ratio']:.2f}×** as long" if f["ratio"] else ""
        cpu_ratio = f" ({f['cpu_ratio']:.2f}× in CPU seconds)" if f["cpu_ratio"] else ""
        lines += [
            f"The `fast` recipe ({f['recipe']}): {f['seconds']:.2f} s of training "
            f"({f['cpu_seconds']:.2f} CPU s) over {f['epochs']} epochs, "
            f"{f['val_accuracy']:.2%} validation and {f['test_accuracy']:.2%} test accuracy. "
            f"PyTorch's time to 98% test accuracy with the standard recipe (784-512-10, Adam "
            f"lr 0.004, batch 512, one thread, the test pass not timed): {torch}"
            f"{ratio}{cpu_ratio}. 98% in at most a third of PyTorch's time: "
            f"**{'met' if f['met'] else 'missed'}**.",
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
