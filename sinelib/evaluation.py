"""Held-out evaluation in the seed's units and as per-point MSE."""

from __future__ import annotations

import numbers

from sinelib.checks import check_model, check_number, check_positive_int, shown
from sinelib.data import HELDOUT_SIZE, NYQUIST, heldout_windows
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import per_point_mse, seed_loss
from sinelib.models import predict

#: Fixed test frequencies of every report (the seed's pictures use 1, 2 and 3 Hz).
REPORT_FREQUENCIES: tuple[float, ...] = (1.0, 2.0, 3.0)


def check_frequencies(frequencies) -> tuple[float, ...]:
    """Test frequencies as a tuple of floats: one number, or a non-empty sequence of numbers,
    each finite and in (0, 50) Hz; otherwise ``ValueError`` naming the value."""
    if isinstance(frequencies, numbers.Number):
        frequencies = (frequencies,)
    if isinstance(frequencies, (str, bytes)) or not hasattr(frequencies, "__iter__"):
        raise ValueError(
            f"frequencies must be a number or a sequence of numbers in Hz, got "
            f"{shown(frequencies)}"
        )
    checked = tuple(
        check_number("test frequency", frequency, 0.0, NYQUIST, low_open=True, high_open=True,
                     unit=" Hz (the Nyquist limit)")
        for frequency in frequencies
    )
    if not checked:
        raise ValueError("frequencies must name at least one frequency, got none")
    return checked


def check_model_fits(model, exp: Experiment) -> None:
    """Raise ``ValueError`` unless ``model`` maps ``exp.n_in`` samples to ``exp.n_out``."""
    check_model(model)
    if model.input_shape[1] != exp.n_in or model.output_shape[-1] != exp.n_out:
        raise ValueError(
            f"model maps {model.input_shape[1]} -> {model.output_shape[-1]} samples, but "
            f"{exp.slug} is {exp.n_in} -> {exp.n_out}"
        )


def _measure(model, exp: Experiment, frequency, size: int) -> tuple[float, float]:
    x, y = heldout_windows(exp.n_in, exp.n_out, frequency, size)
    y_pred = predict(model, x)
    return seed_loss(y, y_pred), per_point_mse(y, y_pred)


def heldout_loss(model, exp: Experiment, size: int = HELDOUT_SIZE) -> float:
    """Seed-unit loss on the experiment's own held-out set (its training distribution)."""
    exp = get_experiment(exp)
    return _measure(model, exp, exp.frequency, size)[0]


def evaluate(model, exp: Experiment | str, frequencies=REPORT_FREQUENCIES,
             size: int = HELDOUT_SIZE) -> dict:
    """Measure a model on fixed, seeded held-out sets.

    Args:
        model: A model built for ``exp``.
        exp: The experiment (or its name); fixes input length, horizon and training band.
        frequencies: Fixed test frequencies in Hz (a number or a sequence), each below the
            50 Hz Nyquist limit.
        size: Windows per held-out set (random shifts, seeded).

    Returns:
        ``{"loss", "mse", "size", "by_frequency": [{"frequency", "loss", "mse"}, ...]}``:
        ``loss`` in seed units (summed over the horizon), ``mse`` per point, first on the
        experiment's training distribution, then at each fixed frequency.

    Raises:
        ValueError: unknown experiment, a model of another shape, a bad size or frequency.
    """
    exp = get_experiment(exp)
    size = check_positive_int("size", size)
    checked = check_frequencies(frequencies)
    check_model_fits(model, exp)

    loss, mse = _measure(model, exp, exp.frequency, size)
    by_frequency = []
    for frequency in checked:
        f_loss, f_mse = _measure(model, exp, frequency, size)
        by_frequency.append({"frequency": frequency, "loss": f_loss, "mse": f_mse})
    return {"loss": loss, "mse": mse, "size": size, "by_frequency": by_frequency}
