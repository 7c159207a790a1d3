"""Exercises of notebook 06 (experiment 3.1: 25 samples in, 100 out).

* ``check_error_by_step``: a learner's ``error_by_step(y, y_pred)``, the mean squared error at
  each step of the horizon, whose sum is the original's summed loss.
"""

from __future__ import annotations

import numpy as np

from sinelib.exercises.feedback import Feedback, compare_arrays


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Targets and predictions of fixed shapes whose error grows along the horizon (so that
    an error averaged over the wrong axis, or summed instead of averaged, shows)."""
    rng = np.random.default_rng(20_161_005)
    cases = []
    for batch, n_out in ((4, 6), (3, 100)):
        y = rng.standard_normal((batch, n_out))
        drift = np.linspace(0.1, 1.0, n_out) * rng.standard_normal((batch, n_out))
        cases.append((y, y + drift))
    return cases


def check_error_by_step(error_by_step) -> Feedback:
    """Check ``error_by_step(y, y_pred) -> (n_out,)``: the mean over windows of the squared
    error at each step of the horizon, for arrays of shape ``(batch, n_out)``.

    Returns:
        ``Feedback``; when wrong it says which shape it failed on and what differs.
    """
    for y, y_pred in _cases():
        what = f"error_by_step on {y.shape[0]} windows of {y.shape[1]} steps"
        try:
            got = error_by_step(y.copy(), y_pred.copy())
        except Exception as error:  # a learner's code may fail in any way
            return Feedback(False, f"{what} raised {type(error).__name__}: {error}")
        expected = ((y_pred - y) ** 2).mean(axis=0)
        feedback = compare_arrays(what, got, expected)
        if not feedback:
            if np.shape(got) == (y.shape[0],):
                feedback = Feedback(False, feedback.message + ": one number per window; average "
                                           "over the windows (axis 0), one number per step")
            elif np.shape(got) == expected.shape and np.allclose(got, expected * y.shape[0]):
                feedback = Feedback(False, feedback.message + ": that is the sum over the "
                                           "windows; take their mean")
            return feedback
    return Feedback(True, "error_by_step gives the mean squared error at each step of the "
                          "horizon; summed over the steps it is the summed loss")
