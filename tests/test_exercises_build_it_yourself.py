"""Notebook 02's checks accept the worked answers and name what is wrong in typical wrong ones."""

import numpy as np
import pytest

from sinelib import get_experiment
from sinelib.exercises import build_it_yourself as byo
from sinelib.plumbing import backend


@pytest.fixture(scope="module")
def small():
    """Experiment 3's task shrunk to seconds: 6 units, 8 samples in, 4 out, 10 windows."""
    return get_experiment("exp3").replace(slug="tiny-build", n_hidden=6, n_in=8, n_out=4,
                                          batch_size=10)


# --- the data


def test_the_reference_sampler_passes():
    assert byo.check_windows(byo.reference_windows).ok


@pytest.mark.parametrize("step, shift_first, two_pi, named", [
    (1.0, False, True, "1 s apart"),
    (0.01, True, True, "shifts before the frequencies"),
    (0.01, False, False, "no 2π"),
])
def test_known_sampler_mistakes_are_named(step, shift_first, two_pi, named):
    def wrong(rng, batch, n_in, n_out):
        x, y = byo._variant_windows(rng, batch, n_in, n_out, step, shift_first, two_pi)
        return x[..., None], y

    feedback = byo.check_windows(wrong)
    assert not feedback.ok and named in feedback.message


def test_a_missing_last_axis_is_named():
    def flat(rng, batch, n_in, n_out):
        x, y = byo.reference_windows(rng, batch, n_in, n_out)
        return x[..., 0], y

    feedback = byo.check_windows(flat)
    assert not feedback.ok and "last axis" in feedback.message


def test_a_crashing_sampler_is_feedback():
    def broken(rng, batch, n_in, n_out):
        raise NotImplementedError("not written yet")

    feedback = byo.check_windows(broken)
    assert not feedback.ok and "not written yet" in feedback.message


def test_the_reference_pipeline_passes():
    assert byo.check_dataset(byo.reference_dataset).ok


def test_a_pipeline_repeating_one_batch_is_named():
    tf = backend.tensorflow()

    def repeated(seed, batch, n_in, n_out):
        x, y = byo.reference_windows(np.random.default_rng([seed, 0, 1]), batch, n_in, n_out)
        return tf.data.Dataset.from_tensors((x, y)).repeat()

    feedback = byo.check_dataset(repeated)
    assert not feedback.ok and "same at every step" in feedback.message


# --- the network


def test_the_reference_network_passes():
    assert byo.check_network(byo.reference_network).ok


def test_kerass_own_lstm_is_refused():
    keras = backend.keras()

    def theirs(units, n_in, n_out):
        return keras.Sequential([keras.Input((n_in, 1)), keras.layers.LSTM(units),
                                 keras.layers.Dense(n_out)])

    feedback = byo.check_network(theirs)
    assert not feedback.ok and "Keras's own LSTM" in feedback.message


def test_a_missing_readout_bias_is_named():
    keras = backend.keras()

    def no_bias(units, n_in, n_out):
        return keras.Sequential([keras.Input((n_in, 1)),
                                 keras.layers.RNN(byo.ReferenceLSTMCell(units)),
                                 keras.layers.Dense(n_out, use_bias=False)])

    feedback = byo.check_network(no_bias)
    assert not feedback.ok and "read-out's bias" in feedback.message


def test_a_forget_gate_in_the_wrong_slot_is_named():
    keras = backend.keras()
    ops = keras.ops
    base = type(byo.ReferenceLSTMCell(1))

    class Swapped(base):
        def call(self, inputs, states):
            h, c = states
            z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
            z_f, z_i, z_c, z_o = ops.split(z, 4, axis=1)      # i and f swapped
            c = ops.sigmoid(z_f) * c + ops.sigmoid(z_i) * ops.tanh(z_c)
            h = ops.sigmoid(z_o) * ops.tanh(c)
            return h, [h, c]

    feedback = byo.check_network(lambda u, n_in, n_out: byo.reference_network(
        u, n_in, n_out, cell=Swapped(u)))
    assert not feedback.ok and "slot 1: forget gate" in feedback.message


def test_a_network_that_keeps_its_state_is_named():
    keras = backend.keras()

    def stateful(units, n_in, n_out):
        return keras.Sequential([keras.Input((n_in, 1), batch_size=byo.NETWORK_SIZES[3]),
                                 keras.layers.RNN(byo.ReferenceLSTMCell(units), stateful=True),
                                 keras.layers.Dense(n_out)])

    feedback = byo.check_network(stateful)
    assert not feedback.ok and "keeps its state" in feedback.message


def test_a_cell_without_state_size_is_named():
    keras = backend.keras()

    class NoState(keras.layers.Layer):
        def call(self, inputs, states):
            return inputs, states

    feedback = byo.check_network(lambda u, n_in, n_out: byo.reference_network(
        u, n_in, n_out, cell=NoState()))
    assert not feedback.ok and "state_size" in feedback.message


# --- the loss


def test_the_reference_loss_passes():
    assert byo.check_loss(byo.reference_loss).ok


def test_the_per_point_mse_is_named():
    ops = backend.keras().ops
    feedback = byo.check_loss(lambda y, p: ops.mean(ops.square(p - y)))
    assert not feedback.ok and "per-point MSE" in feedback.message


def test_a_loss_per_window_is_named():
    ops = backend.keras().ops
    feedback = byo.check_loss(lambda y, p: ops.sum(ops.square(p - y), axis=1))
    assert not feedback.ok and "mean over the batch" in feedback.message


