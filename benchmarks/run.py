"""Run the whole benchmark and write ``results.md``, ``results.png`` and ``results.json``.

    python -m benchmarks.run            # full: what `make bench` runs (10-15 minutes)
    python -m benchmarks.run --smoke    # a few hundred batches per framework, under a minute

Each (framework, workload) trains in a child process (``benchmarks.child``), one after the
other, so memory figures are attributable and no two runs compete for the two cores. A peer
that is not installed (PyTorch, scikit-learn) is skipped with a note. The exit status is 1
if any child failed, so CI notices a benchmark that rotted; nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from barenet._files import atomic_write

from . import augment, cnn, preprocess, report, serving, sklearn_fit
from .frameworks import OPTIONAL, RUNNERS, available
from .report import THREAD_VARIABLES
from .workloads import TIME_TO_ACCURACY, WORKLOADS, Workload

ROOT = Path(__file__).resolve().parent.parent
STARTUP_REPEATS = 7
SMOKE_WORKLOADS = ("784-16-10/64/sgd", "784-128-10/64/adam")
TTA_FRAMEWORKS = ("barenet", "numpy", "torch", "sklearn")
DEFAULT_THREADS_FRAMEWORKS = ("barenet", "numpy", "torch")
DEFAULT_THREADS_WORKLOADS = ("784-16-10/64/sgd", "784-128-10/64/sgd", "784-128-10/64/adam")
"""Also run with each library's own thread count, to show what the thread limit changes."""


def child_env(threads: str) -> dict[str, str]:
    """This environment with every BLAS/OpenMP thread count set to ``threads``, or as it is
    for ``"default"`` (each library picks: here, one thread per core)."""
    env = dict(os.environ)
    if threads != "default":
        env.update({name: threads for name in THREAD_VARIABLES})
    return env


