"""The CNN workload: barenet's Conv2D/MaxPool2D against PyTorch on CPU, one thread each.

    python -m benchmarks.cnn            # full: one epoch of real MNIST per framework
    python -m benchmarks.cnn --smoke    # a few batches of synthetic images (CI)

The network is conv 5×5 1→32, ReLU, max-pool 2, conv 5×5 32→64, ReLU, max-pool 2, dense
1024→256 ReLU, dense 256→10 (softmax cross-entropy), batch 64, Adam (lr 1e-3), float32. Both
frameworks start from the same weights (He-uniform, drawn here; PyTorch's are the same arrays
transposed to its NCHW layout, and its first dense layer's rows permuted from its CHW flatten
order to barenet's HWC) and see the same batches in the same order. Each framework runs in its
own process (``--framework``) with one BLAS/OpenMP thread, and reports

* the seconds of one training epoch (``--batches`` mini-batches, after one warm-up batch),
* the seconds of inference on the 10,000 test images (best of three, in batches of 1,000),
* peak resident memory while training, and the test accuracy after that epoch.

``run.py`` calls ``run(smoke, data)`` after its own workloads and ``report.py`` shows
``cnn_section(results)``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

from .child import peak_rss_mb, reset_peak_rss
from .workloads import SEED, batch_slices, epoch_orders, load_data

SPEC = [
    {"type": "conv2d", "out": 32, "kernel": 5, "activation": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "out": 64, "kernel": 5, "activation": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "out": 256, "activation": "relu"},
    {"type": "dense", "out": 10, "activation": "softmax"},
]
BATCH, LR, INFER_BATCH = 64, 1e-3, 1000
TARGETS = {"train": 1.5, "inference": 1.5, "rss_mb": 1024.0}
"""At most 1.5× PyTorch's time for an epoch and for inference; under 1 GB peak while training."""


def initial_weights() -> list[np.ndarray]:
    """Conv kernels (k, k, C_in, C_out), dense W (in, out), biases zero; He-uniform."""
    rng = np.random.default_rng(SEED)
    shapes = [(5, 5, 1, 32), (5, 5, 32, 64), (1024, 256), (256, 10)]
    out = []
    for shape in shapes:
        fan_in = int(np.prod(shape[:-1]))
        limit = np.sqrt(6.0 / fan_in)
        out += [
            rng.uniform(-limit, limit, shape).astype(np.float32),
            np.zeros(shape[-1], np.float32),
        ]
    return out


class _Barenet:
    def __init__(self) -> None:
        from barenet.nn import Sequential, get_optimizer

        self.model = Sequential.from_spec(SPEC, input_shape=(28, 28, 1), seed=0)
        for p, value in zip(self.model.parameters(), initial_weights(), strict=True):
            p.value[...] = value
        self.opt = get_optimizer({"name": "adam", "lr": LR}, self.model.parameters())

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        self.model.backprop(x, y, "cross_entropy")
        self.opt.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [self.model.predict(x[i : i + INFER_BATCH]) for i in range(0, len(x), INFER_BATCH)]
        )


class _Torch:
    def __init__(self) -> None:
        import torch

        torch.set_num_threads(1)
        nn = torch.nn
        self.torch = torch
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 10),
        )  # fmt: skip
        w1, b1, w2, b2, w3, b3, w4, b4 = initial_weights()
        # Dense rows in barenet's (h, w, c) flatten order → torch's (c, h, w) order.
        w3_chw = w3.reshape(4, 4, 64, 256).transpose(2, 0, 1, 3).reshape(1024, 256)
        values = [
            w1.transpose(3, 2, 0, 1),
            b1,
            w2.transpose(3, 2, 0, 1),
            b2,
            w3_chw.T,
            b3,
            w4.T,
            b4,
        ]
        with torch.no_grad():
            for p, v in zip(self.model.parameters(), values, strict=True):
                p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        t = self.torch
        xb = t.from_numpy(x).reshape(-1, 1, 28, 28)
        self.opt.zero_grad()
        self.loss(self.model(xb), t.from_numpy(y)).backward()
        self.opt.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        t = self.torch
        with t.no_grad():
            xs = t.from_numpy(x).reshape(-1, 1, 28, 28)
            return t.cat(
                [
                    self.model(xs[i : i + INFER_BATCH]).argmax(1)
                    for i in range(0, len(x), INFER_BATCH)
                ]
            ).numpy()


