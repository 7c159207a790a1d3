"""Exercises of notebook 10 (experiment 6): the GRU cell written out.

``check_gru_step(fn)`` checks a learner's GRU step ``fn(x_t, h, weights) -> new h`` against
``sinelib.cells.gru_step`` (the original's ``GRUCell``: the reset gate applied to ``h`` before
the recurrent product) on small random layers, and names the likely mistake when the answer
matches a well-known wrong variant.
"""

from __future__ import annotations

import numpy as np

from sinelib.cells import NUMPY, CellWeights, gru_step, split
from sinelib.exercises.feedback import Feedback, compare_arrays

#: The layers checked: (inputs, units, batch, seed).
CASES: tuple[tuple[int, int, int, int], ...] = ((1, 3, 4, 0), (1, 10, 5, 1), (2, 4, 3, 2))


def random_gru(inputs: int, units: int, seed: int = 0) -> CellWeights:
    """A GRU layer with random weights in Keras' layout (update, reset, candidate blocks)."""
    rng = np.random.default_rng(seed)
    return CellWeights("gru", rng.normal(0, 0.8, (inputs, 3 * units)),
                       rng.normal(0, 0.8, (units, 3 * units)), rng.normal(0, 0.5, 3 * units))


def _variants(x_t, h, weights: CellWeights) -> dict[str, np.ndarray]:
    """Wrong GRU steps a learner may write, with what each gets wrong."""
    sigmoid, tanh = NUMPY.sigmoid, np.tanh
    blocks = split(weights)
    gate = {name: x_t @ kernel + bias for name, (kernel, _, bias) in blocks.items()}
    u = sigmoid(gate["update"] + h @ blocks["update"][1])
    r = sigmoid(gate["reset"] + h @ blocks["reset"][1])
    g = tanh(gate["candidate"] + (r * h) @ blocks["candidate"][1])
    g_after = tanh(gate["candidate"] + r * (h @ blocks["candidate"][1]))
    g_no_reset = tanh(gate["candidate"] + h @ blocks["candidate"][1])
    return {
        "the update gate's roles are swapped: in Keras and TF1 the update gate u keeps the OLD "
        "state, h' = u * h + (1 - u) * g": (1 - u) * h + u * g,
        "the reset gate is applied after the recurrent product (Keras' reset_after=True); the "
        "original's GRUCell resets h first: tanh(x W_g + (r * h) U_g + b_g)": u * h + (1 - u) * g_after,
        "the reset gate is missing from the candidate: tanh(x W_g + (r * h) U_g + b_g)":
            u * h + (1 - u) * g_no_reset,
        "the candidate alone is returned; the new state mixes it with the old one: "
        "h' = u * h + (1 - u) * g": g,
    }


def check_gru_step(fn) -> Feedback:
    """Check a GRU step ``fn(x_t, h, weights) -> new hidden state``.

    ``x_t`` has shape ``(batch, inputs)``, ``h`` ``(batch, units)``, and ``weights`` is a
    ``sinelib.cells.CellWeights`` (``kernel``, ``recurrent``, ``bias`` in Keras' layout;
    ``sinelib.cells.split(weights)`` gives each gate's block).

    Returns:
        ``Feedback``: right, or the layer it fails on and what differs (and, where the answer
        matches a known wrong variant, which one).
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, e.g. check_gru_step(my_gru_step); "
                               f"got {type(fn).__name__}")
    for inputs, units, batch, seed in CASES:
        weights = random_gru(inputs, units, seed)
        rng = np.random.default_rng(100 + seed)
        x_t, h = rng.normal(0, 1, (batch, inputs)), np.tanh(rng.normal(0, 1, (batch, units)))
        where = f"a layer of {units} units with {inputs} input(s), batch {batch}"
        try:
            got = fn(x_t.copy(), h.copy(), weights)
        except Exception as error:  # a learner's error, reported rather than raised
            return Feedback(False, f"on {where} your function raised "
                                   f"{type(error).__name__}: {error}")
        expected = gru_step(x_t, h, weights)["hidden"]
        result = compare_arrays(f"the new hidden state on {where}", got, expected)
        if not result.ok:
            try:
                got = np.asarray(got, dtype=float)
            except (TypeError, ValueError):
                return result
            for mistake, value in _variants(x_t, h, weights).items():
                if got.shape == value.shape and np.allclose(got, value, rtol=1e-5, atol=1e-6):
                    return Feedback(False, f"{result.message}. It matches a step where "
                                           f"{mistake}.")
            return result
    return Feedback(True, f"your GRU step equals sinelib.cells.gru_step on all {len(CASES)} "
                          f"layers checked")
