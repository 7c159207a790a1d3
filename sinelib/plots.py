"""Figures. Every function takes data (or a model) and returns a Matplotlib Figure."""

from __future__ import annotations

import numpy as np

from sinelib.data import SAMPLING_RATE, sample_windows
from sinelib.checks import check_non_negative_int, shown
from sinelib.evaluation import REPORT_FREQUENCIES, check_frequencies, predictor
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import seed_loss


def plot_predictions(model, exp: Experiment | str, frequencies=REPORT_FREQUENCIES, shift=None,
                     seed: int = 0, title: str | None = None):
    """The seed's picture: one panel per frequency, input, true continuation and prediction.

    Black is the input window, green dotted the true continuation, red the prediction; the
    y-axis is fixed to [-1, 1] as in the seed.

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
    frequencies = list(check_frequencies(frequencies))
    seed = check_non_negative_int("seed", seed)
    predict_fn = predictor(model, exp)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {shown(title)}")
    x, y = sample_windows(len(frequencies), exp.n_in, exp.n_out, frequency=frequencies,
                          shift=shift, rng=seed)
    y_pred = predict_fn(x)
    figure = Figure(figsize=(7, 2.2 * len(frequencies)), layout="constrained")
    axes = figure.subplots(len(frequencies), 1, sharex=True, squeeze=False)[:, 0]
    for ax, frequency, x_row, y_row, p_row in zip(axes, frequencies, x, y, y_pred):
        _draw_prediction(ax, frequency, x_row, y_row, p_row)
        ax.set_ylabel("signal")
    axes[-1].set_xlabel("time [t]")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
                  fontsize=8, frameon=False)
    figure.suptitle(title if title is not None else f"{exp.seed_id}: {exp.title}")
    return figure


def _draw_prediction(ax, frequency, x_row, y_row, p_row) -> None:
    """One panel of the seed's picture: input (black), truth (green dotted), prediction (red)."""
    n_in, n_out = len(x_row), len(y_row)
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    ax.plot(t[:n_in], np.asarray(x_row).reshape(-1), color="black", label="input")
    ax.plot(t[n_in:], y_row, color="green", linestyle=":", label="true continuation")
    ax.plot(t[n_in:], p_row, color="red", label="prediction")
    loss = seed_loss(np.asarray(y_row)[None], np.asarray(p_row)[None])
    ax.set_title(f"{frequency:g} Hz: seed loss {loss:.3g}", fontsize=9, loc="left")
    ax.set_ylim(-1, 1)


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


# --- Training curves ----------------------------------------------------------------------

#: One colour per role, the same in every figure (tensorflow_docs' HistoryPlotter habit).
CURVE_COLOR = "C0"
HELDOUT_COLOR = "C1"
QUOTED_COLOR = "red"
TARGET_COLOR = "black"
DECAY_COLOR = "purple"
OTHER_COLORS = ("C2", "C4", "C5", "C6", "C8")


def draw_training_curve(ax, history: list[dict], exp: Experiment | str, *, others=None,
                        marks: bool = True, legend: bool = True) -> None:
    """Draw a training history on ``ax`` in seed units, against examples (log loss axis).

    The displayed minibatch loss (every 100 steps) is a thin line, the held-out loss (every
    1000 steps) dots. With ``marks``: the seed's quoted loss (red dashed) and lowest loss
    (red dotted), the target of the stopping rule (black dash-dot), the budget (grey) and
    every learning-rate step (purple dotted, labelled with the new rate).

    Args:
        ax: A Matplotlib axes.
        history: Rows of a training history (``training.HISTORY_COLUMNS``).
        exp: The experiment, for its marks.
        others: Optional mapping of label to another history (e.g. a control run), drawn as
            extra minibatch curves.
        marks: Draw the seed's numbers, the target, the budget and the learning-rate steps.
        legend: Add a legend.
    """
    from matplotlib.ticker import FuncFormatter

    from sinelib.analysis import learning_rate_changes

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
        if exp.seed.loss is not None:
            ax.axhline(exp.seed.loss, color=QUOTED_COLOR, linestyle="--", linewidth=1,
                       label=f"seed's loss {exp.seed.loss:g}")
        if exp.seed.best_loss is not None:
            ax.axhline(exp.seed.best_loss, color=QUOTED_COLOR, linestyle=":", linewidth=1,
                       label=f"seed's lowest {exp.seed.best_loss:g}")
        if exp.seed.examples is not None and exp.seed.loss is not None:
            ax.plot([exp.seed.examples], [exp.seed.loss], "*", color=QUOTED_COLOR,
                    markersize=9, label=f"seed at {exp.seed.examples} examples")
        if exp.target_loss is not None:
            ax.axhline(exp.target_loss, color=TARGET_COLOR, linestyle="-.", linewidth=1,
                       label=f"target {exp.target_loss:g}")
        ax.axvline(exp.budget_examples, color="0.6", linewidth=1,
                   label=f"budget {exp.budget_examples} examples")
        for index, (examples, rate) in enumerate(learning_rate_changes(history)):
            ax.axvline(examples, color=DECAY_COLOR, linestyle=":", linewidth=1.2,
                       label="learning-rate step" if index == 0 else None)
            ax.annotate(f"lr {rate:.0e}", (examples, 1), xycoords=("data", "axes fraction"),
                        xytext=(2, -10), textcoords="offset points", fontsize=7,
                        color=DECAY_COLOR)
    ax.set_xlabel("examples (50 per step)")
    ax.set_ylabel("loss (seed units)")
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="upper right")


