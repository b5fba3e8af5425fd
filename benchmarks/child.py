"""Run one framework on one workload in this process and print the result as one JSON line.

``run.py`` starts one of these per (framework, workload), so each peak resident memory
belongs to one framework alone and no framework warms another's caches. For example::

    python -m benchmarks.child --framework barenet --workload 784-16-10/64/sgd --epochs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .frameworks import RUNNERS, Runner
from .workloads import Data, Workload, epoch_orders, load_data

INFERENCE_REPEATS = 7


def _status_mb(field: str) -> float | None:
    """A memory figure (``VmRSS``, ``VmHWM``) of this process from /proc, in MB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Restart the kernel's high-water mark of resident memory (Linux ≥ 4.0), so the peak
    measured afterwards belongs to training, not to loading the data or importing libraries."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb(reset: bool) -> float:
    """Peak resident memory since ``reset_peak_rss`` (or since start if that failed)."""
    hwm = _status_mb("VmHWM") if reset else None
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    rss = _status_mb("VmRSS")
    return rss if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def accuracy(runner: Runner, data: Data) -> float:
    return float(np.mean(runner.predict(data.x_test) == data.y_test))


def inference_ms(runner: Runner, x: np.ndarray) -> float:
    """Median wall-clock milliseconds to predict the classes of ``x``, after a warm-up call."""
    runner.predict(x)
    times = []
    for _ in range(INFERENCE_REPEATS):
        start = time.perf_counter()
        runner.predict(x)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def run_train(runner: Runner, data: Data, warmup: int, epochs: int) -> dict[str, Any]:
    """Epoch times (warm-up epochs run first and are reported apart), peak memory, test
    accuracy after training and inference time on the test images."""
    rss_before = current_rss_mb()
    reset = reset_peak_rss()
    orders = epoch_orders(len(data.x_train))
    warm = runner.timed_epochs(orders, warmup)[0] if warmup else []
    seconds, cpu = runner.timed_epochs(orders, epochs)
    peak = peak_rss_mb(reset)
    return {
        "warmup_seconds": warm,
        "epoch_seconds": seconds,
        "median_epoch_seconds": statistics.median(seconds),
        "epoch_cpu_seconds": cpu,
        "median_epoch_cpu_seconds": None if cpu is None else statistics.median(cpu),
        "final_loss": runner.last_loss,
        "test_accuracy": accuracy(runner, data),
        "inference_ms": inference_ms(runner, data.x_test),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "peak_is_training_only": reset,
    }


def run_time_to_accuracy(
    runner: Runner, data: Data, target: float, max_epochs: int
) -> dict[str, Any]:
    """Train epoch by epoch, testing after each (the test pass is not timed), until the test
    accuracy reaches ``target``: the training seconds spent (wall and, when measurable, this
    process's CPU seconds) and the epochs it took."""
    orders = epoch_orders(len(data.x_train))
    spent, curve = 0.0, []
    spent_cpu: float | None = 0.0
    for _ in range(max_epochs):
        seconds, cpu = runner.timed_epochs(orders, 1)
        spent += seconds[0]
        spent_cpu = None if cpu is None or spent_cpu is None else spent_cpu + cpu[0]
        curve.append(accuracy(runner, data))
        if curve[-1] >= target:
            break
    return {
        "seconds": spent,
        "cpu_seconds": spent_cpu,
        "epochs": len(curve),
        "reached": curve[-1] >= target,
        "curve": curve,
    }


def blas_threads() -> int | None:
    """Threads of the BLAS NumPy loaded (None without threadpoolctl to ask)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", required=True, choices=sorted(RUNNERS))
    parser.add_argument("--workload", required=True, help="e.g. 784-16-10/64/sgd")
    parser.add_argument("--task", choices=("train", "time-to-accuracy"), default="train")
    parser.add_argument("--data", choices=("mnist", "synthetic"), default="mnist")
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument(
        "--threads",
        default="default",
        help="the thread limit the parent put in this process's environment (recorded only)",
    )
    args = parser.parse_args(argv)

    workload = Workload.from_key(args.workload)
    data = load_data(args.data, args.n_train)
    runner = RUNNERS[args.framework](workload, data)
    result: dict[str, Any] = {
        "framework": args.framework,
        "version": runner.version(),
        "workload": workload.key,
        "task": args.task,
        "threads": args.threads,
        "blas_threads": blas_threads(),
    }
    if args.task == "train":
        result.update(run_train(runner, data, args.warmup, args.epochs))
    else:
        result.update(run_time_to_accuracy(runner, data, args.target, args.max_epochs))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
