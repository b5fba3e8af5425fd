"""Successive halving: the right configurations continue, from their checkpoints, exactly."""

from __future__ import annotations

import json

from barenet.sweep import load_spec, run_sweep
from barenet.sweep.search import promote, ranked, score_at
from barenet.train import Recipe, run_training

from ._helpers import assert_same_weights, write_recipe


def record(status="ok", accs=(0.5,)):
    return {"status": status, "history": [{"val_accuracy": a} for a in accs]}


def test_score_is_the_mean_over_seeds_at_that_epoch_and_none_if_any_seed_failed():
    assert score_at([record(accs=(0.2, 0.4)), record(accs=(0.3, 0.6))], "val_accuracy", 1) == 0.25
    assert score_at([record(accs=(0.2, 0.4)), record(accs=(0.3, 0.6))], "val_accuracy", 2) == 0.5
    assert score_at([record(accs=(0.2,)), record("failed", ())], "val_accuracy", 1) is None
    assert score_at([record(accs=(0.2,))], "val_accuracy", 2) is None


def sweep_nine_epoch_recipe(tmp_path, spec_text, client, data):
    """``spec_text`` over the 9-epoch tiny recipe, run on ``client``: (spec, result)."""
    write_recipe(tmp_path, epochs=9)
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(spec_text)
    spec = load_spec(spec_path)
    return spec, run_sweep(spec, tmp_path / "out", client, data=str(data), stream=None)


def test_promote_keeps_the_best_fraction_and_never_a_failed_configuration():
    scores = {0: 0.5, 1: 0.9, 2: None, 3: 0.7, 4: 0.9, 5: 0.1, 6: 0.2}
    assert ranked(scores, maximize=True) == [1, 4, 3, 0, 6, 5]
    assert promote(scores, eta=3, maximize=True) == [1, 3, 4]  # ceil(7 / 3) = 3
    assert promote(scores, eta=2, maximize=False) == [0, 3, 5, 6]  # the lowest four
    assert promote({0: None, 1: 0.3}, eta=3, maximize=True) == [1]


def test_halving_continues_the_best_configurations_to_the_end(
    tmp_path, synthetic_data, local_client
):
    spec, result = sweep_nine_epoch_recipe(
        tmp_path,
        'base = "tiny.toml"\n[grid]\n"optimizer.lr" = [0.0003, 0.001, 0.003]\n'
        '"model.hidden" = [[8], [16], [32]]\n[search]\nmethod = "halving"\nmin_epochs = 1\n',
        local_client,
        synthetic_data,
    )
    assert spec.rungs == [1, 3, 9]
    runs = result.out / "runs"

    def val_acc(config: int, epoch: int) -> float:
        name = f"{spec.configs[config].label}-seed0"
        lines = (runs / name / "metrics.jsonl").read_text().splitlines()
        return json.loads(lines[epoch - 1])["val_accuracy"]

    # Rung 1: all nine for one epoch; the best three (read back from the run directories)
    # continue. Rung 2: those three to three epochs; the best one goes on to nine.
    first = {c.index: val_acc(c.index, 1) for c in spec.configs}
    top3 = sorted(sorted(first, key=lambda c: (-first[c], c))[:3])
    assert [r.epochs for r in result.rungs] == [1, 3, 9]
    assert result.rungs[0].promoted == top3
    second = {c: val_acc(c, 3) for c in top3}
    winner = min(second, key=lambda c: (-second[c], c))
    assert result.rungs[1].promoted == [winner]
    assert result.chosen == winner
    epochs = {r["config"]: r["epochs"] for r in result.records}
    assert epochs == {
        c.index: 9 if c.index == winner else 3 if c.index in top3 else 1 for c in spec.configs
    }
    assert result.epochs_trained == 6 * 1 + 2 * 3 + 9 < result.grid_epochs / 3

    # The survivor, continued from checkpoints at 1 and 3 epochs, equals one run of 9.
    whole = run_training(
        Recipe.from_dict({**spec.configs[winner].recipe}),
        tmp_path / "whole",
        data_path=synthetic_data,
        stream=None,
    )
    assert_same_weights(
        runs / f"{spec.configs[winner].label}-seed0" / "model.npz", whole.model_path
    )
    assert "## Successive halving" in (result.out / "summary.md").read_text()


def test_choose_compares_each_configuration_at_its_own_length():
    from barenet.sweep.search import choose
    from barenet.sweep.spec import Config, SweepSpec

    configs = [
        Config(i, {"train.epochs": n}, {"train": {"epochs": n}}) for i, n in enumerate((2, 3))
    ]
    spec = SweepSpec("s", "base", [0], configs)
    short = {"config": 0, **record(accs=(0.5, 0.95))}
    long = {"config": 1, **record(accs=(0.5, 0.6, 0.9))}
    assert choose(spec, [short, long]) == 0
    halted = {"config": 1, **record(accs=(0.5, 0.99))}  # stopped before its 3 epochs
    assert choose(spec, [short, halted]) == 0
    assert choose(spec, [{"config": 0, **record("failed", ())}, halted]) is None


def test_halving_over_epochs_trains_and_scores_short_configurations_to_their_end(
    tmp_path, synthetic_data, local_client
):
    spec, result = sweep_nine_epoch_recipe(
        tmp_path,
        'base = "tiny.toml"\n[grid]\n"train.epochs" = [2, 9]\n"optimizer.lr" = [0.001, 0.003]\n'
        '[search]\nmethod = "halving"\nmin_epochs = 1\neta = 2\n',
        local_client,
        synthetic_data,
    )
    assert spec.rungs == [1, 2, 4, 8, 9]
    runs = result.out / "runs"

    def history(config: int) -> list[dict]:
        name = f"{spec.configs[config].label}-seed0"
        lines = (runs / name / "metrics.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    reached = {}
    for rung in result.rungs:
        for config, score in rung.scores.items():
            own = spec.configs[config].epochs
            # A 2-epoch configuration is scored at its end at every rung beyond 2 epochs.
            assert score == history(config)[min(rung.epochs, own) - 1]["val_accuracy"]
            reached[config] = min(rung.epochs, own)
    assert {r["config"]: r["epochs"] for r in result.records} == reached
    assert all(len(history(c)) == e for c, e in reached.items())
