"""Exercises of notebook 02 (build it yourself): the learner writes every piece that trains a
recurrent network, and each ``check_...`` compares their piece with the library's.

* ``check_windows(fn)``: the window sampler in NumPy, against ``sinelib.sample_windows`` on the
  same random draws.
* ``check_dataset(fn)``: the same sampler as a ``tf.data`` pipeline, against the minibatches of
  ``sinelib.train`` (``sinelib.data.training_batch``).
* ``check_network(fn)``: an LSTM cell written as a Keras layer, run by ``keras.layers.RNN``,
  with the read-out; against ``keras.layers.LSTM`` with the same weights.
* ``check_loss(fn)``: the original's loss, against ``sinelib.summed_loss``.
* ``check_step(fn, network, loss)``: the training step, against ``sinelib``'s own step
  (``sinelib.training.make_train_step``) from the same weights and minibatches.
* ``check_loop(fn)``: the loop (display every 100 steps, held-out every 1000, stop at a
  target), on a step and an evaluation whose numbers the check knows.

The ``reference_...`` pieces are the worked answers: the checks compare against the library, not
against them, and ``benchmarks/build_it_yourself.py`` trains them on experiment 3's task. The
variations of the lesson's exercises (``ReferenceSimpleCell``, ``UnrolledNetwork``) are here too,
so that the benchmark measures the code the solutions show.

TensorFlow and Keras are imported inside the functions that need them (``sinelib.plumbing.
backend``); the Keras layers are made on first use (``ReferenceLSTMCell()`` and the others are
functions returning instances of classes built then).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

from sinelib.data import (
    RANDOM_BAND, SAMPLING_RATE, SHIFT_RANGE, heldout_windows, sample_windows, training_batch,
)
from sinelib.experiments import DISPLAY_EVERY_STEPS, get_experiment
from sinelib.exercises.feedback import Feedback, as_array, compare_arrays
from sinelib.losses import summed_loss
from sinelib.models import build_model
from sinelib.plumbing import backend
from sinelib.training import ADAM_EPSILON, make_train_step

#: The task of the lesson: experiment 3 (150 units, 25 samples in, 50 out, 0.5-4 Hz).
TASK = "exp3"
#: Held-out evaluation interval of the lesson's loop, in steps.
EVAL_EVERY = 1000
#: Cases of ``check_windows``: (seed, batch, n_in, n_out).
WINDOW_CASES: tuple[tuple[int, int, int, int], ...] = ((0, 4, 25, 50), (7, 3, 10, 5))
#: Sizes of the small networks ``check_network`` compares (units, n_in, n_out, windows).
NETWORK_SIZES = (5, 7, 3, 4)
#: Steps ``check_step`` compares, and the largest relative gap between two losses it accepts.
STEP_CHECK_STEPS = 20
STEP_RTOL = 1e-5
#: The thresholds ``check_step`` clips at: small enough that they clip from the first step.
CHECK_CLIP_VALUE = 0.5
CHECK_CLIP_NORM = 1.0
#: Tolerance of ``check_network``: outputs within this of Keras's LSTM.
NETWORK_ATOL = 1e-5
#: What ``python -m benchmarks.build_it_yourself`` wrote: the worked answers' run to the
#: original's number and the variations, read by the notebooks where they do not train
#: (``benchmarks/build_it_yourself.json`` in the repository).
#:
#: :meta hide-value:
STORED_RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "build_it_yourself.json"
#: Keras's order of the four gate blocks in an LSTM's weights.
KERAS_GATES = ("i", "f", "c", "o")
_GATE_NAMES = {"i": "input gate", "f": "forget gate", "c": "candidate", "o": "output gate"}


def _raised(what: str, error: Exception) -> Feedback:
    return Feedback(False, f"{what} raised {type(error).__name__}: {error}")


# --- 1. The data ------------------------------------------------------------------------------

def reference_windows(rng, batch, n_in, n_out):
    """``batch`` windows of experiment 3's task drawn from the NumPy generator ``rng``: each
    window's frequency uniform on [0.5, 4) Hz, then each shift uniform on [0, 2π) s, samples
    at ``t = k / 100`` s. Returns ``x`` of shape ``(batch, n_in, 1)`` and ``y`` of shape
    ``(batch, n_out)``, float32."""
    frequency = rng.uniform(*RANDOM_BAND, size=batch)
    shift = rng.uniform(0.0, SHIFT_RANGE, size=batch)
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    signal = np.sin(2 * np.pi * frequency[:, None] * (t + shift[:, None])).astype(np.float32)
    return signal[:, :n_in, None], signal[:, n_in:]


def _variant_windows(rng, batch, n_in, n_out, step, shift_first, two_pi):
    """A wrong sampler, to recognise a learner's mistake by what it returns."""
    first = rng.uniform(0.0, SHIFT_RANGE, size=batch) if shift_first else None
    frequency = rng.uniform(*RANDOM_BAND, size=batch)
    shift = first if shift_first else rng.uniform(0.0, SHIFT_RANGE, size=batch)
    t = np.arange(n_in + n_out) * step
    angle = (2 * np.pi if two_pi else 1.0) * frequency[:, None] * (t + shift[:, None])
    signal = np.sin(angle).astype(np.float32)
    return signal[:, :n_in], signal[:, n_in:]


