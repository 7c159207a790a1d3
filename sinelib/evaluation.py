"""Held-out evaluation in the original's units and as per-point MSE."""

from __future__ import annotations

import numbers

import numpy as np

from sinelib.cells import forward
from sinelib.plumbing.arguments import require_model, require_number, require_positive_int, shown
from sinelib.data import HELDOUT_SIZE, NYQUIST, heldout_windows
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import per_point_mse, summed_loss
from sinelib.models import predict

#: Fixed test frequencies of every report (the original's pictures use 1, 2 and 3 Hz).
REPORT_FREQUENCIES: tuple[float, ...] = (1.0, 2.0, 3.0)


def _numbers(name: str, values, check, what: str, unit: str = "") -> tuple[float, ...]:
    """One number or a non-empty sequence of numbers, each passed through ``check``."""
    if isinstance(values, numbers.Number):
        values = (values,)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a number or a sequence of numbers{unit}, got "
                         f"{shown(values)}")
    checked = tuple(check(value) for value in values)
    if not checked:
        raise ValueError(f"{name} must name at least one {what}, got none")
    return checked


def require_frequencies(frequencies) -> tuple[float, ...]:
    """Test frequencies as a tuple of floats: one number, or a non-empty sequence of numbers,
    each finite and in (0, 50) Hz; otherwise ``ValueError`` naming the value."""
    return _numbers(
        "frequencies", frequencies,
        lambda frequency: require_number("test frequency", frequency, 0.0, NYQUIST,
                                       low_open=True, high_open=True,
                                       unit=" Hz (the Nyquist limit)"),
        "frequency", " in Hz")


def require_model_fits(model, exp: Experiment) -> None:
    """Raise ``ValueError`` unless ``model`` maps ``exp.n_in`` samples to ``exp.n_out``."""
    require_model(model)
    if model.input_shape[1] != exp.n_in or model.output_shape[-1] != exp.n_out:
        raise ValueError(
            f"model maps {model.input_shape[1]} -> {model.output_shape[-1]} samples, but "
            f"{exp.slug} is {exp.n_in} -> {exp.n_out}"
        )


def predictor(model, exp: Experiment, any_length: bool = False):
    """``x -> y_pred`` for a network built for ``exp`` or a baseline ``predict(x, n_out)``
    (``sinelib.BASELINES``), so that both are measured by the same code.

    With ``any_length`` a network reads windows of any length, step by step in NumPy
    (``sinelib.cells.forward``), instead of its compiled call on windows of its own input."""
    if callable(model) and not hasattr(model, "input_shape"):
        return lambda x: model(x, exp.n_out)
    require_model_fits(model, exp)
    if any_length:
        return lambda x: forward(model, x).prediction
    return lambda x: predict(model, x)


def _measure(predict_fn, exp: Experiment, frequency, size: int) -> tuple[float, float]:
    x, y = heldout_windows(exp.n_in, exp.n_out, frequency, size)
    y_pred = predict_fn(x)
    return summed_loss(y, y_pred), per_point_mse(y, y_pred)


def heldout_loss(model, exp: Experiment, size: int = HELDOUT_SIZE) -> float:
    """Summed loss on the experiment's own held-out set (its training distribution)."""
    exp = get_experiment(exp)
    return _measure(predictor(model, exp), exp, exp.frequency, size)[0]


