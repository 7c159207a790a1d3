import numpy as np
import pytest

from sinelib import BASELINES, heldout_windows, summed_loss
from sinelib.baselines import (
    analytic, analytic_float64, baseline_for, estimate_cosine, estimate_period, fit_linear,
    persistence, seasonal_naive,
)
from sinelib.evaluation import evaluate, heldout_loss, loss_by_horizon, loss_by_noise


def _sine(frequency, n, shift=0.3, dtype=np.float64):
    t = np.arange(n) / 100.0
    return np.sin(2 * np.pi * frequency * (t + shift)).astype(dtype)


def test_every_baseline_maps_windows_to_the_horizon():
    x, _ = heldout_windows(25, 50, size=40)
    for name, predict in BASELINES.items():
        y = predict(x, 50)
        assert y.shape == (40, 50) and y.dtype == np.float32, name
        assert np.all(np.isfinite(y)), name


@pytest.mark.parametrize("frequency", [0.1, 1.0, 3.7, 7.9, 20.0])
def test_analytic_recovers_a_clean_sine_to_machine_precision(frequency):
    window = _sine(frequency, 125)
    y = analytic_float64(window[None, :25], 100)
    np.testing.assert_allclose(y[0], window[25:], rtol=0, atol=1e-9)
    assert estimate_cosine(window[None, :25])[0] == pytest.approx(
        np.cos(2 * np.pi * frequency / 100), abs=1e-12)


def test_analytic_on_the_float32_heldout_set_is_near_exact():
    assert heldout_loss(analytic, "exp3-1") < 1e-6


def test_analytic_degrades_with_input_noise():
    curve = loss_by_noise(analytic, "exp3", sigmas=(0.0, 0.01, 0.1), size=200)
    assert curve["loss"][0] < 1e-6 < curve["loss"][1] < curve["loss"][2]


def test_analytic_stays_bounded_on_noise_and_zeros():
    rng = np.random.default_rng(0)
    y = analytic(rng.standard_normal((20, 25, 1)), 100)
    assert np.all(np.abs(y) < 1e4)
    np.testing.assert_array_equal(analytic(np.zeros((2, 25, 1)), 10), 0.0)


@pytest.mark.parametrize("slug", ["exp2", "exp3", "exp3-1"])
def test_linear_beats_persistence(slug):
    linear = heldout_loss(baseline_for("linear", slug), slug, size=300)
    assert linear < 0.5 * heldout_loss(persistence, slug, size=300)


def test_linear_is_exact_on_a_single_frequency():
    # Every 1 Hz window is a combination of two fixed sequences, so the map is linear.
    assert heldout_loss(baseline_for("linear", "exp1"), "exp1", size=200) < 1e-6


def test_linear_refuses_windows_it_was_not_fitted_for():
    linear = fit_linear(25, 50, size=500)
    with pytest.raises(ValueError, match="fitted for 25 -> 50 samples, got windows of 30"):
        linear(np.zeros((1, 30, 1)), 50)
    with pytest.raises(ValueError, match="n_out=100"):
        linear(np.zeros((1, 25, 1)), 100)


def test_persistence_repeats_the_last_sample():
    x = np.arange(12, dtype=np.float32).reshape(3, 4, 1)
    np.testing.assert_array_equal(persistence(x, 3), [[3] * 3, [7] * 3, [11] * 3])


def test_seasonal_naive_finds_the_period_and_repeats_it():
    window = _sine(5.0, 100)  # 20 samples a period
    assert estimate_period(window[None, :60])[0] == 20
    np.testing.assert_allclose(seasonal_naive(window[None, :60], 40)[0], window[60:], atol=1e-6)


def test_seasonal_naive_falls_back_to_persistence_without_a_visible_period():
    window = _sine(0.5, 50)  # 200 samples a period, 25 in view
    assert estimate_period(window[None, :25])[0] == 0
    np.testing.assert_array_equal(seasonal_naive(window[None, :25], 5),
                                  persistence(window[None, :25], 5))


def test_baselines_are_evaluated_like_networks():
    metrics = evaluate(analytic, "exp3", frequencies=(2.0,), size=100)
    x, y = heldout_windows(25, 50, 2.0, 100)
    assert metrics["by_frequency"][0]["loss"] == summed_loss(y, analytic(x, 50))
    horizon = loss_by_horizon(persistence, "exp3", size=100)
    assert horizon.shape == (50,)
    assert horizon.sum() == pytest.approx(heldout_loss(persistence, "exp3", size=100))
    assert horizon[-1] > horizon[0]


@pytest.mark.parametrize("call, fragments", [
    (lambda: persistence(np.zeros((2, 5)), 0), ["n_out", "0"]),
    (lambda: persistence("abc", 5), ["x must be a numeric array", "str"]),
    (lambda: persistence(np.full((1, 5), np.nan), 5), ["finite"]),
    (lambda: analytic(np.zeros((1, 2, 1)), 5), ["n_in >= 3", "(1, 2, 1)"]),
    (lambda: analytic(np.zeros((1, 5, 2)), 5), ["(batch, n_in, 1)", "(1, 5, 2)"]),
    (lambda: baseline_for("oracle", "exp3"), ["unknown baseline 'oracle'", "analytic"]),
    (lambda: baseline_for("linear", "exp9"), ["unknown experiment 'exp9'"]),
    (lambda: loss_by_noise(analytic, "exp3", sigmas=(-1.0,)), ["noise sigma", "-1"]),
    (lambda: loss_by_noise(analytic, "exp3", sigmas="0.1"), ["sigmas must be"]),
    (lambda: loss_by_horizon(analytic, "exp3", frequency=60.0), ["Nyquist"]),
])
def test_bad_input_is_named(call, fragments):
    with pytest.raises(ValueError) as error:
        call()
    for fragment in fragments:
        assert fragment in str(error.value)


def test_zero_scores_about_half_the_horizon_and_persistence_about_twice_that():
    """A sine's mean square is 1/2: predicting 0 costs about n_out / 2 summed over the horizon.
    Persistence, on a horizon of 50 samples at 0.5-4 Hz, is worse than that: knowing the last
    sample is not knowing where the sine goes."""
    zero_loss = heldout_loss(BASELINES["zero"], "exp3")
    assert zero_loss == pytest.approx(25, rel=0.1)
    assert heldout_loss(persistence, "exp3") > 1.5 * zero_loss
    assert heldout_loss(BASELINES["zero"], "exp5") == pytest.approx(50, rel=0.1)  # 100 samples
