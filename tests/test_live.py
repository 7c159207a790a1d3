"""The live loss curve: a train() callback, tested headless."""

import numpy as np
import pytest

from sinelib.tools.live import LiveLossPlot, train_live


def test_live_plot_collects_rows_and_redraws_the_curve():
    plot = LiveLossPlot("exp5-1", min_interval_s=0, display=False)
    plot({"step": 0, "examples": 0, "learning_rate": 0.005, "train_loss": None,
          "heldout_loss": 160.0})
    for step in range(100, 5201, 100):
        rate = 0.005 if step <= 5000 else 0.0005
        plot({"step": step, "examples": 50 * step, "learning_rate": rate,
              "train_loss": 100.0 / step, "heldout_loss": None})
    assert len(plot.history) == 53 and plot.redraws == 53
    curve = plot.ax.get_lines()[0]
    assert curve.get_label() == "displayed minibatch loss"
    np.testing.assert_allclose(curve.get_ydata(), [100.0 / s for s in range(100, 5201, 100)])
    labels = [line.get_label() for line in plot.ax.get_lines()]
    assert "learning-rate step" in labels and "target 0.2" in labels
    assert "step 5200" in plot.ax.get_title()


def test_live_plot_throttles_redraws():
    plot = LiveLossPlot("exp3", min_interval_s=3600, display=False)
    for step in range(0, 1001, 100):
        plot({"step": step, "examples": 50 * step, "learning_rate": 0.0005,
              "train_loss": 1.0 if step else None, "heldout_loss": None})
    assert plot.redraws == 1
    plot.close()
    assert plot.redraws == 2


@pytest.mark.parametrize("kwargs,message", [
    (dict(min_interval_s=-1), "min_interval_s must be >= 0, got -1"),
    (dict(min_interval_s=float("nan")), "min_interval_s must be a finite number, got nan"),
    (dict(display="yes"), "display must be True or False, got 'yes'"),
    (dict(total_examples=0), "total_examples must be a positive integer, got 0"),
    (dict(total_examples=1.5e4), "total_examples must be a positive integer, got 15000.0"),
])
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError) as caught:
        LiveLossPlot("exp3", **kwargs)
    assert message in str(caught.value)


def test_train_live_passes_every_row_to_the_curve_and_to_a_callback(tiny):
    seen = []
    result = train_live(tiny, steps=200, progress=False, heldout_size=20, eval_every=100,
                        display=False, callback=seen.append)
    assert result.steps == 200
    assert [row["step"] for row in seen] == [0, 100, 200]


def test_a_short_run_is_not_squashed_against_the_budget():
    plot = LiveLossPlot("exp3", min_interval_s=0, display=False, total_examples=15000)
    for step in (0, 100, 200):
        plot({"step": step, "examples": 50 * step, "learning_rate": 0.0005,
              "train_loss": 1.0 if step else None, "heldout_loss": 2.0})
    assert plot.ax.get_xlim()[1] == pytest.approx(15300)


def test_the_legend_names_only_what_is_inside_the_axes():
    plot = LiveLossPlot("exp3", min_interval_s=0, display=False, total_examples=7500)
    for step in (0, 100):
        plot({"step": step, "examples": 50 * step, "learning_rate": 0.0005,
              "train_loss": 1.0 if step else None, "heldout_loss": 2.0})
    labels = [text.get_text() for text in plot.ax.get_legend().get_texts()]
    assert "displayed minibatch loss" in labels and "held-out loss" in labels
    # The budget line (500000 examples) and the original's mark lie far right of 7650.
    assert not any(label.startswith(("budget", "the original at")) for label in labels)
    whole = LiveLossPlot("exp3", min_interval_s=0, display=False)
    whole({"step": 100, "examples": 5000, "learning_rate": 0.0005, "train_loss": 1.0,
           "heldout_loss": 2.0})
    assert any(text.get_text().startswith("budget")
               for text in whole.ax.get_legend().get_texts())


def test_the_last_redraw_shows_where_the_run_ended(tiny, monkeypatch):
    # History rows come every 100 steps: a 150-step run's last row is step 100, while its
    # progress bar ends at 150; the final redraw must say 150.
    titles = []
    draw = LiveLossPlot.draw

    def recording_draw(plot):
        draw(plot)
        titles.append(plot.ax.get_title())

    monkeypatch.setattr(LiveLossPlot, "draw", recording_draw)
    run = train_live(tiny, steps=150, progress=False, heldout_size=20, eval_every=100,
                     display=False, min_interval_s=0)
    assert run.steps == 150
    assert "step 100, 5000 examples" in titles[-2]
    assert titles[-1].endswith("step 150, 7500 examples")
