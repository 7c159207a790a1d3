"""The recurrent cells written out: what an LSTM (or GRU) layer computes at each time step,
from a trained Keras layer's own weights.

Keras lays an LSTM layer's weights out as ``kernel`` (inputs x 4 units), ``recurrent_kernel``
(units x 4 units) and ``bias`` (4 units), each in the gate order input, forget, candidate,
output. One step reads the sample ``x_t`` and the previous state ``(h, c)``::

    z = x_t W + h U + b                  (split into four blocks of `units` columns)
    i = sigmoid(z_i)   f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
    c' = f * c + i * g                   (the cell state: forget some, write some)
    h' = o * tanh(c')                    (the hidden state: what the next step and the
                                          read-out see)

A GRU (``reset_after=False``, as the original's ``GRUCell``) has blocks update, reset,
candidate::

    u = sigmoid(x_t W_u + h U_u + b_u)   r = sigmoid(x_t W_r + h U_r + b_r)
    g = tanh(x_t W_g + (r * h) U_g + b_g)
    h' = u * h + (1 - u) * g

The step functions take the array library as ``ops`` (NumPy by default), so the same lines
run in TensorFlow when a gradient is wanted (``sinelib.internals``). ``forward`` runs a whole
network in NumPy over windows of any length; it equals the Keras model to float32 precision
(``tests/test_cells.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from sinelib.plumbing.arguments import require_model

#: The array functions of NumPy under the names the steps use.
NUMPY = SimpleNamespace(matmul=np.matmul, tanh=np.tanh,
                        sigmoid=lambda z: 1.0 / (1.0 + np.exp(-z)))
#: The names of an LSTM's gate blocks in Keras' order, and of a GRU's.
LSTM_GATES = ("input", "forget", "candidate", "output")
GRU_GATES = ("update", "reset", "candidate")


@dataclass(frozen=True)
class CellWeights:
    """One recurrent layer's weights, as NumPy arrays in Keras' layout.

    Attributes:
        kind: ``"lstm"`` or ``"gru"``.
        kernel: Input weights, ``(inputs, blocks * units)``.
        recurrent: Recurrent weights, ``(units, blocks * units)``.
        bias: ``(blocks * units,)``.
    """

    kind: str
    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return self.recurrent.shape[0]


@dataclass(frozen=True)
class NetworkWeights:
    """A stacked network's weights: the recurrent layers, bottom first, and the read-out."""

    cells: list[CellWeights]
    readout_kernel: np.ndarray
    readout_bias: np.ndarray

    def scaled(self, recurrent: float) -> "NetworkWeights":
        """A copy with every recurrent matrix multiplied by ``recurrent`` (to see gradients
        explode or vanish through time)."""
        if not np.isfinite(recurrent):
            raise ValueError(f"recurrent must be a finite number, got {recurrent!r}")
        return replace(self, cells=[replace(cell, recurrent=cell.recurrent * recurrent)
                                    for cell in self.cells])


@dataclass(frozen=True)
class Trace:
    """What ``forward`` saw: the prediction from the last state, and per recurrent layer
    every gate and state at every step (arrays of shape ``(batch, time, units)``)."""

    prediction: np.ndarray
    layers: list[dict[str, np.ndarray]] = field(default_factory=list)


def network_weights(model) -> NetworkWeights:
    """The weights of a model from ``build_model`` or ``load_pretrained``, as NumPy arrays.

    Raises:
        ValueError: ``model`` is not a model, or has a layer that is neither an LSTM, a GRU
            nor the final ``Dense`` read-out.
    """
    require_model(model)
    cells, readout = [], None
    for layer in model.layers:
        kind = type(layer).__name__.lower()
        if kind in ("lstm", "gru"):
            if kind == "gru" and getattr(layer, "reset_after", False):
                raise ValueError(f"layer {layer.name!r} is a GRU with reset_after=True; "
                                 f"sinelib's GRUs (the original's GRUCell) use reset_after=False")
            kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
            cells.append(CellWeights(kind, kernel, recurrent, bias))
        elif kind == "dense" and layer is model.layers[-1]:
            readout = [np.asarray(w) for w in layer.get_weights()]
        else:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) is not an LSTM, a "
                             f"GRU or the final Dense read-out")
    if not cells or readout is None:
        raise ValueError(f"model {model.name!r} needs recurrent layers and a Dense read-out")
    return NetworkWeights(cells, readout[0], readout[1])


