"""Exercises of notebook 04 (experiment 2, random frequencies): the checks a learner calls.

* ``check_error_by_frequency(fn, model, exp)``: a learner's error-against-frequency curve,
  against ``sinelib.evaluation.loss_by_frequency`` on the same held-out windows.
"""

from __future__ import annotations

import numpy as np

from sinelib.evaluation import loss_by_frequency
from sinelib.experiments import get_experiment
from sinelib.exercises.feedback import Feedback, compare_arrays

#: The frequencies (Hz) and held-out windows per frequency the check uses: below, inside and
#: above experiment 2's training band, small enough to run in a second.
CHECK_FREQUENCIES: tuple[float, ...] = (0.5, 2.0, 6.0)
CHECK_SIZE = 100


def check_error_by_frequency(fn, model, exp) -> Feedback:
    """Check ``fn(model, exp, frequencies, size) -> (len(frequencies),)``: the summed loss (the
    original's unit) of ``model`` on ``sinelib.heldout_windows(exp.n_in, exp.n_out, f, size)``
    at each frequency ``f``.

    The expected curve is ``loss_by_frequency(model, exp, frequencies, size)["loss"]``. Never
    raises on a wrong answer: the ``Feedback`` says which frequency differs and, where the
    error is a known one (per-point MSE instead of the summed loss), what it is.
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    exp = get_experiment(exp)
    expected = loss_by_frequency(model, exp, CHECK_FREQUENCIES, CHECK_SIZE)["loss"]
    try:
        got = fn(model, exp, CHECK_FREQUENCIES, CHECK_SIZE)
    except Exception as error:  # a learner's bug is feedback, not a crash
        return Feedback(False, f"your function raised {type(error).__name__}: {error}")
    what = (f"the summed loss at {', '.join(f'{f:g}' for f in CHECK_FREQUENCIES)} Hz "
            f"({CHECK_SIZE} held-out windows each)")
    feedback = compare_arrays(what, got, expected, rtol=1e-4, atol=1e-7)
    if feedback:
        return Feedback(True, f"your curve equals loss_by_frequency: {what}")
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.asarray(expected) / np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return feedback
    if ratio.shape == expected.shape and np.allclose(ratio, exp.n_out, rtol=1e-3):
        return Feedback(False, feedback.message + f". Yours is {exp.n_out}x smaller everywhere: "
                        "that is the per-point MSE; the original's loss sums the squared error "
                        f"over the {exp.n_out} predicted samples (sinelib.summed_loss)")
    return feedback
