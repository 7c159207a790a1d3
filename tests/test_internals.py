"""The cell written out (sinelib.cells) and the measurements inside a network
(sinelib.internals), on small made-up networks and on shipped weights."""

import numpy as np
import pytest

import sinelib
from sinelib import cells, internals, plots


@pytest.fixture(scope="module")
def stacks():
    """Made-up networks: a 2-layer LSTM stack and a 2-layer GRU stack, 6 units, random weights."""
    base = sinelib.get_experiment("exp5")
    lstm = base.replace(slug="tiny-lstm", n_layers=2, n_hidden=6, n_in=12, n_out=4)
    gru = sinelib.get_experiment("exp6").replace(slug="tiny-gru", n_layers=2, n_hidden=6,
                                                 n_in=12, n_out=4)
    return {"lstm": (lstm, sinelib.build_model(lstm, seed=3)),
            "gru": (gru, sinelib.build_model(gru, seed=4))}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_forward_equals_keras_prediction_and_hidden_states(stacks, kind):
    keras = sinelib.plumbing.backend.keras()
    exp, model = stacks[kind]
    x, _ = sinelib.sample_windows(5, exp.n_in, exp.n_out, seed=1)
    trace = cells.forward(model, x)
    assert np.abs(trace.prediction - sinelib.predict(model, x)).max() < 1e-5
    first = keras.Model(model.inputs[0], model.layers[0].output)
    assert np.abs(trace.layers[0]["hidden"] - np.asarray(first(x))).max() < 1e-5
    gates = cells.LSTM_GATES if kind == "lstm" else cells.GRU_GATES
    assert set(gates) <= set(trace.layers[1])


def test_lstm_step_follows_the_equations():
    rng = np.random.default_rng(0)
    w = cells.CellWeights("lstm", rng.normal(size=(1, 8)), rng.normal(size=(2, 8)),
                          rng.normal(size=8))
    x, h, c = rng.normal(size=(1, 1)), rng.normal(size=(1, 2)), rng.normal(size=(1, 2))
    z = x @ w.kernel + h @ w.recurrent + w.bias
    sig = lambda v: 1 / (1 + np.exp(-v))
    i, f, g, o = sig(z[:, 0:2]), sig(z[:, 2:4]), np.tanh(z[:, 4:6]), sig(z[:, 6:8])
    out = cells.lstm_step(x, h, c, w)
    np.testing.assert_allclose(out["cell"], f * c + i * g)
    np.testing.assert_allclose(out["hidden"], o * np.tanh(f * c + i * g))


@pytest.mark.shipped
def test_forward_equals_a_shipped_network_to_float32_precision():
    model = sinelib.load_pretrained("exp1")
    x, _ = sinelib.sample_windows(20, 100, 50, frequency=1.0, seed=2)
    assert np.abs(cells.forward(model, x).prediction - sinelib.predict(model, x)).max() < 1e-5


def test_windows_of_any_length_and_clear_errors(stacks):
    _, model = stacks["lstm"]
    assert cells.forward(model, np.zeros(40)).layers[0]["hidden"].shape == (1, 40, 6)
    with pytest.raises(ValueError, match="shape"):
        cells.forward(model, np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="not an LSTM|model"):
        cells.network_weights("not a model")
    with pytest.raises(ValueError, match="finite"):
        cells.network_weights(model).scaled(float("nan"))


def test_principal_components_find_a_known_plane():
    angle = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    plane = np.stack([3 * np.cos(angle), np.sin(angle)], axis=1)
    basis = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 2)))[0]
    pca = internals.principal_components(plane @ basis.T + 7.0)
    assert pca.explained.sum() == pytest.approx(1.0)
    assert pca.explained[0] == pytest.approx(0.9)
    np.testing.assert_allclose(np.abs(pca.components @ basis), np.eye(2), atol=1e-9)
    with pytest.raises(ValueError, match="k must be at most"):
        internals.principal_components(plane, k=3)


