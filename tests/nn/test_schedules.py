"""Learning-rate schedules: values per epoch, validation, configs."""

import math

import pytest

from barenet.nn import SCHEDULES, get_schedule


def rates(spec, epochs, base=0.1):
    schedule = get_schedule(spec)
    return [schedule(e, base) for e in range(epochs)]


def test_constant():
    assert rates("constant", 4) == [0.1] * 4


def test_step():
    got = rates({"name": "step", "step_size": 2, "gamma": 0.5}, 6)
    assert got == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_exponential():
    got = rates({"name": "exponential", "gamma": 0.9}, 4)
    assert got == pytest.approx([0.1, 0.09, 0.081, 0.0729])


def test_cosine():
    got = rates({"name": "cosine", "total_epochs": 4, "min_lr": 0.01}, 6)
    # η_min + (η₀ − η_min)(1 + cos(π e/4))/2, held at η_min after the last epoch.
    half = 0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2
    assert got == pytest.approx([0.1, half, 0.055, 0.01 + 0.1 - half, 0.01, 0.01])


def test_warmup_then_constant():
    assert rates({"name": "warmup", "warmup_epochs": 4}, 6) == pytest.approx(
        [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    )


def test_warmup_then_cosine_starts_the_cosine_after_the_warmup():
    spec = {"name": "warmup", "warmup_epochs": 2, "after": {"name": "cosine", "total_epochs": 2}}
    assert rates(spec, 5) == pytest.approx([0.05, 0.1, 0.1, 0.05, 0.0])


@pytest.mark.parametrize(
    "spec",
    [
        "constant",
        {"name": "step", "step_size": 3, "gamma": 0.2},
        {"name": "exponential", "gamma": 0.5},
        {"name": "cosine", "total_epochs": 7, "min_lr": 0.001},
        {"name": "warmup", "warmup_epochs": 3, "after": {"name": "exponential", "gamma": 0.9}},
    ],
)
def test_config_round_trip(spec):
    schedule = get_schedule(spec)
    rebuilt = get_schedule(schedule.get_config())
    assert rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(e, 1.0) for e in range(10)] == [schedule(e, 1.0) for e in range(10)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "step", "step_size": 0}, "step_size must be a positive integer, got 0"),
        ({"name": "step", "gamma": 1.5}, "gamma must be a number > 0.0 and <= 1.0, got 1.5"),
        ({"name": "exponential", "gamma": 0}, "gamma must be a number > 0.0"),
        ({"name": "cosine", "total_epochs": 2.5}, "total_epochs must be a positive integer"),
        ({"name": "cosine", "total_epochs": 3, "min_lr": -1}, "min_lr must be a number >= 0.0"),
        ({"name": "warmup", "warmup_epochs": -1}, "warmup_epochs must be a positive integer"),
        ({"name": "cosine"}, "bad arguments for schedule 'cosine'"),
        ("linear", "unknown schedule 'linear'; valid names are 'constant', 'cosine'"),
    ],
)
def test_bad_schedules_raise(spec, message):
    with pytest.raises(ValueError, match=message):
        get_schedule(spec)


def test_every_schedule_is_registered():
    assert SCHEDULES.names() == ["constant", "cosine", "exponential", "step", "warmup"]
