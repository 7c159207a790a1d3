"""The figures of one experiment. Every function takes data (or a model) and returns a Figure.

The original's three-panel picture, a training curve with the original's numbers marked, the
held-out error against frequency, and a few training windows; the drawing helpers
(``draw_prediction``, ``draw_training_curve``, ``mark_training_band``) are public so that the
study's figures and the explorer's widget draw the same way. Matplotlib is imported inside the
functions: ``import sinelib`` stays fast for code that never plots.
"""

from __future__ import annotations

import numpy as np

from sinelib.plumbing.arguments import (
    require_non_negative_int, require_numeric_array, require_positive_int, shown,
)
from sinelib.baselines import BASELINES
from sinelib.cells import forward
from sinelib.data import RANDOM_BAND, SAMPLING_RATE, sample_windows
from sinelib.evaluation import REPORT_FREQUENCIES, heldout_loss, predictor, require_frequencies
from sinelib.experiments import Experiment, get_experiment
from sinelib.plumbing.history import learning_rate_changes
from sinelib.losses import summed_loss


def plot_predictions(model, exp: Experiment | str, frequencies=REPORT_FREQUENCIES, shift=None,
                     seed: int = 0, title: str | None = None):
    """The original's picture: one panel per frequency, input, true continuation and prediction.

    Black is the input window, green dotted the true continuation, red the prediction; the
    y-axis is fixed to [-1, 1] as in the original.

    Args:
        model: A model for ``exp``, or a baseline ``predict(x, n_out)``.
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
    frequencies = list(require_frequencies(frequencies))
    seed = require_non_negative_int("seed", seed)
    predict_fn = predictor(model, exp)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {shown(title)}")
    x, y = sample_windows(len(frequencies), exp.n_in, exp.n_out, frequency=frequencies,
                          shift=shift, seed=seed)
    y_pred = predict_fn(x)
    figure = Figure(figsize=(7, 2.2 * len(frequencies)), layout="constrained")
    axes = figure.subplots(len(frequencies), 1, sharex=True, squeeze=False)[:, 0]
    for ax, frequency, x_row, y_row, p_row in zip(axes, frequencies, x, y, y_pred):
        draw_prediction(ax, frequency, x_row, y_row, p_row)
        ax.set_ylabel("signal")
    axes[-1].set_xlabel("time [t]")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
                  fontsize=8, frameon=False)
    figure.suptitle(title if title is not None else f"{exp.original_id}: {exp.title}")
    return figure


def draw_prediction(ax, frequency, x_row, y_row, p_row) -> dict:
    """One panel of the original's picture: input (black), truth (green dotted), prediction (red).

    Args:
        ax: A Matplotlib axes.
        frequency: The window's frequency in Hz, for the panel title.
        x_row: The input window, ``n_in`` samples (shape ``(n_in,)`` or ``(n_in, 1)``).
        y_row: The true continuation, shape ``(n_out,)``.
        p_row: The prediction, shape ``(n_out,)``.

    Returns:
        The three lines drawn, by role: ``{"input", "truth", "prediction"}`` (a widget moves
        them with ``set_data``).
    """
    n_in, n_out = len(x_row), len(y_row)
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    (line_input,) = ax.plot(t[:n_in], np.asarray(x_row).reshape(-1), color="black",
                            label="input")
    (line_truth,) = ax.plot(t[n_in:], y_row, color="green", linestyle=":",
                            label="true continuation")
    (line_prediction,) = ax.plot(t[n_in:], p_row, color="red", label="prediction")
    loss = summed_loss(np.asarray(y_row)[None], np.asarray(p_row)[None])
    ax.set_title(f"{frequency:g} Hz: summed loss {loss:.3g}", fontsize=9, loc="left")
    ax.set_ylim(-1, 1)
    return {"input": line_input, "truth": line_truth, "prediction": line_prediction}


def mark_training_band(ax, frequency: float | None, color: str = "0.92"):
    """Mark the frequencies a network trained on along ``ax``'s x-axis (in Hz).

    Args:
        ax: A Matplotlib axes whose x-axis is a frequency in Hz.
        frequency: An experiment's ``frequency``: ``None`` shades the random band
            ``RANDOM_BAND``; a number is drawn as a broad grey line.
        color: Colour of the shaded band.

    Returns:
        The artist drawn (labelled "training band" or "training frequency ... Hz").
    """
    if frequency is None:
        return ax.axvspan(*RANDOM_BAND, color=color, zorder=0, label="training band")
    return ax.axvline(frequency, color="0.6", linewidth=4, alpha=0.5, zorder=0,
                      label=f"training frequency {frequency:g} Hz")


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

    x, y = require_numeric_array("x", x), require_numeric_array("y", y)
    if x.ndim != 3 or y.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0 \
            or x.shape[2] != 1:
        raise ValueError(f"x and y must have shapes (batch, n_in, 1) and (batch, n_out), got "
                         f"{x.shape} and {y.shape}")
    if frequencies is not None:
        frequencies = require_frequencies(frequencies)
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


# --- Training curves ----------------------------------------------------------------------

#: One colour per role, the same in every figure (tensorflow_docs' HistoryPlotter habit).
CURVE_COLOR = "C0"
HELDOUT_COLOR = "C1"
QUOTED_COLOR = "red"
TARGET_COLOR = "black"
DECAY_COLOR = "purple"
ZERO_COLOR = "0.35"
OTHER_COLORS = ("C2", "C4", "C5", "C6", "C8")


def draw_training_curve(ax, history: list[dict], exp: Experiment | str, *, others=None,
                        marks: bool = True, legend: bool = True) -> None:
    """Draw a training history on ``ax`` in the original's units, against examples (log loss axis).

    The displayed minibatch loss (every 100 steps) is a thin line, the held-out loss (every
    1000 steps) dots. With ``marks``: the original's quoted loss (red dashed) and lowest loss
    (red dotted), the target of the stopping rule (black dash-dot), the zero baseline's
    held-out loss (grey, densely dotted: a network at that level predicts no better than 0),
    the budget (grey) and every learning-rate step (purple dotted, labelled with the new
    rate).

    Args:
        ax: A Matplotlib axes.
        history: Rows of a training history (``history.HISTORY_COLUMNS``).
        exp: The experiment, for its marks.
        others: Optional mapping of label to another history (e.g. a control run), drawn as
            extra minibatch curves.
        marks: Draw the original's numbers, the target, the budget and the learning-rate steps.
        legend: Add a legend.
    """
    from matplotlib.ticker import FuncFormatter

    exp = get_experiment(exp)
    rows = [row for row in history if row.get("train_loss") is not None]
    # The run on top: a control that shares its first steps (same seed) would hide it.
    ax.plot([row["examples"] for row in rows], [row["train_loss"] for row in rows],
            color=CURVE_COLOR, linewidth=0.9, label="displayed minibatch loss", zorder=3)
    held = [row for row in history if row.get("heldout_loss") is not None]
    if held:
        ax.plot([row["examples"] for row in held], [row["heldout_loss"] for row in held], "o",
                color=HELDOUT_COLOR, markersize=3, label="held-out loss", zorder=4)
    for color, (label, other) in zip(OTHER_COLORS, (others or {}).items()):
        other_rows = [row for row in other if row.get("train_loss") is not None]
        ax.plot([row["examples"] for row in other_rows],
                [row["train_loss"] for row in other_rows], color=color, linewidth=0.9,
                alpha=0.8, label=label, zorder=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
    ax.set_yscale("log")
    if marks:
        if exp.reported.loss is not None:
            ax.axhline(exp.reported.loss, color=QUOTED_COLOR, linestyle="--", linewidth=1,
                       label=f"original's loss {exp.reported.loss:g}")
        if exp.reported.best_loss is not None:
            ax.axhline(exp.reported.best_loss, color=QUOTED_COLOR, linestyle=":", linewidth=1,
                       label=f"original's lowest {exp.reported.best_loss:g}")
        if exp.reported.examples is not None and exp.reported.loss is not None:
            ax.plot([exp.reported.examples], [exp.reported.loss], "*", color=QUOTED_COLOR,
                    markersize=9, label=f"the original at {exp.reported.examples} examples")
        if exp.target_loss is not None:
            ax.axhline(exp.target_loss, color=TARGET_COLOR, linestyle="-.", linewidth=1,
                       label=f"target {exp.target_loss:g}")
        zero = heldout_loss(BASELINES["zero"], exp)
        ax.axhline(zero, color=ZERO_COLOR, linestyle=(0, (1, 2)), linewidth=1.2,
                   label=f"predicting 0: {zero:.3g}")
        ax.axvline(exp.budget_examples, color="0.6", linewidth=1,
                   label=f"budget {exp.budget_examples} examples")
        for index, (examples, rate) in enumerate(learning_rate_changes(history)):
            ax.axvline(examples, color=DECAY_COLOR, linestyle=":", linewidth=1.2,
                       label="learning-rate step" if index == 0 else None)
            ax.annotate(f"lr {rate:.0e}", (examples, 1), xycoords=("data", "axes fraction"),
                        xytext=(2, -10), textcoords="offset points", fontsize=7,
                        color=DECAY_COLOR)
    ax.set_xlabel(f"examples ({exp.batch_size} per step)")
    ax.set_ylabel("loss (the original's units)")
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="upper right")


def plot_training_curve(history: list[dict], exp: Experiment | str, *, others=None,
                        title: str | None = None):
    """A full training curve in the original's units with the original's numbers marked.

    Args:
        history: Rows of a training history (e.g. ``Run.history``).
        exp: The experiment (or its name).
        others: Optional mapping of label to another history drawn beside it.
        title: Figure title; defaults to the experiment's.

    Returns:
        A ``matplotlib.figure.Figure`` with the curve against examples and a steps axis on
        top.
    """
    from matplotlib.figure import Figure

    exp = get_experiment(exp)
    if not history:
        raise ValueError("history is empty: nothing to plot")
    figure = Figure(figsize=(7, 3.6), layout="constrained")
    ax = figure.subplots()
    draw_training_curve(ax, history, exp, others=others)
    batch = exp.batch_size
    top = ax.secondary_xaxis("top", functions=(lambda e: e / batch, lambda s: s * batch))
    top.set_xlabel("Adam steps", fontsize=8)
    figure.suptitle(title if title is not None else f"{exp.original_id}: {exp.title}, training")
    return figure


# --- Error against frequency --------------------------------------------------------------

def plot_error_vs_frequency(curves, *, unit: str = "loss", n_out: int | None = None,
                            training_frequency=None, title: str = "Held-out error against "
                                                                   "frequency"):
    """Held-out error against the test frequency, one line per model.

    Args:
        curves: Mapping of label to ``evaluation.loss_by_frequency`` output
            (``{"frequency", "loss", "mse"}`` arrays).
        unit: ``"loss"`` (the original's units) or ``"mse"`` (per-point MSE, comparable across
            horizons).
        n_out: With ``unit="loss"``, the common horizon: adds a per-point MSE axis on the
            right.
        training_frequency: ``None`` shades the random band [0.5, 4) Hz the models trained
            on; a number marks a single training frequency; ``False`` marks nothing.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``; the original's test frequencies 1, 2, 3 Hz are marked.
    """
    from matplotlib.figure import Figure


    if unit not in ("loss", "mse"):
        raise ValueError(f"unit must be 'loss' or 'mse', got {unit!r}")
    curves = dict(curves)
    if not curves:
        raise ValueError("curves is empty: nothing to plot")
    figure = Figure(figsize=(7, 3.4), layout="constrained")
    ax = figure.subplots()
    if training_frequency is not False:
        mark_training_band(ax, training_frequency)
    for frequency in REPORT_FREQUENCIES:
        ax.axvline(frequency, color="0.75", linestyle=":", linewidth=0.8, zorder=0)
    for index, (label, curve) in enumerate(curves.items()):
        ax.plot(curve["frequency"], curve[unit], marker="o", markersize=2.5, linewidth=1.2,
                color=f"C{index % 10}", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("test frequency [Hz]")
    ax.set_ylabel("held-out loss (the original's units)" if unit == "loss" else "per-point MSE")
    if unit == "loss" and n_out:
        right = ax.secondary_yaxis("right", functions=(lambda v: v / n_out,
                                                       lambda v: v * n_out))
        right.set_ylabel("per-point MSE")
    ax.grid(True, which="major", alpha=0.3)
    if len(curves) > 3:  # many curves: the legend beside the axes, not over the data
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    else:
        ax.legend(fontsize=7, loc="best")
    figure.suptitle(title)
    return figure


def plot_experiment_windows(exp: Experiment | str, count: int = 4, seed: int = 0):
    """A few training windows of an experiment, drawn as ``plot_windows`` draws them.

    Args:
        exp: The experiment (or its name): fixes input length, horizon and frequency rule.
        count: Number of windows.
        seed: Seed of the frequencies and shifts.

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    exp = get_experiment(exp)
    count = require_positive_int("count", count)
    if exp.frequency is None:
        frequencies = np.random.default_rng(seed).uniform(*RANDOM_BAND, size=count)
    else:
        frequencies = np.full(count, exp.frequency)
    x, y = sample_windows(count, exp.n_in, exp.n_out, frequency=frequencies, seed=seed)
    return plot_windows(x, y, frequencies, title=f"{count} windows of experiment "
                                                 f"{exp.original_id}: {exp.n_in} samples in, "
                                                 f"{exp.n_out} to predict")




