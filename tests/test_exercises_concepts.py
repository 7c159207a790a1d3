"""The checks of notebook 01's exercises accept a right answer and name what is wrong in a
wrong one, without raising."""

import numpy as np
import pytest

from sinelib.baselines import analytic_float64, persistence
from sinelib.cells import lstm_step
from sinelib.exercises.concepts import check_lstm_step, check_sine_forecast

pytestmark = pytest.mark.shipped


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _step(order=(0, 1, 2, 3), candidate=np.tanh, squash=np.tanh):
    def step(x_t, h, c, weights):
        z = x_t @ weights.kernel + h @ weights.recurrent + weights.bias
        n = weights.units
        blocks = [z[:, k * n:(k + 1) * n] for k in range(4)]
        i, f = _sigmoid(blocks[order[0]]), _sigmoid(blocks[order[1]])
        g, o = candidate(blocks[order[2]]), _sigmoid(blocks[order[3]])
        c = f * c + i * g
        return o * squash(c), c
    return step


def test_a_right_lstm_step_passes_one_step_and_whole_windows():
    feedback = check_lstm_step(_step())
    assert feedback.ok, feedback.message
    assert "prediction" in feedback.message
    as_dict = check_lstm_step(lambda x_t, h, c, w: lstm_step(x_t, h, c, w))
    assert not as_dict.ok and "as a tuple, got dict" in as_dict.message


@pytest.mark.parametrize("step, words", [
    (_step(order=(0, 2, 1, 3)), "TF1's order"),
    (_step(order=(1, 0, 2, 3)), "swapped"),
    (_step(candidate=_sigmoid), "candidate goes through a sigmoid"),
    (_step(squash=lambda c: c), "o * tanh(c)"),
    (lambda x_t, h, c, w: (h, c), "unchanged"),
    (lambda x_t, h, c, w: h, "pair (h, c)"),
    (lambda x_t, h, c, w: 1 / 0, "ZeroDivisionError"),
    (lambda x_t, h, c, w: _step()(x_t, h, c, w)[::-1], "returns (c, h)"),
])
def test_a_wrong_lstm_step_is_told_what_is_wrong(step, words):
    feedback = check_lstm_step(step)
    assert not feedback.ok
    assert words in feedback.message


def test_a_step_with_an_unnamed_mistake_is_told_which_state_differs():
    def off_by_bias(x_t, h, c, weights):
        out = lstm_step(x_t, h, c, weights)
        return out["hidden"] + 0.01, out["cell"]
    feedback = check_lstm_step(off_by_bias)
    assert not feedback.ok and "c is right" in feedback.message
    assert "hidden state h differs" in feedback.message


def test_the_analytic_recurrence_passes_the_forecast_check():
    feedback = check_sine_forecast(lambda x, n_out: analytic_float64(x, n_out))
    assert feedback.ok, feedback.message


@pytest.mark.parametrize("forecast, words", [
    (lambda x, n_out: persistence(x, n_out), "persistence"),
    (lambda x, n_out: np.zeros((len(x), n_out)), "expected"),
    (lambda x, n_out: np.zeros(n_out), "shape"),
    (lambda x, n_out: np.full((len(x), n_out), np.nan), "NaN"),
    (lambda x, n_out: undefined_name, "NameError"),  # noqa: F821
    ("not a function", "function itself"),
])
def test_a_wrong_forecast_is_told_what_is_wrong(forecast, words):
    feedback = check_sine_forecast(forecast)
    assert not feedback.ok
    assert words in feedback.message


def _roll(x, cosine, n_out):
    previous, current, out = x[:, -2], x[:, -1], []
    for _ in range(n_out):
        previous, current = current, 2 * cosine * current - previous
        out.append(current)
    return np.stack(out, axis=1)


def _least_squares_each_window(x, n_out):
    middle, outer = x[:, 1:-1], x[:, 2:] + x[:, :-2]
    return _roll(x, (outer * middle).sum(axis=1) / (2 * (middle ** 2).sum(axis=1)), n_out)


def _least_squares_whole_batch(x, n_out):
    middle, outer = x[:, 1:-1], x[:, 2:] + x[:, :-2]
    return _roll(x, np.full(len(x), (outer * middle).sum() / (2 * (middle ** 2).sum())), n_out)


def _last_three_samples(x, n_out):
    with np.errstate(all="ignore"):
        return _roll(x, (x[:, -3] + x[:, -1]) / (2 * x[:, -2]), n_out)


def test_the_forecast_check_accepts_least_squares_on_each_window():
    feedback = check_sine_forecast(_least_squares_each_window)
    assert feedback.ok, feedback.message
    assert "noise" in feedback.message


def test_one_estimate_pooled_over_the_batch_is_refused():
    """Right at one frequency per batch; wrong (errors near 2.7) on a batch of mixed ones."""
    feedback = check_sine_forecast(_least_squares_whole_batch)
    assert not feedback.ok and "each window on its own" in feedback.message


def test_an_estimate_from_three_samples_is_exact_when_clean_and_refused_on_noise():
    """The last three samples give cos(ω Δt) to float precision on a clean sine, and a median
    summed loss near 40 once the input has noise σ 0.01."""
    feedback = check_sine_forecast(_last_three_samples)
    assert not feedback.ok and "noise σ 0.01" in feedback.message
    assert "least squares" in feedback.message