#: Known mistakes of a sampler: what each returns differently, and what to say.
_WINDOW_MISTAKES = (
    (dict(step=1.0, shift_first=False, two_pi=True),
     "your samples are 1 s apart: the time step is 1/100 s (t = k / 100, 100 Hz sampling)"),
    (dict(step=0.001, shift_first=False, two_pi=True),
     "your samples are 1/1000 s apart: the time step is 1/100 s (t = k / 100)"),
    (dict(step=0.01, shift_first=True, two_pi=True),
     "you draw the shifts before the frequencies: sinelib draws all the frequencies first, "
     "then all the shifts, from the same generator"),
    (dict(step=0.01, shift_first=False, two_pi=False),
     "your sine has no 2π: sin(2π f (t + t0)) for a frequency f in Hz"),
)


def check_windows(fn) -> Feedback:
    """Check ``fn(rng, batch, n_in, n_out) -> (x, y)``: ``x`` of shape ``(batch, n_in, 1)``,
    ``y`` of shape ``(batch, n_out)``, drawn from the generator ``rng`` as
    ``sinelib.sample_windows(batch, n_in, n_out, seed=s)`` draws from
    ``np.random.default_rng(s)`` (frequencies first, then shifts).

    Never raises on a wrong answer: the ``Feedback`` names the case and, where it is a known
    mistake (time step, order of the draws, a missing 2π, a missing last axis), which.
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    for seed, batch, n_in, n_out in WINDOW_CASES:
        case = f"seed {seed}, {batch} windows of {n_in} + {n_out} samples"
        x, y = sample_windows(batch, n_in, n_out, seed=seed)
        try:
            got = fn(np.random.default_rng(seed), batch, n_in, n_out)
            got_x, got_y = got
        except Exception as error:  # a learner's bug is feedback, not a crash
            return _raised(f"on {case} your function", error)
        if np.shape(got_x) == (batch, n_in):
            return Feedback(False, f"on {case} x has shape {np.shape(got_x)}: keras.layers.RNN "
                                   f"reads (batch, time, features), so x needs a last axis of "
                                   f"size 1: shape {(batch, n_in, 1)} (x[..., None])")
        for name, value, expected in (("x", got_x, x), ("y", got_y, y)):
            feedback = compare_arrays(f"{name} on {case}", value, expected, atol=1e-6)
            if not feedback:
                return Feedback(False, feedback.message + _window_mistake(seed, batch, n_in,
                                                                          n_out, got_x))
    return Feedback(True, f"your windows equal sinelib.sample_windows on {len(WINDOW_CASES)} "
                          f"seeds (same draws, same samples)")


def _window_mistake(seed, batch, n_in, n_out, got_x) -> str:
    got, wrong = as_array("x", got_x, (batch, n_in, 1))
    if wrong is not None:
        return ""
    for options, hint in _WINDOW_MISTAKES:
        x, _ = _variant_windows(np.random.default_rng(seed), batch, n_in, n_out, **options)
        if np.allclose(got[:, :, 0], x, atol=1e-6):
            return ". " + hint[0].upper() + hint[1:]
    return ""


def reference_dataset(seed, batch, n_in, n_out):
    """The minibatches of a run seeded ``seed`` as an endless ``tf.data.Dataset``: element
    ``k`` is drawn by ``reference_windows`` from ``np.random.default_rng([seed, k, 1])``, the
    batch ``sinelib.train`` takes at step ``k`` (``sinelib.data.training_batch``)."""
    tf = backend.tensorflow()

    def draw(k):
        return reference_windows(np.random.default_rng([seed, int(k), 1]), batch, n_in, n_out)

    def shaped(x, y):
        return tf.ensure_shape(x, (batch, n_in, 1)), tf.ensure_shape(y, (batch, n_out))

    counter = tf.data.Dataset.counter()
    windows = counter.map(lambda k: tf.numpy_function(draw, [k], (tf.float32, tf.float32)))
    return windows.map(shaped).prefetch(2)


#: Batches ``check_dataset`` compares, and its sizes (seed, batch, n_in, n_out).
DATASET_BATCHES = 3
DATASET_CASE = (5, 4, 25, 50)


def check_dataset(fn) -> Feedback:
    """Check ``fn(seed, batch, n_in, n_out) -> tf.data.Dataset``: its first batches are the
    minibatches ``sinelib.train`` takes at steps 0, 1, 2 of a run seeded ``seed``
    (``sinelib.data.training_batch``: the generator of step ``k`` is
    ``np.random.default_rng([seed, k, 1])``).

    Never raises on a wrong answer; names a pipeline that repeats one batch, or one whose first
    batch is right but not the next (the step's seed).
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    seed, batch, n_in, n_out = DATASET_CASE
    try:
        dataset = fn(seed, batch, n_in, n_out)
        got = [(np.asarray(x), np.asarray(y))
               for x, y in itertools.islice(iter(dataset), DATASET_BATCHES)]
    except Exception as error:  # a learner's bug is feedback, not a crash
        return _raised("your pipeline", error)
    if len(got) < DATASET_BATCHES:
        return Feedback(False, f"your pipeline ended after {len(got)} batches: it must be "
                               f"endless (one batch per step), e.g. from "
                               f"tf.data.Dataset.counter()")
    for k, (got_x, got_y) in enumerate(got):
        x, y = training_batch(seed, k, batch, n_in, n_out)
        for name, value, expected in (("x", got_x, x), ("y", got_y, y)):
            feedback = compare_arrays(f"{name} of batch {k} (seed {seed})", value, expected)
            if feedback:
                continue
            hint = ""
            if k > 0 and np.array_equal(got_x, got[0][0]):
                hint = (". Your batch is the same at every step: each step k needs its own "
                        "generator, np.random.default_rng([seed, k, 1])")
            elif k > 0:
                hint = (". Batch 0 is right but not this one: the generator of step k is "
                        "np.random.default_rng([seed, k, 1])")
            return Feedback(False, feedback.message + hint)
    return Feedback(True, f"your pipeline's first {DATASET_BATCHES} batches are sinelib.train's "
                          f"minibatches of steps 0 to {DATASET_BATCHES - 1}")


# --- 2. The cell and the network --------------------------------------------------------------

_CLASSES: dict = {}


def _classes() -> dict:
    """The reference Keras layers, made once, when Keras is first needed."""
    if _CLASSES:
        return _CLASSES
    keras = backend.keras()
    ops = keras.ops

    class LSTMCell(keras.layers.Layer):
        """An LSTM cell for ``keras.layers.RNN``: gates in Keras's order i, f, c, o."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]  # h, then c
            self.output_size = units

        def build(self, input_shape):
            n = self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], 4 * n), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(n, 4 * n), name="recurrent_kernel",
                                                    initializer="orthogonal")
            self.bias = self.add_weight(shape=(4 * n,), name="bias", initializer="zeros")

        def call(self, inputs, states):
            h, c = states
            z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
            z_i, z_f, z_c, z_o = ops.split(z, 4, axis=1)
            c = ops.sigmoid(z_f) * c + ops.sigmoid(z_i) * ops.tanh(z_c)
            h = ops.sigmoid(z_o) * ops.tanh(c)
            return h, [h, c]

    class SimpleCell(keras.layers.Layer):
        """A plain recurrent cell: ``h = tanh(x W + h U + b)``."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units
            self.output_size = units

        def build(self, input_shape):
            n = self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], n), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(n, n), name="recurrent_kernel",
                                                    initializer="orthogonal")
            self.bias = self.add_weight(shape=(n,), name="bias", initializer="zeros")

        def call(self, inputs, states):
            previous = states[0] if isinstance(states, (list, tuple)) else states
            h = ops.tanh(ops.matmul(inputs, self.kernel)
                         + ops.matmul(previous, self.recurrent_kernel) + self.bias)
            return h, [h]

    class Unrolled(keras.Model):
        """A cell run step by step in Python (unrolled when compiled), for the variations:
        ``truncate=k`` lets the gradient through the last ``k`` steps of the window only;
        ``feedback=True`` reads out one sample at a time and feeds it back as the next
        input, ``n_out`` times (the read-out then has one output)."""

        def __init__(self, cell, n_out, truncate=None, feedback=False, **kwargs):
            super().__init__(**kwargs)
            self.cell, self.n_out = cell, n_out
            self.truncate, self.feedback = truncate, feedback
            self.readout = keras.layers.Dense(1 if feedback else n_out, name="readout")

        def call(self, x):
            sizes = self.cell.state_size
            sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
            state = [ops.zeros((ops.shape(x)[0], size)) for size in sizes]
            n_in = x.shape[1]
            for t in range(n_in):
                if self.truncate is not None and t == n_in - self.truncate:
                    state = [ops.stop_gradient(s) for s in state]
                h, state = self.cell(x[:, t], state)
            if not self.feedback:
                return self.readout(h)
            outputs = []
            for _ in range(self.n_out):
                sample = self.readout(h)          # (batch, 1)
                outputs.append(sample)
                h, state = self.cell(sample, state)
            return ops.concatenate(outputs, axis=1)

    _CLASSES.update(LSTMCell=LSTMCell, SimpleCell=SimpleCell, Unrolled=Unrolled)
    return _CLASSES


