import numpy as np
import pytest

from sinelib import build_model, plot_predictions, predict, sample_windows


def test_seed_picture_has_three_panels_with_the_right_data():
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
