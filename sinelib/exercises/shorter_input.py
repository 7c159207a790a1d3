"""Exercises of notebook 05 (experiment 3: 25 samples in, 50 out).

* ``check_continue_sine``: a learner's ``continue_sine(window, n_out)``, the sine recurrence
  ``x[t+1] = 2 cos(ω Δt) x[t] - x[t-1]`` rolled over the horizon, on clean sines and on
  noisy ones (an estimate from a few samples, exact on clean sines, fails there).
* ``check_input_length_variant``: a learner's ``with_input_length(exp, n_in)``, experiment 3
  with another input length and nothing else changed.
* ``compare_input_lengths``: short training runs of such variants, side by side.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sinelib.data import sample_windows
from sinelib.exercises.concepts import NOISY_SIGMA, noisy_verdict, noisy_windows
from sinelib.exercises.feedback import Feedback, compare_arrays
from sinelib.experiments import Experiment, get_experiment
from sinelib.training import train

#: Frequencies (Hz) and shifts (s) of the clean sines ``check_continue_sine`` tries.
CHECK_FREQUENCIES: tuple[float, ...] = (0.5, 1.0, 2.0, 3.7)
CHECK_SHIFTS: tuple[float, ...] = (0.0, 0.13, 0.61, 1.37)
#: Input length and horizon of those windows (experiment 3's).
CHECK_N_IN, CHECK_N_OUT = 25, 50
#: The fields of an experiment that name it: a variant may change them.
NAMES = ("slug", "title")


def _failure(what: str, error: Exception) -> Feedback:
    return Feedback(False, f"{what} raised {type(error).__name__}: {error}")


def check_continue_sine(continue_sine) -> Feedback:
    """Check ``continue_sine(window, n_out) -> (n_out,)`` on clean sines of several
    frequencies: it must continue each window (1-D, ``CHECK_N_IN`` samples) to within 1e-4;
    then on noisy windows of the band, where its median summed loss must stay below
    ``NOISY_MEDIAN_LOSS`` (``concepts.noisy_windows``).

    Returns:
        ``Feedback``; when wrong it names the frequency, shift and the first step that differs,
        or the median loss on noisy windows.
    """
    x, y = sample_windows(len(CHECK_FREQUENCIES), CHECK_N_IN, CHECK_N_OUT,
                          frequency=np.array(CHECK_FREQUENCIES), shift=np.array(CHECK_SHIFTS))
    for row, (frequency, shift) in enumerate(zip(CHECK_FREQUENCIES, CHECK_SHIFTS)):
        window = x[row, :, 0].astype(np.float64)
        what = f"continue_sine on a {frequency:g} Hz sine (shift {shift:g} s)"
        try:
            got = continue_sine(window.copy(), CHECK_N_OUT)
        except Exception as error:  # a learner's code may fail in any way
            return _failure(what, error)
        feedback = compare_arrays(what, got, y[row], rtol=0.0, atol=1e-4)
        if not feedback:
            return feedback
    _, y, noisy = noisy_windows(CHECK_N_IN, CHECK_N_OUT)
    got = []
    for window in noisy:
        try:
            got.append(np.asarray(continue_sine(window.copy(), CHECK_N_OUT), dtype=float))
        except Exception as error:  # a learner's code may fail in any way
            return _failure(f"continue_sine on a window with noise σ {NOISY_SIGMA:g}", error)
    median, wrong = noisy_verdict(got, y)
    if wrong is not None:
        return wrong
    return Feedback(True, f"continue_sine continues clean sines at "
                          f"{', '.join(f'{f:g}' for f in CHECK_FREQUENCIES)} Hz from "
                          f"{CHECK_N_IN} samples over {CHECK_N_OUT} steps (to within 1e-4), "
                          f"and keeps a median summed loss of {median:.2g} on windows with "
                          f"noise σ {NOISY_SIGMA:g}")


def check_input_length_variant(with_input_length, exp: Experiment | str = "exp3") -> Feedback:
    """Check ``with_input_length(exp, n_in) -> Experiment``: the same experiment with
    ``n_in`` samples in and every other field that defines the network and its training
    unchanged, for 10 and 40 samples. A new name (``slug``, ``title``) is welcome: it changes
    what the variant is called, not what it trains.

    Returns:
        ``Feedback`` naming the first field that is wrong.
    """
    exp = get_experiment(exp)
    for n_in in (10, 40):
        what = f"with_input_length({exp.slug!r}, {n_in})"
        try:
            variant = with_input_length(exp, n_in)
        except Exception as error:  # a learner's code may fail in any way
            return _failure(what, error)
        if not isinstance(variant, Experiment):
            return Feedback(False, f"{what} should return an Experiment, got "
                                   f"{type(variant).__name__}")
        if variant.n_in != n_in:
            return Feedback(False, f"{what} has n_in={variant.n_in}, expected {n_in}")
        for field in dataclasses.fields(Experiment):
            if field.name in NAMES or field.name == "n_in":
                continue
            if getattr(variant, field.name) != getattr(exp, field.name):
                return Feedback(False, f"{what} changed {field.name} from "
                                       f"{getattr(exp, field.name)!r} to "
                                       f"{getattr(variant, field.name)!r}; only n_in (and the name) "
                                       f"should change")
    return Feedback(True, f"with_input_length changes only n_in (tried 10 and 40 on {exp.slug})")


def compare_input_lengths(with_input_length, lengths=(10, 25), steps: int = 1000,
                          seed: int = 0, size: int = 500, exp: Experiment | str = "exp3"
                          ) -> dict[int, dict]:
    """Train ``with_input_length(exp, n_in)`` for each input length on the same seed and
    number of Adam steps, and measure each on its held-out set.

    Returns:
        ``{n_in: metrics}`` as ``evaluate`` gives them (the summed loss ``"loss"`` on the training distribution and
        ``"by_frequency"`` at 1, 2 and 3 Hz), in the order of ``lengths``.
    """
    exp = get_experiment(exp)
    results = {}
    for n_in in lengths:
        variant = with_input_length(exp, n_in)
        # The held-out loss is measured once, at the end (train's metrics), not during the run.
        run = train(variant, steps=steps, seed=seed, progress=False,
                    eval_every=100 * (steps // 100 + 1), heldout_size=size)
        results[variant.n_in] = run.metrics
    return results