def ReferenceLSTMCell(units):  # noqa: N802 (it stands for a class)
    """The worked answer's LSTM cell, a ``keras.layers.Layer`` with ``state_size``."""
    return _classes()["LSTMCell"](units)


def ReferenceSimpleCell(units):  # noqa: N802
    """The plain recurrent cell of the first variation, ``h = tanh(x W + h U + b)``."""
    return _classes()["SimpleCell"](units)


def UnrolledNetwork(cell, n_in, n_out, truncate=None, feedback=False):  # noqa: N802
    """A built network running ``cell`` step by step (``truncate``, ``feedback``: the second
    and third variations), mapping ``(batch, n_in, 1)`` to ``(batch, n_out)``."""
    model = _classes()["Unrolled"](cell, n_out, truncate=truncate, feedback=feedback)
    model(np.zeros((1, n_in, 1), np.float32))
    return model


def reference_network(units, n_in, n_out, cell=None):
    """``keras.layers.RNN`` over ``cell`` (default: ``ReferenceLSTMCell(units)``) and the
    linear read-out ``Dense(n_out)``, built for windows of ``n_in`` samples."""
    keras = backend.keras()
    cell = ReferenceLSTMCell(units) if cell is None else cell
    return keras.Sequential([keras.Input(shape=(n_in, 1)), keras.layers.RNN(cell),
                             keras.layers.Dense(n_out)])


