"""Argument checks shared by the public functions.

Each check returns the value in a plain Python type, or raises ``ValueError`` naming the
argument, the value it got and what was expected, so a typo in a notebook cell gives one clear
line instead of a deep TensorFlow traceback. ``bool`` is never accepted as a number.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Longest value representation quoted in an error message.
_REPR_LIMIT = 80
#: Largest run seed: a 32-bit seed, like NumPy's legacy one (TensorFlow's seed tensors
#: overflow near 2**63).
MAX_SEED = 2**32 - 1


def shown(value) -> str:
    """``repr(value)``, shortened for error messages."""
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT - 5] + " ...>"


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def require_numeric_array(name: str, value, dtype=np.float64,
                          expected: str = "a numeric array") -> np.ndarray:
    """Return ``value`` as an array of ``dtype``, or raise ``ValueError`` unless it is numeric
    (bools, strings and objects are refused even where NumPy would convert them).

    ``expected`` says what was expected in the message ("a number or an array of numbers").
    """
    try:
        if np.asarray(value).dtype.kind not in "iuf":
            raise TypeError
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be {expected}, got {type(value).__name__} {shown(value)}"
        ) from None


def require_positive_int(name: str, value) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a positive integer."""
    if not _is_integer(value) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {shown(value)}")
    return int(value)


def require_non_negative_int(name: str, value) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is an integer >= 0."""
    if not _is_integer(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {shown(value)}")
    return int(value)


def require_int_in(name: str, value, low: int, high: int, unit: str = "") -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a whole number in
    [low, high]; a float with no fractional part counts (a number typed into a page).

    ``unit`` follows the range in the message (e.g. " samples").
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_integer(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number in [{low}, {high}]{unit}, got "
                         f"{shown(value)}")
    return int(value)


def require_seed(value, name: str = "seed") -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a seed: an integer in
    [0, ``MAX_SEED``]."""
    if require_non_negative_int(name, value) > MAX_SEED:
        raise ValueError(f"{name} must be at most {MAX_SEED}, got {shown(value)}")
    return int(value)


def require_number(name: str, value, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False, unit: str = "") -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is a finite real number
    in the range [low, high] (an end is excluded when ``low_open`` / ``high_open``).

    ``unit`` follows the range in the message (e.g. " Hz").
    """
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {shown(value)}")
    value = float(value)
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        if high == math.inf:
            expected = ("positive" if low == 0 and low_open
                        else f"{'>' if low_open else '>='} {low:g}{unit}")
        else:
            expected = ("in " + ("(" if low_open else "[") + f"{low:g}, {high:g}"
                        + (")" if high_open else "]") + unit)
        raise ValueError(f"{name} must be {expected}, got {shown(value)}")
    return value


def require_bool(name: str, value) -> bool:
    """Return ``value`` as a bool, or raise ``ValueError`` unless it is ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {shown(value)}")
    return bool(value)


def require_model(model, name: str = "model"):
    """Raise ``ValueError`` unless ``model`` looks like a built Keras model of this package."""
    try:
        input_shape, output_shape = model.input_shape, model.output_shape
        model.weights  # noqa: B018 - a plain attribute check
    except Exception:  # any object without these is the wrong kind of thing
        raise ValueError(
            f"{name} must be a Keras model from sinelib.build_model or load_pretrained, got "
            f"{type(model).__name__} {shown(model)}"
        ) from None
    if len(input_shape) != 3 or input_shape[2] != 1 or len(output_shape) != 2:
        raise ValueError(
            f"{name} must map windows (batch, n_in, 1) to (batch, n_out), but it maps "
            f"{input_shape} to {output_shape}"
        )
    return model