def evaluate(model, exp: Experiment | str, frequencies=REPORT_FREQUENCIES,
             size: int = HELDOUT_SIZE) -> dict:
    """Measure a model on fixed, seeded held-out sets.

    Args:
        model: A model built for ``exp``, or a baseline (``sinelib.BASELINES``).
        exp: The experiment (or its name); fixes input length, horizon and training band.
        frequencies: Fixed test frequencies in Hz (a number or a sequence), each below the
            50 Hz Nyquist limit.
        size: Windows per held-out set (random shifts, seeded).

    Returns:
        ``{"loss", "mse", "size", "by_frequency": [{"frequency", "loss", "mse"}, ...]}``:
        ``loss`` in the original's units (summed over the horizon), ``mse`` per point, first on the
        experiment's training distribution, then at each fixed frequency.

    Raises:
        ValueError: unknown experiment, a model of another shape, a bad size or frequency.
    """
    exp = get_experiment(exp)
    size = require_positive_int("size", size)
    checked = require_frequencies(frequencies)
    predict_fn = predictor(model, exp)

    loss, mse = _measure(predict_fn, exp, exp.frequency, size)
    by_frequency = []
    for frequency in checked:
        f_loss, f_mse = _measure(predict_fn, exp, frequency, size)
        by_frequency.append({"frequency": frequency, "loss": f_loss, "mse": f_mse})
    return {"loss": loss, "mse": mse, "size": size, "by_frequency": by_frequency}


#: Test frequencies of the error-against-frequency curves: 0.25 to 5 Hz, beyond the band.
CURVE_FREQUENCIES: tuple[float, ...] = tuple(0.25 * k for k in range(1, 21))


def loss_by_frequency(model, exp: Experiment | str, frequencies=CURVE_FREQUENCIES,
                      size: int = 200) -> dict:
    """Held-out error at each of many fixed frequencies, for error-against-frequency plots.

    Args:
        model: A model built for ``exp``, or a baseline.
        exp: The experiment (or its name).
        frequencies: Test frequencies in Hz, each below the 50 Hz Nyquist limit.
        size: Windows per frequency (fixed, seeded shifts).

    Returns:
        ``{"frequency", "loss", "mse"}``: float arrays of shape ``(len(frequencies),)``, the
        loss in the original's units and the per-point MSE.
    """
    metrics = evaluate(model, exp, frequencies=frequencies, size=size)
    entries = metrics["by_frequency"]
    return {key: np.array([entry[key] for entry in entries], dtype=np.float64)
            for key in ("frequency", "loss", "mse")}


def minibatch_losses(model, exp: Experiment | str, size: int = 5000,
                     batch_size: int | None = None) -> np.ndarray:
    """The summed loss of fixed weights on many held-out minibatches.

    The original printed one minibatch value; this is how much that value scatters for one set
    of weights, from the draw of the minibatch alone (held-out windows, fixed and seeded).

    Args:
        model: A model built for ``exp``.
        exp: The experiment (or its name).
        size: Held-out windows in all; must be a multiple of ``batch_size``.
        batch_size: Windows per minibatch; default the experiment's (50).

    Returns:
        float array of shape ``(size // batch_size,)``: one summed loss per minibatch.
    """
    exp = get_experiment(exp)
    size = require_positive_int("size", size)
    batch_size = require_positive_int("batch_size", batch_size or exp.batch_size)
    if size % batch_size:
        raise ValueError(f"size ({size}) must be a multiple of batch_size ({batch_size})")
    x, y = heldout_windows(exp.n_in, exp.n_out, exp.frequency, size)
    squared = (predictor(model, exp)(x).astype(np.float64) - y) ** 2
    return squared.sum(axis=1).reshape(-1, batch_size).mean(axis=1)


def loss_by_horizon(model, exp: Experiment | str, frequency=None,
                    size: int = HELDOUT_SIZE) -> np.ndarray:
    """Mean squared error at each step of the horizon, on a held-out set.

    The summed loss is the sum of these ``n_out`` numbers; the curve says where along the
    horizon the error builds up.

    Args:
        model: A model built for ``exp``, or a baseline.
        exp: The experiment (or its name).
        frequency: ``None`` for the experiment's training distribution, or a fixed frequency.
        size: Held-out windows.

    Returns:
        float array of shape ``(n_out,)``.
    """
    exp = get_experiment(exp)
    size = require_positive_int("size", size)
    if frequency is not None:
        frequency = require_frequencies(frequency)[0]
    x, y = heldout_windows(exp.n_in, exp.n_out,
                           exp.frequency if frequency is None else frequency, size)
    return ((predictor(model, exp)(x).astype(np.float64) - y) ** 2).mean(axis=0)


