"""Model builders: stacked LSTMs (or GRUs, or plain RNNs) with the original's linear read-out,
and a checked predict.

TF1 to Keras 3, and where they differ (the README's "Faithfulness" section has the detail):

* ``BasicLSTMCell(n, forget_bias=1.0)`` and ``LSTMCell(n, forget_bias=1.0)`` both become
  ``keras.layers.LSTM(n, unit_forget_bias=True)``. TF1 adds a constant 1 to the forget gate
  with a bias initialised to 0; Keras initialises a trainable forget bias to 1. The two are
  identical at initialisation.
* TF1 drew one Glorot-uniform matrix for input and recurrent weights together; Keras draws the
  input kernel Glorot-uniform and the recurrent kernel orthogonal.
* ``GRUCell(n)`` (the original's last experiment, 6) becomes
  ``keras.layers.GRU(n, reset_after=False)``: TF1 applies the reset gate before the recurrent
  product, and starts the gate biases at 1 and the candidate's at 0, as here.
* ``static_rnn`` (the unrolled graph) becomes ``unroll=True``; ``dynamic_rnn`` the default
  symbolic loop.
* The read-out ``pred = h_last @ W + b`` starts as each script started it, declared in the
  registry (``Experiment.readout_kernel_init`` and ``readout_bias_init``): ``N(0, 1)`` for both
  ``W`` and ``b`` (``tf.random_normal``) in every experiment but 6, which is why early losses
  are large; truncated normals of standard deviation 1 for ``W`` and 0.1 for ``b``
  (``tf.truncated_normal``) in experiment 6.

Apart from how the initial weights are drawn, each network is the original's: started from the
same weights, the TF1 graph (``sinelib.tools.reference_tf1``) and the port take the same steps
to within float32 rounding (``tests/test_transplant.py``, ``make transplant``).
"""

from __future__ import annotations

import weakref

import numpy as np

from sinelib.plumbing import backend
from sinelib.plumbing.arguments import (
    require_bool, require_model, require_numeric_array, require_positive_int, require_seed,
)
from sinelib.experiments import Experiment, Initializer, get_experiment

#: Every initialiser draws from a seed of its own, derived from the run's seed: layer ``i``'s
#: input kernel from ``seed + LAYER_SEED_STRIDE * i`` and its recurrent kernel from the next
#: seed (``+ RECURRENT_SEED_OFFSET``). Two initialisers with one seed would draw the same
#: numbers; the stride leaves room and keeps a layer's weights the same when layers are added.
LAYER_SEED_STRIDE = 10
RECURRENT_SEED_OFFSET = 1
#: The read-out's kernel and bias draw from ``seed + READOUT_SEED_OFFSET`` and the seed after
#: it: past the seeds of up to 100 recurrent layers. The shipped weights were drawn with these
#: numbers, so they must not change.
READOUT_SEED_OFFSET = 1000


def build_model(exp: Experiment | str, seed: int = 0, unroll: bool | None = None):
    """Build an experiment's network.

    Args:
        exp: An ``Experiment`` or its name.
        seed: Seed of every initialiser, 0 to 2**32 - 1; the same seed gives the same
            initial weights.
        unroll: Unroll the recurrence; ``None`` follows the original (``exp.static_rnn``).

    Returns:
        A built ``keras.Model`` mapping ``(batch, n_in, 1)`` to ``(batch, n_out)``.

    Raises:
        ValueError: unknown experiment, or a seed or ``unroll`` of the wrong kind.
    """
    keras = backend.keras()

    exp = get_experiment(exp)
    seed = require_seed(seed)
    unroll = exp.static_rnn if unroll is None else require_bool("unroll", unroll)
    layers = [keras.Input(shape=(exp.n_in, 1), name="window")]
    gru = exp.kind == "gru"
    for index in range(exp.n_layers):
        common = dict(
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=seed + LAYER_SEED_STRIDE * index),
            recurrent_initializer=keras.initializers.Orthogonal(
                seed=seed + LAYER_SEED_STRIDE * index + RECURRENT_SEED_OFFSET),
            return_sequences=index < exp.n_layers - 1,
            unroll=unroll,
        )
        if gru:
            layers.append(keras.layers.GRU(exp.n_hidden, reset_after=False,
                                           bias_initializer=_GRU_BIAS, name=f"gru_{index}",
                                           **common))
        elif exp.kind == "rnn":
            # TF1's BasicRNNCell: h = tanh(x W + h U + b), the bias starting at 0.
            layers.append(keras.layers.SimpleRNN(exp.n_hidden, name=f"rnn_{index}", **common))
        else:
            layers.append(keras.layers.LSTM(exp.n_hidden, unit_forget_bias=True,
                                            name=f"lstm_{index}", **common))
    readout_init = dict(
        kernel_initializer=keras_initializer(exp.readout_kernel_init, seed + READOUT_SEED_OFFSET),
        bias_initializer=keras_initializer(exp.readout_bias_init, seed + READOUT_SEED_OFFSET + 1),
    )
    layers.append(keras.layers.Dense(exp.n_out, name="readout", **readout_init))
    return keras.Sequential(layers, name=exp.slug.replace("-", "_"))


