"""Pure functions of a history, checked against hand-made histories."""

import numpy as np
import pytest

from sinelib.plumbing.history import learning_rate_changes
from sinelib.study.analysis import (
    best_train_loss, train_losses, first_at_or_below, heldout_losses,
    loss_spread, stall_ratio,
)
from sinelib.experiments import get_experiment
from sinelib.schedules import update_rate


def _history(losses, rate=0.001, heldout_every=10):
    rows = [{"step": 0, "examples": 0, "learning_rate": rate, "train_loss": None,
             "heldout_loss": 100.0, "elapsed_s": 0.0}]
    for index, loss in enumerate(losses, start=1):
        rows.append({"step": 100 * index, "examples": 5000 * index, "learning_rate": rate,
                     "train_loss": loss,
                     "heldout_loss": loss * 2 if index % heldout_every == 0 else None,
                     "elapsed_s": float(index)})
    return rows


def test_displayed_losses_skip_the_first_row_and_cut_windows():
    history = _history([5.0, 4.0, 3.0, 2.0, 1.0])
    examples, losses = train_losses(history)
    assert examples.tolist() == [5000, 10000, 15000, 20000, 25000]
    assert losses.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert train_losses(history, last_steps=200)[1].tolist() == [2.0, 1.0]
    assert train_losses(history, max_examples=15000)[1].tolist() == [5.0, 4.0, 3.0]
    assert train_losses(history, max_examples=15000, last_steps=100)[1].tolist() == [3.0]
    with pytest.raises(ValueError, match="no displayed loss"):
        train_losses(history[:1])
    with pytest.raises(ValueError, match="last_steps"):
        train_losses(history, last_steps=0)


def test_loss_spread_against_numpy():
    values = [0.4, 1.6, 0.1, 0.8, 0.2, 3.0, 0.5]
    spread = loss_spread(_history([9.0] * 5 + values), last_steps=700)
    assert spread["n"] == 7
    assert spread["min"] == 0.1 and spread["max"] == 3.0
    assert spread["max_over_min"] == pytest.approx(30.0)
    assert spread["median"] == pytest.approx(np.median(values))
    assert spread["std"] == pytest.approx(np.std(values))
    q25, q75 = np.percentile(values, [25, 75])
    assert spread["iqr"] == pytest.approx(q75 - q25)
    assert spread["range"] == pytest.approx(2.9)


def test_best_and_first_below():
    history = _history([5.0, 0.5, 3.0, 0.2, 0.4])
    assert best_train_loss(history) == (0.2, 20000)
    assert best_train_loss(history, max_examples=15000) == (0.5, 10000)
    assert first_at_or_below(history, 0.5) == 10000
    assert first_at_or_below(history, 0.1) is None


def test_heldout_losses_pick_measured_rows():
    examples, losses = heldout_losses(_history([1.0] * 20, heldout_every=10))
    assert examples.tolist() == [0, 50000, 100000]
    assert losses.tolist() == [100.0, 2.0, 2.0]


def test_learning_rate_changes_of_the_step_decay_match_the_schedule():
    """Rows like train()'s: each row's rate is its last update's; the decay sits at 250000."""
    exp = get_experiment("exp5-1")
    rows = [{"step": s, "examples": s * 50,
             "learning_rate": update_rate(exp, max(s, 1)),
             "train_loss": 1.0, "heldout_loss": None} for s in range(0, 15_001, 100)]
    assert learning_rate_changes(rows) == [(250_000, pytest.approx(0.0005)),
                                           (500_000, pytest.approx(0.00005)),
                                           (750_000, pytest.approx(0.000005))]
    assert learning_rate_changes(_history([1.0, 2.0])) == []


def test_stall_ratio():
    falling = _history([8.0] * 4 + [4.0] * 4)
    assert stall_ratio(falling, window_examples=20000) == pytest.approx(0.5)
    flat = _history([1.0] * 8)
    assert stall_ratio(flat, window_examples=20000) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="fewer than two windows"):
        stall_ratio(flat, window_examples=30000)
