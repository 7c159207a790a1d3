import numpy as np
import pytest

from readout_draws import ORIGINAL_READOUT, check_draws
from sinelib import EXPERIMENTS, build_model, count_parameters, get_experiment, predict
from sinelib.models import READOUT_SEED_OFFSET, keras_initializer


def cell_parameters(cell, n_input, n_hidden):
    gates = 3 if cell == "gru" else 4  # a GRU with one bias per gate (reset before)
    return gates * (n_hidden * (n_input + n_hidden) + n_hidden)


# Hand-computed: recurrent layers plus the linear read-out (n_hidden * n_out + n_out).
PINNED = {
    "exp1": 45_850, "exp2": 98_750, "exp3": 98_750, "exp3-1": 106_300, "exp4": 1_054_100,
    "exp5": 32_612, "exp5-small": 4_100, "exp5-1": 4_100, "exp6": 3_350,
}


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_parameter_counts_are_pinned(name):
    exp = get_experiment(name)
    model = build_model(exp)
    expected = cell_parameters(exp.kind, 1, exp.n_hidden) + (exp.n_layers - 1) * \
        cell_parameters(exp.kind, exp.n_hidden, exp.n_hidden) + exp.n_hidden * exp.n_out + \
        exp.n_out
    assert count_parameters(model) == expected == PINNED[name]
    assert model.input_shape == (None, exp.n_in, 1)
    assert model.output_shape == (None, exp.n_out)
    assert model.layers[0].unroll is exp.static_rnn


def test_every_readout_starts_as_its_script_draws_it():
    assert set(ORIGINAL_READOUT) == set(EXPERIMENTS)
    for slug, (script, lines, kernel, bias) in ORIGINAL_READOUT.items():
        exp = get_experiment(slug)
        declared = ((exp.readout_kernel_init.distribution, exp.readout_kernel_init.stddev),
                    (exp.readout_bias_init.distribution, exp.readout_bias_init.stddev))
        assert declared == (kernel, bias), f"{slug}: {script} lines {lines} draw {kernel}, {bias}"


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_built_readout_statistics_match_the_script(name):
    """build_model draws the read-out from the declared initialisers (the same values), and
    those draw as the script's line does (5000 values of each: mean, spread and tails)."""
    script, lines, kernel_spec, bias_spec = ORIGINAL_READOUT[name]
    exp = get_experiment(name)
    readout = build_model(exp, seed=7).get_layer("readout")
    for variable, spec, offset, line in ((readout.kernel, exp.readout_kernel_init, 0, lines[0]),
                                         (readout.bias, exp.readout_bias_init, 1, lines[1])):
        drawn = keras_initializer(spec, 7 + READOUT_SEED_OFFSET + offset)(tuple(variable.shape))
        np.testing.assert_array_equal(np.asarray(variable.numpy()), np.asarray(drawn))
        many = np.asarray(keras_initializer(spec, 11 + offset)((5000,)))
        check_draws(many, spec.distribution, spec.stddev, f"{name} ({script} line {line})")
    assert (exp.readout_kernel_init.distribution, exp.readout_kernel_init.stddev) == kernel_spec
    assert (exp.readout_bias_init.distribution, exp.readout_bias_init.stddev) == bias_spec
    if name == "exp6":  # the built weights themselves: 1000 values, none beyond 2 sigma
        check_draws(np.asarray(readout.kernel.numpy()), *kernel_spec, "exp6 W as built")


def test_forget_bias_starts_at_one():
    model = build_model("exp4", seed=1)
    lstm_bias = np.asarray(model.get_layer("lstm_0").cell.bias.numpy())
    n = 500
    np.testing.assert_array_equal(lstm_bias[n:2 * n], 1.0)   # Keras gate order i, f, c, o
    np.testing.assert_array_equal(lstm_bias[:n], 0.0)


def test_gru_gates_start_like_tf1_grucell():
    model = build_model("exp6", seed=2)
    layer = model.get_layer("gru_0")
    assert layer.cell.reset_after is False  # TF1 resets before the recurrent product
    bias = np.asarray(layer.cell.bias.numpy())
    np.testing.assert_array_equal(bias[:20], 1.0)   # update and reset gates
    np.testing.assert_array_equal(bias[20:], 0.0)   # candidate


def test_same_seed_same_weights():
    a, b, c = build_model("exp5", seed=3), build_model("exp5", seed=3), build_model("exp5", seed=4)
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    assert not np.array_equal(a.weights[0].numpy(), c.weights[0].numpy())


def test_predict_accepts_three_layouts():
    model = build_model("exp5-small")
    x = np.sin(np.linspace(0, 3, 25, dtype=np.float32))
    single = predict(model, x)
    assert single.shape == (100,)
    np.testing.assert_allclose(predict(model, x[None]), single[None], rtol=1e-6)
    np.testing.assert_allclose(predict(model, x[None, :, None]), single[None], rtol=1e-6)


# More bad inputs of predict and build_model, with their exact messages: tests/test_robustness.py.
@pytest.mark.parametrize("x,match", [
    (np.zeros((100,)), "got \\(100,\\)"),
    (np.zeros((2, 25)) + [[0.0] * 24 + [np.inf]], "finite"),
    ([[object()] * 25], "numeric"),
])
def test_predict_refuses_wrong_input(x, match):
    with pytest.raises(ValueError, match=match):
        predict(build_model("exp5-small"), x)


@pytest.mark.parametrize("seed", ["0", None, 2**32])
def test_build_model_refuses_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        build_model("exp5-small", seed=seed)


def test_a_plain_rnn_variant_builds_tanh_cells_with_a_zero_bias():
    """The "BasicRNNCell" kind (TF1's plain cell): one tanh layer per layer, h = tanh(xW + hU + b),
    n(1 + n + 1) recurrent parameters a layer, and it predicts what that formula gives."""
    exp = get_experiment("exp3").replace(cell="BasicRNNCell", n_hidden=4, n_layers=2, n_out=3)
    assert exp.kind == "rnn"
    model = build_model(exp, seed=3)
    assert [type(layer).__name__ for layer in model.layers] == ["SimpleRNN", "SimpleRNN", "Dense"]
    assert count_parameters(model) == (4 * (1 + 4 + 1)) + (4 * (4 + 4 + 1)) + (4 * 3 + 3)
    assert not np.any(model.get_layer("rnn_0").cell.bias.numpy())
    x = np.random.default_rng(0).normal(size=(2, exp.n_in, 1)).astype(np.float32)
    h = [x[:, :, 0:1]]
    for index in range(2):
        kernel, recurrent, bias = (w.numpy() for w in model.get_layer(f"rnn_{index}").weights)
        state, states = np.zeros((2, 4)), []
        for t in range(exp.n_in):
            state = np.tanh(h[-1][:, t] @ kernel + state @ recurrent + bias)
            states.append(state)
        h.append(np.stack(states, axis=1))
    w, b = (v.numpy() for v in model.get_layer("readout").weights)
    np.testing.assert_allclose(predict(model, x), h[-1][:, -1] @ w + b, rtol=1e-4, atol=1e-5)
