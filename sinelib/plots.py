"""Figures. Every function takes data (or a model) and returns a Matplotlib Figure."""

from __future__ import annotations

import numpy as np

from sinelib.data import SAMPLING_RATE, sample_windows
from sinelib.evaluation import REPORT_FREQUENCIES
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import seed_loss
from sinelib.models import predict


def plot_predictions(model, exp: Experiment | str, frequencies=REPORT_FREQUENCIES, shift=None,
                     seed: int = 0, title: str | None = None):
    """The seed's picture: one panel per frequency, input, true continuation and prediction.

    Black is the input window, green dotted the true continuation, red the prediction; the
    y-axis is fixed to [-1, 1] as in the seed.

    Args:
        model: A model for ``exp``.
        exp: The experiment (or its name).
        frequencies: One panel per frequency in Hz (below the 50 Hz Nyquist limit).
        shift: The shift t0 in seconds; ``None`` draws one per panel from ``seed``.
        seed: Seed of the random shifts.
        title: Figure title; defaults to the experiment's.

    Returns:
        A ``matplotlib.figure.Figure`` with ``len(frequencies)`` stacked axes.
    """
    from matplotlib.figure import Figure

    exp = get_experiment(exp)
    frequencies = list(frequencies)
    if not frequencies:
        raise ValueError("frequencies must name at least one frequency")
    x, y = sample_windows(len(frequencies), exp.n_in, exp.n_out, frequency=frequencies,
                          shift=shift, rng=seed)
    y_pred = predict(model, x)
    t = np.arange(exp.n_in + exp.n_out) / SAMPLING_RATE
    figure = Figure(figsize=(7, 2.2 * len(frequencies)), layout="constrained")
    axes = figure.subplots(len(frequencies), 1, sharex=True, squeeze=False)[:, 0]
    for ax, frequency, x_row, y_row, p_row in zip(axes, frequencies, x, y, y_pred):
        ax.plot(t[:exp.n_in], x_row[:, 0], color="black", label="input")
        ax.plot(t[exp.n_in:], y_row, color="green", linestyle=":", label="true continuation")
        ax.plot(t[exp.n_in:], p_row, color="red", label="prediction")
        loss = seed_loss(y_row[None], p_row[None])
        ax.set_title(f"{frequency:g} Hz: seed loss {loss:.3g}", fontsize=9, loc="left")
        ax.set_ylim(-1, 1)
        ax.set_ylabel("signal")
    axes[-1].set_xlabel("time [t]")
    axes[0].legend(loc="upper right", fontsize=8, ncols=3)
    figure.suptitle(title if title is not None else f"{exp.seed_id}: {exp.title}")
    return figure