def split(weights: CellWeights) -> dict[str, tuple]:
    """Each gate's ``(kernel, recurrent, bias)`` block, by name (``LSTM_GATES`` or
    ``GRU_GATES``)."""
    names = LSTM_GATES if weights.kind == "lstm" else GRU_GATES
    units = weights.units
    return {name: (weights.kernel[:, k * units:(k + 1) * units],
                   weights.recurrent[:, k * units:(k + 1) * units],
                   weights.bias[k * units:(k + 1) * units]) for k, name in enumerate(names)}


def lstm_step(x_t, h, c, weights: CellWeights, ops=NUMPY) -> dict:
    """One LSTM step: the gates, and the new cell and hidden states.

    Args:
        x_t: This step's input, ``(batch, inputs)``.
        h, c: The previous hidden and cell states, ``(batch, units)``.
        weights: The layer's ``CellWeights``.
        ops: The array library (``matmul``, ``sigmoid``, ``tanh``).

    Returns:
        ``{"input", "forget", "candidate", "output", "cell", "hidden"}``.
    """
    z = ops.matmul(x_t, weights.kernel) + ops.matmul(h, weights.recurrent) + weights.bias
    n = weights.units
    i = ops.sigmoid(z[:, :n])            # input gate: how much of the candidate to write
    f = ops.sigmoid(z[:, n:2 * n])       # forget gate: how much of the old cell to keep
    g = ops.tanh(z[:, 2 * n:3 * n])      # candidate: what could be written
    o = ops.sigmoid(z[:, 3 * n:])        # output gate: how much of the cell to show
    c = f * c + i * g
    h = o * ops.tanh(c)
    return {"input": i, "forget": f, "candidate": g, "output": o, "cell": c, "hidden": h}


def gru_step(x_t, h, weights: CellWeights, ops=NUMPY) -> dict:
    """One GRU step (reset before the recurrent product, as TF1's ``GRUCell``).

    Returns:
        ``{"update", "reset", "candidate", "hidden"}``.
    """
    n = weights.units
    x = ops.matmul(x_t, weights.kernel) + weights.bias
    u = ops.sigmoid(x[:, :n] + ops.matmul(h, weights.recurrent[:, :n]))
    r = ops.sigmoid(x[:, n:2 * n] + ops.matmul(h, weights.recurrent[:, n:2 * n]))
    g = ops.tanh(x[:, 2 * n:] + ops.matmul(r * h, weights.recurrent[:, 2 * n:]))
    h = u * h + (1.0 - u) * g
    return {"update": u, "reset": r, "candidate": g, "hidden": h}


def windows_array(x) -> np.ndarray:
    """Windows as a float array of shape ``(batch, time, 1)``, from that shape,
    ``(batch, time)`` or ``(time,)``, with a clear error otherwise."""
    try:
        x = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"x must be an array of numbers, got {type(x).__name__}") from None
    if x.ndim == 1:
        x = x[None, :, None]
    elif x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[-1] != 1 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (batch, time, 1), (batch, time) or (time,) with "
                         f"time >= 1, got {np.shape(x)}")
    return x


def forward(network, x) -> Trace:
    """Run a network over windows in NumPy, step by step, keeping every gate and state.

    Args:
        network: A Keras model (``build_model``, ``load_pretrained``) or ``NetworkWeights``.
        x: Windows of shape ``(batch, time, 1)`` (or ``(batch, time)``, ``(time,)``), of any
            length: the recurrence does not care how long the window is; only the read-out's
            horizon is fixed.

    Returns:
        A ``Trace``; ``trace.prediction`` equals the Keras model's for windows of its length.
    """
    weights = network if isinstance(network, NetworkWeights) else network_weights(network)
    sequence = windows_array(x).astype(np.float64)
    batch, time = sequence.shape[:2]
    layers = []
    for cell in weights.cells:
        h = np.zeros((batch, cell.units))
        c = np.zeros((batch, cell.units))
        steps = []
        for t in range(time):
            if cell.kind == "lstm":
                out = lstm_step(sequence[:, t], h, c, cell)
                c = out["cell"]
            else:
                out = gru_step(sequence[:, t], h, cell)
            h = out["hidden"]
            steps.append(out)
        layer = {name: np.stack([step[name] for step in steps], axis=1) for name in steps[0]}
        layers.append(layer)
        sequence = layer["hidden"]
    prediction = sequence[:, -1] @ weights.readout_kernel + weights.readout_bias
    return Trace(prediction, layers)
