"""The search: every configuration in full (grid, random), or successive halving.

Successive halving (``method = "halving"``, synchronous, as in Hyperband's inner loop and
ASHA): every configuration trains for ``min_epochs``; the best ``1/eta`` on the validation
metric (mean over seeds) continue from their checkpoints to ``min_epochs · eta`` epochs, and
so on until the survivors reach the recipe's full length. When ``train.epochs`` is swept,
the rungs run up to the longest configuration's length and a shorter configuration trains
(and is scored) to its own length at the rungs beyond it. Each rung waits for all its trials,
so which configurations continue depends only on their results, never on timing: a resumed
or re-run sweep makes the same choices. Continuing a trial from its checkpoint gives the same
bits as training it in one go, so a survivor's final run equals a plain ``barenet train``.
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .progress import Progress, plural
from .results import write_results
from .runner import Job, Runner
from .spec import Config, SweepSpec


@dataclass
class Rung:
    """One rung of halving: its epochs, each configuration's score there, who went on."""

    epochs: int
    scores: dict[int, float | None]
    promoted: list[int]


@dataclass
class SweepResult:
    spec: SweepSpec
    out: Path
    records: list[dict[str, Any]]
    rungs: list[Rung] = field(default_factory=list)
    chosen: int | None = None

    @property
    def epochs_trained(self) -> int:
        """Epochs over all trials (a continued trial counts each epoch once)."""
        return sum(r["epochs"] for r in self.records if r["status"] == "ok")

    @property
    def grid_epochs(self) -> int:
        """What training every configuration in full with every seed costs."""
        return sum(c.epochs for c in self.spec.configs) * len(self.spec.seeds)


def trial_name(config: Config, seed: int) -> str:
    return f"{config.label}-seed{seed}"


def budget(config: Config, epochs: int | None) -> int:
    """The epochs ``config`` trains to at a rung of ``epochs``: never beyond its own length
    (a configuration shorter than the rung is trained, and scored, in full)."""
    return config.epochs if epochs is None else min(epochs, config.epochs)


def jobs_for(spec: SweepSpec, configs: Sequence[Config], epochs: int | None = None) -> list[Job]:
    """One job per configuration and seed, to ``epochs`` (default: the configuration's own;
    see ``budget``)."""
    return [
        Job(trial_name(c, s), c.recipe, s, budget(c, epochs), c.index, c.params)
        for c in configs
        for s in spec.seeds
    ]


def score_at(records: Sequence[dict[str, Any]], metric: str, epoch: int) -> float | None:
    """The mean over seeds of ``metric`` after ``epoch`` epochs, or ``None`` if any seed
    failed or did not measure it."""
    values = []
    for record in records:
        history = record.get("history") or []
        if record["status"] != "ok" or len(history) < epoch:
            return None
        value = history[epoch - 1].get(metric)
        if value is None:
            return None
        values.append(float(value))
    return statistics.mean(values) if values else None


def ranked(scores: dict[int, float | None], maximize: bool) -> list[int]:
    """Configurations with a score, best first; ties go to the earlier configuration."""
    scored = [(c, s) for c, s in scores.items() if s is not None and math.isfinite(s)]
    return [c for c, s in sorted(scored, key=lambda cs: (-cs[1] if maximize else cs[1], cs[0]))]


def promote(scores: dict[int, float | None], eta: int, maximize: bool) -> list[int]:
    """The best ``ceil(n / eta)`` of the ``n`` configurations of a rung (at least one; failed
    configurations never continue), in their sweep order."""
    keep = max(1, math.ceil(len(scores) / eta))
    return sorted(ranked(scores, maximize)[:keep])


def _by_config(records: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    groups: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["config"], []).append(record)
    return groups


def choose(spec: SweepSpec, records: Sequence[dict[str, Any]]) -> int | None:
    """The configuration with the best mean validation metric over its seeds, among those
    trained to their full length with every seed (under halving: the survivors). The test
    set plays no part."""
    groups = _by_config(records)
    scores = {
        c.index: score_at(groups[c.index], spec.metric, c.epochs)
        for c in spec.configs
        if c.index in groups
    }
    best = ranked(scores, spec.maximize)
    return best[0] if best else None


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    client: Any,
    *,
    data: str | None = None,
    stream: TextIO | None = sys.stdout,
) -> SweepResult:
    """Run ``spec`` on ``client``'s cluster with run directories under ``out/runs/`` and
    write ``sweep.csv``, ``summary.md``, the plots and ``best.toml`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.toml").write_text(spec.text or f'base = "{spec.base}"\n')
    progress = Progress(stream, metric=spec.metric, maximize=spec.maximize)
    runner = Runner(client, out / "runs", data=data, progress=progress)
    result = SweepResult(spec, out, [])
    try:
        if spec.method != "halving":
            result.records = list(runner.run(jobs_for(spec, spec.configs)).values())
        else:
            latest: dict[str, dict[str, Any]] = {}
            alive = list(spec.configs)
            rungs = spec.rungs
            for k, epochs in enumerate(rungs):
                phase = (
                    f"rung {k + 1}/{len(rungs)} ({plural(len(alive), 'configuration')}, "
                    f"{plural(epochs, 'epoch')})"
                )
                records = runner.run(jobs_for(spec, alive, epochs), phase=phase)
                latest.update(records)
                groups = _by_config(list(records.values()))
                scores = {
                    c.index: score_at(groups[c.index], spec.metric, budget(c, epochs))
                    for c in alive
                }
                last = k == len(rungs) - 1
                promoted = [] if last else promote(scores, spec.eta, spec.maximize)
                result.rungs.append(Rung(epochs, scores, promoted))
                alive = [c for c in alive if c.index in promoted]
            result.records = sorted(latest.values(), key=lambda r: (r["config"], r["seed"]))
    finally:
        progress.close()
    result.chosen = choose(spec, result.records)
    write_results(result)
    return result