def measure(framework: str, data_kind: str, batches: int | None) -> dict[str, Any]:
    """One framework in this process: epoch seconds, inference seconds, peak RSS, accuracy."""
    data = load_data(data_kind, n_train=None if data_kind == "mnist" else 6400)
    runner = _Barenet() if framework == "barenet" else _Torch()
    order = next(epoch_orders(len(data.x_train)))
    slices = batch_slices(len(order), BATCH)[: batches or None]
    # One warm-up batch (first-call allocations), not timed.
    idx = order[slices[0]]
    runner.step(data.x_train[idx], data.y_train[idx])
    reset = reset_peak_rss()
    start = time.perf_counter()
    for s in slices:
        idx = order[s]
        runner.step(data.x_train[idx], data.y_train[idx])
    train_seconds = time.perf_counter() - start
    rss = peak_rss_mb(reset)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        predicted = runner.predict(data.x_test)
        times.append(time.perf_counter() - start)
    return {
        "framework": framework,
        "batches": len(slices),
        "epoch_seconds": train_seconds,
        "inference_seconds": min(times),
        "peak_rss_mb": rss,
        "test_accuracy": float(np.mean(predicted == data.y_test)),
    }


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run(smoke: bool, data_kind: str = "mnist", batches: int | None = None) -> dict[str, Any]:
    """Each framework in its own one-thread process; ratios barenet / PyTorch. ``batches``
    limits the timed training to that many mini-batches (default: a whole epoch; 20 with
    ``smoke``, which also uses synthetic images)."""
    from .run import child_env

    data_kind = "synthetic" if smoke else data_kind
    batches = 20 if smoke and batches is None else batches
    limit = ["--batches", str(batches)] if batches else []
    results: dict[str, Any] = {
        "data": data_kind,
        "smoke": smoke,
        "batches": batches,
        "runs": {},
        "skipped": None,
    }
    frameworks = ["barenet"]
    if _torch_installed():
        frameworks.append("torch")
    else:
        results["skipped"] = "`torch==2.13.0` is not installed (`pip install -e '.[bench]'`)"
    for fw in frameworks:
        print(f"[bench] cnn {fw:<12}", end=" ", flush=True)
        cmd = [sys.executable, "-m", "benchmarks.cnn", "--framework", fw, "--data", data_kind]
        cmd += limit
        proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env("1"), check=False)
        if proc.returncode != 0:
            results.setdefault("failures", []).append(f"cnn {fw}: {proc.stderr.strip()[-500:]}")
            print("FAILED", flush=True)
            continue
        run_result = json.loads(proc.stdout.strip().splitlines()[-1])
        results["runs"][fw] = run_result
        epoch, infer = run_result["epoch_seconds"], run_result["inference_seconds"]
        print(f"{epoch:.1f} s/epoch, inference {infer:.2f} s", flush=True)
    ours, theirs = results["runs"].get("barenet"), results["runs"].get("torch")
    if ours and theirs:
        results["ratios"] = {
            "train": ours["epoch_seconds"] / theirs["epoch_seconds"],
            "inference": ours["inference_seconds"] / theirs["inference_seconds"],
        }
    return results


def cnn_section(results: dict[str, Any]) -> str:
    """The CNN part of ``results.md``."""
    lines = [
        "## CNN: conv5×5 32, pool, conv5×5 64, pool, dense 256, dense 10 (batch 64, Adam)",
        "",
        f"Data: {results['data']}, "
        f"{f'{n} batches' if (n := results.get('batches')) else 'one epoch'} of training; "
        "one thread per process, same initial weights and batches.",
        "",
        "| framework | epoch (s) | inference on 10,000 (s) | peak RSS training (MB) "
        "| test accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for fw, r in results["runs"].items():
        lines.append(
            f"| {fw} | {r['epoch_seconds']:.1f} | {r['inference_seconds']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['test_accuracy']:.2%} |"
        )
    if results.get("skipped"):
        lines += ["", f"PyTorch skipped: {results['skipped']}."]
    lines.append("")
    ours = results["runs"].get("barenet")
    for name, limit in TARGETS.items():
        if name == "rss_mb":
            if ours:
                met = ours["peak_rss_mb"] < limit
                lines.append(
                    f"- peak RSS while training < {limit:.0f} MB: {ours['peak_rss_mb']:.0f} MB, "
                    f"{'met' if met else 'MISSED'}"
                )
            continue
        ratio = results.get("ratios", {}).get(name)
        if ratio is None:
            lines.append(f"- {name} ≤ {limit}× PyTorch: not measured")
        else:
            verdict = "met" if ratio <= limit else "MISSED"
            lines.append(f"- {name} ≤ {limit}× PyTorch: {ratio:.2f}×, {verdict}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("barenet", "torch"), default=None)
    parser.add_argument("--data", choices=("mnist", "synthetic"), default="mnist")
    parser.add_argument("--batches", type=int, default=None, help="train on this many batches")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.framework:
        print(json.dumps(measure(args.framework, args.data, args.batches)))
        return 0
    results = run(args.smoke, args.data, args.batches)
    print(cnn_section(results))
    return 1 if results.get("failures") else 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
