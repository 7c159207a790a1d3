"""Notebook 06's check accepts a right answer and says what is wrong with a wrong one."""

import numpy as np

from sinelib.exercises.longer_horizon import check_error_by_step


def test_error_by_step_accepts_the_mean_over_windows():
    assert check_error_by_step(lambda y, y_pred: ((y_pred - y) ** 2).mean(axis=0))


def test_error_by_step_names_the_wrong_axis_and_the_sum():
    per_window = check_error_by_step(lambda y, y_pred: ((y_pred - y) ** 2).mean(axis=1))
    assert not per_window and "one number per window" in per_window.message
    summed = check_error_by_step(lambda y, y_pred: ((y_pred - y) ** 2).sum(axis=0))
    assert not summed and "sum over the windows" in summed.message
    absolute = check_error_by_step(lambda y, y_pred: np.abs(y_pred - y).mean(axis=0))
    assert not absolute and "differs at index" in absolute.message


def test_error_by_step_reports_a_crash():
    def unfinished(y, y_pred):
        raise NotImplementedError("write me")
    feedback = check_error_by_step(unfinished)
    assert not feedback and "NotImplementedError: write me" in feedback.message