# --- Inside the network (sinelib.internals) ------------------------------------------------

def plot_state_pca(panels: dict, title: str = "Hidden state on its first two principal "
                                              "components"):
    """Hidden-state trajectories (``internals.state_pca``), one panel per network.

    Args:
        panels: ``{panel title: (pca, {frequency: (length, 2) coordinates})}``.
        title: Figure title.

    Returns:
        A ``Figure`` with one axes per panel: each frequency's trajectory as a line, its first
        state as a dot; the axis labels give each component's share of the variance.
    """
    from matplotlib.figure import Figure

    if not isinstance(panels, dict) or not panels:
        raise ValueError(f"panels must be a non-empty dict {{title: (pca, projections)}}, got "
                         f"{shown(panels)}")
    figure = Figure(figsize=(3.6 * len(panels) + 0.4, 3.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for ax, (name, (pca, projections)) in zip(axes, panels.items()):
        for i, (frequency, points) in enumerate(projections.items()):
            points = np.asarray(points)
            ax.plot(points[:, 0], points[:, 1], color=f"C{i % 10}", lw=1,
                    label=f"{frequency:g} Hz")
            ax.plot(points[0, 0], points[0, 1], "o", color=f"C{i % 10}", ms=4)
        ax.set_xlabel(f"PC 1 ({pca.explained[0]:.0%} of the variance)")
        ax.set_ylabel(f"PC 2 ({pca.explained[1]:.0%})")
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=8)
    figure.suptitle(title)
    return figure


def plot_gate_saturation(panels: dict, title: str = "How often each gate is saturated"):
    """The share of saturated gate values per layer and gate (``internals.gate_saturation``).

    Args:
        panels: ``{network name: rows of gate_saturation}``, one panel each.

    Returns:
        A ``Figure`` with one axes per network: a group of bars per layer, one bar per gate,
        on a shared axis.
    """
    from matplotlib.figure import Figure

    if not isinstance(panels, dict) or not panels:
        raise ValueError(f"panels must be a non-empty dict {{name: rows}}, got {shown(panels)}")
    figure = Figure(figsize=(3.4 * len(panels) + 0.6, 3.0), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels), sharey=True))
    top = max(max(row["saturated"] for row in rows) for rows in panels.values())
    for ax, (name, rows) in zip(axes, panels.items()):
        gates = list(dict.fromkeys(row["gate"] for row in rows))
        layers = sorted({row["layer"] for row in rows})
        width = 0.8 / len(gates)
        for g, gate in enumerate(gates):
            values = [next((row["saturated"] for row in rows
                            if row["layer"] == layer and row["gate"] == gate), np.nan)
                      for layer in layers]
            ax.bar(np.arange(len(layers)) + (g - (len(gates) - 1) / 2) * width, values, width,
                   label=gate, color=f"C{g % 10}")
        ax.set_xticks(np.arange(len(layers)), [f"layer {layer}" for layer in layers])
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("share saturated")
    axes[0].set_ylim(0, max(0.05, 1.15 * top))
    figure.suptitle(title)
    return figure


