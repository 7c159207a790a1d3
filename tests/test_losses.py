"""The losses against hand computations: the original's summed loss (squared error summed over
the horizon, mean over the batch) and per-point MSE."""

import numpy as np
import pytest

from sinelib import per_point_mse, summed_loss
from sinelib.losses import summed_loss_tensor


def hand_summed_loss(y_true, y_pred):
    total = 0.0
    for row_true, row_pred in zip(y_true, y_pred):
        total += sum((p - t) ** 2 for t, p in zip(row_true, row_pred))
    return total / len(y_true)


def test_summed_loss_sums_over_horizon_and_averages_over_batch():
    y_true = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    y_pred = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    # Row errors: 1 + 0 + 4 = 5 and 0 + 1 + 0 = 1; mean 3.
    assert summed_loss(y_true, y_pred) == 3.0
    assert per_point_mse(y_true, y_pred) == 1.0


def test_against_a_hand_computation_on_random_data():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.normal(size=(2, 17, 50))
    assert summed_loss(y_true, y_pred) == pytest.approx(hand_summed_loss(y_true, y_pred),
                                                         rel=1e-12)
    assert isinstance(summed_loss(y_true, y_pred), float)


def test_tensor_version_agrees():
    rng = np.random.default_rng(4)
    y_true, y_pred = rng.normal(size=(2, 9, 100)).astype(np.float32)
    value = float(summed_loss_tensor(y_true, y_pred))
    assert value == pytest.approx(hand_summed_loss(y_true, y_pred), rel=1e-5)


@pytest.mark.parametrize("y_true,y_pred", [
    (np.zeros((2, 3)), np.zeros((2, 4))),
    (np.zeros(3), np.zeros(3)),
    (np.zeros((0, 3)), np.zeros((0, 3))),
    ([["a"]], [[1.0]]),
])
def test_shape_mismatch_is_refused(y_true, y_pred):
    with pytest.raises(ValueError, match="y_true"):
        summed_loss(y_true, y_pred)
