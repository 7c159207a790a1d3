"""Figures read back: the lines drawn hold the data they were given (core sinelib.plots, and
the study's multi-experiment plots that draw on it)."""

import numpy as np
import pytest

import sinelib
from sinelib import plots

from sinelib import build_model, plot_predictions, predict, sample_windows
from sinelib.evaluation import loss_by_frequency
from sinelib.plots import plot_error_vs_frequency, plot_experiment_windows, plot_training_curve
from sinelib.study.plots import (
    plot_curve_grid, plot_loss_spread, plot_prediction_grid, plot_timings,
)


def test_the_originals_picture_has_three_panels_with_the_right_data():
    model = build_model("exp3", seed=1)
    figure = plot_predictions(model, "exp3", shift=0.25)
    axes = figure.axes
    assert len(axes) == 3
    x, y = sample_windows(3, 25, 50, frequency=[1, 2, 3], shift=0.25)
    y_pred = predict(model, x)
    for ax, x_row, y_row, p_row in zip(axes, x, y, y_pred):
        lines = ax.get_lines()
        assert [line.get_color() for line in lines] == ["black", "green", "red"]
        assert lines[1].get_linestyle() == ":"
        np.testing.assert_allclose(lines[0].get_ydata(), x_row[:, 0])
        np.testing.assert_allclose(lines[1].get_ydata(), y_row)
        np.testing.assert_allclose(lines[2].get_ydata(), p_row, rtol=1e-6)
        np.testing.assert_allclose(lines[2].get_xdata()[0], 0.25)  # 25 samples at 100 Hz
        assert ax.get_ylim() == (-1, 1)
        assert ax.get_ylabel() == "signal"
    assert axes[-1].get_xlabel() == "time [t]"
    assert "1 Hz" in axes[0].get_title(loc="left")


def test_plot_refuses_bad_frequencies():
    model = build_model("exp5-small")
    with pytest.raises(ValueError, match="frequency"):
        plot_predictions(model, "exp5-small", frequencies=(1, 60))
    with pytest.raises(ValueError, match="at least one"):
        plot_predictions(model, "exp5-small", frequencies=())


def _history():
    rows = [{"step": 0, "examples": 0, "learning_rate": 0.005, "train_loss": None,
             "heldout_loss": 150.0}]
    for step in range(100, 11_001, 100):
        rows.append({"step": step, "examples": 50 * step,
                     # a row's rate is its last update's: update 5000 is the first lower one
                     "learning_rate": 0.005 * 0.1 ** (step // 5000),
                     "train_loss": 50.0 / step ** 0.5,
                     "heldout_loss": 60.0 / step ** 0.5 if step % 1000 == 0 else None})
    return rows


def test_training_curve_marks_the_originals_numbers_and_the_decay():
    history = _history()
    figure = plot_training_curve(history, "exp5-1", others={"seed 1": history[:50]})
    ax = figure.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["displayed minibatch loss"].get_ydata(),
                               [r["train_loss"] for r in history[1:]])
    assert len(lines["held-out loss"].get_xdata()) == 12  # step 0 and every 1000 steps
    assert lines["original's loss 0.180995"].get_ydata()[0] == 0.180995
    assert lines["target 0.2"].get_ydata()[0] == 0.2
    assert len(lines["seed 1"].get_xdata()) == 49
    decay = [line for line in ax.get_lines() if line.get_color() == "purple"]
    assert [line.get_xdata()[0] for line in decay] == [250_000, 500_000]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="empty"):
        plot_training_curve([], "exp3")


def test_error_vs_frequency_and_grids():
    model = build_model("exp5-small", seed=2)
    curve = loss_by_frequency(model, "exp5-small", frequencies=(0.5, 1.0, 2.0), size=20)
    assert curve["frequency"].tolist() == [0.5, 1.0, 2.0]
    figure = plot_error_vs_frequency({"untrained": curve}, n_out=100)
    line = figure.axes[0].get_lines()[-1]
    np.testing.assert_allclose(line.get_ydata(), curve["loss"])
    assert len(figure.axes[0].child_axes) == 1  # the per-point MSE axis on the right
    with pytest.raises(ValueError, match="unit"):
        plot_error_vs_frequency({"untrained": curve}, unit="rmse")
    grid = plot_prediction_grid({"a": (model, "exp5-small"), "b": (model, "exp5-small")},
                                frequencies=(1, 2))
    assert len(grid.axes) == 4
    np.testing.assert_allclose(grid.axes[0].get_lines()[2].get_ydata(),
                               grid.axes[1].get_lines()[2].get_ydata())
    curves = plot_curve_grid({"x": (_history(), "exp5-1"), "y": (_history(), "exp5-1"),
                              "z": (_history(), "exp5-1")}, ncols=2)
    assert sum(ax.get_visible() for ax in curves.axes) == 3