def _plot_back_in_time(curves: dict, title: str, xlabel: str, ylabel: str, log: bool):
    """Curves over the steps of a window, oldest first, drawn against how far back from the
    last step they are."""
    from matplotlib.figure import Figure

    if not isinstance(curves, dict) or not curves:
        raise ValueError(f"curves must be a non-empty dict {{label: array}}, got "
                         f"{shown(curves)}")
    figure = Figure(figsize=(7, 3.0), layout="constrained")
    ax = figure.subplots()
    for i, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values))[::-1], values, "-" if log else "o-", ms=3,
                color=f"C{i % 10}", label=label)
    if log:
        ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    figure.suptitle(title)
    return figure


def plot_input_gradients(curves: dict, title: str = "Which input samples the loss depends on"):
    """Mean ``|d loss / d x_t|`` per input sample (``internals.input_gradients``).

    Args:
        curves: ``{label: (n_in,) array}``, oldest sample first; windows of different lengths
            are aligned at their last sample.

    Returns:
        A ``Figure``; the x axis counts samples back from the last one read.
    """
    return _plot_back_in_time(curves, title, "samples before the last one read",
                              "mean |d loss / d x_t|", log=False)


def plot_gradient_norms(curves: dict, title: str = "The gradient carried back through time"):
    """Mean norm of d loss / d h_t per step (``internals.gradient_norms_through_time``), on a
    log axis: a straight line is a constant factor per step.

    Args:
        curves: ``{label: (time,) array}``, oldest step first.

    Returns:
        A ``Figure``; the x axis counts steps back from the last one.
    """
    return _plot_back_in_time(curves, title, "steps back from the last one (where the loss "
                                             "enters)", "mean |d loss / d h_t|", log=True)


