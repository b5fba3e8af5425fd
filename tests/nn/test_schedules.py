"""Learning-rate schedules: values per epoch, validation, configs."""

import math
from itertools import pairwise

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
        {"name": "one_cycle", "total_epochs": 7, "anneal": "linear", "div_factor": 10},
        {"name": "one_cycle", "total_epochs": 4, "max_momentum": 0.95, "base_momentum": 0.85},
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
        ({"name": "one_cycle"}, "bad arguments for schedule 'one_cycle'"),
        ({"name": "one_cycle", "total_epochs": 0}, "total_epochs must be a positive integer"),
        ({"name": "one_cycle", "total_epochs": 3, "warmup_fraction": 1}, "must be below 1"),
        ({"name": "one_cycle", "total_epochs": 3, "warmup_fraction": 0}, "warmup_fraction"),
        ({"name": "one_cycle", "total_epochs": 3, "div_factor": 0.5}, "div_factor must be"),
        ({"name": "one_cycle", "total_epochs": 3, "anneal": "cos"}, "anneal must be one of"),
        ({"name": "one_cycle", "total_epochs": 3, "max_momentum": 0.9}, "give both"),
        (
            {"name": "one_cycle", "total_epochs": 3, "max_momentum": 0.8, "base_momentum": 0.9},
            "base_momentum <= max_momentum",
        ),
        ("linear", "unknown schedule 'linear'; valid names are 'constant', 'cosine'"),
    ],
)
def test_bad_schedules_raise(spec, message):
    with pytest.raises(ValueError, match=message):
        get_schedule(spec)


def test_every_schedule_is_registered():
    assert SCHEDULES.names() == [
        "constant",
        "cosine",
        "exponential",
        "one_cycle",
        "step",
        "warmup",
    ]


def cycle(steps_per_epoch=10, epochs=5, base=0.1, **settings):
    """The one-cycle's rate before every step of a run, as the trainer asks for it."""
    schedule = get_schedule({"name": "one_cycle", "total_epochs": epochs, **settings})
    positions = [e + b / steps_per_epoch for e in range(epochs) for b in range(steps_per_epoch)]
    return schedule, positions, [schedule(t, base) for t in positions]


@pytest.mark.parametrize("anneal", ["cosine", "linear"])
@pytest.mark.parametrize("warmup_fraction", [0.2, 0.3, 0.5])
def test_one_cycle_rises_to_the_peak_then_falls_to_a_small_fraction(anneal, warmup_fraction):
    schedule, _, got = cycle(anneal=anneal, warmup_fraction=warmup_fraction)
    peak = got.index(max(got))
    # 50 steps: the peak is the step at fraction p of the cycle, and it is the base rate.
    assert peak == round(50 * warmup_fraction)
    assert got[peak] == pytest.approx(0.1)
    assert got[0] == pytest.approx(0.1 / 25)
    assert all(a < b for a, b in pairwise(got[: peak + 1]))
    assert all(a > b for a, b in pairwise(got[peak:]))
    # The end of the cycle (the end of the last step) and beyond: η₀ / (div · final_div).
    assert schedule(5, 0.1) == pytest.approx(0.1 / 25 / 1e4)
    assert schedule(7.5, 0.1) == pytest.approx(0.1 / 25 / 1e4)
    assert got[-1] < 0.1 / 10  # the last of 50 steps, 2% before the end


def test_one_cycle_phases_have_the_documented_shape():
    schedule = get_schedule({"name": "one_cycle", "total_epochs": 4, "div_factor": 10})
    # p = 0.3: the peak at epoch 1.2; half-way up (s = 1/2) the cosine ramp is at the mean.
    assert schedule(0.6, 1.0) == pytest.approx((0.1 + 1.0) / 2)
    assert schedule(1.2, 1.0) == pytest.approx(1.0)
    end = 0.1 / 1e4
    assert schedule(1.2 + 1.4, 1.0) == pytest.approx((1.0 + end) / 2)
    linear = get_schedule(
        {"name": "one_cycle", "total_epochs": 4, "div_factor": 10, "anneal": "linear"}
    )
    # A quarter of the way up a line is a quarter of the rise (the cosine is below it).
    assert linear(0.3, 1.0) == pytest.approx(0.1 + 0.9 / 4)
    assert schedule(0.3, 1.0) < linear(0.3, 1.0)


def test_one_cycle_momentum_moves_against_the_rate():
    schedule, positions, got = cycle(max_momentum=0.95, base_momentum=0.85)
    momenta = [schedule.momentum(t) for t in positions]
    peak = got.index(max(got))
    assert momenta[0] == pytest.approx(0.95)
    assert momenta[peak] == pytest.approx(0.85) and min(momenta) == momenta[peak]
    assert schedule.momentum(5) == pytest.approx(0.95)
    assert all(a > b for a, b in pairwise(momenta[: peak + 1]))
    assert all(a < b for a, b in pairwise(momenta[peak:]))
    assert get_schedule({"name": "one_cycle", "total_epochs": 3}).momentum(1.0) is None
