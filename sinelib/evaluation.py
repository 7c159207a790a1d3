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


#: Test frequencies of the error-against-frequency curves: 0.25 to 5 Hz, beyond the band.
CURVE_FREQUENCIES: tuple[float, ...] = tuple(0.25 * k for k in range(1, 21))


def loss_by_frequency(model, exp: Experiment | str, frequencies=CURVE_FREQUENCIES,
                      size: int = 200) -> dict:
    """Held-out error at each of many fixed frequencies, for error-against-frequency plots.

    Args:
        model: A model built for ``exp``.
        exp: The experiment (or its name).
        frequencies: Test frequencies in Hz, each below the 50 Hz Nyquist limit.
        size: Windows per frequency (fixed, seeded shifts).

    Returns:
        ``{"frequency", "loss", "mse"}``: float arrays of shape ``(len(frequencies),)``, the
        loss in seed units and the per-point MSE.
    """
    import numpy as np

    metrics = evaluate(model, exp, frequencies=frequencies, size=size)
    entries = metrics["by_frequency"]
    return {key: np.array([entry[key] for entry in entries], dtype=np.float64)
            for key in ("frequency", "loss", "mse")}


def minibatch_losses(model, exp: Experiment | str, size: int = 5000,
                     batch_size: int | None = None) -> np.ndarray:
    """The seed loss of fixed weights on many held-out minibatches.

    The seed printed one minibatch value; this is how much that value scatters for one set
    of weights, from the draw of the minibatch alone (held-out windows, fixed and seeded).

    Args:
        model: A model built for ``exp``.
        exp: The experiment (or its name).
        size: Held-out windows in all; must be a multiple of ``batch_size``.
        batch_size: Windows per minibatch; default the experiment's (50).

    Returns:
        float array of shape ``(size // batch_size,)``: one seed loss per minibatch.
    """
    import numpy as np

    exp = get_experiment(exp)
    size = check_positive_int("size", size)
    batch_size = check_positive_int("batch_size", batch_size or exp.batch_size)
    if size % batch_size:
        raise ValueError(f"size ({size}) must be a multiple of batch_size ({batch_size})")
    x, y = heldout_windows(exp.n_in, exp.n_out, exp.frequency, size)
    squared = (predict(model, x).astype(np.float64) - y) ** 2
    return squared.sum(axis=1).reshape(-1, batch_size).mean(axis=1)