def copy_weights(source, target) -> None:
    """Give ``target`` the weights of ``source`` (a network from ``sinelib.build_model`` or
    Keras's LSTM), matching them by shape: LSTM kernel ``(1, 4n)``, recurrent kernel
    ``(n, 4n)``, bias ``(4n,)``, read-out kernel ``(n, n_out)``, read-out bias ``(n_out,)``.

    Raises:
        ValueError: the two do not hold weights of the same shapes, naming what is missing
            or extra.
    """
    by_shape = {tuple(w.shape): w for w in source.weights}
    mine = {tuple(w.shape): w for w in target.weights}
    if len(by_shape) != len(source.weights) or len(mine) != len(target.weights):
        raise ValueError("two weights of the same shape: copy_weights cannot tell them apart; "
                         "use sizes with units != n_out")
    if set(mine) != set(by_shape):
        raise ValueError(f"the networks' weights differ: missing "
                         f"{sorted(set(by_shape) - set(mine))}, extra "
                         f"{sorted(set(mine) - set(by_shape))} (shapes)")
    for shape, variable in mine.items():
        variable.assign(by_shape[shape].numpy())


def _lstm_network(units, n_in, n_out, weights):
    """Keras's own LSTM and read-out with the given weights."""
    keras = backend.keras()
    model = keras.Sequential([keras.Input(shape=(n_in, 1)), keras.layers.LSTM(units),
                              keras.layers.Dense(n_out)])
    model.set_weights(weights)
    return model


def _weight_names(units, n_out) -> dict:
    return {(1, 4 * units): "the cell's input kernel (1, 4 units)",
            (units, 4 * units): "the cell's recurrent kernel (units, 4 units)",
            (4 * units,): "the cell's bias (4 units,)",
            (units, n_out): "the read-out's kernel (units, n_out)",
            (n_out,): "the read-out's bias (n_out,)"}


def _permuted(weights, units, order):
    """The LSTM weights with their gate blocks taken in ``order`` (indices into i, f, c, o)."""
    out = []
    for w in weights[:3]:
        blocks = np.split(w, 4, axis=-1)
        out.append(np.concatenate([blocks[j] for j in order], axis=-1))
    return out + list(weights[3:])