def machine_info() -> dict[str, Any]:
    """CPU, cores, Python, NumPy and its BLAS (and thread pools, if threadpoolctl is there)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{config.get('name')} {config.get('version')}"
        if config.get("openblas configuration"):
            blas += f" ({config['openblas configuration']})"
    except (KeyError, TypeError):
        pass
    pools = []
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            details = [pool.get("threading_layer"), pool.get("architecture")]
            extra = ", ".join(str(d) for d in details if d)
            pools.append(
                f"{pool.get('internal_api')} {pool.get('version')} ({extra}), "
                f"{pool.get('num_threads')} threads by default"
            )
    except ImportError:
        pools.append("threadpoolctl not installed: BLAS details unknown")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "threadpools": pools,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": _load(),
    }


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def startup_seconds() -> float:
    """Median wall-clock seconds of ``barenet --help`` in a fresh process."""
    exe = Path(sys.executable).with_name("barenet")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "barenet", "--help"]
    times = []
    for _ in range(STARTUP_REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_child(args: list[str], threads: str, timeout: float) -> dict[str, Any]:
    """Run ``benchmarks.child`` with ``args`` under the thread limit ``threads``; its JSON
    result, or ``{"error": ...}``."""
    cmd = [sys.executable, "-m", "benchmarks.child", *args, "--threads", threads]
    try:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=child_env(threads),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s: {shlex.join(cmd[1:])}"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"error": f"{shlex.join(cmd[1:])}: {tail[0]}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few hundred batches, for CI")
    parser.add_argument("--data", choices=("mnist", "synthetic"), default="mnist")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument(
        "--frameworks",
        default=",".join(RUNNERS),
        help=f"comma-separated subset of {','.join(RUNNERS)}",
    )
    parser.add_argument("--workloads", default=None, help="comma-separated, e.g. 784-16-10/64/sgd")
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per run")
    parser.add_argument("--no-tta", action="store_true", help="skip the time-to-accuracy runs")
    parser.add_argument("--no-sweeps", action="store_true", help="skip the sweep engine's part")
    parser.add_argument(
        "--threads",
        default="1",
        help="BLAS/OpenMP threads per framework process, or 'default' (default: 1)",
    )
    args = parser.parse_args(argv)

    if args.threads != "default" and not (args.threads.isdigit() and int(args.threads) > 0):
        parser.error(f"--threads must be a positive integer or 'default', got {args.threads!r}")
    frameworks = [f for f in args.frameworks.split(",") if f]
    unknown = sorted(set(frameworks) - set(RUNNERS))
    if unknown:
        parser.error(f"unknown frameworks {unknown}; choose from {sorted(RUNNERS)}")
    if args.workloads:
        workloads = [Workload.from_key(k) for k in args.workloads.split(",")]
    elif args.smoke:
        workloads = [Workload.from_key(k) for k in SMOKE_WORKLOADS]
    else:
        workloads = list(WORKLOADS)
    smoke = args.smoke
    out = args.out or (ROOT / "build" / "bench-smoke" if smoke else ROOT / "benchmarks")
    n_train = 6400 if smoke else None
    warmup, epochs = (1, args.epochs or 2) if smoke else (1, args.epochs or 3)
    target, max_epochs = (0.90, 2) if smoke else (0.98, 15)
    common = ["--data", args.data, "--warmup", str(warmup), "--epochs", str(epochs)]
    if n_train:
        common += ["--n-train", str(n_train)]
    timeout = 300.0 if smoke else 1800.0

    skipped = {
        f: f"`{OPTIONAL[f]}` is not installed (`pip install -e '.[bench]'` adds it)"
        for f in frameworks
        if not available(f)
    }
    frameworks = [f for f in frameworks if f not in skipped]
    given = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join([".venv/bin/python", "-m", "benchmarks.run", *given])
    data_label = {"mnist": "real MNIST", "synthetic": "synthetic data"}[args.data]
    results: dict[str, Any] = {
        "machine": machine_info(),
        "settings": {
            "command": command,
            "make": {(): "make bench", ("--smoke",): "make bench-smoke"}.get(tuple(given)),
            "data": f"{data_label}, {n_train or 60000:,} training and 10,000 test images",
            "data_short": data_label,
            "warmup": warmup,
            "epochs": epochs,
            "target_accuracy": target,
            "max_epochs": max_epochs,
            "tta_workload": TIME_TO_ACCURACY.key,
            "threads": args.threads,
        },
        "skipped": skipped,
        "versions": {},
        "train": [],
        "time_to_accuracy": [],
        "failures": [],
    }

    def record(result: dict[str, Any], into: str) -> None:
        if "error" in result:
            results["failures"].append(result["error"])
            print(f"  FAILED: {result['error']}", file=sys.stderr)
            return
        results["versions"].setdefault(result["framework"], result["version"])
        results[into].append(result)

    runs = [(w, fw, args.threads) for w in workloads for fw in frameworks]
    if args.threads != "default":
        # The smoke run only checks that this path works: one workload, barenet alone.
        default_workloads = SMOKE_WORKLOADS[:1] if smoke else DEFAULT_THREADS_WORKLOADS
        default_frameworks = ("barenet",) if smoke else DEFAULT_THREADS_FRAMEWORKS
        runs += [
            (w, fw, "default")
            for w in workloads
            if w.key in default_workloads
            for fw in frameworks
            if fw in default_frameworks
        ]
    for workload, fw, threads in runs:
        print(f"[bench] {workload.key:<22} {fw:<12} threads={threads:<8}", end=" ", flush=True)
        result = run_child(
            ["--framework", fw, "--workload", workload.key, *common], threads, timeout
        )
        record(result, "train")
        if "error" not in result:
            print(f"{result['median_epoch_seconds']:.3f} s/epoch", flush=True)
    if not args.no_tta:
        for fw in [f for f in TTA_FRAMEWORKS if f in frameworks]:
            print(f"[bench] time to {target:.0%}: {fw:<12}", end=" ", flush=True)
            tta_args = ["--task", "time-to-accuracy", "--target", str(target)]
            tta_args += ["--max-epochs", str(max_epochs)]
            result = run_child(
                ["--framework", fw, "--workload", TIME_TO_ACCURACY.key, *common, *tta_args],
                args.threads,
                timeout,
            )
            record(result, "time_to_accuracy")
            if "error" not in result:
                print(f"{result['seconds']:.2f} s, {result['epochs']} epochs", flush=True)
    if "sklearn" in frameworks:
        print("[bench] BarenetClassifier.fit vs MLPClassifier.fit", flush=True)
        results["sklearn_fit"] = sklearn_fit.run(smoke=smoke, data=args.data)
        if "error" in results["sklearn_fit"]:
            results["failures"].append(results["sklearn_fit"]["error"])
    results["augment"] = augment.run(child_env(args.threads), smoke=smoke)
    if "error" in results["augment"]:
        results["failures"].append(results["augment"]["error"])
    if not args.no_sweeps:
        from . import sweeps

        torch_tta = [r for r in results["time_to_accuracy"] if r["framework"] == "torch"]
        results["sweeps"] = sweeps.run(smoke=smoke, torch=torch_tta[0] if torch_tta else None)
    results["cnn"] = cnn.run(smoke, args.data)
    results["failures"] += results["cnn"].get("failures", [])
    results["startup_seconds"] = startup_seconds()
    for section in (preprocess, serving):  # issue 13's sections, each in its own module
        print(f"[bench] {section.NAME}", flush=True)
        results[section.NAME] = section.run(smoke=smoke)
        if "error" in results[section.NAME]:
            results["failures"].append(results[section.NAME]["error"])
    results["machine"]["load_after"] = _load()

    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "results.json", "w") as handle:
        json.dump(results, handle, indent=1)
    md, png = report.write(results, out)
    print(f"[bench] wrote {md}" + (f" and {png}" if png else ""))
    for target_name, measured, met in report.targets(results) + report.section_targets(results):
        verdict = "not measured" if met is None else ("met" if met else "MISSED")
        print(f"[bench] {verdict:>12}: {target_name}: {measured}")
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
