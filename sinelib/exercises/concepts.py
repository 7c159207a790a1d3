"""Checks for the exercises of notebook 01 (what an LSTM computes).

* ``check_lstm_step(step)``: a learner's LSTM step ``step(x_t, h, c, weights) -> (h, c)``
  against ``sinelib.cells.lstm_step`` on a shipped layer, then run over whole windows against
  the Keras network's prediction. A wrong step is told which output differs and, where the
  mistake is a common one (TF1's gate order, a missing tanh), which one it is.
* ``check_sine_forecast(forecast)``: a learner's ``forecast(x, n_out)`` that rolls the sine
  recurrence ``x[t+1] = 2 cos(ω Δt) x[t] - x[t-1]`` over the horizon, against the true
  continuation of clean windows, in and far outside the networks' training band, of a batch
  whose windows each have their own frequency, and of noisy windows.

Both return a ``Feedback`` and never raise on a wrong answer.
"""

from __future__ import annotations

import numpy as np

from sinelib.cells import NUMPY, CellWeights, lstm_step, network_weights
from sinelib.data import heldout_windows
from sinelib.exercises.feedback import Feedback, as_array, compare_arrays
from sinelib.experiments import get_experiment
from sinelib.models import predict
from sinelib.plumbing.pretrained import load_pretrained

#: The shipped network whose first layer ``check_lstm_step`` tests a step on.
STEP_EXPERIMENT = "exp3"
#: Windows and states of the one-step test.
STEP_BATCH = 4
#: The whole-window test: a step that matches one step must give the network's prediction to
#: within this (float64 against Keras' float32).
WINDOW_TOLERANCE = 1e-4
#: Clean windows of ``check_sine_forecast``: inside the band the networks train on
#: (0.5-4 Hz) and far outside it.
FORECAST_FREQUENCIES: tuple[float, ...] = (0.7, 2.5, 10.0, 23.0)
FORECAST_N_IN, FORECAST_N_OUT, FORECAST_SIZE = 25, 50, 20
#: A forecast passes when its largest error on these clean windows is below this.
FORECAST_TOLERANCE = 1e-3
#: The noisy test of a forecast (and of notebook 05's ``continue_sine``): windows of the
#: networks' band with input noise of this σ. One ``cos(ω Δt)`` fitted by least squares on
#: each whole window keeps the median summed loss over 50 steps near 0.4; an estimate from
#: three samples, exact on a clean sine, is near 44 (the zero baseline's 25 is beaten by
#: neither rule that fails). A forecast passes below ``NOISY_MEDIAN_LOSS``.
NOISY_SIGMA, NOISY_SIZE, NOISY_MEDIAN_LOSS = 0.01, 200, 5.0


def _sigmoid(z):
    return NUMPY.sigmoid(z)


def _variant(x_t, h, c, w: CellWeights, order=(0, 1, 2, 3), candidate=np.tanh,
             squash=np.tanh) -> tuple[np.ndarray, np.ndarray]:
    """An LSTM step with one thing changed: the blocks read in another ``order`` (positions
    of i, f, g, o in Keras' layout), another ``candidate`` nonlinearity, or another
    ``squash`` of the cell state before the output gate."""
    z = x_t @ w.kernel + h @ w.recurrent + w.bias
    n = w.units
    block = lambda k: z[:, order[k] * n:(order[k] + 1) * n]
    i, f, g, o = _sigmoid(block(0)), _sigmoid(block(1)), candidate(block(2)), _sigmoid(block(3))
    c = f * c + i * g
    return o * squash(c), c


#: Mistakes a step can make that a check can name, each as the step it computes.
_STEP_MISTAKES = {
    "the gates are read in TF1's order (i, candidate, f, o); Keras' kernel is laid out as "
    "i, f, candidate, o":
        dict(order=(0, 2, 1, 3)),
    "the input and forget gates are swapped (Keras' order is i, f, candidate, o)":
        dict(order=(1, 0, 2, 3)),
    "the candidate goes through a sigmoid; it takes a tanh (values in [-1, 1])":
        dict(candidate=_sigmoid),
    "h is o * c; it is o * tanh(c), the cell state squashed before the output gate":
        dict(squash=lambda c: c),
}


def _call(function, *args):
    """``(result, None)`` or ``(None, Feedback)`` when the learner's function raised."""
    try:
        return function(*args), None
    except Exception as error:  # a learner's function may raise anything
        return None, Feedback(False, f"your function raised {type(error).__name__}: {error}")


def _pair(result) -> tuple | None:
    if isinstance(result, tuple) and len(result) == 2:
        return result
    return None


def _close(got, expected, atol: float = 1e-6) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-5,
                                                            atol=atol))


