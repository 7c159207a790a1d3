"""Notebook 03's exercise checks accept a right answer and name what is wrong in a wrong one."""

import numpy as np

from sinelib.exercises.memorising_1hz import check_seasonal_naive


def right(x, n_out, period):
    x = np.asarray(x)[:, :, 0]
    n_in = x.shape[1]
    return x[:, n_in - period + np.arange(n_out) % period]


def no_wrap(x, n_out, period):
    return np.asarray(x)[:, -period:, 0][:, :n_out]


def off_by_one(x, n_out, period):
    x = np.asarray(x)[:, :, 0]
    return x[:, x.shape[1] - period + 1 + np.arange(n_out) % (period - 1)]


def test_a_right_answer_passes():
    feedback = check_seasonal_naive(right)
    assert feedback.ok and "Correct" in str(feedback)


def test_a_forecast_that_does_not_wrap_is_told_why():
    feedback = check_seasonal_naive(no_wrap)
    assert not feedback.ok
    assert "shape" in feedback.message and "wrap" in feedback.message
    assert "4 Hz" in feedback.message


def test_an_off_by_one_forecast_names_the_case_and_the_values():
    feedback = check_seasonal_naive(off_by_one)
    assert not feedback.ok and "1 Hz" in feedback.message and "expected" in feedback.message


def test_an_unfinished_or_crashing_answer_is_feedback_not_an_error():
    assert not check_seasonal_naive(lambda x, n_out, period: None).ok
    crashed = check_seasonal_naive(lambda x, n_out, period: 1 / 0)
    assert not crashed.ok and "ZeroDivisionError" in crashed.message
    assert not check_seasonal_naive("not a function").ok
