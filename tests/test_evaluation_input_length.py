"""evaluation.loss_by_input_length: the loss when only the last k samples are read."""

import numpy as np
import pytest

import sinelib
from sinelib.baselines import BASELINES
from sinelib.data import heldout_windows
from sinelib.evaluation import loss_by_input_length
from sinelib.losses import summed_loss


@pytest.fixture(scope="module")
def tiny():
    exp = sinelib.get_experiment("exp3").replace(n_hidden=3, n_in=6, n_out=4)
    return exp, sinelib.build_model(exp, seed=0)


def test_at_the_network_s_own_length_it_is_the_held_out_loss(tiny):
    exp, model = tiny
    x, y = heldout_windows(exp.n_in, exp.n_out, exp.frequency, 50)
    measured = loss_by_input_length(model, exp, [2, 6], size=50)
    assert list(measured["length"]) == [2, 6]
    assert measured["loss"][1] == pytest.approx(summed_loss(y, sinelib.predict(model, x)),
                                                rel=1e-4)
    assert measured["loss"][0] != pytest.approx(measured["loss"][1])


def test_baselines_read_the_last_samples():
    # Persistence reads only the last sample: every length gives the same loss.
    persistence = loss_by_input_length(BASELINES["persistence"], "exp3", [1, 3, 40], size=50)
    assert np.ptp(persistence["loss"]) == pytest.approx(0.0)
    # A clean sine is fixed by three samples; noise makes few samples far worse than many.
    clean = loss_by_input_length(BASELINES["analytic"], "exp3", [3, 25], size=50)
    assert clean["loss"].max() < 1e-6
    noisy = loss_by_input_length(BASELINES["analytic"], "exp3", [3, 25], sigma=0.01, size=50)
    assert noisy["loss"][0] > 10 * noisy["loss"][1]


def test_bad_lengths_are_named(tiny):
    exp, model = tiny
    with pytest.raises(ValueError, match="input length"):
        loss_by_input_length(model, exp, [0, 3])
    with pytest.raises(ValueError, match="at least one"):
        loss_by_input_length(model, exp, [])