def check_lstm_step(step, experiment: str = STEP_EXPERIMENT) -> Feedback:
    """Check a learner's LSTM step on a shipped network's first layer.

    Args:
        step: ``step(x_t, h, c, weights) -> (h_new, c_new)``, with ``x_t`` of shape
            ``(batch, 1)``, ``h`` and ``c`` of shape ``(batch, units)`` and ``weights`` a
            ``sinelib.cells.CellWeights`` (``.kernel``, ``.recurrent``, ``.bias``, ``.units``,
            Keras' layout and gate order).
        experiment: The shipped LSTM network to take the layer from.

    Returns:
        ``Feedback``: first one step on random states against ``sinelib.cells.lstm_step``
        (which output differs, and the mistake when it is a common one), then the step run
        over whole held-out windows against the Keras network's prediction.
    """
    if not callable(step):
        return Feedback(False, f"pass your step function itself, got {type(step).__name__}")
    exp = get_experiment(experiment)
    model = load_pretrained(exp)
    network = network_weights(model)
    weights = network.cells[0]
    if weights.kind != "lstm" or len(network.cells) != 1:
        return Feedback(False, f"experiment {exp.slug} is not a one-layer LSTM network; "
                               f"check on one that is, e.g. {STEP_EXPERIMENT!r}")
    rng = np.random.default_rng(0)
    x_t = rng.uniform(-1, 1, size=(STEP_BATCH, 1))
    h = rng.uniform(-0.9, 0.9, size=(STEP_BATCH, weights.units))
    c = rng.uniform(-2.0, 2.0, size=(STEP_BATCH, weights.units))
    expected = lstm_step(x_t, h, c, weights)
    result, failed = _call(step, x_t.copy(), h.copy(), c.copy(), weights)
    if failed is not None:
        return failed
    pair = _pair(result)
    if pair is None:
        return Feedback(False, f"your step should return the pair (h, c) as a tuple, got "
                               f"{type(result).__name__}")
    got_h, got_c = pair
    if _close(got_h, expected["cell"]) and _close(got_c, expected["hidden"]):
        return Feedback(False, "your step returns (c, h); the pair is (h, c): the new hidden "
                               "state first")
    if _close(got_h, h) and _close(got_c, c):
        return Feedback(False, "your step returns h and c unchanged: it does not update the "
                               "state yet")
    if not (_close(got_h, expected["hidden"]) and _close(got_c, expected["cell"])):
        for mistake, change in _STEP_MISTAKES.items():
            wrong_h, wrong_c = _variant(x_t, h, c, weights, **change)
            if _close(got_h, wrong_h) and _close(got_c, wrong_c):
                return Feedback(False, mistake)
        cell = compare_arrays("the new cell state c", got_c, expected["cell"])
        if not cell:
            return Feedback(False, f"{cell.message} (c = f * c + i * g, with f, i sigmoids "
                                   f"and g a tanh)")
        hidden = compare_arrays("the new hidden state h", got_h, expected["hidden"])
        return Feedback(False, f"c is right, but {hidden.message} (h = o * tanh(c))")
    # One step is right; now the whole window, as the network reads it.
    x, _ = heldout_windows(exp.n_in, exp.n_out, exp.frequency, STEP_BATCH)
    state_h = np.zeros((STEP_BATCH, weights.units))
    state_c = np.zeros((STEP_BATCH, weights.units))
    for t in range(exp.n_in):
        result, failed = _call(step, x[:, t].astype(np.float64), state_h, state_c, weights)
        if failed is not None:
            return failed
        state_h, state_c = (np.asarray(a, dtype=float) for a in _pair(result))
    ours = state_h @ network.readout_kernel + network.readout_bias
    window = compare_arrays(f"the prediction from your step run over {STEP_BATCH} windows "
                            f"of {exp.n_in} samples", ours, predict(model, x), rtol=0,
                            atol=WINDOW_TOLERANCE)
    if not window:
        return window
    return Feedback(True, f"one step matches sinelib.cells.lstm_step, and your step run over "
                          f"{STEP_BATCH} held-out windows of {exp.n_in} samples, then the "
                          f"read-out h @ W + b, gives the Keras network's prediction "
                          f"(experiment {exp.original_id}) to within {WINDOW_TOLERANCE:g}")