def check_network(fn) -> Feedback:
    """Check ``fn(units, n_in, n_out) -> keras model``: ``keras.layers.RNN`` over your own LSTM
    cell (a ``keras.layers.Layer`` with ``state_size``), then the read-out ``Dense(n_out)``,
    mapping ``(batch, n_in, 1)`` to ``(batch, n_out)``.

    The check gives your network the weights of a ``keras.layers.LSTM`` network (matched by
    shape) and compares the outputs, within 1e-5. Never raises on a wrong answer: names a
    missing weight (the read-out's bias), a network that keeps its state from one call to the
    next, and gates taken in another order than Keras's i, f, c, o.
    """
    keras = backend.keras()
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    units, n_in, n_out, batch = NETWORK_SIZES
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, n_in, 1)).astype(np.float32)
    weights = [rng.normal(scale=0.5, size=shape).astype(np.float32) for shape in
               ((1, 4 * units), (units, 4 * units), (4 * units,), (units, n_out), (n_out,))]
    case = f"units={units}, n_in={n_in}, n_out={n_out}"
    try:
        model = fn(units, n_in, n_out)
        model(x)
    except Exception as error:  # a learner's bug is feedback, not a crash
        hint = ""
        if "state_size" in str(error):
            hint = (" (keras.layers.RNN asks the cell for state_size: set self.state_size = "
                    "[units, units], the sizes of h and c)")
        return Feedback(False, f"building or calling your network ({case}) raised "
                               f"{type(error).__name__}: {error}{hint}")
    layers = getattr(model, "layers", [])
    if any(isinstance(layer, (keras.layers.LSTM,)) for layer in layers) or any(
            isinstance(getattr(layer, "cell", None), keras.layers.LSTMCell) for layer in layers):
        return Feedback(False, "your network uses Keras's own LSTM: write the cell yourself, "
                               "as a keras.layers.Layer run by keras.layers.RNN")
    if not any(isinstance(layer, keras.layers.RNN) for layer in layers):
        return Feedback(False, "your network has no keras.layers.RNN layer: run your cell with "
                               "keras.layers.RNN(cell)")
    names = _weight_names(units, n_out)
    shapes = [tuple(w.shape) for w in model.weights]
    missing = [names[s] for s in names if s not in shapes]
    extra = [s for s in shapes if s not in names]
    if missing or extra or len(set(shapes)) != len(shapes):
        message = f"your network's weights ({case}) have shapes {shapes}"
        if missing:
            message += "; missing: " + ", ".join(missing)
            if (n_out,) not in shapes:
                message += (" (the read-out is pred = h W + b: keras.layers.Dense(n_out) "
                            "has its bias unless use_bias=False)")
        if extra:
            message += f"; not expected: {extra}"
        return Feedback(False, message)
    expected = _lstm_network(units, n_in, n_out, weights)(x).numpy()
    got = _output_with(model, weights, x)
    feedback = compare_arrays(f"the output for {batch} windows ({case})", got, expected,
                              rtol=0.0, atol=NETWORK_ATOL)
    if feedback:
        return Feedback(True, f"your network equals keras.layers.LSTM with the same weights "
                              f"({case}, within {NETWORK_ATOL:g})")
    if not np.allclose(np.asarray(model(x)), got, atol=NETWORK_ATOL):
        return Feedback(False, feedback.message + ". Two calls on the same windows give "
                        "different outputs: your network keeps its state from one call to "
                        "the next (stateful=True?); every window must start from h = c = 0")
    for order in itertools.permutations(range(4)):
        if order == (0, 1, 2, 3):
            continue
        if np.allclose(_output_with(model, _permuted(weights, units, order), x), expected,
                       atol=NETWORK_ATOL):
            slots = ", ".join(f"slot {k + 1}: {_GATE_NAMES[KERAS_GATES[j]]}"
                              for k, j in enumerate(_inverse(order)))
            return Feedback(False, feedback.message + f". Your cell reads the gate blocks in "
                            f"another order ({slots}); Keras's order is i, f, c, o: input "
                            f"gate, forget gate, candidate, output gate")
    return feedback


def _inverse(order):
    inverse = [0] * len(order)
    for k, j in enumerate(order):
        inverse[j] = k
    return inverse


def _output_with(model, weights, x) -> np.ndarray:
    by_shape = {tuple(w.shape): w for w in weights}
    for variable in model.weights:
        variable.assign(by_shape[tuple(variable.shape)])
    return np.asarray(model(x))


# --- 3. The loss ------------------------------------------------------------------------------

def reference_loss(y, y_pred):
    """The original's loss on tensors: the squared error summed over the horizon, averaged
    over the batch."""
    ops = backend.keras().ops
    return ops.mean(ops.sum(ops.square(y_pred - y), axis=1))


#: Sizes of the batch ``check_loss`` uses: (windows, horizon), unequal so that the ways of
#: getting it wrong give different numbers.
LOSS_SIZES = (4, 6)


def check_loss(fn) -> Feedback:
    """Check ``fn(y, y_pred) -> scalar tensor``: on tensors of shape ``(batch, n_out)``, the
    mean over the batch of the squared error summed over the horizon (``sinelib.summed_loss``),
    and differentiable (``tf.GradientTape`` finds its gradient).

    Never raises on a wrong answer; names the per-point MSE, a sum over the batch, a missing
    mean over the batch (one loss per window) and a square root.
    """
    tf = backend.tensorflow()
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    batch, n_out = LOSS_SIZES
    rng = np.random.default_rng(1)
    y = rng.normal(size=(batch, n_out)).astype(np.float32)
    y_pred = rng.normal(size=(batch, n_out)).astype(np.float32)
    expected = summed_loss(y, y_pred)
    prediction = tf.Variable(y_pred)
    try:
        with tf.GradientTape() as tape:
            loss = fn(tf.constant(y), prediction)
        gradient = tape.gradient(loss, prediction) if tf.is_tensor(loss) else None
        got = np.asarray(loss, dtype=float)
    except Exception as error:  # a learner's bug is feedback, not a crash
        return _raised("your loss on tensors", error)
    case = f"a batch of {batch} windows with a horizon of {n_out}"
    if got.shape != ():
        hint = (" (one loss per window: take the mean over the batch too)"
                if got.shape == (batch,) else "")
        return Feedback(False, f"on {case} your loss has shape {got.shape}, expected one "
                               f"number{hint}")
    if gradient is None:
        return Feedback(False, "tf.GradientTape finds no gradient of your loss: compute it "
                               "with TensorFlow or keras.ops on the tensors, not with NumPy")
    if math.isclose(got, expected, rel_tol=1e-5):
        return Feedback(True, f"your loss equals sinelib.summed_loss on {case}: "
                              f"{expected:.6g}")
    message = f"on {case} expected {expected:.6g}, got {float(got):.6g}"
    known = ((expected / n_out, f"that is the per-point MSE ({n_out}x smaller): the original "
                                "sums the squared error over the horizon"),
             (expected * batch, f"that is the sum over the batch ({batch}x larger): take the "
                                "mean over the batch"),
             (expected * batch / n_out, "that is the mean over the horizon and the sum over the "
                                        "batch: the other way round"),
             (math.sqrt(expected), "that is the square root of the loss: the original "
                                   "reports the squared error"))
    for value, hint in known:
        if math.isclose(got, value, rel_tol=1e-5):
            return Feedback(False, f"{message}; {hint}")
    return Feedback(False, message)


