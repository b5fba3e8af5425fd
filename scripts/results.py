"""Reproduce the recipe results table in ``docs/results.md``.

Trains every requested recipe with several seeds on real MNIST and writes the table of test
accuracy (mean ± standard deviation over the seeds) and training time, with the command
that produced it. Run it with ``make results`` or::

    .venv/bin/python scripts/results.py [--recipes seed001 default ...] [--seeds 0 1 2]
                                        [--workers N | --scheduler tcp://host:8786] [--update]

The runs are trials of the sweep engine (``barenet.sweep``): every recipe and seed at once on
a Dask cluster, by default one single-threaded worker per core of this machine. Each run is a
normal run directory under ``runs/results/``; a finished one is reused rather than trained
again, so the script can be stopped and restarted.

With ``--update`` only the named recipes are trained: their rows replace (or join) those of the
existing table, and every other row is kept as it was, which saves hours when one recipe
changes. The kept rows must come from the same seeds; the file names them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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


SEEDS_LINE = re.compile(r"^Seeds: ([0-9, ]+)\. ", re.MULTILINE)


def table_rows(text: str) -> dict[str, str]:
    """The rows of a results table, by recipe name."""
    return {line.split("`")[1]: line for line in text.splitlines() if line.startswith("| `")}


def kept_rows(
    previous: str, seeds: list[int], retrained: list[str], shipped: list[str]
) -> dict[str, str]:
    """The rows of ``previous`` (a results file) that ``--update`` keeps: those of
    ``shipped`` recipes not trained again. Raises ``SystemExit`` if the file's seeds are not
    ``seeds``: a table whose rows average different seeds would say one thing and mean two."""
    found = SEEDS_LINE.search(previous)
    if found is None:
        raise SystemExit("--update: the existing results file has no 'Seeds: ...' line")
    old_seeds = [int(s) for s in found.group(1).split(",")]
    if old_seeds != seeds:
        raise SystemExit(
            f"--update: the existing table averages seeds {old_seeds}, this run {seeds}; "
            "run every recipe again (without --update) to change the seeds"
        )
    return {
        name: row
        for name, row in table_rows(previous).items()
        if name in shipped and name not in retrained
    }


def main() -> int:
    shipped = list_recipes()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=[r.name for r in shipped])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"))
    parser.add_argument("--runs", default=str(ROOT / "runs" / "results"))
    parser.add_argument(
        "--workers", type=int, help="local worker processes (default: one per core)"
    )
    parser.add_argument("--scheduler", help="a running Dask scheduler instead of a local cluster")
    parser.add_argument(
        "--update",
        action="store_true",
        help="train only --recipes and keep the other rows of the existing --out file",
    )
    args = parser.parse_args()

    recipes = [Recipe.find(name) for name in args.recipes]
    kept: dict[str, str] = {}
    if args.update and Path(args.out).exists():
        # Checked before training, so a wrong --seeds fails in a second, not after hours.
        names = [r.name for r in shipped]
        kept = kept_rows(Path(args.out).read_text(), args.seeds, args.recipes, names)
    # Each trial trains with one BLAS thread, as `barenet train` does by default.
    records = run_all(recipes, args.seeds, Path(args.runs), args.scheduler, args.workers)
    rows = dict(kept)
    for recipe in recipes:
        results = [records[f"{recipe.name}-seed{seed}"] for seed in args.seeds]
        acc = [r["test_accuracy"] * 100 for r in results]
        secs = [r["train_seconds"] for r in results]
        mean = statistics.mean(acc)
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        rows[recipe.name] = (
            f"| `{recipe.name}` | {recipe.summary_line().split(', ')[0]} | "
            f"{mean:.2f} ± {std:.2f} | {', '.join(f'{a:.2f}' for a in acc)} | "
            f"{target(recipe.expected, mean)} | {statistics.mean(secs):.0f} s |"
        )
        print(rows[recipe.name], flush=True)

    # The table lists recipes in the shipped order, whichever run wrote each row.
    table = [r for r in shipped if r.name in rows]
    sources = [f"- `{r.name}`: {r.expected['source']}" for r in table if r.expected.get("source")]
    missing = [r.name for r in shipped if r.name not in rows]
    runs = Path(os.path.abspath(args.runs))
    runs = runs.relative_to(ROOT) if runs.is_relative_to(ROOT) else runs
    command = "python scripts/results.py " + " ".join(
        ["--recipes", *[r.name for r in table], "--seeds", *map(str, args.seeds)]
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
            *(rows[r.name] for r in table),
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
            *(
                [
                    "Rows kept from the previous version of this file (`--update`, not trained "
                    "again on that day): " + ", ".join(f"`{name}`" for name in kept) + ".",
                ]
                if kept
                else []
            ),
            "",
        ]
    )
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
