"""The original's loss and its per-point counterpart.

The original's "loss" is the squared error **summed over the horizon**, then averaged over the
batch. Per-point MSE is that number divided by the horizon ``n_out``.
"""

from __future__ import annotations

import numpy as np

from sinelib.plumbing import backend
from sinelib.plumbing.arguments import require_numeric_array


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = require_numeric_array("y_true", y_true)
    y_pred = require_numeric_array("y_pred", y_pred)
    if y_true.ndim != 2 or y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            "y_true and y_pred must be non-empty arrays of the same shape (batch, n_out), "
            f"got {y_true.shape} and {y_pred.shape}"
        )
    # Targets are data and must be finite; a diverged model's predictions may not be, and
    # then the loss is NaN or infinite, which is what the training loop looks for.
    if not np.all(np.isfinite(y_true)):
        raise ValueError("y_true must be finite; it contains NaN or infinite values")
    return y_true, y_pred


def summed_loss(y_true, y_pred) -> float:
    """The original's loss: ``mean over the batch of sum over the horizon of (y_pred - y_true)^2``.

    Args:
        y_true: Targets, shape ``(batch, n_out)``.
        y_pred: Predictions, shape ``(batch, n_out)``.

    Returns:
        The loss as a Python float, in the units the original quotes; NaN or infinite when
        ``y_pred`` is (a diverged model).

    Raises:
        ValueError: not numeric arrays of one shape ``(batch, n_out)``, or ``y_true`` not
            finite.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.sum((y_pred - y_true) ** 2, axis=1)))


def per_point_mse(y_true, y_pred) -> float:
    """Mean squared error per predicted sample: ``summed_loss / n_out``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((y_pred - y_true) ** 2))


def summed_loss_tensor(y_true, y_pred):
    """``summed_loss`` on tensors, for the compiled training step."""
    keras = backend.keras()

    return keras.ops.mean(keras.ops.sum(keras.ops.square(y_pred - y_true), axis=1))
