"""Figures of the study: several experiments side by side, the clipping spread, the timings,
the atlas and the seed spread. Every function takes data and returns a Matplotlib Figure; the
plots of one experiment are in ``sinelib.plots``, whose drawing helpers these reuse. As there,
Matplotlib is imported inside the functions, so that importing the study stays fast."""

from __future__ import annotations

import numpy as np

from sinelib.plumbing.arguments import shown
from sinelib.data import sample_windows
from sinelib.evaluation import REPORT_FREQUENCIES, predictor
from sinelib.experiments import get_experiment
from sinelib.plots import (
    CURVE_COLOR, DECAY_COLOR, HELDOUT_COLOR, QUOTED_COLOR, TARGET_COLOR, draw_prediction,
    draw_training_curve, mark_training_band,
)
from sinelib.study.analysis import train_losses
from sinelib.study.atlas import curve


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
        ax.set_ylabel("summed loss", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_offset_text().set_fontsize(7)
    for ax in axes[len(runs):]:
        ax.set_visible(False)
    handles, labels = [], []
    for color, style, label in ((CURVE_COLOR, "-", "displayed minibatch loss"),
                                (QUOTED_COLOR, "--", "original's loss"),
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


def plot_prediction_grid(models, frequencies=REPORT_FREQUENCIES, seed: int = 0,
                         title: str = "Every experiment at 1, 2 and 3 Hz"):
    """The original's picture for several models side by side: one column per model.

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
                              seed=seed)
        y_pred = predictor(model, exp)(x)
        for row, frequency in enumerate(frequencies):
            ax = axes[row, column]
            draw_prediction(ax, frequency, x[row], y[row], y_pred[row])
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


def plot_loss_spread(histories, last_steps: int = 2000,
                     title: str = "The displayed loss at the end of the budget"):
    """How much the displayed minibatch loss varies at the end of runs, side by side.

    Args:
        histories: Mapping of label to history (e.g. with and without clipping).
        last_steps: Window at the end of each run, in steps.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``: the displayed loss over the window (left) and its
        distribution as box plots (right), in the original's units on a log axis.
    """
    from matplotlib.figure import Figure

    histories = dict(histories)
    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(2, 1), sharey=True)
    data = []
    for index, (label, history) in enumerate(histories.items()):
        examples, losses = train_losses(history, last_steps=last_steps)
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
    left.set_ylabel("displayed minibatch loss (the original's units)")
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


#: Line style of each curve of the atlas, so a name looks the same in every panel.
_ATLAS_STYLE = {
    "network": dict(color="C0", linewidth=1.8),
    "autoregressive": dict(color="C5", linewidth=1.5),
    "zero": dict(color="0.35", linewidth=1.2, linestyle=(0, (1, 2))),
    "persistence": dict(color="C1", linewidth=1.0, linestyle="--"),
    "seasonal-naive": dict(color="C2", linewidth=1.0, linestyle="-."),
    "linear": dict(color="C3", linewidth=1.0, linestyle=":"),
    "analytic": dict(color="C4", linewidth=1.0),
}
_ATLAS_VIEWS = {
    "frequency": ("test frequency [Hz]", "held-out loss (the original's units)",
                  "Held-out loss against test frequency (training band shaded)"),
    "horizon": ("horizon step", "per-point MSE",
                "Error at each step of the horizon, on the training distribution"),
    "noise": ("input noise σ (σ = 0 at the left end)", "held-out loss (the original's units)",
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
            mark_training_band(ax, low if low == high else None).set_label(None)
        for name in entry["curves"]:
            x, y = curve(atlas, slug, name, view)
            if view == "noise":
                x = np.where(x > 0, x, atlas["sigmas"][1] / 3)  # σ = 0 at the log axis' left
            ax.plot(x, np.maximum(y, 1e-12), label=name, **_ATLAS_STYLE.get(name, {}))
        ax.set_yscale("log")
        if view == "noise":
            ax.set_xscale("log")
        exp = get_experiment(slug)
        ax.set_title(f"{exp.original_id} ({slug}): {entry['n_in']} → {entry['n_out']}",
                     fontsize=9)
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


def plot_seed_spread(per_seed, tf1=None, title: str = "Held-out loss of every seed"):
    """The held-out loss of each seed of each experiment, with the original's quoted number,
    and beside it the original's TF1 graph trained on the same protocol.

    Args:
        per_seed: Mapping of label to ``(losses, quoted)``: the port's per-seed held-out
            losses (seed 0 first) and the original's number (``None`` where it quotes none).
        tf1: Mapping of label (the same labels) to the TF1 graph's per-seed held-out losses;
            labels without any get the port's dots alone.
        title: Figure title.

    Returns:
        A ``matplotlib.figure.Figure``: a dot per seed (seed 0, the shipped run, ringed), the
        mean with ± one standard deviation beside each implementation's seeds, the TF1 graph's
        seeds as triangles to the right of the port's, and the original's number as a red bar.
    """
    from matplotlib.figure import Figure

    per_seed, tf1 = dict(per_seed), dict(tf1 or {})
    if not per_seed:
        raise ValueError("per_seed is empty: nothing to plot")
    unknown = sorted(set(tf1) - set(per_seed))
    if unknown:
        raise ValueError(f"tf1 has labels {unknown} that per_seed lacks")
    figure = Figure(figsize=(1.2 * len(per_seed) + 2.5, 3.8), layout="constrained")
    ax = figure.subplots()
    shift = 0.18 if tf1 else 0.0

    def seeds(center, losses, marker, color, name):
        """One implementation's seeds as dots around ``center``, their mean ± std beside."""
        losses = np.asarray(losses, dtype=np.float64)
        offsets = np.linspace(-0.08, 0.08, len(losses)) if len(losses) > 1 else np.zeros(1)
        ax.scatter(center + offsets, losses, s=16, color=color, marker=marker, zorder=3,
                   label=name)
        if len(losses) > 1:
            ax.errorbar(center + 0.13, losses.mean(), yerr=losses.std(ddof=1), fmt="s",
                        color=color, markersize=3, capsize=2, alpha=0.8, label="mean ± std")
        return center + offsets[0], losses[0]

    # Every artist is labelled; the legend below keeps the first of each label.
    for index, (label, (losses, quoted)) in enumerate(per_seed.items()):
        x0, y0 = seeds(index - shift, losses, "o", "C0",
                       "port (Keras 3), one seed" if tf1 else "one seed")
        ax.scatter([x0], [y0], s=60, facecolors="none", edgecolors="k", zorder=4,
                   label="seed 0 (shipped)")
        if label in tf1:
            seeds(index + shift, tf1[label], "^", "C2", "the original's TF1 graph, one seed")
        if quoted is not None:
            ax.hlines(quoted, index - 0.4, index + 0.4, color="C3", linewidth=2,
                      label="the original's number")
    ax.set_xticks(range(len(per_seed)), list(per_seed), rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("held-out loss (the original's units)")
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = [], []
    for handle, label in zip(*ax.get_legend_handles_labels()):
        if label not in labels:
            handles.append(handle)
            labels.append(label)
    ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.suptitle(title)
    return figure
