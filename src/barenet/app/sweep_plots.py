"""A sweep's ``plots/<key>.png``: validation accuracy against each swept key, one point per
configuration with error bars of one standard deviation over its seeds.

Numbers go on a numeric axis (logarithmic when all positive and spread over a factor of 10
or more, as learning rates are); anything else (lists of widths, names) on a categorical one.
Under halving, configurations stopped before the full length are drawn hollow: their
accuracy is after fewer epochs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from barenet.app.plots import _pyplot, _save
from barenet.sweep.results import config_rows, mean_std, value_text

if TYPE_CHECKING:
    from pathlib import Path

    from barenet.sweep import SweepResult


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plot_sweep(result: SweepResult) -> list[Path]:
    plt = _pyplot()
    rows = [r for r in config_rows(result) if r["ok"]]
    folder = result.out / "plots"
    written = []
    for key in result.spec.swept:
        points = [
            (r["config"].params[key], [x["val_accuracy"] * 100 for x in r["ok"]], r["complete"])
            for r in rows
            if key in r["config"].params and all(x["val_accuracy"] is not None for x in r["ok"])
        ]
        if not points:
            continue
        numeric = all(_is_number(p[0]) for p in points)
        categories = sorted({value_text(p[0]) for p in points}) if not numeric else []
        fig, ax = plt.subplots(figsize=(6, 4))
        for value, accs, done in points:
            x = value if numeric else categories.index(value_text(value))
            mean, std = mean_std(accs)
            ax.errorbar(
                x,
                mean,
                yerr=std,
                fmt="o",
                color="C0",
                mfc="C0" if done else "none",
                capsize=3,
            )
        if numeric:
            values = [float(p[0]) for p in points]
            if min(values) > 0 and max(values) / min(values) >= 10:
                ax.set_xscale("log")
        else:
            ax.set_xticks(range(len(categories)), categories, rotation=30, ha="right")
        ax.set_xlabel(key)
        ax.set_ylabel("validation accuracy (%)")
        seeds = len(result.spec.seeds)
        note = ", hollow: stopped early by halving" if result.rungs else ""
        ax.set_title(f"{result.spec.name}: mean ± std over {seeds} seed(s){note}", fontsize=9)
        ax.grid(alpha=0.3)
        folder.mkdir(exist_ok=True)
        written.append(_save(fig, folder / f"{key.replace('.', '_')}.png"))
    return written