# --- 4. The training step ---------------------------------------------------------------------

def reference_step(model, optimizer, loss_fn, clip_value=None, clip_norm=None):
    """A compiled function ``(x, y) -> loss before the update`` taking one optimizer step on
    ``model``, clipping the gradients element-wise at ``clip_value`` or by their global norm
    at ``clip_norm`` (or not at all)."""
    tf = backend.tensorflow()
    variables = model.trainable_variables

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, variables)
        if clip_value is not None:
            gradients = [tf.clip_by_value(g, -clip_value, clip_value) for g in gradients]
        if clip_norm is not None:
            gradients, _ = tf.clip_by_global_norm(gradients, clip_norm)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    return step


def adam(exp):
    """The optimizer of the lesson, unclipped: Adam at ``exp``'s rate with TF1's epsilon."""
    keras = backend.keras()
    return keras.optimizers.Adam(learning_rate=get_experiment(exp).learning_rate,
                                 epsilon=ADAM_EPSILON)


def _library_losses(exp, seed, steps, optimizer_options):
    """Losses of ``sinelib``'s own step (``make_train_step``), from ``build_model(exp, seed)``,
    on the run's minibatches; and the initial model (for its weights)."""
    keras = backend.keras()
    start = build_model(exp, seed=seed)
    model = build_model(exp, seed=seed)
    optimizer = keras.optimizers.Adam(learning_rate=exp.learning_rate, epsilon=ADAM_EPSILON,
                                      **optimizer_options)
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer)
    losses = [float(step(*training_batch(seed, k, exp.batch_size, exp.n_in, exp.n_out)))
              for k in range(steps)]
    return losses, start


