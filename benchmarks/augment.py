"""Augmentation alone against the training it feeds: seconds per epoch of 50,000 digits.

Each augmentation of ``barenet.train.augment`` distorts one epoch of 50,000 28×28 digits
(the ``best`` recipe's training set) in batches of 128, as the trainer calls it; beside it, a
training epoch of the ``best`` recipe's network (784-800-800-10 ReLU, dropout, Adam, batch
128) is timed on the same batches in the same process, so the share of the epoch spent on
augmentation is a ratio from one run on one machine, not an absolute time. Image content does
not change the work, so the digits are uniform noise (no download). ::

    python -m benchmarks.augment            # prints a table
    python -m benchmarks.augment --json     # one JSON line (what benchmarks.run records)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from barenet.nn import get_optimizer
from barenet.train import Model
from barenet.train.augment import Augmentation

ROOT = Path(__file__).resolve().parent.parent
CONFIGS: dict[str, Any] = {
    '"shift" (2 px)': "shift",
    "rotate 10°, scale 10%": {"rotate": 10, "scale": 0.1},
    "elastic α=34, σ=4": {"elastic": {"alpha": 34, "sigma": 4}},
    "all (the best recipe)": {
        "shift": 2,
        "rotate": 10,
        "scale": 0.1,
        "elastic": {"alpha": 34, "sigma": 4},
    },
}
BATCH = 128


def measure(n: int = 50_000, train_batches: int = 60, seed: int = 0) -> dict[str, Any]:
    """Seconds to augment ``n`` digits per configuration, and a training epoch of ``n``
    digits extrapolated from ``train_batches`` timed batches (after one warm-up batch)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    batches = [slice(i, i + BATCH) for i in range(0, n, BATCH)]
    seconds = {}
    for name, config in CONFIGS.items():
        augment = Augmentation.from_config(config).for_input((784,))
        augment(x[:BATCH], rng)
        start = time.perf_counter()
        for s in batches:
            augment(x[s], rng)
        seconds[name] = time.perf_counter() - start
    model = Model.from_sizes(
        [784, 800, 800, 10], activation="relu", output_activation="softmax", dropout=0.1, seed=0
    )
    optimizer = get_optimizer({"name": "adam", "lr": 0.001}, model.parameters())
    timed = batches[: train_batches + 1]
    start = 0.0
    for i, s in enumerate(timed):
        if i == 1:
            start = time.perf_counter()
        model.backprop(x[s], y[s], "cross_entropy")
        optimizer.step()
    train_epoch = (time.perf_counter() - start) / (len(timed) - 1) * len(batches)
    return {"n": n, "batch_size": BATCH, "augment_seconds": seconds, "train_epoch": train_epoch}


def run(env: dict[str, str], smoke: bool = False, timeout: float = 900.0) -> dict[str, Any]:
    """``measure`` in a child process with environment ``env`` (the benchmark's thread limit);
    its result, or ``{"error": ...}``."""
    cmd = [sys.executable, "-m", "benchmarks.augment", "--json"] + (["--smoke"] if smoke else [])
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"benchmarks.augment timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"error": f"benchmarks.augment: {tail[0]}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def markdown(result: dict[str, Any]) -> str:
    """The report's section: one row per augmentation."""
    if "error" in result:
        return f"## Augmentation\n\nNot measured: {result['error']}\n"
    train = result["train_epoch"]
    lines = [
        "## Augmentation",
        "",
        f"Seconds to augment one epoch of {result['n']:,} digits (batches of "
        f"{result['batch_size']}), beside a training epoch of the `best` recipe's network on "
        f"the same number of digits ({train:.1f} s, extrapolated from timed batches) in the "
        "same process. `benchmarks/augment.py` explains the set-up.",
        "",
        "| augmentation | seconds per epoch | share of the training epoch |",
        "|---|---|---|",
    ]
    for name, seconds in result["augment_seconds"].items():
        lines.append(f"| {name} | {seconds:.2f} | {seconds / train:.1%} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--smoke", action="store_true", help="2,560 digits, 5 training batches")
    args = parser.parse_args(argv)
    result = measure(2560, 5) if args.smoke else measure()
    print(json.dumps(result) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
