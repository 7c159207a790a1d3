import numpy as np
import pytest

from sinelib import build_model, get_experiment, heldout_windows, predict
from sinelib.study.autoregressive import (
    AR_BASE, AR_DIR, ar_experiment, as_predictor, load_autoregressive, rollout,
)
from sinelib.study.declarations import STUDIES


def test_ar_experiment_is_experiment_3_with_a_one_sample_horizon():
    assert AR_BASE == "exp3" and STUDIES[AR_BASE].autoregressive
    assert sum(study.autoregressive for study in STUDIES.values()) == 1
    exp, base = ar_experiment(), get_experiment("exp3")
    assert exp.slug == "exp3-ar" and exp.n_out == 1
    differs = {key for key, value in exp.config().items() if base.config()[key] != value}
    assert differs == {"slug", "original_id", "n_out"}
    assert exp.budget_steps == base.budget_steps == 10_000


def test_rollout_feeds_each_prediction_back():
    model = build_model(ar_experiment(), seed=4)
    x, _ = heldout_windows(25, 3, size=5)
    y = rollout(model, x, 3)
    assert y.shape == (5, 3) and y.dtype == np.float32
    window = x.copy()
    for step in range(3):
        expected = predict(model, window)[:, 0]
        np.testing.assert_allclose(y[:, step], expected, rtol=1e-6)
        window = np.concatenate([window[:, 1:], expected[:, None, None]], axis=1)
    np.testing.assert_array_equal(as_predictor(model)(x, 3), y)


def test_rollout_refuses_a_multi_step_model_and_a_bad_horizon():
    with pytest.raises(ValueError, match="one-step model"):
        rollout(build_model("exp3"), np.zeros((1, 25, 1)), 5)
    with pytest.raises(ValueError, match="horizon"):
        rollout(build_model(ar_experiment()), np.zeros((1, 25, 1)), 0)


@pytest.mark.shipped
def test_shipped_autoregressive_network_loads():
    assert (AR_DIR / "exp3-ar.weights.npz").is_file()
    model = load_autoregressive()
    assert model.input_shape == (None, 25, 1) and model.output_shape == (None, 1)
