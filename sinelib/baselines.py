"""Baselines: what simple rules, and what a sine itself, allow on the same windows.

Each baseline is a function ``predict(x, n_out) -> y_pred`` on a batch of input windows ``x``
of shape ``(batch, n_in, 1)``, returning ``(batch, n_out)`` float32 like a network. They are
evaluated exactly like the networks (``evaluation.evaluate`` and friends take a baseline
wherever they take a model), in the original's units on the same held-out sets:

* ``zero``: predict 0 at every step, the sine's mean over whole periods. It knows nothing of
  the window; its summed loss is about ``n_out / 2`` (a sine's mean square is 1/2), the level
  a network sits at while it has learned only the mean (the "plateau" of experiments 5 and 6).
* ``persistence``: repeat the last input sample over the whole horizon.
* ``seasonal-naive``: repeat the last period of the input, with the period (in whole samples)
  estimated from the window itself: the lag whose shifted copy differs least from the window.
  Where no lag fits (less than a period in view), it falls back to persistence.
* ``linear``: least squares from the input window to the whole horizon, fitted on training
  windows (``fit_linear``). ``BASELINES["linear"]`` fits on the random band that most
  experiments train on, once per (input length, horizon); ``baseline_for(name, exp)`` fits on
  the experiment's own training distribution (1 Hz only for experiment 1).
* ``analytic``: a sampled sine obeys ``x[t+1] = 2 cos(ω Δt) x[t] - x[t-1]``. It estimates
  ``cos(ω Δt)`` from the window by least squares and rolls the recurrence over the horizon:
  near-exact on a clean sine of any frequency, however far outside a training band.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from sinelib.plumbing.arguments import require_numeric_array, require_positive_int, shown
from sinelib.data import sample_windows
from sinelib.experiments import Experiment, get_experiment

#: Windows ``fit_linear`` fits on by default.
LINEAR_FIT_SIZE = 20_000
#: Entropy of the linear baseline's training windows; never meets a run's or the held-out key.
LINEAR_KEY = 20_161_002
#: Relative ridge on the linear fit: input windows of sines span few directions, so the plain
#: normal equations are singular; this keeps the solution small where the data say nothing.
LINEAR_RIDGE = 1e-6
#: The seasonal-naive period must repeat the window to within this relative squared error.
SEASONAL_TOLERANCE = 0.05


def _check_windows(x, n_out, minimum: int = 1) -> tuple[np.ndarray, int]:
    """``x`` as float64 ``(batch, n_in)`` and ``n_out`` checked, or a clear ``ValueError``."""
    n_out = require_positive_int("n_out", n_out)
    array = require_numeric_array("x", x, np.float64, "a numeric array of windows")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < minimum:
        raise ValueError(
            f"x must have shape (batch, n_in, 1) or (batch, n_in) with n_in >= {minimum}, got "
            f"{np.shape(x)}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("x must be finite; it contains NaN or infinite values")
    return array, n_out


def zero(x, n_out: int) -> np.ndarray:
    """Predict 0 at every step of every window."""
    windows, n_out = _check_windows(x, n_out)
    return np.zeros((len(windows), n_out), dtype=np.float32)


def persistence(x, n_out: int) -> np.ndarray:
    """Repeat each window's last sample ``n_out`` times."""
    x, n_out = _check_windows(x, n_out)
    return np.repeat(x[:, -1:], n_out, axis=1).astype(np.float32)


def estimate_period(x) -> np.ndarray:
    """Each window's period in whole samples, or 0 where none is visible.

    For every lag ``L`` from 2 to ``n_in - 2`` it compares the window with itself shifted by
    ``L`` (squared difference over the overlap, relative to the overlap's energy) and keeps the
    smallest lag that is a local minimum within ``SEASONAL_TOLERANCE`` after the misfit has
    passed through anti-phase.

    Args:
        x: Windows, shape ``(batch, n_in, 1)`` or ``(batch, n_in)``.

    Returns:
        int array of shape ``(batch,)``.
    """
    x, _ = _check_windows(x, 1)
    n_in = x.shape[1]
    lags = np.arange(2, max(n_in - 1, 2))
    if lags.size == 0:
        return np.zeros(len(x), dtype=np.int64)
    misfit = np.full((len(x), lags.size), np.inf)
    for index, lag in enumerate(lags):
        early, late = x[:, :-lag], x[:, lag:]
        energy = np.sum(early ** 2 + late ** 2, axis=1)
        difference = np.sum((late - early) ** 2, axis=1)
        misfit[:, index] = np.where(energy > 0, difference / np.maximum(energy, 1e-300), np.inf)
    # A period is a local minimum below tolerance reached after the misfit has passed
    # through anti-phase (above 1, where a quarter period leaves a sine); the first such lag
    # is the fundamental (its multiples fit as well, but are never closer to the present).
    # Without the anti-phase condition a slow signal would "repeat" at its smallest lag.
    left = np.concatenate([np.full((len(x), 1), -np.inf), misfit[:, :-1]], axis=1)
    right = np.concatenate([misfit[:, 1:], np.full((len(x), 1), np.inf)], axis=1)
    turned = np.maximum.accumulate(np.where(np.isfinite(misfit), misfit, 0.0), axis=1) > 1.0
    good = (misfit <= SEASONAL_TOLERANCE) & (misfit < left) & (misfit <= right) & turned
    first = np.argmax(good, axis=1)
    return np.where(good.any(axis=1), lags[first], 0).astype(np.int64)