#: Input noise levels (standard deviation, in units of the unit-amplitude sine) of the
#: error-against-noise curves.
NOISE_LEVELS: tuple[float, ...] = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
#: Entropy of the input noise; fixed so that every model sees the same noisy windows.
NOISE_KEY = 20_161_003


def loss_by_noise(model, exp: Experiment | str, sigmas=NOISE_LEVELS,
                  size: int = HELDOUT_SIZE) -> dict:
    """Held-out summed loss when Gaussian noise is added to the input windows (targets clean).

    Args:
        model: A model built for ``exp``, or a baseline.
        exp: The experiment (or its name); its training distribution and held-out set.
        sigmas: Noise standard deviations, each finite and at least 0.
        size: Held-out windows; every model sees the same noise at each level.

    Returns:
        ``{"sigma", "loss"}``: float arrays of shape ``(len(sigmas),)``.
    """
    exp = get_experiment(exp)
    size = require_positive_int("size", size)
    sigmas = _numbers("sigmas", sigmas, lambda sigma: require_number("noise sigma", sigma, 0.0),
                      "noise level")
    predict_fn = predictor(model, exp)
    x, y = heldout_windows(exp.n_in, exp.n_out, exp.frequency, size)
    unit_noise = np.random.default_rng([NOISE_KEY, exp.n_in, 3]).standard_normal(x.shape)
    losses = [summed_loss(y, predict_fn((x + sigma * unit_noise).astype(np.float32)))
              for sigma in sigmas]
    return {"sigma": np.array(sigmas), "loss": np.array(losses)}


#: Entropy of the input noise of ``loss_by_input_length``; never meets another key.
INPUT_LENGTH_NOISE_KEY = 20_161_004


def loss_by_input_length(model, exp: Experiment | str, lengths, sigma: float = 0.0,
                         size: int = HELDOUT_SIZE) -> dict:
    """Held-out summed loss when only the last ``k`` samples of each window are read.

    A network reads them from its zero initial state, step by step (``sinelib.cells.forward``,
    which runs any length, also longer than its input); a baseline is called on them (the
    linear one is fitted for each length). Every length predicts the same targets: the held-out
    windows are ``max(lengths)`` samples long (at least the experiment's input), cut from the
    left.

    Args:
        model: A model built for ``exp``, or a baseline ``predict(x, n_out)``.
        exp: The experiment (or its name): horizon and training distribution.
        lengths: Input lengths in samples (positive integers).
        sigma: Standard deviation of Gaussian noise added to the input samples (targets clean);
            the same noise for every length and model.
        size: Held-out windows.

    Returns:
        ``{"length", "loss"}``: arrays of shape ``(len(lengths),)``.
    """
    exp = get_experiment(exp)
    size = require_positive_int("size", size)
    sigma = require_number("noise sigma", sigma, 0.0)
    if isinstance(lengths, numbers.Integral):
        lengths = [lengths]
    lengths = [require_positive_int("input length", k) for k in lengths]
    if not lengths:
        raise ValueError("lengths must name at least one input length, got none")
    longest = max(max(lengths), exp.n_in)
    x, y = heldout_windows(longest, exp.n_out, exp.frequency, size)
    noise = np.random.default_rng([INPUT_LENGTH_NOISE_KEY, longest]).standard_normal(x.shape)
    x = (x + sigma * noise).astype(np.float32)
    run = predictor(model, exp, any_length=True)
    losses = [summed_loss(y, np.asarray(run(x[:, -k:]), dtype=np.float64)) for k in lengths]
    return {"length": np.array(lengths), "loss": np.array(losses)}