def test_state_pca_shares_one_pair_of_axes(stacks):
    _, model = stacks["lstm"]
    pca, projections = internals.state_pca(model, [1.0, 2.0], length=50, layer=0)
    assert sorted(projections) == [1.0, 2.0]
    assert all(points.shape == (50, 2) for points in projections.values())
    with pytest.raises(ValueError, match="layer must be an integer from -2 to 1"):
        internals.state_trajectories(model, [1.0], layer=2)
    with pytest.raises(ValueError, match="Nyquist|frequency"):
        internals.state_trajectories(model, [80.0])


def test_gate_saturation_counts_saturated_values(stacks):
    exp, model = stacks["lstm"]
    x, _ = sinelib.sample_windows(4, exp.n_in, exp.n_out, seed=0)
    rows = internals.gate_saturation(model, x)
    assert [(row["layer"], row["gate"]) for row in rows[:4]] == [
        (0, "input"), (0, "forget"), (0, "candidate"), (0, "output")]
    assert all(0.0 <= row["saturated"] <= 1.0 for row in rows)
    # Every sigmoid value lies in (0, 1): with the band (0, 1) nothing counts as saturated,
    # with a band too narrow to hold any value everything does.
    assert all(row["saturated"] == 0.0 for row in internals.gate_saturation(model, x, 0.0, 1.0)
               if row["gate"] != "candidate")
    assert all(row["saturated"] == 1.0 for row in internals.gate_saturation(model, x, 0.5, 0.5 + 1e-12)
               if row["gate"] != "candidate")
    with pytest.raises(ValueError, match="low must be below high"):
        internals.gate_saturation(model, x, 0.9, 0.1)


def test_input_gradients_agree_with_finite_differences(stacks):
    exp, model = stacks["lstm"]
    x, y = sinelib.sample_windows(1, exp.n_in, exp.n_out, seed=5)
    gradients = internals.input_gradients(model, x, y)
    assert gradients.shape == (exp.n_in,)
    step = 1e-2
    for t in (0, exp.n_in - 1):
        up, down = x.copy(), x.copy()
        up[0, t, 0] += step
        down[0, t, 0] -= step
        numeric = (sinelib.summed_loss(y, cells.forward(model, up).prediction)
                   - sinelib.summed_loss(y, cells.forward(model, down).prediction)) / (2 * step)
        assert abs(numeric) == pytest.approx(gradients[t], rel=2e-2, abs=1e-4)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradient_norms_through_time_match_finite_differences_at_the_last_step(stacks, kind):
    exp, model = stacks[kind]
    x, y = sinelib.sample_windows(1, 30, exp.n_out, seed=6)
    norms = internals.gradient_norms_through_time(model, x, y, layer=-1)
    assert norms.shape == (30,)
    # At the last step the gradient is the read-out's: 2 (prediction - y) W^T.
    weights = cells.network_weights(model)
    prediction = cells.forward(weights, x).prediction
    expected = np.linalg.norm(2 * (prediction - y) @ weights.readout_kernel.T)
    assert norms[-1] == pytest.approx(expected, rel=1e-6)


def test_scaling_the_recurrent_weights_makes_the_gradient_grow_back_in_time(stacks):
    exp, model = stacks["lstm"]
    x, y = sinelib.sample_windows(2, 60, exp.n_out, seed=7)
    weights = cells.network_weights(model)
    small = internals.gradient_norms_through_time(weights.scaled(0.1), x, y)
    large = internals.gradient_norms_through_time(weights.scaled(8.0), x, y)
    assert small[0] / small[-1] < large[0] / large[-1]
    assert small[0] < 1e-6 * small[-1]


def test_the_plots_draw(stacks):
    _, model = stacks["gru"]
    x, y = sinelib.sample_windows(2, 12, 4, seed=8)
    figures = [
        plots.plot_state_pca({"gru": internals.state_pca(model, [1.0, 3.0], length=40)}),
        plots.plot_gate_saturation({"gru": internals.gate_saturation(model, x)}),
        plots.plot_input_gradients({"gru": internals.input_gradients(model, x, y)}),
        plots.plot_gradient_norms({"gru": internals.gradient_norms_through_time(model, x, y)}),
    ]
    assert all(len(figure.axes) >= 1 for figure in figures)
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.plot_state_pca({})


