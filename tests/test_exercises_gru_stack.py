"""check_gru_step accepts the GRU step and names the usual mistakes."""

import numpy as np

from sinelib.cells import gru_step, split
from sinelib.exercises.gru_stack import check_gru_step, random_gru


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _step(x_t, h, weights, swap=False, reset_after=False):
    blocks = split(weights)
    (wu, uu, bu), (wr, ur, br), (wg, ug, bg) = (blocks[name] for name in
                                                ("update", "reset", "candidate"))
    u = _sigmoid(x_t @ wu + h @ uu + bu)
    r = _sigmoid(x_t @ wr + h @ ur + br)
    g = np.tanh(x_t @ wg + (r * (h @ ug) if reset_after else (r * h) @ ug) + bg)
    return (1 - u) * h + u * g if swap else u * h + (1 - u) * g


def test_accepts_a_right_step_and_sinelibs_own():
    assert check_gru_step(_step).ok
    assert check_gru_step(lambda x_t, h, w: gru_step(x_t, h, w)["hidden"]).ok


def test_names_swapped_update_roles():
    feedback = check_gru_step(lambda x_t, h, w: _step(x_t, h, w, swap=True))
    assert not feedback.ok and "roles are swapped" in feedback.message
    assert "a layer of 3 units" in feedback.message


def test_names_reset_after_the_product():
    feedback = check_gru_step(lambda x_t, h, w: _step(x_t, h, w, reset_after=True))
    assert not feedback.ok and "after the recurrent product" in feedback.message


def test_starter_and_errors_give_feedback_without_raising():
    starter = check_gru_step(lambda x_t, h, w: h)
    assert not starter.ok and "differs at index" in starter.message
    wrong_shape = check_gru_step(lambda x_t, h, w: h[:, :1])
    assert not wrong_shape.ok and "shape" in wrong_shape.message
    broken = check_gru_step(lambda x_t, h, w: x_t @ w.kernel @ np.ones((7, 2)))
    assert not broken.ok and "raised ValueError" in broken.message
    assert not check_gru_step(None).ok


def test_random_gru_has_keras_layout():
    weights = random_gru(1, 4)
    assert weights.kernel.shape == (1, 12) and weights.recurrent.shape == (4, 12)
    assert weights.bias.shape == (12,) and weights.kind == "gru"