def test_spread_and_timing_figures():
    figure = plot_loss_spread({"a": _history(), "b": _history()}, last_steps=1000)
    left = figure.axes[0]
    assert len(left.get_lines()[0].get_xdata()) == 10
    timings = [{"n_in": n, "unroll": u, "startup_s": 1.0 + n * u, "step_ms": 10.0}
               for n in (25, 100) for u in (False, True)]
    figure = plot_timings(timings)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    assert heights == [1.0, 1.0, 26.0, 101.0]


def test_experiment_windows_follow_the_frequency_rule():
    figure = plot_experiment_windows("exp1", count=3, seed=4)
    ax = figure.axes[0]
    assert len(ax.get_lines()) == 6  # input and target of each window
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1.00 Hz"] * 3
    assert len(ax.get_lines()[0].get_xdata()) == 100 and len(ax.get_lines()[1].get_xdata()) == 50
    other = plot_experiment_windows("exp3", count=2, seed=4)
    labels = [t.get_text() for t in other.axes[0].get_legend().get_texts()]
    assert all(0.5 <= float(label.split()[0]) < 4 for label in labels)


def test_seed_spread_puts_the_tf1_graph_beside_the_port():
    from sinelib.study.plots import plot_seed_spread

    figure = plot_seed_spread({"a": ([0.1, 0.2, 0.3], 0.15), "b": ([0.5], None)},
                              tf1={"a": [0.4, 0.6]})
    ax = figure.axes[0]
    from matplotlib.collections import PathCollection

    dots = [collection.get_offsets() for collection in ax.collections
            if isinstance(collection, PathCollection)]  # the scatters, not the error bars
    port, ring, graph = dots[0], dots[1], dots[2]
    np.testing.assert_allclose(port[:, 1], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(ring[:, 1], [0.1])  # seed 0 ringed
    np.testing.assert_allclose(graph[:, 1], [0.4, 0.6])
    assert graph[:, 0].min() > port[:, 0].max()  # the graph to the right of the port
    labels = ax.get_legend_handles_labels()[1]
    assert "the original's TF1 graph, one seed" in labels and "the original's number" in labels
    with pytest.raises(ValueError, match="per_seed lacks"):
        plot_seed_spread({"a": ([0.1], None)}, tf1={"c": [0.2]})


def test_gate_traces_draw_each_units_gates_and_cell_over_the_window():
    model = sinelib.load_pretrained("exp3")
    x, _ = sinelib.heldout_windows(25, 50, size=1)
    figure = plots.plot_gate_traces(model, x[0], units=(0, 4))
    axes = figure.get_axes()
    assert len(axes) == 1 + 2 * 2  # the input, then gates and a twin axis for c per unit
    np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(), x[0, :, 0])
    labels = [line.get_label() for line in axes[1].get_lines()]
    assert labels == ["input gate", "forget gate", "output gate"]
    with pytest.raises(ValueError, match="units must name units"):
        plots.plot_gate_traces(model, x[0], units=(10**6,))
    with pytest.raises(ValueError, match="GRU has no forget gate"):
        plots.plot_gate_traces(sinelib.build_model("exp6"), x[0], units=(0,))


def test_training_curves_mark_the_zero_baseline():
    """A plateau has a level to be read against: what predicting 0 scores on the held-out set."""
    from sinelib.study.records import shipped_run

    figure = plots.plot_training_curve(shipped_run("exp3").history, "exp3")
    [zero] = [line for line in figure.get_axes()[0].get_lines()
              if line.get_label().startswith("predicting 0")]
    assert zero.get_ydata()[0] == pytest.approx(25, rel=0.05)


def test_every_atlas_curve_has_a_style_of_its_own():
    """A curve drawn in the default style would look like the next; each name has its own."""
    from sinelib.study.atlas import AUTOREGRESSIVE, NETWORK
    from sinelib.study.plots import _ATLAS_STYLE

    names = [NETWORK, AUTOREGRESSIVE, *sinelib.BASELINES]
    assert set(names) <= set(_ATLAS_STYLE)
    styles = [tuple(sorted((key, str(value)) for key, value in _ATLAS_STYLE[name].items()))
              for name in names]
    assert len(set(styles)) == len(styles)