def check_sine_forecast(forecast) -> Feedback:
    """Check a learner's sine-recurrence forecast on clean windows of several frequencies, on
    a batch whose windows each have their own frequency, and on noisy windows.

    Args:
        forecast: ``forecast(x, n_out) -> (batch, n_out)`` for windows ``x`` of shape
            ``(batch, n_in)`` (float64; each window may have its own frequency).

    Returns:
        ``Feedback``: right when, at every frequency of ``FORECAST_FREQUENCIES`` (inside and
        far outside the networks' 0.5-4 Hz band) and on a batch of the band's frequencies,
        the forecast is within ``FORECAST_TOLERANCE`` of the true continuation, and on noisy
        windows its median summed loss is below ``NOISY_MEDIAN_LOSS``; otherwise which test
        it misses and how (persistence, one estimate pooled over the batch, an estimate that
        noise throws off).
    """
    if not callable(forecast):
        return Feedback(False, f"pass your forecast function itself, got "
                               f"{type(forecast).__name__}")
    for frequency in (*FORECAST_FREQUENCIES, None):
        x, y = heldout_windows(FORECAST_N_IN, FORECAST_N_OUT, frequency, FORECAST_SIZE)
        x = x[:, :, 0].astype(np.float64)
        where = (f"at {frequency:g} Hz" if frequency is not None
                 else "on windows of the band, each with its own frequency,")
        got, wrong = _forecast(forecast, x, y.shape, where)
        if wrong is not None:
            return wrong
        if np.allclose(got, np.repeat(x[:, -1:], FORECAST_N_OUT, axis=1)):
            return Feedback(False, "this is persistence (the last sample repeated): roll the "
                                   "recurrence x[t+1] = 2 cos(ω Δt) x[t] - x[t-1] instead")
        error = np.abs(got - y)
        if error.max() > FORECAST_TOLERANCE:
            window, sample = (int(i) for i in np.unravel_index(error.argmax(), error.shape))
            pooled = (" Every window is right at one frequency but not here: estimate "
                      "cos(ω Δt) for each window on its own, not one for the whole batch."
                      if frequency is None else "")
            return Feedback(False, f"{where} window {window}, horizon step {sample}: expected "
                                   f"{y[window, sample]:.4f}, got {got[window, sample]:.4f}."
                                   f"{pooled}")
    _, y, noisy = noisy_windows(FORECAST_N_IN, FORECAST_N_OUT)
    got, failed = _call(forecast, noisy.copy(), FORECAST_N_OUT)
    if failed is not None:
        return failed
    median, wrong = noisy_verdict(got, y)
    if wrong is not None:
        return wrong
    listed = ", ".join(f"{f:g}" for f in FORECAST_FREQUENCIES)
    return Feedback(True, f"your forecast continues clean sines at {listed} Hz and a batch of "
                          f"mixed frequencies to within {FORECAST_TOLERANCE:g} over "
                          f"{FORECAST_N_OUT} samples, and keeps a median summed loss of "
                          f"{median:.2g} on windows with noise σ {NOISY_SIGMA:g}")


def _forecast(forecast, x, shape, where: str):
    """``(forecast(x), None)`` as an array of ``shape``, or ``(None, Feedback)``."""
    result, failed = _call(forecast, x.copy(), shape[1])
    if failed is not None:
        return None, failed
    return as_array(f"{where} for {len(x)} windows and n_out={shape[1]}, your forecast",
                    result, shape)


def noisy_windows(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, noisy x)``: ``NOISY_SIZE`` held-out windows of the band (float64, 2-D) and
    the same inputs with Gaussian noise of σ ``NOISY_SIGMA`` from a fixed seed."""
    x, y = heldout_windows(n_in, n_out, None, NOISY_SIZE)
    x = x[:, :, 0].astype(np.float64)
    noise = np.random.default_rng([20_161_006, n_in]).standard_normal(x.shape)
    return x, y.astype(np.float64), x + NOISY_SIGMA * noise


def noisy_verdict(got, y) -> tuple[float, Feedback | None]:
    """The median summed loss of a continuation ``got`` of ``noisy_windows``' inputs, and a
    ``Feedback`` saying what is wrong when it is not below ``NOISY_MEDIAN_LOSS`` (else
    ``None``)."""
    median = noisy_median_loss(got, y)
    if median < NOISY_MEDIAN_LOSS:
        return median, None
    return median, Feedback(
        False, f"exact on clean sines, but on {NOISY_SIZE} windows with input noise σ "
               f"{NOISY_SIGMA:g} the median summed loss over {y.shape[1]} steps is "
               f"{median:.3g} (predicting 0 scores about {y.shape[1] / 2:g}): estimate "
               f"cos(ω Δt) from the whole window, by least squares, not from a few samples")


def noisy_median_loss(got, y) -> float:
    """The median over windows of the summed squared error; ``inf`` when ``got`` is not an
    array of ``y``'s shape (an estimate noise throws off may overflow to NaN: that counts as
    an infinite loss)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return float("inf")
    if got.shape != y.shape:
        return float("inf")
    with np.errstate(all="ignore"):
        losses = np.sum((got - y) ** 2, axis=1)
    return float(np.median(np.where(np.isfinite(losses), losses, np.inf)))
