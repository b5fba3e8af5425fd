"""Reproduce the recipe results table in ``docs/results.md``.

Trains every requested recipe with several seeds on real MNIST and writes the table of test
accuracy (mean ± standard deviation over the seeds) and training time, with the command
that produced it. Run it with ``make results`` or::

    .venv/bin/python scripts/results.py [--recipes seed001 default ...] [--seeds 0 1 2]
                                        [--workers N | --scheduler tcp://host:8786]

The runs are trials of the sweep engine (``barenet.sweep``): every recipe and seed at once on
a Dask cluster, by default one single-threaded worker per core of this machine. Each run is a
normal run directory under ``runs/results/``; a finished one is reused rather than trained
again, so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from datetime import date
from pathlib import Path
from typing import Any

from barenet.sweep import Job, Runner, open_client
from barenet.sweep.progress import Progress
from barenet.train import Recipe, list_recipes

ROOT = Path(__file__).resolve().parent.parent


def run_all(
    recipes: list[Recipe], seeds: list[int], root: Path, scheduler: str | None, workers: int | None
) -> dict[str, dict[str, Any]]:
    """Every recipe with every seed, as trials of one sweep: the records by run name."""
    jobs = [
        Job(f"{r.name}-seed{s}", r.data, s, int(r.train["epochs"]), i)
        for i, r in enumerate(recipes)
        for s in seeds
    ]
    with open_client(scheduler, workers) as client:
        progress = Progress(sys.stdout, metric="test_accuracy")
        records = Runner(client, root, progress=progress).run(jobs, phase="runs")
        progress.close()
    failed = [r for r in records.values() if r["status"] != "ok"]
    if failed:
        raise SystemExit("failed: " + "; ".join(f"{r['name']}: {r['error']}" for r in failed))
    return records


def target(expected: dict[str, Any], mean: float) -> str:
    """The recipe's bar: a floor it must reach (met or not), or the result its source
    published, with our distance from it."""
    if "test_accuracy" in expected:
        floor = expected["test_accuracy"] * 100
        return f"≥ {floor:.1f} {'met' if mean >= floor else 'NOT met'}"
    if "published" in expected:
        published = expected["published"] * 100
        return f"published ≈ {published:.2f} ({mean - published:+.2f})"
    return "—"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=[r.name for r in list_recipes()])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"))
    parser.add_argument("--runs", default=str(ROOT / "runs" / "results"))
    parser.add_argument(
        "--workers", type=int, help="local worker processes (default: one per core)"
    )
    parser.add_argument("--scheduler", help="a running Dask scheduler instead of a local cluster")
    args = parser.parse_args()

    recipes = [Recipe.find(name) for name in args.recipes]
    # Each trial trains with one BLAS thread, as `barenet train` does by default.
    records = run_all(recipes, args.seeds, Path(args.runs), args.scheduler, args.workers)
    rows, sources = [], []
    for recipe in recipes:
        results = [records[f"{recipe.name}-seed{seed}"] for seed in args.seeds]
        acc = [r["test_accuracy"] * 100 for r in results]
        secs = [r["train_seconds"] for r in results]
        mean = statistics.mean(acc)
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        rows.append(
            f"| `{recipe.name}` | {recipe.summary_line().split(', ')[0]} | "
            f"{mean:.2f} ± {std:.2f} | {', '.join(f'{a:.2f}' for a in acc)} | "
            f"{target(recipe.expected, mean)} | {statistics.mean(secs):.0f} s |"
        )
        if recipe.expected.get("source"):
            sources.append(f"- `{recipe.name}`: {recipe.expected['source']}")
        print(rows[-1], flush=True)

    missing = [r.name for r in list_recipes() if r.name not in args.recipes]
    runs = Path(os.path.abspath(args.runs))
    runs = runs.relative_to(ROOT) if runs.is_relative_to(ROOT) else runs
    command = "python scripts/results.py " + " ".join(
        ["--recipes", *args.recipes, "--seeds", *map(str, args.seeds)]
    )
    text = "\n".join(
        [
            "# Results",
            "",
            "Test accuracy on the 10,000 official MNIST test digits (for `seed001`: on its own",
            "33% test split), mean ± standard deviation over the seeds, and training time per run",
            f"(mean over seeds, on {platform.machine()}; this machine is shared, so times drift",
            "between runs).",
            "",
            "This file is written by a script, not by hand. Reproduce it with:",
            "",
            "```",
            f"make results    # = .venv/bin/{command}",
            "```",
            "",
            "| recipe | network, loss, optimizer | test accuracy % | per seed | target "
            "| train time |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            *(
                [
                    "Shipped recipes not in this table (not run by the command above): "
                    + ", ".join(f"`{name}`" for name in missing)
                    + "; each one's `[expected]` note says what has been measured.",
                    "",
                ]
                if missing
                else []
            ),
            "Where the targets come from:",
            "",
            *sources,
            "",
            f"Seeds: {', '.join(map(str, args.seeds))}. Generated {date.today().isoformat()} with "
            f"Python {platform.python_version()}, one BLAS thread per run, the runs spread over "
            f"the cores by the sweep engine (`barenet.sweep`). Run directories: `{runs}/`.",
            "",
        ]
    )
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
