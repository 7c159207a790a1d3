"""Evaluation against direct calls of the held-out windows, predict and the losses."""

import numpy as np
import pytest

from sinelib import (
    build_model, evaluate, get_experiment, heldout_windows, per_point_mse, predict, summed_loss,
)
from sinelib.evaluation import heldout_loss, minibatch_losses


def test_evaluate_reports_summed_loss_and_mse_per_frequency():
    model = build_model("exp5-small", seed=2)
    metrics = evaluate(model, "exp5-small", frequencies=(1, 2.5), size=64)
    x, y = heldout_windows(25, 100, size=64)
    y_pred = predict(model, x)
    assert metrics["loss"] == pytest.approx(summed_loss(y, y_pred))
    assert metrics["mse"] == pytest.approx(per_point_mse(y, y_pred))
    assert [entry["frequency"] for entry in metrics["by_frequency"]] == [1.0, 2.5]
    x1, y1 = heldout_windows(25, 100, frequency=2.5, size=64)
    assert metrics["by_frequency"][1]["loss"] == pytest.approx(summed_loss(y1, predict(model, x1)))
    assert metrics["size"] == 64


def test_default_heldout_set_has_1000_windows_and_is_reused():
    model = build_model("exp5-small")
    first, second = evaluate(model, "exp5-small"), evaluate(model, "exp5-small")
    assert first["size"] == 1000 and first == second
    assert [entry["frequency"] for entry in first["by_frequency"]] == [1.0, 2.0, 3.0]
    assert all(np.isfinite(entry["loss"]) for entry in first["by_frequency"])


# More bad inputs of evaluate, with their exact messages: tests/test_robustness.py.
@pytest.mark.parametrize("frequencies", [(0,), (float("nan"),), (True,), (1, -2)])
def test_bad_test_frequencies(frequencies):
    with pytest.raises(ValueError, match="test frequency"):
        evaluate(build_model("exp5-small"), "exp5-small", frequencies=frequencies, size=8)


def test_minibatch_losses_average_to_the_heldout_loss():
    model = build_model("exp5-small", seed=3)
    losses = minibatch_losses(model, "exp5-small", size=500)
    assert losses.shape == (10,)
    assert losses.mean() == pytest.approx(
        heldout_loss(model, get_experiment("exp5-small"), size=500), rel=1e-5)
    assert np.ptp(losses) > 0
    with pytest.raises(ValueError, match="multiple"):
        minibatch_losses(model, "exp5-small", size=120)
