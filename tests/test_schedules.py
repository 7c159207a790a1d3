import pytest

from sinelib import get_experiment
from sinelib.schedules import (
    STOP_BUDGET, STOP_CAP, STOP_STEPS, STOP_TARGET, learning_rate, stop_reason, update_rate,
)

# 5.1: 0.005, times 0.1 every 250000 examples (5000 steps of 50).
DECAY_TABLE = [
    (0, 0.005), (249_950, 0.005), (250_000, 0.0005), (499_950, 0.0005),
    (500_000, 0.00005), (750_000, 0.000005),
]


@pytest.mark.parametrize("examples,rate", DECAY_TABLE)
def test_step_decay_table(examples, rate):
    assert learning_rate(get_experiment("5.1"), examples) == pytest.approx(rate, rel=1e-12)


#: Updates counted from 1, as the original counts its steps, on each side of every step down:
#: the original computes update k's rate from k * batch_size before taking it.
BOUNDARY_UPDATES = {
    "exp5-1": [(4999, 0.005), (5000, 0.0005), (9999, 0.0005), (10_000, 0.00005)],
    "exp6": [(1, 0.005), (3906, 0.005), (3907, 0.0005), (7812, 0.0005), (7813, 0.00005),
             (11_718, 0.00005), (11_719, 0.000005)],
}


@pytest.mark.parametrize("name", list(BOUNDARY_UPDATES))
def test_the_rate_steps_down_at_the_originals_update(name):
    exp = get_experiment(name)
    for update, rate in BOUNDARY_UPDATES[name]:
        assert update_rate(exp, update) == pytest.approx(rate, rel=1e-12), (name, update)


def test_train_takes_each_update_at_its_rate(monkeypatch):
    """The loop asks for update k's rate before update k (steps counted from 1)."""
    from sinelib import schedules, training

    asked = []
    real = schedules.rate_schedule

    def spy(exp):
        rate = real(exp)

        def asking(update):
            asked.append(update)
            return rate(update)

        return asking

    monkeypatch.setattr(schedules, "rate_schedule", spy)
    tiny = get_experiment("exp5-1").replace(n_hidden=2, n_layers=1, n_out=3,
                                            decay_every_examples=50 * 150)
    result = training.train(tiny, steps=200, progress=False, heldout_size=5)
    assert asked == [1] + list(range(1, 201))  # the first row's rate, then one per update
    assert [row["learning_rate"] for row in result.history] == pytest.approx(
        [0.005, 0.005, 0.0005])  # rows 0, 100, 200: update 150 stepped down


@pytest.mark.parametrize("update", [0, -1, 2.5])
def test_update_numbers_count_from_one(update):
    with pytest.raises(ValueError, match="update"):
        update_rate(get_experiment("exp5-1"), update)


@pytest.mark.parametrize("name", ["exp1", "exp3", "exp4", "exp5", "exp5-small"])
def test_constant_rate_elsewhere(name):
    exp = get_experiment(name)
    assert learning_rate(exp, 0) == learning_rate(exp, 10**7) == exp.learning_rate


def test_negative_examples_refused():
    with pytest.raises(ValueError, match="examples"):
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
    assert stop_reason(exp, exp.cap_examples, 0.0) == STOP_TARGET


@pytest.mark.parametrize("steps", [0, -1, 2.5, "300", True])
def test_bad_step_counts_are_refused(steps):
    with pytest.raises(ValueError, match="steps"):
        stop_reason(get_experiment("exp3"), 0, None, steps=steps)
