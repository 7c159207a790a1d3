"""Notebook 05's checks accept a right answer and say what is wrong with a wrong one."""

import math

import numpy as np

import sinelib
from sinelib.exercises.shorter_input import (
    check_continue_sine, check_input_length_variant, compare_input_lengths,
)


def continue_sine(window, n_out):
    """The worked answer: least-squares cos(ω Δt), then the recurrence."""
    middle, outer = window[1:-1], window[2:] + window[:-2]
    cosine = np.sum(outer * middle) / (2 * np.sum(middle ** 2))
    previous, current, y = window[-2], window[-1], []
    for _ in range(n_out):
        previous, current = current, 2 * cosine * current - previous
        y.append(current)
    return np.array(y)


def test_continue_sine_accepts_the_recurrence_and_names_a_wrong_frequency():
    assert check_continue_sine(continue_sine)
    persistence = check_continue_sine(lambda window, n_out: np.repeat(window[-1], n_out))
    assert not persistence
    assert "0.5 Hz" in persistence.message and "differs at index" in persistence.message
    # cos(ω) instead of cos(ω Δt): the sampling interval forgotten.
    def no_sampling_interval(window, n_out):
        cosine = np.cos(2 * np.pi * 0.5)
        previous, current, y = window[-2], window[-1], []
        for _ in range(n_out):
            previous, current = current, 2 * cosine * current - previous
            y.append(current)
        return y
    assert not check_continue_sine(no_sampling_interval)


def test_continue_sine_reports_a_crash_and_a_wrong_length():
    def crashes(window, n_out):
        raise ZeroDivisionError("division by zero")
    feedback = check_continue_sine(crashes)
    assert not feedback and "ZeroDivisionError" in feedback.message
    short = check_continue_sine(lambda window, n_out: continue_sine(window, n_out)[:-1])
    assert not short and "shape (50,)" in short.message


def test_input_length_variant_accepts_replace_and_names_a_changed_field():
    assert check_input_length_variant(lambda exp, n_in: exp.replace(n_in=n_in))
    # Notebook 10's own pattern: a variant with its own name is still the same experiment.
    assert check_input_length_variant(
        lambda exp, n_in: exp.replace(n_in=n_in, slug=f"{exp.slug}-in{n_in}"))
    unchanged = check_input_length_variant(lambda exp, n_in: exp)
    assert not unchanged and "n_in=25, expected 10" in unchanged.message
    horizon = check_input_length_variant(lambda exp, n_in: exp.replace(n_in=n_in, n_out=n_in))
    assert not horizon and "changed n_out from 50 to 10" in horizon.message
    wrong_type = check_input_length_variant(lambda exp, n_in: {"n_in": n_in})
    assert not wrong_type and "should return an Experiment, got dict" in wrong_type.message


def test_compare_input_lengths_trains_each_variant_on_a_tiny_config():
    tiny = sinelib.get_experiment("exp3").replace(n_hidden=3)
    results = compare_input_lengths(lambda exp, n_in: exp.replace(n_in=n_in), lengths=(5, 8),
                                    steps=100, size=20, exp=tiny)
    assert list(results) == [5, 8]
    assert all(math.isfinite(metrics["loss"]) and metrics["size"] == 20
               for metrics in results.values())


def test_continue_sine_from_three_samples_is_refused_on_noisy_windows():
    """Exact on every clean sine, and far off once the window is noisy."""
    def three_samples(window, n_out):
        cosine = (window[-3] + window[-1]) / (2 * window[-2])
        previous, current, y = window[-2], window[-1], []
        for _ in range(n_out):
            previous, current = current, 2 * cosine * current - previous
            y.append(current)
        return np.array(y)

    feedback = check_continue_sine(three_samples)
    assert not feedback and "noise σ 0.01" in feedback.message
