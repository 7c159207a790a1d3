import pytest

from sinelib import get_experiment
from sinelib.schedules import (
    STOP_BUDGET, STOP_CAP, STOP_STEPS, STOP_TARGET, learning_rate, stop_reason,
)

# 5.1: 0.005, times 0.1 every 250000 examples (5000 steps of 50).
DECAY_TABLE = [
    (0, 0.005), (249_950, 0.005), (250_000, 0.0005), (499_950, 0.0005),
    (500_000, 0.00005), (750_000, 0.000005),
]


@pytest.mark.parametrize("examples,rate", DECAY_TABLE)
def test_step_decay_table(examples, rate):
    assert learning_rate(get_experiment("5.1"), examples) == pytest.approx(rate, rel=1e-12)


@pytest.mark.parametrize("name", ["exp1", "exp3", "exp4", "exp5", "exp5-small"])
def test_constant_rate_elsewhere(name):
    exp = get_experiment(name)
    assert learning_rate(exp, 0) == learning_rate(exp, 10**7) == exp.learning_rate


def test_negative_examples_refused():
    with pytest.raises(ValueError, match="examples_seen"):
        learning_rate(get_experiment("exp3"), -1)


def test_budget_rule_without_target():
    exp = get_experiment("exp3")
    assert stop_reason(exp, 499_950, 0.1) is None
    assert stop_reason(exp, 500_000, 99.0) == "budget"
    assert stop_reason(exp, 500_000, None) == "budget"


def test_target_rule_keeps_going_past_the_budget():
    exp = get_experiment("exp5")  # at least 300000 examples and displayed loss <= 0.15
    assert stop_reason(exp, 299_950, 0.01) is None          # below target, budget not reached
    assert stop_reason(exp, 300_000, 0.15) == "target"      # both met
    assert stop_reason(exp, 300_000, 0.151) is None         # over target: keep going
    assert stop_reason(exp, 375_000, 0.138701) == "target"  # the original's stopping point
    assert stop_reason(exp, 1_499_950, 0.3) is None
    assert stop_reason(exp, 1_500_000, 0.3) == "cap"        # the safety cap
    assert stop_reason(exp, 1_500_000, float("nan")) == "cap"
    assert stop_reason(exp, 300_000, None) is None


def test_a_fixed_number_of_steps_replaces_the_original_rule():
    exp = get_experiment("exp6")  # batch 64: steps count Adam steps, not 50-example blocks
    assert stop_reason(exp, 299 * 64, None, steps=300) is None
    assert stop_reason(exp, 300 * 64, None, steps=300) == STOP_STEPS
    # Past the budget, below the target, at the cap: only the step count matters.
    assert stop_reason(exp, exp.cap_examples, 0.0, steps=10**9) is None
    assert stop_reason(exp, exp.cap_examples, 0.0) in (STOP_BUDGET, STOP_TARGET, STOP_CAP)


@pytest.mark.parametrize("steps", [0, -1, 2.5, "300", True])
def test_bad_step_counts_are_refused(steps):
    with pytest.raises(ValueError, match="steps"):
        stop_reason(get_experiment("exp3"), 0, None, steps=steps)
