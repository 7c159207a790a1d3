"""Exercises of notebook 03 (experiment 1, memorising a 1 Hz sine): the checks a learner calls.

* ``check_seasonal_naive(fn)``: the seasonal-naive forecast with a known period, against
  ``sinelib.baselines.seasonal_naive`` (which estimates the period from the window).
"""

from __future__ import annotations

import numpy as np

from sinelib.baselines import estimate_period, seasonal_naive
from sinelib.data import sample_windows
from sinelib.exercises.feedback import Feedback, compare_arrays

#: The check's cases: (frequency in Hz, input samples, horizon). At 1 Hz the period is 100
#: samples (150 are read, so that the baseline can see it); 2 Hz has a period of 50 samples,
#: 4 Hz of 25, shorter than the horizon (the forecast must wrap round).
SEASONAL_CASES: tuple[tuple[float, int, int], ...] = ((1.0, 150, 50), (2.0, 100, 50),
                                                      (4.0, 100, 50), (2.5, 100, 100))


def check_seasonal_naive(fn) -> Feedback:
    """Check ``fn(x, n_out, period) -> (batch, n_out)``: repeat the last ``period`` samples of
    each window ``x`` (shape ``(batch, n_in, 1)``) over the horizon, sample ``n_in + k`` being
    sample ``n_in - period + (k mod period)``.

    The expected forecast is ``sinelib.baselines.seasonal_naive`` on the same windows, given
    the period it estimates itself (a whole number of samples). Never raises on a wrong
    answer: the ``Feedback`` names the case that failed.
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    for index, (frequency, n_in, n_out) in enumerate(SEASONAL_CASES):
        x, _ = sample_windows(4, n_in, n_out, frequency=frequency, seed=index)
        period = int(estimate_period(x)[0])
        expected = seasonal_naive(x, n_out)
        case = (f"{frequency:g} Hz windows of {n_in} samples, period {period} samples, "
                f"n_out={n_out}")
        try:
            got = fn(x, n_out, period)
        except Exception as error:  # a learner's bug is feedback, not a crash
            return Feedback(False, f"on {case} your function raised "
                                   f"{type(error).__name__}: {error}")
        feedback = compare_arrays(f"the forecast for {case}", got, expected, atol=1e-6)
        if not feedback:
            hint = ""
            if np.shape(got) != expected.shape and n_out > period:
                hint = (" (the horizon is longer than the period here: the repeat must wrap "
                        "round, e.g. with k % period)")
            return Feedback(False, feedback.message + hint)
    return Feedback(True, f"your forecast equals sinelib's seasonal-naive baseline on "
                          f"{len(SEASONAL_CASES)} cases (periods of 100, 50, 25 and 40 samples)")