def test_a_numpy_loss_is_named():
    feedback = byo.check_loss(lambda y, p: float(np.mean(np.sum((np.asarray(p) - np.asarray(y))
                                                                ** 2, axis=1))))
    assert not feedback.ok and "no gradient" in feedback.message


# --- the step


@pytest.mark.parametrize("clip", [None, "value", "norm"])
def test_the_reference_step_passes(small, clip):
    feedback = byo.check_step(byo.reference_step, byo.reference_network, byo.reference_loss,
                              clip=clip, exp=small)
    assert feedback.ok, feedback.message


@pytest.mark.parametrize("clip", ["value", "norm"])
def test_a_step_that_does_not_clip_is_named(small, clip):
    def unclipped(model, optimizer, loss_fn, clip_value=None, clip_norm=None):
        return byo.reference_step(model, optimizer, loss_fn)

    feedback = byo.check_step(unclipped, byo.reference_network, byo.reference_loss, clip=clip,
                              exp=small)
    assert not feedback.ok and "unclipped step" in feedback.message


def test_clipping_each_tensor_by_its_own_norm_is_named(small):
    tf = backend.tensorflow()

    def per_tensor(model, optimizer, loss_fn, clip_value=None, clip_norm=None):
        variables = model.trainable_variables

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            gradients = [tf.clip_by_norm(g, clip_norm) for g in tape.gradient(loss, variables)]
            optimizer.apply_gradients(zip(gradients, variables))
            return loss

        return step

    feedback = byo.check_step(per_tensor, byo.reference_network, byo.reference_loss,
                              clip="norm", exp=small)
    assert not feedback.ok and "global norm" in feedback.message


def test_clipping_the_loss_is_named(small):
    tf = backend.tensorflow()

    def clips_loss(model, optimizer, loss_fn, clip_value=None, clip_norm=None):
        variables = model.trainable_variables

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.clip_by_value(loss_fn(y, model(x, training=True)), 0.0, 1e-3)
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        return step

    feedback = byo.check_step(clips_loss, byo.reference_network, byo.reference_loss,
                              clip="value", exp=small)
    assert not feedback.ok and "did not change the weights" in feedback.message


def test_an_uncompiled_step_is_named(small):
    def eager(model, optimizer, loss_fn, clip_value=None, clip_norm=None):
        return byo.reference_step(model, optimizer, loss_fn).python_function

    feedback = byo.check_step(eager, byo.reference_network, byo.reference_loss, exp=small)
    assert not feedback.ok and "not compiled" in feedback.message


def test_a_step_with_the_per_point_loss_fails_at_its_first_loss(small):
    ops = backend.keras().ops
    feedback = byo.check_step(byo.reference_step, byo.reference_network,
                              lambda y, p: ops.mean(ops.square(p - y)), exp=small)
    assert not feedback.ok and "first loss" in feedback.message


def test_an_unknown_clip_is_refused_by_name(small):
    with pytest.raises(ValueError, match="'both'"):
        byo.check_step(byo.reference_step, byo.reference_network, byo.reference_loss,
                       clip="both", exp=small)


# --- the loop


def test_the_reference_loop_passes():
    assert byo.check_loop(byo.reference_fit).ok


def test_counting_steps_from_zero_is_named():
    def from_zero(step, batches, steps, evaluate, display_every=100, eval_every=1000,
                  target=None, progress=True):
        rows = []
        for k, (x, y) in zip(range(steps), batches):
            loss = step(x, y)
            if k % display_every == 0:
                rows.append({"step": k, "train_loss": loss,
                             "heldout_loss": evaluate() if k % eval_every == 0 else None})
        return rows

    feedback = byo.check_loop(from_zero)
    assert not feedback.ok and "step 0" in feedback.message


def test_a_loop_that_ignores_the_target_is_named():
    def no_stop(step, batches, steps, evaluate, display_every=100, eval_every=1000,
                target=None, progress=True):
        return byo.reference_fit(step, batches, steps, evaluate, display_every, eval_every,
                                 None, progress)

    feedback = byo.check_loop(no_stop)
    assert not feedback.ok and "reached the target" in feedback.message


# --- the variations and the run


def test_truncation_stops_the_gradient_before_the_last_k_steps():
    tf = backend.tensorflow()
    model = byo.UnrolledNetwork(byo.ReferenceLSTMCell(3), 6, 2, truncate=2)
    x = tf.Variable(np.ones((1, 6, 1), np.float32))
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(model(x))
    gradient = tape.gradient(out, x).numpy()[0, :, 0]
    assert np.all(gradient[:4] == 0) and np.all(gradient[4:] != 0)


def test_the_feedback_network_predicts_the_horizon():
    model = byo.UnrolledNetwork(byo.ReferenceSimpleCell(3), 6, 5, feedback=True)
    assert model(np.zeros((2, 6, 1), np.float32)).shape == (2, 5)
    assert model.readout.kernel.shape == (3, 1)


def test_train_to_target_stops_at_the_target(small):
    run = byo.train_to_target(small, max_steps=2 * byo.EVAL_EVERY, target=1e9, progress=False)
    assert run["reached"] and run["steps"] == byo.EVAL_EVERY
    missed = byo.train_to_target(small, max_steps=200, target=1e-9, progress=False)
    assert not missed["reached"] and missed["heldout_loss"] is None


def test_a_missing_benchmark_report_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="make bench-build"):
        byo.stored_run(tmp_path / "build_it_yourself.json")


def test_the_stored_report_holds_the_run_to_the_number():
    report = byo.stored_run()
    assert report["lstm"]["reached"] and report["lstm"]["heldout_loss"] <= report["target"]
    assert set(report["variations"]) == {"simple", "truncated_1", "truncated_5", "feedback"}