def plot_training_curve(history: list[dict], exp: Experiment | str, *, others=None,
                        title: str | None = None):
    """A full training curve in seed units with the seed's numbers marked.

    Args:
        history: Rows of a training history (e.g. ``RunRecord.history``).
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
    figure.suptitle(title if title is not None else f"{exp.seed_id}: {exp.title}, training")
    return figure


def plot_curve_grid(runs, ncols: int = 4, title: str = "Training curves"):
    """Every training curve side by side.

    Args:
        runs: Mapping of label to ``(history, experiment)``.
        ncols: Panels per row.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure`` with one axes per run.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    runs = dict(runs)
    if not runs:
        raise ValueError("runs is empty: nothing to plot")
    nrows = -(-len(runs) // ncols)
    figure = Figure(figsize=(3.4 * ncols, 2.8 * nrows), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (label, (history, exp)) in zip(axes, runs.items()):
        draw_training_curve(ax, history, exp, legend=False)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("examples", fontsize=8)
        ax.set_ylabel("seed loss", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_offset_text().set_fontsize(7)
    for ax in axes[len(runs):]:
        ax.set_visible(False)
    handles, labels = [], []
    for color, style, label in ((CURVE_COLOR, "-", "displayed minibatch loss"),
                                (QUOTED_COLOR, "--", "seed's loss"),
                                (TARGET_COLOR, "-.", "target"),
                                (DECAY_COLOR, ":", "learning-rate step"),
                                ("0.6", "-", "budget")):
        handles.append(Line2D([], [], color=color, linestyle=style))
        labels.append(label)
    handles.append(Line2D([], [], color=HELDOUT_COLOR, marker="o", linestyle="none",
                          markersize=3))
    labels.append("held-out loss")
    figure.legend(handles, labels, loc="outside lower center", ncols=6, fontsize=8,
                  frameon=False)
    figure.suptitle(title)
    return figure


# --- Error against frequency --------------------------------------------------------------

def plot_error_vs_frequency(curves, *, unit: str = "loss", n_out: int | None = None,
                            training_frequency=None, title: str = "Held-out error against "
                                                                   "frequency"):
    """Held-out error against the test frequency, one line per model.

    Args:
        curves: Mapping of label to ``evaluation.loss_by_frequency`` output
            (``{"frequency", "loss", "mse"}`` arrays).
        unit: ``"loss"`` (seed units) or ``"mse"`` (per-point MSE, comparable across
            horizons).
        n_out: With ``unit="loss"``, the common horizon: adds a per-point MSE axis on the
            right.
        training_frequency: ``None`` shades the random band [0.5, 4) Hz the models trained
            on; a number marks a single training frequency; ``False`` marks nothing.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``; the seed's test frequencies 1, 2, 3 Hz are marked.
    """
    from matplotlib.figure import Figure

    from sinelib.experiments import RANDOM_BAND

    if unit not in ("loss", "mse"):
        raise ValueError(f"unit must be 'loss' or 'mse', got {unit!r}")
    curves = dict(curves)
    if not curves:
        raise ValueError("curves is empty: nothing to plot")
    figure = Figure(figsize=(7, 3.4), layout="constrained")
    ax = figure.subplots()
    if training_frequency is None:
        ax.axvspan(*RANDOM_BAND, color="0.92", zorder=0, label="training band")
    elif training_frequency is not False:
        ax.axvline(training_frequency, color="0.6", linewidth=4, alpha=0.5, zorder=0,
                   label=f"training frequency {training_frequency:g} Hz")
    for frequency in REPORT_FREQUENCIES:
        ax.axvline(frequency, color="0.75", linestyle=":", linewidth=0.8, zorder=0)
    for index, (label, curve) in enumerate(curves.items()):
        ax.plot(curve["frequency"], curve[unit], marker="o", markersize=2.5, linewidth=1.2,
                color=f"C{index % 10}", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("test frequency [Hz]")
    ax.set_ylabel("held-out loss (seed units)" if unit == "loss" else "per-point MSE")
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


# --- Side by side ----------------------------------------------------------------------------

def plot_prediction_grid(models, frequencies=REPORT_FREQUENCIES, seed: int = 0,
                         title: str = "Every experiment at 1, 2 and 3 Hz"):
    """The seed's picture for several models side by side: one column per model.

    Args:
        models: Mapping of label to ``(model, experiment)``; a model may be a baseline
            ``predict(x, n_out)``.
        frequencies: One row per frequency in Hz.
        seed: Seed of the random shifts (the same windows for every model of one input
            length and horizon).
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure`` with ``len(frequencies)`` rows and one column per model.
    """
    from matplotlib.figure import Figure

    models = dict(models)
    frequencies = list(frequencies)
    if not models or not frequencies:
        raise ValueError("models and frequencies must each name at least one entry")
    figure = Figure(figsize=(2.5 * len(models), 1.9 * len(frequencies) + 0.6),
                    layout="constrained")
    axes = figure.subplots(len(frequencies), len(models), sharey=True, squeeze=False)
    for column, (label, (model, exp)) in enumerate(models.items()):
        exp = get_experiment(exp)
        x, y = sample_windows(len(frequencies), exp.n_in, exp.n_out, frequency=frequencies,
                              rng=seed)
        y_pred = predictor(model, exp)(x)
        for row, frequency in enumerate(frequencies):
            ax = axes[row, column]
            _draw_prediction(ax, frequency, x[row], y[row], y_pred[row])
            ax.title.set_fontsize(7)
            ax.tick_params(labelsize=7)
        axes[0, column].annotate(label, (0.5, 1.25), xycoords="axes fraction", ha="center",
                                 fontsize=9, weight="bold")
    for row in range(len(frequencies)):
        axes[row, 0].set_ylabel("signal", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("time [t]", fontsize=8)
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                  ncols=3, fontsize=8, frameon=False)
    figure.suptitle(title)
    return figure


# --- Clipping and timing -----------------------------------------------------------------------

def plot_loss_spread(histories, last_steps: int = 2000,
                     title: str = "The displayed loss at the end of the budget"):
    """How much the displayed minibatch loss varies at the end of runs, side by side.

    Args:
        histories: Mapping of label to history (e.g. with and without clipping).
        last_steps: Window at the end of each run, in steps.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``: the displayed loss over the window (left) and its
        distribution as box plots (right), in seed units on a log axis.
    """
    from matplotlib.figure import Figure

    from sinelib.analysis import displayed_losses

    histories = dict(histories)
    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(2, 1), sharey=True)
    data = []
    for index, (label, history) in enumerate(histories.items()):
        examples, losses = displayed_losses(history, last_steps=last_steps)
        left.plot(examples, losses, marker="o", markersize=3, linewidth=1,
                  color=f"C{index % 10}", label=label)
        data.append(losses)
    right.boxplot(data, tick_labels=list(histories), whis=(0, 100))
    right.tick_params(axis="x", labelsize=8)
    if len(histories) > 3:  # many boxes: slanted labels that do not run into each other
        right.tick_params(axis="x", labelrotation=35)
        for label in right.get_xticklabels():
            label.set_horizontalalignment("right")
    left.set_yscale("log")
    left.set_xlabel("examples")
    left.set_ylabel("displayed minibatch loss (seed units)")
    left.set_title(f"last {last_steps} steps", fontsize=9)
    right.set_title("min, quartiles, max", fontsize=9)
    left.legend(fontsize=7 if len(histories) > 3 else 8, ncols=2 if len(histories) > 3 else 1)
    for ax in (left, right):
        ax.grid(True, which="major", alpha=0.3)
    figure.suptitle(title)
    return figure


def plot_timings(timings, title: str = "Unrolled graph against the symbolic loop"):
    """Start-up and steady step time of ``unroll=True`` and the loop at each input length.

    Args:
        timings: ``timing.compare_unroll`` output.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure`` with two bar charts (start-up in s, step in ms).
    """
    from matplotlib.figure import Figure

    timings = list(timings)
    if not timings:
        raise ValueError("timings is empty: nothing to plot")
    lengths = sorted({entry["n_in"] for entry in timings})
    figure = Figure(figsize=(7, 3), layout="constrained")
    axes = figure.subplots(1, 2)
    width = 0.38
    for offset, unroll, color, label in ((-width / 2, False, "C0", "symbolic loop (dynamic_rnn)"),
                                         (width / 2, True, "C3", "unroll=True (static_rnn)")):
        entries = {e["n_in"]: e for e in timings if e["unroll"] == unroll}
        positions = np.arange(len(lengths)) + offset
        for ax, key in ((axes[0], "startup_s"), (axes[1], "step_ms")):
            values = [entries[n][key] if n in entries else np.nan for n in lengths]
            ax.bar(positions, values, width, color=color, label=label)
    for ax, ylabel, name in ((axes[0], "seconds", "start-up: build, trace, first step"),
                             (axes[1], "milliseconds", "steady training step (median)")):
        ax.set_xticks(np.arange(len(lengths)), [f"input length {n}" for n in lengths])
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
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
    from sinelib.data import check_positive_int
    from sinelib.experiments import RANDOM_BAND

    exp = get_experiment(exp)
    count = check_positive_int("count", count)
    if exp.frequency is None:
        frequencies = np.random.default_rng(seed).uniform(*RANDOM_BAND, size=count)
    else:
        frequencies = np.full(count, exp.frequency)
    x, y = sample_windows(count, exp.n_in, exp.n_out, frequency=frequencies, rng=seed)
    return plot_windows(x, y, frequencies, title=f"{count} windows of experiment "
                                                 f"{exp.seed_id}: {exp.n_in} samples in, "
                                                 f"{exp.n_out} to predict")


# --- Beyond the seed: the atlas, seed spread, autoregression -----------------------------------

#: Line style of each curve of the atlas, so a name looks the same in every panel.
_ATLAS_STYLE = {
    "network": dict(color="C0", linewidth=1.8),
    "autoregressive": dict(color="C5", linewidth=1.5),
    "persistence": dict(color="C1", linewidth=1.0, linestyle="--"),
    "seasonal-naive": dict(color="C2", linewidth=1.0, linestyle="-."),
    "linear": dict(color="C3", linewidth=1.0, linestyle=":"),
    "analytic": dict(color="C4", linewidth=1.0),
}
_ATLAS_VIEWS = {
    "frequency": ("test frequency [Hz]", "held-out loss (seed units)",
                  "Held-out loss against test frequency (training band shaded)"),
    "horizon": ("horizon step", "per-point MSE",
                "Error at each step of the horizon, on the training distribution"),
    "noise": ("input noise σ (σ = 0 at the left end)", "held-out loss (seed units)",
              "Held-out loss against Gaussian noise on the input (targets clean)"),
}


def plot_atlas(atlas: dict, view: str, experiments=None, ncols: int = 3):
    """One view of the generalisation atlas: a panel per experiment, a line per predictor.

    Args:
        atlas: ``atlas.load_atlas()`` (or ``compute_atlas``) output.
        view: ``"frequency"``, ``"horizon"`` or ``"noise"``.
        experiments: Slugs to draw (default: every experiment in the atlas).
        ncols: Panels per row.

    Returns:
        A ``matplotlib.figure.Figure``, every panel on a log axis; zero errors (the analytic
        baseline on clean data can reach 0 exactly) are drawn at the axis floor.
    """
    from matplotlib.figure import Figure

    from sinelib.atlas import curve
    from sinelib.experiments import get_experiment

    if view not in _ATLAS_VIEWS:
        raise ValueError(f"view must be one of {', '.join(_ATLAS_VIEWS)}, got {shown(view)}")
    slugs = list(atlas["experiments"]) if experiments is None else list(experiments)
    if not slugs:
        raise ValueError("experiments is empty: nothing to plot")
    nrows = -(-len(slugs) // ncols)
    ncols = min(ncols, len(slugs))
    figure = Figure(figsize=(max(3.6 * ncols, 7.5), (2.6 if ncols > 1 else 3.6) * nrows + 0.9),
                    layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False)
    xlabel, ylabel, title = _ATLAS_VIEWS[view]
    for ax, slug in zip(axes.flat, slugs):
        entry = atlas["experiments"][slug]
        if view == "frequency":
            low, high = entry["band"]
            if low == high:
                ax.axvline(low, color="0.6", linewidth=4, alpha=0.5, zorder=0)
            else:
                ax.axvspan(low, high, color="0.92", zorder=0)
        for name in entry["curves"]:
            x, y = curve(atlas, slug, name, view)
            if view == "noise":
                x = np.where(x > 0, x, atlas["sigmas"][1] / 3)  # σ = 0 at the log axis' left
            ax.plot(x, np.maximum(y, 1e-12), label=name, **_ATLAS_STYLE.get(name, {}))
        ax.set_yscale("log")
        if view == "noise":
            ax.set_xscale("log")
        exp = get_experiment(slug)
        ax.set_title(f"{exp.seed_id} ({slug}): {entry['n_in']} → {entry['n_out']}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes.flat[len(slugs):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=8)
    handles = {}
    for ax in axes.flat[:len(slugs)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    figure.legend(handles.values(), handles.keys(), loc="outside lower center",
                  ncols=len(handles), fontsize=8, frameon=False)
    figure.suptitle(title, fontsize=12 if ncols > 1 else 10)
    return figure


def plot_seed_spread(per_seed, title: str = "Held-out loss of every seed"):
    """The held-out loss of each seed of each experiment, with the seed's quoted number.

    Args:
        per_seed: Mapping of label to ``(losses, quoted)``: the per-seed held-out losses
            (seed 0 first) and the seed's number (``None`` where it quotes none).
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``: a dot per seed (seed 0, the shipped run, ringed), the
        mean with ± one standard deviation, and the seed's number as a red bar.
    """
    from matplotlib.figure import Figure

    per_seed = dict(per_seed)
    if not per_seed:
        raise ValueError("per_seed is empty: nothing to plot")
    figure = Figure(figsize=(1.0 * len(per_seed) + 2.5, 3.6), layout="constrained")
    ax = figure.subplots()
    for index, (label, (losses, quoted)) in enumerate(per_seed.items()):
        losses = np.asarray(losses, dtype=np.float64)
        offsets = np.linspace(-0.15, 0.15, len(losses)) if len(losses) > 1 else np.zeros(1)
        ax.scatter(index + offsets, losses, s=16, color="C0", zorder=3,
                   label="one seed" if index == 0 else None)
        ax.scatter([index + offsets[0]], losses[:1], s=60, facecolors="none", edgecolors="k",
                   zorder=4, label="seed 0 (shipped)" if index == 0 else None)
        if len(losses) > 1:
            ax.errorbar(index + 0.3, losses.mean(), yerr=losses.std(ddof=1), fmt="s",
                        color="C1", markersize=4, capsize=3,
                        label="mean ± std" if index == 0 else None)
        if quoted is not None:
            ax.hlines(quoted, index - 0.35, index + 0.35, color="C3", linewidth=2,
                      label="the seed's number" if index == 0 else None)
    ax.set_xticks(range(len(per_seed)), list(per_seed), rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("held-out loss (seed units)")
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = [], []
    for handle, label in zip(*ax.get_legend_handles_labels()):
        if label not in labels:
            handles.append(handle)
            labels.append(label)
    ax.legend(handles, labels, fontsize=7, loc="upper left")
    figure.suptitle(title)
    return figure
