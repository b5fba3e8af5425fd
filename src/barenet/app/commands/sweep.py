"""`barenet sweep SPEC.toml`: search over recipes and seeds on a Dask cluster."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ._types import DATA_HELP, positive_int


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="search over recipe settings and seeds, on every core or a Dask cluster",
        description="Train every configuration of a sweep spec (a base recipe, seeds, [grid], "
        "[random], [search]; see docs/sweeps.md) on a Dask cluster: by default one worker "
        "process per core of this machine. Writes one run directory per trial, sweep.csv, "
        "summary.md, plots and best.toml. Running the same command again skips the finished "
        "trials. Needs the sweep extra: pip install 'barenet[sweep]'.",
    )
    p.add_argument("spec", help="the sweep spec, a .toml file")
    p.add_argument("--out", help="output folder (default: runs/sweeps/<name>/)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local "
        "cluster for this sweep and stop it after)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        help="worker processes of the local cluster, one thread each (default: one per core)",
    )
    p.add_argument("--data", metavar="PATH", help=DATA_HELP + ", as a path on every worker")
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    p.set_defaults(func=run_sweep_command)


def _resume_command(args: argparse.Namespace, out: str) -> str:
    words = ["barenet", "sweep", args.spec, "--out", out]
    for option in ("scheduler", "workers", "data"):
        if getattr(args, option) is not None:
            words += [f"--{option}", str(getattr(args, option))]
    return shlex.join(words)


def run_sweep_command(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from barenet.sweep import load_spec, open_client, run_sweep
    from barenet.sweep.cluster import dashboard_link

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("runs") / "sweeps" / spec.name
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} is a file; choose a folder")
    trials = len(spec.configs) * len(spec.seeds)
    print(
        f"sweep '{spec.name}': {len(spec.configs)} configurations × {len(spec.seeds)} seeds "
        f"= {trials} trials, method {spec.method}"
        + (
            f" (rungs of {', '.join(map(str, spec.rungs))} epochs)"
            if spec.method == "halving"
            else ""
        )
    )
    print(f"output: {out}")
    try:
        with open_client(args.scheduler, args.workers) as client:
            workers = len(client.scheduler_info()["workers"])
            where = args.scheduler or "a local cluster"
            print(f"cluster: {where}, {workers} worker{'s' if workers != 1 else ''}")
            link = dashboard_link(client)
            if link:
                print(f"dashboard: {link}")
            result = run_sweep(spec, out, client, data=args.data, stream=sys.stdout)
    except KeyboardInterrupt:
        print(
            f"stopped; finished trials are kept in {out}/runs. Run the rest with: "
            f"{_resume_command(args, str(out))}",
            file=sys.stderr,
        )
        raise
    if not args.no_plots:
        from barenet.app.sweep_plots import plot_sweep

        plot_sweep(result)
    failed = sum(r["status"] != "ok" for r in result.records)
    print(f"trials: {len(result.records) - failed} finished, {failed} failed")
    if result.rungs:
        print(f"epochs trained: {result.epochs_trained} (the full grid: {result.grid_epochs})")
    if result.chosen is not None:
        label = spec.configs[result.chosen].label
        print(f"best: {label} (on {spec.metric}); recipe: {out / 'best.toml'}")
    print(f"summary: {out / 'summary.md'}")
    return 1 if failed == len(result.records) else 0
