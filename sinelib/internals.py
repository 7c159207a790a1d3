"""What a trained network does inside: its hidden state while it reads a sine, which gates
saturate, and how the gradient travels back through time.

Every function reads the network through ``sinelib.cells`` (the cell written out), so what is
measured is the network itself, at any window length:

* ``state_trajectories`` / ``state_pca``: the hidden state step by step while the network
  reads a clean sine, projected on its first principal components. A network that has learnt
  a sine carries its phase in the state: one turn of a loop per period.
* ``gate_saturation``: how often each gate sits near 0 or 1 (a closed or open valve, whose
  gradient is nearly zero).
* ``input_gradients``: the gradient of the loss with respect to each input sample (which
  past samples the prediction depends on).
* ``gradient_norms_through_time``: the size of the gradient with respect to the hidden state
  at each step, as backpropagation through time carries it back from the read-out: it shrinks
  (vanishes) or grows (explodes) by roughly a constant factor per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from sinelib.plumbing import backend
from sinelib.cells import (
    GRU_GATES, LSTM_GATES, NetworkWeights, forward, gru_step, lstm_step, network_weights,
    windows_array,
)
from sinelib.plumbing.arguments import require_number, require_positive_int
from sinelib.data import SAMPLING_RATE, heldout_windows, sample_windows
from sinelib.evaluation import require_frequencies, require_model_fits
from sinelib.experiments import get_experiment
from sinelib.losses import summed_loss, summed_loss_tensor
from sinelib.models import predict

#: Samples read by ``state_trajectories`` unless told: 3 s, three periods at 1 Hz.
TRAJECTORY_LENGTH = 300
#: A gate value below ``SATURATION_LOW`` or above ``SATURATION_HIGH`` counts as saturated.
SATURATION_LOW, SATURATION_HIGH = 0.05, 0.95


@dataclass(frozen=True)
class PCA:
    """Principal components of a set of states.

    Attributes:
        mean: The mean state, ``(units,)``.
        components: The directions, ``(k, units)``, orthonormal, by falling variance.
        explained: The share of the states' variance along each direction, ``(k,)``.
    """

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray

    def project(self, states) -> np.ndarray:
        """States ``(..., units)`` as coordinates ``(..., k)`` on the components."""
        return (np.asarray(states) - self.mean) @ self.components.T


def principal_components(states, k: int = 2) -> PCA:
    """The first ``k`` principal components of ``states`` (shape ``(samples, units)``).

    Raises:
        ValueError: ``states`` is not 2-D, or ``k`` is not between 1 and its number of units.
    """
    states = np.asarray(states, dtype=np.float64)
    k = require_positive_int("k", k)
    if states.ndim != 2 or states.shape[0] < 2:
        raise ValueError(f"states must have shape (samples, units) with at least 2 samples, "
                         f"got {states.shape}")
    if k > states.shape[1]:
        raise ValueError(f"k must be at most the number of units ({states.shape[1]}), got {k}")
    mean = states.mean(axis=0)
    _, singular, vt = np.linalg.svd(states - mean, full_matrices=False)
    variance = singular ** 2
    total = variance.sum()
    explained = variance[:k] / total if total > 0 else np.zeros(k)
    return PCA(mean, vt[:k], explained)


def _layer_index(weights: NetworkWeights, layer: int) -> int:
    count = len(weights.cells)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) \
            or not -count <= layer < count:
        raise ValueError(f"layer must be an integer from {-count} to {count - 1} (the network "
                         f"has {count} recurrent layers), got {layer!r}")
    return int(layer) % count


def state_trajectories(network, frequencies, length: int | None = None, layer: int = -1,
                       shift: float = 0.0) -> dict[float, np.ndarray]:
    """The hidden state of one layer at every step while the network reads a clean sine.

    Args:
        network: A Keras model or ``NetworkWeights``.
        frequencies: The sines' frequencies in Hz (below the 50 Hz Nyquist limit).
        length: Samples to read (default ``TRAJECTORY_LENGTH``); may exceed the window the
            network was trained on.
        layer: Which recurrent layer (``-1``: the top one, which the read-out sees).
        shift: The sines' shift t0 in seconds (the same for all).

    Returns:
        ``{frequency: states}``, states of shape ``(length, units)``.
    """
    weights = network if isinstance(network, NetworkWeights) else network_weights(network)
    index = _layer_index(weights, layer)
    length = TRAJECTORY_LENGTH if length is None else require_positive_int("length", length)
    frequencies = [float(f) for f in np.atleast_1d(frequencies)]
    x, _ = sample_windows(len(frequencies), length, 1, frequency=np.array(frequencies),
                          shift=shift)
    hidden = forward(weights, x).layers[index]["hidden"]
    return {frequency: hidden[row] for row, frequency in enumerate(frequencies)}


def state_pca(network, frequencies, length: int | None = None, layer: int = -1,
              k: int = 2) -> tuple[PCA, dict[float, np.ndarray]]:
    """``state_trajectories`` projected on principal components fitted to all of them
    together (so that the frequencies share one pair of axes).

    Returns:
        ``(pca, {frequency: (length, k) coordinates})``.
    """
    trajectories = state_trajectories(network, frequencies, length, layer)
    pca = principal_components(np.concatenate(list(trajectories.values())), k)
    return pca, {frequency: pca.project(states) for frequency, states in trajectories.items()}


def gate_saturation(network, x, low: float = SATURATION_LOW,
                    high: float = SATURATION_HIGH) -> list[dict]:
    """How often each gate of each layer is saturated over windows ``x``.

    A sigmoid gate counts as saturated below ``low`` or above ``high``; the tanh candidate
    when its size is above ``high``. A saturated gate passes almost no gradient.

    Returns:
        One dict per layer and gate: ``layer``, ``gate``, ``mean`` (its average value) and
        ``saturated`` (the fraction of its values over units, steps and windows).
    """
    low = require_number("low", low, 0.0, 1.0)
    high = require_number("high", high, 0.0, 1.0)
    if low >= high:
        raise ValueError(f"low must be below high, got low={low:g}, high={high:g}")
    trace = forward(network, x)
    rows = []
    for index, layer in enumerate(trace.layers):
        gates = LSTM_GATES if "forget" in layer else GRU_GATES
        for gate in gates:
            values = layer[gate]
            if gate == "candidate":
                saturated = np.abs(values) > high
            else:
                saturated = (values < low) | (values > high)
            rows.append({"layer": index, "gate": gate, "mean": float(values.mean()),
                         "saturated": float(saturated.mean())})
    return rows


def _targets(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = windows_array(x)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape (batch, n_out) with the batch of x "
                         f"({x.shape[0]}), got {y.shape}")
    return x, y


def input_gradients(model, x, y) -> np.ndarray:
    """The mean size of the gradient of each window's summed loss with respect to each of
    its input samples: which past samples the prediction depends on.

    Args:
        model: A Keras model.
        x: Windows ``(batch, n_in, 1)``; ``y``: their targets ``(batch, n_out)``.

    Returns:
        ``(n_in,)``: mean ``|d loss / d x_t|`` over the windows, oldest sample first.
    """
    tf = backend.tensorflow()

    x, y = _targets(x, y)
    weights = network_weights(model)
    if y.shape[1] != weights.readout_kernel.shape[1]:
        raise ValueError(f"y must have the network's horizon of {weights.readout_kernel.shape[1]}"
                         f" samples, got {y.shape[1]}")
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = summed_loss_tensor(y, model(inputs, training=False)) * x.shape[0]
    return np.abs(tape.gradient(loss, inputs).numpy()[:, :, 0]).mean(axis=0)


def gradient_norms_through_time(network, x, y, layer: int = -1,
                                state: str = "hidden") -> np.ndarray:
    """How the gradient of the loss travels back through time: at each step ``t`` the norm of
    ``d loss / d h_t`` for one layer's hidden state (or ``d loss / d c_t`` for an LSTM's cell
    state, ``state="cell"``), averaged over the windows.

    Along the cell state, one step back multiplies the gradient by the forget gate
    (``c_t = f_t * c_(t-1) + i_t * g_t``, so ``d c_t / d c_(t-1)`` is ``f_t`` on that path):
    an additive path that carries the gradient while ``f`` stays near 1. Along the hidden
    state, each step back multiplies by the recurrent weights and the derivatives of the
    gates' squashing functions.

    The loss is each window's summed loss of the read-out of the last state, so the gradient
    enters at the last step and is carried back step by step by the recurrence (and, for a
    lower layer, through the layers above). Windows may be longer than the network's input.

    Args:
        network: A Keras model or ``NetworkWeights`` (e.g. ``.scaled(recurrent=2.0)``).
        x: Windows ``(batch, time, 1)``; ``y``: targets ``(batch, n_out)``.
        layer: Which recurrent layer (``-1``: the top one).
        state: ``"hidden"`` (``h_t``) or ``"cell"`` (``c_t``, LSTM layers only).

    Returns:
        ``(time,)``: the mean norm at each step, oldest first.
    """
    tf = backend.tensorflow()

    weights = network if isinstance(network, NetworkWeights) else network_weights(network)
    index = _layer_index(weights, layer)
    if state not in ("hidden", "cell"):
        raise ValueError(f"state must be 'hidden' or 'cell', got {state!r}")
    if state == "cell" and weights.cells[index].kind != "lstm":
        raise ValueError("state='cell' needs an LSTM layer; a GRU has no cell state")
    x, y = _targets(x, y)
    if y.shape[1] != weights.readout_kernel.shape[1]:
        raise ValueError(f"y must have the network's horizon of {weights.readout_kernel.shape[1]}"
                         f" samples, got {y.shape[1]}")
    ops = SimpleNamespace(matmul=tf.matmul, tanh=tf.tanh, sigmoid=tf.sigmoid)
    constant = lambda value: tf.constant(value, dtype=tf.float64)
    batch, time = x.shape[:2]
    with tf.GradientTape(persistent=False) as tape:
        sequence = [constant(x[:, t]) for t in range(time)]
        watched = []
        for position, cell in enumerate(weights.cells):
            cell = type(cell)(cell.kind, constant(cell.kernel), constant(cell.recurrent),
                              constant(cell.bias))
            h = tf.zeros((batch, cell.recurrent.shape[0]), tf.float64)
            c = tf.zeros_like(h)
            outputs = []
            for x_t in sequence:
                if cell.kind == "lstm":
                    out = lstm_step(x_t, h, c, cell, ops)
                    c = out["cell"]
                else:
                    out = gru_step(x_t, h, cell, ops)
                h = out["hidden"]
                if position == index:
                    kept = h if state == "hidden" else c
                    tape.watch(kept)
                    watched.append(kept)
                outputs.append(h)
            sequence = outputs
        prediction = tf.matmul(sequence[-1], constant(weights.readout_kernel)) \
            + constant(weights.readout_bias)
        loss = tf.reduce_sum((prediction - constant(y)) ** 2)
    gradients = tape.gradient(loss, watched)
    return np.array([np.linalg.norm(g.numpy(), axis=1).mean() for g in gradients])


# --- Which frequency a state or a prediction oscillates at -----------------------------------

#: Frequencies (Hz) ``fitted_frequency`` tries: 0.05 to 20 Hz in steps of 0.01 Hz.
FIT_FREQUENCIES: tuple[float, ...] = tuple(np.round(np.arange(5, 2001) * 0.01, 2))


def oscillation_frequency(states, sampling_rate: float = SAMPLING_RATE) -> float:
    """The frequency (Hz) a trajectory of states oscillates at: the peak of its power spectrum
    summed over units, mean removed, zero-padded to a resolution of 0.01 Hz at 100 Hz.

    Args:
        states: ``(time, units)`` or ``(time,)``, e.g. one entry of ``state_trajectories``
            (leave out the first steps, where the state leaves zero, for a clean peak).
        sampling_rate: Samples per second.

    Raises:
        ValueError: fewer than 4 steps, or not finite.
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim == 1:
        states = states[:, None]
    if states.ndim != 2 or states.shape[0] < 4 or not np.all(np.isfinite(states)):
        raise ValueError(f"states must be a finite (time, units) array with at least 4 steps, "
                         f"got shape {states.shape}")
    sampling_rate = require_number("sampling_rate", sampling_rate, 0.0, low_open=True)
    padded = max(states.shape[0], int(round(100 * sampling_rate)))
    power = (np.abs(np.fft.rfft(states - states.mean(axis=0), n=padded, axis=0)) ** 2).sum(1)
    power[0] = 0.0
    return float(np.fft.rfftfreq(padded, 1.0 / sampling_rate)[np.argmax(power)])


