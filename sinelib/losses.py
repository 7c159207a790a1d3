"""The seed's loss and its per-point counterpart.

The seed's "loss" is the squared error **summed over the horizon**, then averaged over the
batch. Per-point MSE is that number divided by the horizon ``n_out``.
"""

from __future__ import annotations

import numpy as np


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    try:
        y_true = np.asarray(y_true, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y_true and y_pred must be numeric arrays") from None
    if y_true.ndim != 2 or y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            "y_true and y_pred must be non-empty arrays of the same shape (batch, n_out), "
            f"got {y_true.shape} and {y_pred.shape}"
        )
    return y_true, y_pred


def seed_loss(y_true, y_pred) -> float:
    """The seed's loss: ``mean over the batch of sum over the horizon of (y_pred - y_true)^2``.

    Args:
        y_true: Targets, shape ``(batch, n_out)``.
        y_pred: Predictions, shape ``(batch, n_out)``.

    Returns:
        The loss as a Python float, in the units the seed quotes.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.sum((y_pred - y_true) ** 2, axis=1)))


def per_point_mse(y_true, y_pred) -> float:
    """Mean squared error per predicted sample: ``seed_loss / n_out``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((y_pred - y_true) ** 2))


def seed_loss_tensor(y_true, y_pred):
    """``seed_loss`` on tensors, for the compiled training step."""
    import keras

    return keras.ops.mean(keras.ops.sum(keras.ops.square(y_pred - y_true), axis=1))