def test_oscillation_and_fitted_frequency_find_a_sine_frequency():
    t = np.arange(300) / 100
    states = np.stack([np.sin(2 * np.pi * 1.7 * t), np.cos(2 * np.pi * 1.7 * t) + 3], axis=1)
    assert internals.oscillation_frequency(states) == pytest.approx(1.7, abs=0.011)
    x, y = sinelib.sample_windows(4, 10, 50, frequency=np.array([0.8, 1.0, 2.5, 6.0]), seed=0)
    np.testing.assert_allclose(internals.fitted_frequency(y + 0.5), [0.8, 1.0, 2.5, 6.0],
                               atol=0.011)
    with pytest.raises(ValueError, match="at least 4 steps"):
        internals.oscillation_frequency(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n >= 4"):
        internals.fitted_frequency(np.zeros((2, 3)))


@pytest.mark.shipped
def test_the_1hz_network_continues_at_1hz_whatever_it_reads():
    """Notebook 03's why: the state follows the input's frequency, the prediction does not."""
    rows = internals.frequency_tracking(sinelib.load_pretrained("exp1"), "exp1", [1.0, 2.0, 3.0],
                                        size=50)
    assert [row["frequency"] for row in rows] == [1.0, 2.0, 3.0]
    for row in rows:
        assert row["state_frequency"] == pytest.approx(row["frequency"], abs=0.05)
        assert row["prediction_frequency"] == pytest.approx(1.0, abs=0.1)
        assert row["centre_distance"] < 0.2 * row["state_size"]  # no place for the frequency
    assert rows[0]["loss"] < 0.01 < 10 < min(rows[1]["loss"], rows[2]["loss"])
    with pytest.raises(ValueError, match="skip"):
        internals.frequency_tracking(sinelib.load_pretrained("exp1"), "exp1", 1.0, skip=299)


@pytest.mark.shipped
def test_the_band_network_moves_its_loop_with_the_frequency():
    """Notebook 04's why: experiment 2 keeps the frequency in where its loop lies."""
    rows = internals.frequency_tracking(sinelib.load_pretrained("exp2"), "exp2",
                                        [1.0, 2.0, 4.0, 6.0], size=50)
    distances = [row["centre_distance"] for row in rows]
    assert distances[0] == 0.0 and distances == sorted(distances)
    assert distances[2] > 0.5 * rows[2]["state_size"]
    assert rows[2]["prediction_frequency"] == pytest.approx(4.0, abs=0.2)
    assert rows[3]["prediction_frequency"] < 4.5 and rows[3]["loss"] > 100 * rows[2]["loss"]


def test_the_cell_state_carries_the_gradient_unchanged_through_an_open_forget_gate():
    """Forget gate open (f = 1), input gate shut, no recurrent weights: c_t = c_(t-1), so
    d loss / d c_t is the same at every step back, while h_t before the last step reaches
    nothing and gets no gradient at all."""
    from sinelib.cells import CellWeights, NetworkWeights

    units, big = 3, 40.0
    bias = np.concatenate([np.full(units, -big), np.full(units, big), np.zeros(units),
                           np.zeros(units)])  # input shut, forget open, candidate 0, output 0.5
    cell = CellWeights("lstm", np.zeros((1, 4 * units)), np.zeros((units, 4 * units)), bias)
    network = NetworkWeights([cell], np.ones((units, 2)), np.zeros(2))
    x, y = np.zeros((4, 30, 1)), np.ones((4, 2))
    along_c = internals.gradient_norms_through_time(network, x, y, state="cell")
    along_h = internals.gradient_norms_through_time(network, x, y, state="hidden")
    np.testing.assert_allclose(along_c, along_c[-1], rtol=1e-12)
    assert along_c[-1] > 0 and np.all(along_h[:-1] == 0) and along_h[-1] > 0
    with pytest.raises(ValueError, match="state must be"):
        internals.gradient_norms_through_time(network, x, y, state="gates")