# --- The recurrence over time: static_rnn against dynamic_rnn ------------------------------

def plot_unrolled(n_steps: int = 25, copies: int = 6,
                  title: str = "What static_rnn and dynamic_rnn build"):
    """The graph an LSTM network is, drawn over its time steps, two ways.

    Top: ``static_rnn`` (Keras ``unroll=True``): one copy of the cell per time step, every
    copy with the same weights, the state ``(h, c)`` passed from each copy to the next, the
    last ``h`` into the read-out. Bottom: ``dynamic_rnn`` (Keras' default): one cell inside a
    symbolic while loop that runs ``n_steps`` times. Both compute the same function.

    Args:
        n_steps: The window length (time steps read).
        copies: Most copies drawn in the top row; a longer window is drawn as its first
            copies, an ellipsis and the last copy.

    Returns:
        A ``Figure`` with two axes (unrolled, loop); every box is a text with a frame.
    """
    from matplotlib.figure import Figure

    n_steps = require_positive_int("n_steps", n_steps)
    copies = require_positive_int("copies", copies)
    if copies < 3:
        raise ValueError(f"copies must be at least 3 (first copies, ellipsis, last), got "
                         f"{copies}")
    if not isinstance(title, str):
        raise ValueError(f"title must be a string, got {shown(title)}")
    steps = list(range(n_steps)) if n_steps <= copies else \
        list(range(copies - 2)) + [None, n_steps - 1]
    box = dict(boxstyle="round,pad=0.35", facecolor="#dbe9f6", edgecolor="C0")
    readout_box = dict(boxstyle="round,pad=0.5", facecolor="#fde2cf", edgecolor="C1")
    io_style = dict(ha="center", va="center", fontsize=9)
    arrow = dict(arrowstyle="->", color="0.3", shrinkA=12, shrinkB=12)

    figure = Figure(figsize=(8.5, 5.2), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=(1.15, 1))
    for ax in (top, bottom):
        ax.set_axis_off()

    # Unrolled: one copy per step.
    columns = len(steps)
    top.set_xlim(-1.3, columns + 1.2)
    top.set_ylim(-0.6, 2.6)
    top.text(-1.0, 1, "h = 0\nc = 0", **io_style)
    top.annotate("", (0, 1), (-1.0, 1), arrowprops=arrow)
    for column, t in enumerate(steps):
        if t is None:
            top.text(column, 1, "· · ·", fontsize=14, ha="center", va="center")
            top.text(column, 0, "· · ·", fontsize=14, ha="center", va="center")
        else:
            top.text(column, 1, "LSTM\ncell", bbox=box, **io_style)
            top.text(column, 0, f"$x_{{{t}}}$", **io_style)
            top.annotate("", (column, 1), (column, 0), arrowprops=arrow)
        if column < columns - 1:
            top.annotate("", (column + 1, 1), (column, 1), arrowprops=arrow)
            top.text(column + 0.5, 1.12, "h, c", fontsize=7, ha="center", color="0.3")
    last = columns - 1
    top.text(last + 1.05, 1, "read-out\nh W_out + b_out", bbox=readout_box, **io_style)
    top.annotate("", (last + 1.05, 1), (last, 1), arrowprops=dict(arrow, shrinkB=22))
    top.text(last + 1.05, 2.2, "prediction\n(the horizon)", **io_style)
    top.annotate("", (last + 1.05, 2.2), (last + 1.05, 1), arrowprops=dict(arrow, shrinkA=16))
    top.set_title(f"static_rnn (Keras unroll=True): {n_steps} copies of one cell, the same "
                  f"weights W, U, b in each", fontsize=10, loc="left")

    # The loop: one cell, run n_steps times.
    bottom.set_xlim(-1.3, columns + 1.2)
    bottom.set_ylim(-0.6, 2.6)
    cell_x = 1.0
    bottom.text(-1.0, 1, "h = 0\nc = 0", **io_style)
    bottom.annotate("", (cell_x, 1), (-1.0, 1), arrowprops=arrow)
    bottom.text(cell_x, 1, "LSTM\ncell", bbox=box, **io_style)
    bottom.text(cell_x, 0, "$x_t$", **io_style)
    bottom.annotate("", (cell_x, 1), (cell_x, 0), arrowprops=arrow)
    bottom.annotate("", (cell_x - 0.25, 1.25), (cell_x + 0.25, 1.25),
                    arrowprops=dict(arrowstyle="->", color="0.3", connectionstyle="arc3,rad=1.8",
                                    shrinkA=2, shrinkB=2))
    bottom.text(cell_x + 0.4, 1.75, f"h, c back into the cell: t = 0, 1, ..., {n_steps - 1}",
                fontsize=8, ha="left", color="0.3")
    readout_x = columns + 0.05
    bottom.text(readout_x, 1, "read-out\nh W_out + b_out", bbox=readout_box, **io_style)
    bottom.annotate("", (readout_x, 1), (cell_x, 1), arrowprops=dict(arrow, shrinkB=22))
    bottom.text(readout_x, 2.2, "prediction\n(the horizon)", **io_style)
    bottom.annotate("", (readout_x, 2.2), (readout_x, 1), arrowprops=dict(arrow, shrinkA=16))
    bottom.text((cell_x + readout_x) / 2, 1.12, f"after step {n_steps - 1}", fontsize=7,
                ha="center", color="0.3")
    bottom.set_title("dynamic_rnn (Keras' default): one cell in a symbolic while loop",
                     fontsize=10, loc="left")
    figure.suptitle(title)
    return figure


