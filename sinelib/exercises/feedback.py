"""What a ``check_...`` helper returns: a verdict on a learner's answer, and why."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Feedback:
    """The verdict of a check on a learner's answer.

    Attributes:
        ok: Whether the answer is right.
        message: What was checked and, if it is wrong, what is wrong: the input it failed on,
            the value expected and the value found.
    """

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return ("Correct: " if self.ok else "Not yet: ") + self.message

    __repr__ = __str__


def compare_arrays(what: str, got, expected, rtol: float = 1e-5, atol: float = 1e-6) -> Feedback:
    """Compare a learner's array with the expected one: shape first, then values, naming the
    first element that differs.

    Args:
        what: What the array is, for the message ("the forecast for 4 windows").
        got: The learner's value (anything ``np.asarray`` accepts).
        expected: The right value.
        rtol, atol: Tolerances of ``np.isclose``.
    """
    expected = np.asarray(expected, dtype=float)
    got, wrong = as_array(what, got, expected.shape)
    if wrong is not None:
        return wrong
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        return Feedback(False, f"{what} differs at index {index}: expected "
                               f"{expected[index]:.6g}, got {got[index]:.6g} "
                               f"({int((~close).sum())} of {close.size} elements differ)")
    return Feedback(True, f"{what} matches ({close.size} values within rtol {rtol:g})")


def as_array(what: str, got, shape: tuple) -> tuple:
    """A learner's value as a finite float array of ``shape``: ``(array, None)``, or
    ``(None, Feedback)`` saying why it is not one (not numbers, the wrong shape, NaN)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None, Feedback(False, f"{what} should be an array of numbers, got "
                                     f"{type(got).__name__}")
    if got.shape != tuple(shape):
        return None, Feedback(False, f"{what} should have shape {tuple(shape)}, got "
                                     f"{got.shape}")
    if not np.all(np.isfinite(got)):
        return None, Feedback(False, f"{what} holds NaN or infinite values")
    return got, None
