"""Turn one run's raw results into ``results.md`` (tables, targets) and a PNG bar chart.

The raw results are a dict (also written as ``results.json``)::

    {"machine": {...}, "settings": {...}, "skipped": {framework: reason},
     "train": [child result, ...], "time_to_accuracy": [child result, ...],
     "startup_seconds": float, "failures": [str, ...]}
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from barenet._files import atomic_write

from . import augment, sklearn_fit
from .cnn import cnn_section
from .workloads import Workload

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

FRAMEWORKS = ("barenet", "numpy", "torch", "sklearn", "barenet-fit")
LABELS = {
    "barenet": "barenet",
    "numpy": "NumPy reference",
    "torch": "PyTorch",
    "sklearn": "scikit-learn",
    "barenet-fit": "barenet Model.fit",
}
PEERS = ("numpy", "torch", "sklearn")


def _by_workload(
    results: dict[str, Any], threads: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """{workload key: {framework: child result}} in the order the workloads ran, for the
    runs under the thread limit ``threads`` (default: the run's main setting)."""
    threads = threads or results["settings"]["threads"]
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results["train"]:
        if r["threads"] == threads:
            table.setdefault(r["workload"], {})[r["framework"]] = r
    return table


def _columns(results: dict[str, Any], threads: str | None = None) -> list[str]:
    threads = threads or results["settings"]["threads"]
    ran = {r["framework"] for r in results["train"] if r["threads"] == threads}
    return [f for f in FRAMEWORKS if f in ran]


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _ratio(
    peer: dict[str, Any] | None, mine: dict[str, Any] | None, key: str = "median_epoch_seconds"
) -> float | None:
    """The peer's figure over barenet's (above 1: barenet is faster); None if unmeasured."""
    if peer is None or mine is None or peer.get(key) is None or mine.get(key) is None:
        return None
    return float(peer[key] / mine[key])


def _speed_table(
    table: dict[str, dict[str, dict[str, Any]]], cols: list[str], key: str = "median_epoch_seconds"
) -> str:
    """Seconds per epoch of each framework (``key``), then barenet's speed-up on each peer."""
    peers = [p for p in PEERS if p in cols]
    header = ["workload"] + [LABELS[f] for f in cols] + [f"vs {LABELS[p]}" for p in peers]
    rows = []
    for name, by_fw in table.items():
        row = [Workload.from_key(name).label]
        row += [_fmt(by_fw[f].get(key) if f in by_fw else None, ".3f") for f in cols]
        row += [f"{_fmt(_ratio(by_fw.get(p), by_fw.get('barenet'), key), '.2f')}×" for p in peers]
        rows.append(row)
    return _table(header, rows)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _per_workload_table(
    results: dict[str, Any], cell: Callable[[dict[str, Any]], str], columns: list[str]
) -> str:
    rows = []
    for key, by_fw in _by_workload(results).items():
        w = Workload.from_key(key)
        label = w.label
        rows.append([label] + [cell(by_fw[f]) if f in by_fw else "—" for f in columns])
    return _table(["workload"] + [LABELS[f] for f in columns], rows)


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for each target of issue 7; None when unmeasured."""
    table = _by_workload(results)
    out: list[tuple[str, str, bool | None]] = []

    default = (
        _by_workload(results, "default") if results["settings"]["threads"] != "default" else {}
    )

    def speed_up(key: str, peer: str, at_least: float, target: str) -> None:
        """A speed-up target, judged on wall-clock seconds; CPU time and the default-threads
        run are shown beside it."""
        row, row_default = table.get(key, {}), default.get(key, {})
        ratio = _ratio(row.get(peer), row.get("barenet"))
        measured = f"{LABELS[peer]} / barenet = {_fmt(ratio, '.2f')}×"
        notes = []
        cpu = _ratio(row.get(peer), row.get("barenet"), "median_epoch_cpu_seconds")
        if cpu is not None:
            notes.append(f"CPU time: {cpu:.2f}×")
        both_default = _ratio(row_default.get(peer), row_default.get("barenet"))
        if both_default is not None:
            notes.append(f"both at default threads: {both_default:.2f}×")
        if notes:
            measured += f" ({'; '.join(notes)})"
        out.append((target, measured, None if ratio is None else ratio >= at_least))

    speed_up("784-16-10/64/sgd", "torch", 6, "784-16-10, batch 64, SGD: epoch ≤ 1/6 of PyTorch's")
    speed_up(
        "784-16-10/64/sgd",
        "numpy",
        1,
        "784-16-10, batch 64, SGD: no slower than the NumPy reference",
    )
    for opt in ("sgd", "adam"):
        key = f"784-128-10/64/{opt}"
        for peer in ("torch", "sklearn"):
            target = f"{Workload.from_key(key).label}: ≥ 2× faster than {LABELS[peer]}"
            speed_up(key, peer, 2, target)
    tta = next((r for r in results["time_to_accuracy"] if r["framework"] == "barenet"), None)
    target = results["settings"]["target_accuracy"]
    if tta is None:
        out.append((f"time to {target:.0%} test accuracy < 10 s", "not run", None))
    else:
        seconds = f"{tta['seconds']:.2f} s ({tta['epochs']} epochs)"
        out.append(
            (
                f"time to {target:.0%} test accuracy < 10 s",
                seconds if tta["reached"] else f"not reached in {seconds}",
                tta["reached"] and tta["seconds"] < 10,
            )
        )
    inference = table.get("784-128-10/64/sgd", {}).get("barenet")
    inference_default = default.get("784-128-10/64/sgd", {}).get("barenet")
    measured = f"{_fmt(inference and inference['inference_ms'], '.1f')} ms"
    if inference_default:
        measured += f" (default threads: {inference_default['inference_ms']:.1f} ms)"
    out.append(
        (
            "inference on the 10,000 test images (784-128-10) < 20 ms",
            measured,
            None if inference is None else inference["inference_ms"] < 20,
        )
    )
    peaks = [r["peak_rss_mb"] for r in results["train"] if r["framework"] == "barenet"]
    out.append(
        (
            "peak resident memory while training, any workload < 400 MB",
            f"{max(peaks):.0f} MB" if peaks else "not run",
            max(peaks) < 400 if peaks else None,
        )
    )
    if "sklearn_fit" in results:
        out.append(sklearn_fit.target(results["sklearn_fit"]))
    startup = results.get("startup_seconds")
    out.append(
        (
            "`barenet --help` < 0.3 s",
            f"{_fmt(startup, '.3f')} s",
            None if startup is None else startup < 0.3,
        )
    )
    return out


def _sections() -> tuple[Any, ...]:
    """The modules that add a section of their own: ``NAME`` (their key in the results),
    ``targets(result)`` and ``markdown(result)``."""
    from . import preprocess, serving

    return (preprocess, serving)


def section_targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    return [t for m in _sections() if m.NAME in results for t in m.targets(results[m.NAME])]


def markdown(results: dict[str, Any], chart_name: str | None) -> str:
    m, s = results["machine"], results["settings"]
    cols = _columns(results)
    default = _by_workload(results, "default") if s["threads"] != "default" else {}
    buf = io.StringIO()

    def w(text: str = "") -> None:
        buf.write(text + "\n")

    w("# barenet benchmark results")
    w()
    how = f"`{s['make']}` (`{s['command']}`)" if s.get("make") else f"`{s['command']}`"
    w(f"Produced by {how} on {m['date']}. Every figure below comes from this one run.")
    w()
    w(f"- CPU: {m['cpu']}, {m['cores']} cores; load average {m['load_before']} before the run,")
    w(f"  {m['load_after']} after (the machine is shared: compare ratios, not seconds)")
    w(f"- Python {m['python']}, NumPy {m['numpy']}, BLAS: {m['blas']}")
    for pool in m.get("threadpools", []):
        w(f"- BLAS thread pool: {pool}")
    versions = ", ".join(
        f"{LABELS[k]} {v}" for k, v in results["versions"].items() if k != "barenet-fit"
    )
    w(f"- versions: {versions}")
    for name, reason in results["skipped"].items():
        w(f"- **{LABELS[name]} skipped**: {reason}")
    w(f"- data: {s['data']}")
    w(
        f"- each framework runs in its own process: {s['warmup']} warm-up epoch(s), then "
        f"{s['epochs']} timed epochs; the figure is their median"
    )
    effective = sorted(
        {str(r["blas_threads"]) for r in results["train"] if r["threads"] == s["threads"]}
    )
    if s["threads"] == "default":
        w("- threads: each library's default (one per core)")
    else:
        w(
            f"- threads: every process limited to {s['threads']} BLAS/OpenMP thread(s) "
            f"({', '.join(THREAD_VARIABLES)}), peers and barenet alike (NumPy's BLAS "
            f"reported {'/'.join(effective)} in each); the table *Default threads* shows the "
            "libraries left to their own thread counts"
        )
    w(
        "- same initial weights (He-uniform, zero biases), same batch order (one "
        "permutation per epoch from one seeded generator), same hyperparameters "
        "(SGD lr 0.1 without momentum; Adam lr 1e-3, betas 0.9/0.999, eps 1e-8; no weight "
        "decay), ReLU hidden layers, softmax cross-entropy, float32"
    )
    for failure in results.get("failures", []):
        w(f"- **failed**: {failure}")
    w()

    w("## Targets (issue 7)")
    w()
    rows = []
    for target, measured, met in targets(results):
        verdict = "not measured" if met is None else ("**met**" if met else "**missed**")
        rows.append([target, measured, verdict])
    w(_table(["target", "measured", "verdict"], rows))
    w()

    w("## Seconds per epoch (median) and barenet's speed-up")
    w()
    w("Speed-up = peer's seconds per epoch / barenet's (above 1: barenet is faster).")
    w()
    table = _by_workload(results)
    w(_speed_table(table, cols))
    w()
    if chart_name:
        w(f"![seconds per epoch]({chart_name})")
        w()
    if s["threads"] != "default":
        w("## CPU seconds per epoch (median) and barenet's speed-up")
        w()
        w(
            "The CPU time each single-threaded process spent on its epochs: unlike wall-clock "
            "time, it does not grow while another process holds the core, so these ratios "
            "move less from run to run (the Trainer reports wall-clock time only)."
        )
        w()
        w(_speed_table(table, cols, "median_epoch_cpu_seconds"))
        w()

    if default:
        w("## Default threads")
        w()
        w(
            "Seconds per epoch of the same runs with every library left to choose its own "
            "thread count (one per core). On a machine whose other core is busy, a "
            "multi-threaded matrix product waits for a thread that is not running, which can "
            "cost milliseconds per call, so these figures depend mostly on what else runs; "
            "compare with the first table."
        )
        w()
        w(_speed_table(default, _columns(results, "default")))
        w()

    w("## Same start, same batches: test accuracy after training")
    w()
    n_epochs = s["warmup"] + s["epochs"]
    w(
        f"Test accuracy after the {n_epochs} epochs above. Identical start and batch order "
        "make every framework compute the same thing, so these agree to rounding: a check "
        "that the comparison is fair."
    )
    w()
    w(_per_workload_table(results, lambda r: f"{r['test_accuracy']:.4f}", cols))
    w()

    w("## Peak resident memory while training (MB)")
    w()
    w(
        "High-water mark of the training process's resident memory, reset after the data is "
        "loaded, so it includes the float32 images (188 MB for the 60,000 training images) "
        "and each library's own import."
    )
    w()
    w(_per_workload_table(results, lambda r: f"{r['peak_rss_mb']:.0f}", cols))
    w()

    w("## Inference on the 10,000 test images (ms)")
    w()
    w("Median of 7 calls of each framework's predict (class ids), after one warm-up call.")
    w()
    rows = []
    for key, by_fw in table.items():
        wl = Workload.from_key(key)
        if wl.batch_size == 64 and wl.optimizer == "sgd":
            inf_cols = [f for f in cols if f != "barenet-fit"]
            rows.append(
                [wl.arch]
                + [_fmt(by_fw[f]["inference_ms"], ".1f") if f in by_fw else "—" for f in inf_cols]
            )
    inf_cols = [f for f in cols if f != "barenet-fit"]
    w(_table(["network"] + [LABELS[f] for f in inf_cols], rows))
    w()

    tta_w = Workload.from_key(s["tta_workload"])
    w(f"## Time to {s['target_accuracy']:.0%} test accuracy")
    w()
    w(
        f"{tta_w.arch}, Adam lr {tta_w.lr:g}, batch {tta_w.batch_size}; the test accuracy is "
        f"measured after each epoch (not timed); training seconds until it first reaches "
        f"{s['target_accuracy']:.0%} (at most {s['max_epochs']} epochs)."
    )
    w()
    rows = []
    for r in results["time_to_accuracy"]:
        curve = " ".join(f"{a:.4f}" for a in r["curve"])
        reached = "yes" if r["reached"] else "no"
        rows.append(
            [LABELS[r["framework"]], f"{r['seconds']:.2f}", str(r["epochs"]), reached, curve]
        )
    w(_table(["framework", "seconds", "epochs", "reached", "test accuracy per epoch"], rows))
    w()

    if "sklearn_fit" in results:
        w(sklearn_fit.markdown(results["sklearn_fit"]))
    if "augment" in results:
        w(augment.markdown(results["augment"]))
    if "sweeps" in results:
        from . import sweeps

        w("\n".join(sweeps.markdown(results["sweeps"])))

    w("## Start-up")
    w()
    w(f"`barenet --help`: {_fmt(results.get('startup_seconds'), '.3f')} s (median of 7 runs).")
    for section in _sections():
        if section.NAME in results:
            w()
            w(section.markdown(results[section.NAME]))
    return buf.getvalue()


def chart(results: dict[str, Any], path: Path) -> None:
    """Grouped horizontal bars: seconds per epoch of each framework on each workload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _by_workload(results)
    cols = _columns(results)
    keys = list(table)
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.6 * len(keys) * max(1, len(cols)) / 3))
    height = 0.8 / max(1, len(cols))
    for j, fw in enumerate(cols):
        ys = [i + j * height for i in range(len(keys))]
        xs = [table[k][fw]["median_epoch_seconds"] if fw in table[k] else 0.0 for k in keys]
        ax.barh(ys, xs, height=height, label=LABELS[fw])
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(keys))])
    ax.set_yticklabels([Workload.from_key(k).label for k in keys])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds per epoch (median, log scale; shorter is faster)")
    threads = results["settings"]["threads"]
    per_process = "default threads" if threads == "default" else f"{threads} thread(s) each"
    ax.set_title(
        f"Training on {results['settings']['data_short']}, {per_process}, "
        f"{results['machine']['cores']} cores"
    )
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    with atomic_write(path) as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path | None]:
    """Write ``results.md`` and, when anything was trained, ``results.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png: Path | None = out_dir / "results.png" if results["train"] else None
    if png is not None:
        chart(results, png)
    md = out_dir / "results.md"
    text = markdown(results, png.name if png else None)
    if "cnn" in results:
        text += "\n" + cnn_section(results["cnn"])
    with atomic_write(md, "w") as handle:
        handle.write(text)
    return md, png


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report again from a run's ``results.json`` (after changing this file)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", type=Path, help="results.json of a run")
    args = parser.parse_args(argv)
    md, _ = write(json.loads(args.results.read_text()), args.results.parent)
    print(f"wrote {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