def fitted_frequency(y, frequencies=FIT_FREQUENCIES,
                     sampling_rate: float = SAMPLING_RATE) -> np.ndarray:
    """The frequency of the sine that fits each row of ``y`` best (least squares of
    ``a sin + b cos + c`` at each trial frequency): which frequency a prediction continues at.

    Robust to the small jitter of a network's output, where the recurrence of the analytic
    baseline (``baselines.estimate_cosine``) is not.

    Args:
        y: ``(batch, n)`` or ``(n,)`` samples, e.g. a network's predictions.
        frequencies: Trial frequencies in Hz.
        sampling_rate: Samples per second.

    Returns:
        ``(batch,)`` float array: the best trial frequency per row.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] < 4 or not np.all(np.isfinite(y)):
        raise ValueError(f"y must be a finite (batch, n) array with n >= 4, got shape {y.shape}")
    sampling_rate = require_number("sampling_rate", sampling_rate, 0.0, low_open=True)
    trial = np.array([require_number("trial frequency", f, 0.0, low_open=True)
                      for f in np.atleast_1d(frequencies)])
    if trial.size == 0:
        raise ValueError("frequencies must name at least one trial frequency")
    t = np.arange(y.shape[1]) / sampling_rate
    phase = 2 * np.pi * trial[:, None] * t[None, :]
    design = np.stack([np.sin(phase), np.cos(phase), np.ones_like(phase)], axis=2)
    basis = np.linalg.qr(design)[0]  # (trials, n, 3): orthonormal, so the fit is a projection
    captured = (np.einsum("fnk,bn->fbk", basis, y) ** 2).sum(axis=2)
    residual = (y ** 2).sum(axis=1)[None, :] - captured
    return trial[np.argmin(residual, axis=0)]


def frequency_tracking(model, exp, frequencies, size: int = 200, skip: int = 100,
                       reference: float = 1.0) -> list[dict]:
    """What a network's state and prediction do with each input frequency, side by side.

    For each frequency: the frequency the top layer's hidden state oscillates at while it reads
    a clean sine of ``TRAJECTORY_LENGTH`` samples (``oscillation_frequency``, the first ``skip``
    steps left out), the state's size (root mean square distance from its mean), how far the
    centre of its loop (the mean state) lies from the centre of the loop at ``reference`` Hz
    (a network that keeps the frequency in its state moves the loop with it), and, on
    ``size`` held-out windows of the experiment, the prediction's fitted frequency (median of
    ``fitted_frequency``), its mean largest size ``max |y_pred|`` and the summed loss.

    Args:
        model: A Keras model built for ``exp``.
        exp: Its experiment (or name): input length and horizon of the held-out windows.
        frequencies: Input frequencies in Hz.
        size: Held-out windows per frequency.
        skip: Steps of each trajectory left out (where the state leaves zero).
        reference: The frequency (Hz) whose loop centre the others are measured from.

    Returns:
        One dict per frequency: ``frequency``, ``state_frequency``, ``state_size``,
        ``centre_distance``, ``prediction_frequency``, ``prediction_peak``, ``loss``.
    """
    exp = get_experiment(exp)
    require_model_fits(model, exp)
    frequencies = require_frequencies(frequencies)
    size = require_positive_int("size", size)
    skip = require_positive_int("skip", skip)
    if skip > TRAJECTORY_LENGTH - 4:
        raise ValueError(f"skip must leave at least 4 of the {TRAJECTORY_LENGTH} steps, got {skip}")
    reference = require_frequencies(reference)[0]
    trajectories = state_trajectories(model, frequencies + (reference,))
    centre = trajectories[reference][skip:].mean(axis=0)
    rows = []
    for frequency in frequencies:
        states = trajectories[frequency][skip:]
        x, y = heldout_windows(exp.n_in, exp.n_out, frequency, size)
        y_pred = predict(model, x)
        rows.append({
            "frequency": frequency,
            "state_frequency": oscillation_frequency(states),
            "state_size": float(np.sqrt(((states - states.mean(axis=0)) ** 2).sum(1).mean())),
            "centre_distance": float(np.linalg.norm(states.mean(axis=0) - centre)),
            "prediction_frequency": float(np.median(fitted_frequency(y_pred))),
            "prediction_peak": float(np.abs(y_pred).max(axis=1).mean()),
            "loss": summed_loss(y, y_pred),
        })
    return rows