def plot_gate_traces(network, window, units=(0, 1, 2), layer: int = -1,
                     title: str = "Inside one LSTM layer, sample by sample"):
    """The gates and the cell state of a few units of one LSTM layer, traced over one window.

    Top: the input window. Then, for each unit, one row: its input, forget and output gates
    (0 to 1, left axis) and its cell value ``c`` (right axis). A forget gate near 1 keeps the
    cell's value; an input gate near 0 writes nothing; an output gate near 0 hides the cell
    from ``h``.

    Args:
        network: A Keras model or ``cells.NetworkWeights`` with an LSTM layer.
        window: One window, ``(time,)``, ``(time, 1)`` or ``(1, time, 1)``.
        units: Which units of the layer to draw.
        layer: Which recurrent layer (``-1``: the top one).
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    from matplotlib.figure import Figure

    window = require_numeric_array("window", window).reshape(-1)
    if window.size < 2:
        raise ValueError(f"window must hold at least 2 samples, got {window.size}")
    trace = forward(network, window[None, :, None])
    states = trace.layers[layer]
    if "forget" not in states:
        raise ValueError("plot_gate_traces needs an LSTM layer; a GRU has no forget gate or "
                         "cell state")
    width = states["cell"].shape[2]
    units = [require_non_negative_int("unit", unit) for unit in units]
    if not units or max(units) >= width:
        raise ValueError(f"units must name units of the layer (0 to {width - 1}), got "
                         f"{shown(units)}")
    t = np.arange(window.size)
    figure = Figure(figsize=(7, 1.4 + 1.5 * len(units)), layout="constrained")
    axes = figure.subplots(len(units) + 1, 1, sharex=True,
                           height_ratios=[0.8] + [1] * len(units))
    axes[0].plot(t, window, color="black", linewidth=1)
    axes[0].set_ylabel("input", fontsize=8)
    for ax, unit in zip(axes[1:], units):
        for gate, color in (("input", "C2"), ("forget", "C0"), ("output", "C1")):
            ax.plot(t, states[gate][0, :, unit], color=color, linewidth=1, label=f"{gate} gate")
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(f"unit {unit}\ngates", fontsize=8)
        cell = ax.twinx()
        cell.plot(t, states["cell"][0, :, unit], color="purple", linewidth=1.4,
                  linestyle="--", label="cell c")
        cell.set_ylabel("c", fontsize=8, color="purple")
        if unit == units[0]:
            lines = ax.get_lines() + cell.get_lines()
            ax.legend(lines, [line.get_label() for line in lines], fontsize=7, ncol=4,
                      loc="upper left", bbox_to_anchor=(0, 1.35))
    axes[-1].set_xlabel("time step t in the window")
    figure.suptitle(title)
    return figure

