"""What a sweep writes beside its run directories.

- ``sweep.csv``: one row per trial: parameters, seed, status, epochs, validation and test
  accuracy and loss, training, wall and CPU seconds, the worker, the error of a failed trial;
- ``summary.md``: each configuration's mean ± standard deviation over seeds, sorted by the
  validation metric; the chosen configuration and its test accuracy (reported, never used
  to choose); for halving, each rung and the epochs it cost against the full grid;
  (the plots beside them are drawn by ``barenet.app.sweep_plots``, above this layer);
- ``best.toml``: the chosen configuration's recipe, ready for ``barenet train --recipe``.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import tomli_w

from barenet._files import atomic_write

if TYPE_CHECKING:
    from .search import SweepResult

COLUMNS = (
    "trial",
    "config",
    "seed",
    "status",
    "epochs",
    "val_accuracy",
    "val_loss",
    "test_accuracy",
    "test_loss",
    "train_seconds",
    "seconds",
    "cpu_seconds",
    "worker",
    "error",
)


def value_text(value: Any) -> str:
    """A parameter value as a CSV cell or table entry (lists as TOML-like text)."""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _pm(values: Sequence[float | None], scale: float = 100.0, digits: int = 2) -> str:
    present = [v * scale for v in values if v is not None]
    if not present:
        return "—"
    m, s = mean_std(present)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def _write(path: Any, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text.encode())


def write_csv(result: SweepResult) -> None:
    keys = result.spec.swept
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([COLUMNS[0], COLUMNS[1], *keys, *COLUMNS[2:]])
    for r in result.records:
        row = {**r, "trial": r["name"]}
        cells = ["" if row.get(c) is None else row[c] for c in COLUMNS]
        params = [value_text(r["params"][k]) if k in r["params"] else "" for k in keys]
        writer.writerow([*cells[:2], *params, *cells[2:]])
    _write(result.out / "sweep.csv", buffer.getvalue())


def config_rows(result: SweepResult) -> list[dict[str, Any]]:
    """One entry per configuration: its params, records, epochs and scores, best first."""
    spec = result.spec
    rows = []
    for config in spec.configs:
        records = [r for r in result.records if r["config"] == config.index]
        if not records:
            continue
        ok = [r for r in records if r["status"] == "ok"]
        metric = [r[spec.metric] for r in ok if r.get(spec.metric) is not None]
        rows.append(
            {
                "config": config,
                "records": records,
                "ok": ok,
                "epochs": max((r["epochs"] for r in ok), default=0),
                "complete": len(ok) == len(records)
                and all(r["epochs"] >= config.epochs for r in ok),
                "score": statistics.mean(metric) if metric else None,
            }
        )

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        # Finished configurations first (halving's survivors), then by the metric.
        score = row["score"]
        missing = score is None
        best_first = 0.0 if missing else (-score if spec.maximize else score)
        stopped_at = 0 if row["complete"] else -row["epochs"]
        return (not row["complete"], stopped_at, missing, best_first)

    return sorted(rows, key=key)


def write_summary(result: SweepResult) -> None:
    spec = result.spec
    rows = config_rows(result)
    metric_name = spec.metric.replace("_", " ")
    lines = [
        f"# Sweep `{spec.name}`",
        "",
        f"Base recipe `{spec.base}`, {len(spec.configs)} configurations × "
        f"{len(spec.seeds)} seeds ({', '.join(map(str, spec.seeds))}), method `{spec.method}`, "
        f"chosen on {metric_name} (validation digits only; the test set plays no part).",
        "",
    ]
    if result.chosen is not None:
        chosen = next(r for r in rows if r["config"].index == result.chosen)
        test = _pm([r["test_accuracy"] for r in chosen["ok"]])
        params = chosen["config"].params
        what = ", ".join(f"{k} = {value_text(v)}" for k, v in params.items()) or "the base recipe"
        lines += [
            f"**Chosen: `{chosen['config'].label}`** ({what}): "
            f"validation accuracy {_pm([r['val_accuracy'] for r in chosen['ok']])} %, "
            f"test accuracy {test} % (reported for the chosen configuration only). "
            "Its recipe: `best.toml`.",
            "",
        ]
    else:
        lines += ["No configuration finished with every seed: nothing chosen.", ""]
    head = [
        "rank",
        "configuration",
        *spec.swept,
        "epochs",
        "seeds ok",
        "val accuracy %",
        "val loss",
    ]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, row in enumerate(rows, 1):
        config = row["config"]
        params = [value_text(config.params[k]) if k in config.params else "" for k in spec.swept]
        lines.append(
            "| "
            + " | ".join(
                [
                    str(rank),
                    f"`{config.label}`",
                    *params,
                    str(row["epochs"]),
                    f"{len(row['ok'])}/{len(row['records'])}",
                    _pm([r["val_accuracy"] for r in row["ok"]]),
                    _pm([r["val_loss"] for r in row["ok"]], scale=1.0, digits=4),
                ]
            )
            + " |"
        )
    failed = [r for r in result.records if r["status"] != "ok"]
    if failed:
        lines += ["", "Failed trials:", ""]
        lines += [f"- `{r['name']}`: {r['error']}" for r in failed]
    if result.rungs:
        lines += [
            "",
            "## Successive halving",
            "",
            f"Keep the best 1/{spec.eta} of each rung on {metric_name} (mean over seeds).",
            "",
            "| rung | epochs | configurations | continued |",
            "|---|---|---|---|",
        ]
        for k, rung in enumerate(result.rungs, 1):
            kept = ", ".join(f"c{c:02d}" for c in rung.promoted) or "— (last rung)"
            lines.append(f"| {k} | {rung.epochs} | {len(rung.scores)} | {kept} |")
        lines += [
            "",
            f"Epochs trained: {result.epochs_trained} (the full grid of every configuration "
            f"and seed: {result.grid_epochs}; {result.epochs_trained / result.grid_epochs:.0%}).",
        ]
    lines += ["", "Every trial: `sweep.csv`; run directories: `runs/`; plots: `plots/`.", ""]
    _write(result.out / "summary.md", "\n".join(lines))


def write_best(result: SweepResult) -> None:
    best = result.out / "best.toml"
    if result.chosen is None:
        best.unlink(missing_ok=True)
        return
    config = result.spec.configs[result.chosen]
    recipe = dict(config.recipe)
    recipe["name"] = f"{result.spec.name}-best"
    recipe["description"] = (
        f"Chosen by the sweep {result.spec.name!r} on {result.spec.metric} from base "
        f"{result.spec.base!r}: "
        + (", ".join(f"{k}={value_text(v)}" for k, v in config.params.items()) or "base")
    )
    recipe["train"] = {**recipe["train"], "seed": result.spec.seeds[0]}
    recipe.pop("expected", None)
    _write(best, tomli_w.dumps(recipe))


def write_results(result: SweepResult) -> None:
    write_csv(result)
    write_summary(result)
    write_best(result)