def keras_initializer(spec: Initializer, seed: int):
    """The Keras initialiser that draws as ``spec`` says: ``RandomNormal`` for TF1's
    ``tf.random_normal``, ``TruncatedNormal`` (redrawn beyond two standard deviations, as
    ``tf.truncated_normal``) for ``tf.truncated_normal``."""
    keras = backend.keras()

    kind = {"normal": keras.initializers.RandomNormal,
            "truncated_normal": keras.initializers.TruncatedNormal}[spec.distribution]
    return kind(mean=0.0, stddev=spec.stddev, seed=seed)


def _GRU_BIAS(shape, dtype=None):
    """TF1 ``GRUCell``'s bias start: 1 for the update and reset gates, 0 for the candidate.

    Keras lays a ``reset_after=False`` GRU bias out as ``[update | reset | candidate]``.
    """
    keras = backend.keras()

    units = shape[0] // 3
    return keras.ops.concatenate([keras.ops.ones((2 * units,), dtype),
                                  keras.ops.zeros((units,), dtype)])


def weights_finite(model) -> bool:
    """Whether every weight of ``model`` is finite (no NaN or infinity after a divergence)."""
    return all(np.all(np.isfinite(np.asarray(v.numpy()))) for v in model.weights)


def count_parameters(model) -> int:
    """Number of trainable scalars in ``model``."""
    require_model(model)
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


_COMPILED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _compiled_call(model):
    """One ``tf.function`` per model: a plain ``model.predict`` is ~15x slower per call."""
    tf = backend.tensorflow()

    function = _COMPILED.get(model)
    if function is None:
        n_in = model.input_shape[1]
        function = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, n_in, 1), tf.float32)],
            reduce_retracing=True,
        )
        _COMPILED[model] = function
    return function


def predict(model, x, batch_size: int = 1000) -> np.ndarray:
    """Predict the horizon for input windows, with a clear error on a wrong shape.

    Args:
        model: A model from ``build_model`` or ``load_pretrained``.
        x: Input windows of shape ``(batch, n_in, 1)``, ``(batch, n_in)`` or ``(n_in,)``.
        batch_size: Windows per compiled call.

    Returns:
        float32 array of shape ``(batch, n_out)`` (``(n_out,)`` for a single 1-D window).
    """
    n_in = require_model(model).input_shape[1]
    batch_size = require_positive_int("batch_size", batch_size)
    x = require_numeric_array("x", x, np.float32, "a numeric array of windows")
    given_shape = x.shape
    single = x.ndim == 1
    if single:
        x = x[None, :, None]
    elif x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[1] != n_in or x.shape[2] != 1 or x.shape[0] == 0:
        raise ValueError(
            f"x must have shape (batch, {n_in}, 1), (batch, {n_in}) or ({n_in},) for this "
            f"model, got {given_shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite; it contains NaN or infinite values")
    function = _compiled_call(model)
    outputs = [function(x[i:i + batch_size]).numpy() for i in range(0, len(x), batch_size)]
    y_pred = np.concatenate(outputs, axis=0)
    return y_pred[0] if single else y_pred