def seasonal_naive(x, n_out: int) -> np.ndarray:
    """Repeat each window's last estimated period; persistence where none is visible."""
    x, n_out = _check_windows(x, n_out)
    period = estimate_period(x)
    n_in = x.shape[1]
    steps = np.arange(n_out)
    # Sample n_in + k repeats sample n_in - P + (k mod P).
    source = np.where(period[:, None] > 0,
                      n_in - period[:, None] + steps[None, :] % np.maximum(period[:, None], 1),
                      n_in - 1)
    return np.take_along_axis(x, source, axis=1).astype(np.float32)


def estimate_cosine(x) -> np.ndarray:
    """Least-squares ``cos(ω Δt)`` of each window from ``x[t+1] + x[t-1] = 2 c x[t]``.

    Returns:
        float64 array of shape ``(batch,)``, clipped to [-1, 1] (noise can push the estimate
        past 1, where the recurrence would grow without bound); 1 for an all-zero window.
    """
    x, _ = _check_windows(x, 1, minimum=3)
    middle = x[:, 1:-1]
    outer = x[:, 2:] + x[:, :-2]
    energy = np.sum(middle ** 2, axis=1)
    cosine = np.where(energy > 0,
                      np.sum(outer * middle, axis=1) / (2 * np.maximum(energy, 1e-300)), 1.0)
    return np.clip(cosine, -1.0, 1.0)


def analytic_float64(x, n_out: int) -> np.ndarray:
    """``analytic`` in float64 throughout (to show it recovers a sine to machine precision)."""
    x, n_out = _check_windows(x, n_out, minimum=3)
    twice_cosine = 2 * estimate_cosine(x)
    previous, current = x[:, -2], x[:, -1]
    y = np.empty((len(x), n_out))
    for step in range(n_out):
        previous, current = current, twice_cosine * current - previous
        y[:, step] = current
    return y


def analytic(x, n_out: int) -> np.ndarray:
    """Roll the sine recurrence ``x[t+1] = 2 cos(ω Δt) x[t] - x[t-1]`` over the horizon."""
    return analytic_float64(x, n_out).astype(np.float32)


def fit_linear(n_in: int, n_out: int, frequency=None, size: int = LINEAR_FIT_SIZE
               ) -> Callable[[np.ndarray, int], np.ndarray]:
    """Fit the linear baseline: least squares from ``n_in`` input samples to ``n_out``.

    Args:
        n_in: Input length.
        n_out: Horizon.
        frequency: Training frequency in Hz, or ``None`` for the random band (as
            ``data.sample_windows``).
        size: Training windows (drawn from a fixed seed, never the held-out sets).

    Returns:
        ``predict(x, n_out)``; it refuses windows of another length or another horizon.
    """
    n_in = require_positive_int("n_in", n_in)
    fitted_out = require_positive_int("n_out", n_out)
    size = require_positive_int("size", size)
    x, y = sample_windows(size, n_in, fitted_out, frequency=frequency,
                          seed=[LINEAR_KEY, n_in, fitted_out])
    inputs = np.concatenate([x[:, :, 0].astype(np.float64), np.ones((size, 1))], axis=1)
    gram = inputs.T @ inputs
    gram += LINEAR_RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))
    coefficients = np.linalg.solve(gram, inputs.T @ y.astype(np.float64))

    def linear(x, n_out: int) -> np.ndarray:
        windows, n_out = _check_windows(x, n_out)
        if windows.shape[1] != n_in or n_out != fitted_out:
            raise ValueError(
                f"this linear baseline was fitted for {n_in} -> {fitted_out} samples, got "
                f"windows of {windows.shape[1]} samples and n_out={n_out}"
            )
        return (windows @ coefficients[:-1] + coefficients[-1]).astype(np.float32)

    linear.__doc__ = f"Least squares {n_in} -> {fitted_out} samples (fitted on {size} windows)."
    return linear


@functools.lru_cache(maxsize=32)
def _linear_for(n_in: int, n_out: int, frequency: float | None):
    return fit_linear(n_in, n_out, frequency)


def linear(x, n_out: int) -> np.ndarray:
    """The linear baseline fitted on the random band for this input length and horizon."""
    windows, n_out = _check_windows(x, n_out)
    return _linear_for(windows.shape[1], n_out, None)(windows, n_out)


#: Every baseline by name: ``predict(x, n_out) -> y_pred``.
BASELINES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "zero": zero,
    "persistence": persistence,
    "seasonal-naive": seasonal_naive,
    "linear": linear,
    "analytic": analytic,
}


def baseline_for(name: str, exp: Experiment | str) -> Callable[[np.ndarray, int], np.ndarray]:
    """A baseline as it stands beside ``exp``'s network: the linear one is fitted on the
    experiment's own training distribution; the others need no fitting.

    Raises:
        ValueError: unknown baseline name (the message lists the known ones) or experiment.
    """
    exp = get_experiment(exp)
    if not isinstance(name, str) or name not in BASELINES:
        raise ValueError(f"unknown baseline {shown(name)}; known baselines: "
                         f"{', '.join(BASELINES)}")
    if name == "linear":
        return _linear_for(exp.n_in, exp.n_out, exp.frequency)
    return BASELINES[name]
