"""Figures. Every function takes data (or a model) and returns a Matplotlib Figure."""

from __future__ import annotations

import numpy as np

from sinelib.data import SAMPLING_RATE, sample_windows
from sinelib.checks import check_non_negative_int, shown
from sinelib.evaluation import REPORT_FREQUENCIES, check_frequencies, check_model_fits
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
    frequencies = list(check_frequencies(frequencies))
    seed = check_non_negative_int("seed", seed)
    check_model_fits(model, exp)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {shown(title)}")
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
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
                  fontsize=8, frameon=False)
    figure.suptitle(title if title is not None else f"{exp.seed_id}: {exp.title}")
    return figure


def plot_windows(x, y, frequencies=None, title: str = "Training windows"):
    """A few windows as the network sees them: input in black, target continuation in green.

    Args:
        x: Inputs, shape ``(batch, n_in, 1)``.
        y: Targets, shape ``(batch, n_out)``.
        frequencies: Optional frequency of each window, for the legend.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure`` with one axes.
    """
    from matplotlib.figure import Figure

    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 3 or y.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0 \
            or x.shape[2] != 1:
        raise ValueError(f"x and y must have shapes (batch, n_in, 1) and (batch, n_out), got "
                         f"{x.shape} and {y.shape}")
    if x.dtype.kind not in "iuf" or y.dtype.kind not in "iuf":
        raise ValueError(f"x and y must be numeric, got dtypes {x.dtype} and {y.dtype}")
    if frequencies is not None:
        frequencies = check_frequencies(frequencies)
        if len(frequencies) != len(x):
            raise ValueError(f"frequencies must give one frequency per window ({len(x)}), got "
                             f"{len(frequencies)}: {shown(frequencies)}")
    n_in, n_out = x.shape[1], y.shape[1]
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    figure = Figure(figsize=(7, 2.8), layout="constrained")
    ax = figure.subplots()
    colors = [f"C{i % 10}" for i in range(len(x))]
    for i, (x_row, y_row) in enumerate(zip(x, y)):
        label = None if frequencies is None else f"{frequencies[i]:.2f} Hz"
        ax.plot(t[:n_in], x_row[:, 0], color=colors[i], label=label)
        ax.plot(t[n_in:], y_row, color=colors[i], linestyle=":")
    ax.axvspan(t[n_in] - 0.5 / SAMPLING_RATE, t[-1], color="0.92", zorder=0)
    ax.text(t[n_in], 1.02, " horizon (target)", va="bottom", fontsize=8)
    ax.text(0, 1.02, "input", va="bottom", fontsize=8)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("time [t]")
    ax.set_ylabel("signal")
    if frequencies is not None:
        ax.legend(loc="lower left", fontsize=8, ncols=min(len(x), 4))
    figure.suptitle(title)
    return figure
