"""The benchmark never rots: its smoke mode (``make bench-smoke``) runs end to end on the real
MNIST, every framework computes the same thing from the same start, and the report judges
the targets from the numbers it is given. Nothing here asserts anything about time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchmarks import report
from benchmarks.frameworks import OPTIONAL, available
from benchmarks.workloads import SEED, Workload, batch_slices, epoch_orders

from barenet.data import Batches

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.mnist
def test_smoke_benchmark_runs_end_to_end(tmp_path, mnist_cache):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["failures"] == []

    installed = {"barenet", "barenet-fit", "numpy"} | {p for p in OPTIONAL if available(p)}
    main = [r for r in results["train"] if r["threads"] == "1"]
    for key in ("784-16-10/64/sgd", "784-128-10/64/adam"):
        runs = {r["framework"]: r for r in main if r["workload"] == key}
        assert set(runs) == installed
        for r in runs.values():
            assert len(r["epoch_seconds"]) == 2 and min(r["epoch_seconds"]) > 0
            assert r["peak_rss_mb"] > 50 and r["inference_ms"] > 0
        # Same initial weights and batches: every framework ends at the same test accuracy
        # (up to float rounding, and scikit-learn's slightly different Adam bias correction).
        accuracies = [r["test_accuracy"] for r in runs.values()]
        assert max(accuracies) - min(accuracies) < 0.01, runs
        assert min(accuracies) > 0.5  # 300 batches of real MNIST learn something
    assert {r["framework"] for r in results["time_to_accuracy"]} == installed - {"barenet-fit"}
    assert results["startup_seconds"] > 0
    if available("sklearn"):
        # BarenetClassifier.fit against MLPClassifier.fit, each in its own process.
        fits = results["sklearn_fit"]
        assert fits["barenet"]["epochs"] == fits["sklearn"]["epochs"] == 1
        assert min(fits["barenet"]["test_accuracy"], fits["sklearn"]["test_accuracy"]) > 0.5
        assert fits["speed_up"] > 0

    text = (tmp_path / "results.md").read_text()
    # The CNN workload: barenet always, PyTorch when installed, from the same start and batches.
    cnn = results["cnn"]["runs"]
    assert "## CNN" in text and cnn["barenet"]["peak_rss_mb"] > 50
    assert ("torch" in cnn) == available("torch")
    if "torch" in cnn:
        assert abs(cnn["barenet"]["test_accuracy"] - cnn["torch"]["test_accuracy"]) < 0.01, cnn
        assert results["cnn"]["ratios"]["train"] > 0
    for heading in ("## Targets", "## Seconds per epoch", "## Peak resident memory", "## Start-up"):
        assert heading in text
    assert ("`BarenetClassifier.fit` vs `MLPClassifier.fit`" in text) == available("sklearn")
    for peer in OPTIONAL:
        # A peer that is not installed is reported as skipped, with the reason; one that is
        # installed is measured, never reported as skipped.
        skipped = f"{report.LABELS[peer]} skipped**" in text
        assert skipped != available(peer), (peer, available(peer))
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_barenet_batches_follow_the_order_every_framework_uses():
    n, batch = 1000, 64
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    y = np.arange(n)
    batches = Batches(x, y, batch, rng=SEED)
    orders = epoch_orders(n)
    for _ in range(2):
        order = next(orders)
        drawn = [yb.copy() for _, yb in batches]
        expected = [order[s] for s in batch_slices(n, batch)]
        assert len(drawn) == len(expected) == 16
        for got, want in zip(drawn, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def _result(framework: str, workload: str, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "framework": framework,
        "workload": workload,
        "threads": "1",
        "median_epoch_seconds": seconds,
        "inference_ms": 10.0,
        "peak_rss_mb": 300.0,
        **extra,
    }


def test_targets_are_judged_from_the_measured_ratios():
    results = {
        "settings": {"threads": "1", "target_accuracy": 0.98},
        "train": [
            _result("barenet", "784-16-10/64/sgd", 1.0),
            _result("torch", "784-16-10/64/sgd", 7.0),
            _result("numpy", "784-16-10/64/sgd", 0.9),
            _result("barenet", "784-128-10/64/sgd", 1.0, inference_ms=25.0, peak_rss_mb=450.0),
            _result("torch", "784-128-10/64/sgd", 1.5),
        ],
        "time_to_accuracy": [
            {"framework": "barenet", "seconds": 9.0, "epochs": 5, "reached": True, "curve": []}
        ],
        "startup_seconds": 0.1,
    }
    verdicts = [met for _, _, met in report.targets(results)]
    # 1/6 of PyTorch: met (7×); no slower than NumPy: missed (0.9×); 784-128-10 SGD vs
    # PyTorch: missed (1.5×), vs scikit-learn and both Adam rows: not measured; 98% in 9 s:
    # met; inference 25 ms: missed; 450 MB: missed; start-up 0.1 s: met.
    assert verdicts == [True, False, False, None, None, None, True, False, False, True]


def test_workload_keys_round_trip_and_bad_ones_are_refused():
    for key in ("784-16-10/64/sgd", "784-256-128-10/256/adam", "784-256-10/256/adam/0.003"):
        assert Workload.from_key(key).key == key
    assert Workload.from_key("784-256-10/256/adam/0.003").lr == 0.003
    assert Workload.from_key("784-16-10/64/sgd").lr == 0.1
    for bad in ("784-16-10/64", "784-16-10/64/rmsprop", "784/64/sgd", "784-x-10/64/sgd"):
        with pytest.raises(ValueError, match="bad workload"):
            Workload.from_key(bad)