def check_step(fn, network, loss, clip=None, exp=TASK, seed=0,
               steps=STEP_CHECK_STEPS) -> Feedback:
    """Check ``fn(model, optimizer, loss_fn, clip_value=None, clip_norm=None)``, which returns
    a ``tf.function`` ``(x, y) -> loss before the update`` taking one optimizer step.

    Your network (``network(units, n_in, n_out)``) starts from the weights of
    ``sinelib.build_model(exp, seed)``; your step, on an unclipped Adam (``adam(exp)``), takes
    ``steps`` steps on ``sinelib.train``'s minibatches and must return the losses ``sinelib``'s
    own step returns from the same start, within a relative gap of 1e-5. ``clip`` is your
    choice of clipping: ``None``, ``"value"`` (``clip_value=0.5``: Keras's ``clipvalue``) or
    ``"norm"`` (``clip_norm=1.0``: the global norm, Keras's ``global_clipnorm``).

    Never raises on a wrong answer; names a step that is not compiled, one that does not
    change the weights (no ``apply_gradients``, or the loss clipped instead of the gradients),
    one that does not clip, and one that clips each tensor by its own norm.
    """
    if clip not in (None, "value", "norm"):
        raise ValueError(f"clip must be None, 'value' or 'norm', got {clip!r}")
    for name, value in (("fn", fn), ("network", network), ("loss", loss)):
        if not callable(value):
            return Feedback(False, f"pass your function itself as {name}, got "
                                   f"{type(value).__name__}")
    exp = get_experiment(exp)
    reference = {None: {}, "value": {"clipvalue": CHECK_CLIP_VALUE},
                 "norm": {"global_clipnorm": CHECK_CLIP_NORM}}[clip]
    expected, start = _library_losses(exp, seed, steps, reference)
    clipping = {"clip_value": CHECK_CLIP_VALUE if clip == "value" else None,
                "clip_norm": CHECK_CLIP_NORM if clip == "norm" else None}
    what = "your step" + {None: "", "value": f" (clip_value={CHECK_CLIP_VALUE:g})",
                          "norm": f" (clip_norm={CHECK_CLIP_NORM:g})"}[clip]
    try:
        model = network(exp.n_hidden, exp.n_in, exp.n_out)
        copy_weights(start, model)
        before = [w.numpy().copy() for w in model.trainable_variables]
        step = fn(model, adam(exp), loss, **clipping)
        got = [float(step(*training_batch(seed, k, exp.batch_size, exp.n_in, exp.n_out)))
               for k in range(steps)]
    except Exception as error:  # a learner's bug is feedback, not a crash
        return _raised(what, error)
    if not hasattr(step, "get_concrete_function"):
        return Feedback(False, f"{what} is not compiled: decorate the inner function with "
                               f"@tf.function (it runs as a graph, several times faster)")
    if all(np.array_equal(np.asarray(w), b) for w, b in zip(model.trainable_variables, before)):
        return Feedback(False, f"{what} did not change the weights: it must call "
                               f"optimizer.apply_gradients on the gradients (clipping the loss "
                               f"instead of the gradients makes them zero once the loss is "
                               f"past the clip)")
    gaps = [abs(g - e) / abs(e) for g, e in zip(got, expected)]
    worst = int(np.argmax(gaps))
    if gaps[worst] <= STEP_RTOL:
        return Feedback(True, f"{what} returns sinelib's losses for {steps} steps from the same "
                              f"weights and minibatches (largest relative gap "
                              f"{gaps[worst]:.1e}, at most {STEP_RTOL:g})")
    message = (f"{what}: loss at step {worst} is {got[worst]:.6g}, sinelib's step gives "
               f"{expected[worst]:.6g} (relative gap {gaps[worst]:.1e}, at most {STEP_RTOL:g})")
    if worst == 0:
        return Feedback(False, message + ". The first loss, before any update, differs: check "
                                         "your loss with check_loss and your network with "
                                         "check_network")
    if clip is not None:
        unclipped, _ = _library_losses(exp, seed, steps, {})
        if np.allclose(got, unclipped, rtol=STEP_RTOL):
            return Feedback(False, message + ". Your losses are those of an unclipped step: "
                            "clip the gradients between tape.gradient and apply_gradients")
        if clip == "norm":
            per_tensor, _ = _library_losses(exp, seed, steps, {"clipnorm": CHECK_CLIP_NORM})
            if np.allclose(got, per_tensor, rtol=STEP_RTOL):
                return Feedback(False, message + ". You clip each gradient by its own norm "
                                "(tf.clip_by_norm); clip them together by their global norm "
                                "(tf.clip_by_global_norm)")
    return Feedback(False, message)


# --- 5. The loop ------------------------------------------------------------------------------

def reference_fit(step, batches, steps, evaluate, display_every=DISPLAY_EVERY_STEPS,
                  eval_every=EVAL_EVERY, target=None, progress=True):
    """Train: ``step(x, y)`` on each batch of ``batches`` (an iterable of ``(x, y)``), at
    most ``steps`` times.

    Every ``display_every`` steps a row ``{"step", "train_loss", "heldout_loss",
    "elapsed_s"}`` is recorded and the progress bar moved: the loss ``step`` returned, and
    every ``eval_every`` steps ``evaluate()`` (the held-out loss; ``None`` in the other rows).
    Stops after the first held-out loss at or below ``target``. Returns the rows.
    """
    from tqdm.auto import tqdm

    history, start = [], time.perf_counter()
    bar = tqdm(total=steps, unit="step", disable=not progress)
    for k, (x, y) in enumerate(itertools.islice(batches, steps), start=1):
        loss = step(x, y)
        if k % display_every:
            continue
        heldout = float(evaluate()) if k % eval_every == 0 else None
        history.append({"step": k, "train_loss": float(loss), "heldout_loss": heldout,
                        "elapsed_s": round(time.perf_counter() - start, 3)})
        bar.update(display_every)
        bar.set_postfix(loss=f"{float(loss):.4g}")
        if heldout is not None and target is not None and heldout <= target:
            break
    bar.close()
    return history


class _Loss(float):
    """A loss as a step returns it: a number with ``.numpy()``, like a tensor's."""

    def numpy(self):
        return float(self)


#: The run ``check_loop`` asks for: (steps, display_every, eval_every).
LOOP_CASE = (700, 100, 300)


