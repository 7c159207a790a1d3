"""check_step_decay accepts the step decay and names the usual mistakes."""

import math

from sinelib.exercises.small_state_step_decay import check_step_decay


def test_accepts_the_step_decay():
    feedback = check_step_decay(lambda examples, base, factor, every:
                                base * factor ** (examples // every))
    assert feedback.ok and feedback and "Correct" in str(feedback)


def test_rejects_the_starter_that_never_decays():
    feedback = check_step_decay(lambda examples, base, factor, every: base)
    assert not feedback.ok
    assert "at 250000 examples" in feedback.message and "expected 0.0005, got 0.005" \
        in feedback.message and "decay is missing" in feedback.message


def test_names_a_smooth_exponential_decay():
    feedback = check_step_decay(lambda examples, base, factor, every:
                                base * factor ** (examples / every))
    assert not feedback.ok and "at 1 examples" in feedback.message
    assert "smooth exponential decay" in feedback.message


def test_names_a_step_one_display_late():
    feedback = check_step_decay(lambda examples, base, factor, every:
                                base * factor ** max(0, math.ceil(examples / every) - 1))
    assert not feedback.ok and "AT each multiple" in feedback.message


def test_names_rounding_and_reports_errors_without_raising():
    rounded = check_step_decay(lambda examples, base, factor, every:
                               base * factor ** round(examples / every))
    assert not rounded.ok and "round down" in rounded.message
    broken = check_step_decay(lambda examples, base, factor, every: 1 / 0)
    assert not broken.ok and "ZeroDivisionError" in broken.message
    assert not check_step_decay(0.005).ok
