"""Notebook 04's exercise check accepts a right answer and names what is wrong in a wrong one."""

import numpy as np
import pytest

import sinelib
from sinelib.exercises.random_frequencies import check_error_by_frequency


@pytest.fixture(scope="module")
def network():
    """A small untrained network of experiment 2's shape (the check only compares curves)."""
    exp = sinelib.get_experiment("exp2").replace(slug="tiny-exp2", n_hidden=4)
    return sinelib.build_model(exp, seed=1), exp


def right(model, exp, frequencies, size):
    losses = []
    for frequency in frequencies:
        x, y = sinelib.heldout_windows(exp.n_in, exp.n_out, frequency, size)
        losses.append(sinelib.summed_loss(y, sinelib.predict(model, x)))
    return np.array(losses)


def per_point(model, exp, frequencies, size):
    return right(model, exp, frequencies, size) / exp.n_out


def fresh_windows(model, exp, frequencies, size):
    losses = []
    for frequency in frequencies:
        x, y = sinelib.sample_windows(size, exp.n_in, exp.n_out, frequency=frequency, seed=99)
        losses.append(sinelib.summed_loss(y, sinelib.predict(model, x)))
    return np.array(losses)


def test_a_right_answer_passes(network):
    assert check_error_by_frequency(right, *network).ok


def test_the_per_point_mse_is_named(network):
    feedback = check_error_by_frequency(per_point, *network)
    assert not feedback.ok and "per-point MSE" in feedback.message


def test_other_windows_are_rejected_with_the_values(network):
    feedback = check_error_by_frequency(fresh_windows, *network)
    assert not feedback.ok and "expected" in feedback.message


def test_an_unfinished_or_crashing_answer_is_feedback_not_an_error(network):
    assert not check_error_by_frequency(lambda *args: None, *network).ok
    zeros = check_error_by_frequency(lambda model, exp, f, size: np.zeros(len(f)), *network)
    assert not zeros.ok and "expected" in zeros.message
    crashed = check_error_by_frequency(lambda *args: 1 / 0, *network)
    assert not crashed.ok and "ZeroDivisionError" in crashed.message