def check_loop(fn) -> Feedback:
    """Check ``fn(step, batches, steps, evaluate, display_every=100, eval_every=1000,
    target=None, progress=True) -> list of rows`` (``reference_fit``'s contract) on a step
    and an evaluation whose numbers the check knows: ``step`` must be called once per batch,
    a row recorded after every ``display_every``-th step (counted from 1) with the loss that
    step returned, the held-out loss every ``eval_every`` steps, and the loop must stop after
    the first held-out loss at or below ``target``.

    Never raises on a wrong answer; names rows recorded at the wrong steps (counting from 0),
    held-out losses at the wrong steps, and a loop that does not stop at the target.
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, got {type(fn).__name__}")
    steps, display_every, eval_every = LOOP_CASE
    for target in (None, 1.0 / 600):
        calls = []

        def step(x, y):
            calls.append(x)
            return _Loss(1.0 / len(calls))

        def evaluate():
            return 1.0 / len(calls)

        batches = ((k, None) for k in itertools.count())
        case = (f"steps={steps}, display_every={display_every}, eval_every={eval_every}"
                + (f", target={target:.6g}" if target else ""))
        try:
            rows = fn(step, batches, steps, evaluate, display_every=display_every,
                      eval_every=eval_every, target=target, progress=False)
            rows = [dict(row) for row in rows]
            got = [(row["step"], float(row["train_loss"]),
                    None if row["heldout_loss"] is None else float(row["heldout_loss"]))
                   for row in rows]
        except Exception as error:  # a learner's bug is feedback, not a crash
            return _raised(f"your loop ({case})", error)
        last = 600 if target else steps
        expected = [(k, 1.0 / k, 1.0 / k if k % eval_every == 0 else None)
                    for k in range(display_every, last + 1, display_every)]
        if calls != list(range(len(calls))):
            return Feedback(False, f"your loop ({case}) did not call step once on each batch, "
                                   f"in order")
        if got == expected and len(calls) == last:
            continue
        rows_at = [row[0] for row in got]
        heldout_at = [row[0] for row in got if row[2] is not None]
        message = (f"your loop ({case}) recorded rows at steps {rows_at}, held-out losses at "
                   f"{heldout_at}; expected rows at {[row[0] for row in expected]}, held-out "
                   f"losses at {[row[0] for row in expected if row[2] is not None]}")
        if got and got[0][0] == 0:
            message += ("; your first row is at step 0: count the steps from 1 (the row of "
                        "step 100 comes after the 100th update)")
        elif target and len(calls) > last:
            message += (f"; it went on after the held-out loss reached the target at step "
                        f"{last}: stop there")
        elif len(calls) != last:
            message += f"; step was called {len(calls)} times, expected {last}"
        elif rows_at == [row[0] for row in expected] and heldout_at == [
                row[0] for row in expected if row[2] is not None]:
            message = (f"your loop ({case}) records its rows at the right steps, but not the "
                       f"numbers: each row holds the loss step returned at that step and, "
                       f"where due, evaluate() called after it")
        return Feedback(False, message)
    return Feedback(True, f"your loop records every {display_every}th step's loss, the held-out "
                          f"loss every {eval_every} steps, and stops at the target")


def yours_or_reference(feedback: Feedback, yours, reference):
    """``yours`` where its check passed, else the worked answer ``reference``: the lesson's
    later cells run, and train, whatever state your pieces are in."""
    return yours if feedback else reference


# --- The run to the original's number -----------------------------------------------------------

def train_to_target(exp=TASK, seed=0, max_steps=None, target=None, progress=True,
                    network=reference_network, loss=reference_loss, step=reference_step,
                    dataset=reference_dataset, fit=reference_fit, model=None) -> dict:
    """Train a network built from the given pieces on ``exp``'s task, from the initial
    weights of ``sinelib.build_model(exp, seed)``, until its held-out loss (on
    ``sinelib.heldout_windows``, 1000 windows) reaches ``target`` (default: the original's
    number) or ``max_steps`` (default: the experiment's budget) pass.

    ``model`` replaces the built network (the variations: already holding its weights).
    Returns ``{"history", "steps", "heldout_loss", "reached", "train_s", "model"}``;
    ``train_s`` is the wall time of the loop alone (compilation of the step included).
    """
    exp = get_experiment(exp)
    target = exp.reported.loss if target is None else target
    max_steps = exp.budget_steps if max_steps is None else max_steps
    if model is None:
        model = network(exp.n_hidden, exp.n_in, exp.n_out)
        copy_weights(build_model(exp, seed=seed), model)
    train_step = step(model, adam(exp), loss)
    x_heldout, y_heldout = heldout_windows(exp.n_in, exp.n_out)
    batches = iter(dataset(seed, exp.batch_size, exp.n_in, exp.n_out))

    def evaluate():
        return float(loss(y_heldout, model(x_heldout)))

    start = time.perf_counter()
    history = fit(train_step, batches, max_steps, evaluate, target=target, progress=progress)
    train_s = time.perf_counter() - start
    heldout = [row for row in history if row["heldout_loss"] is not None]
    final = heldout[-1]["heldout_loss"] if heldout else None
    return {"history": history, "steps": history[-1]["step"] if history else 0,
            "heldout_loss": final, "reached": final is not None and final <= target,
            "train_s": train_s, "model": model}


def stored_run(path=STORED_RUN) -> dict:
    """The report of ``python -m benchmarks.build_it_yourself`` (``make bench-build``).

    Raises:
        FileNotFoundError: no report at ``path``, naming the command that writes it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark report at {path}: run make bench-build (or "
                                f"python -m benchmarks.build_it_yourself) first")
    return json.loads(path.read_text(encoding="utf-8"))
