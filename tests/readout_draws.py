"""How each of the original's scripts draws its read-out, and a check of draws against it: shared
by the port's test (``test_models``) and the TF1 graph's (``test_transplant``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

#: How each script of the original draws its read-out ``W`` and ``b``, with the lines that do it
#: (experiments 3.1 and 5 (small) are scripts 3 and 5 with another horizon or width).
ORIGINAL_READOUT = {
    "exp1": ("tf-recurrent-sin.py", (36, 39), ("normal", 1.0), ("normal", 1.0)),
    "exp2": ("tf-recurrent-sin-2.py", (36, 39), ("normal", 1.0), ("normal", 1.0)),
    "exp3": ("tf-recurrent-sin-3.py", (36, 39), ("normal", 1.0), ("normal", 1.0)),
    "exp3-1": ("tf-recurrent-sin-3.py", (36, 39), ("normal", 1.0), ("normal", 1.0)),
    "exp4": ("tf-recurrent-sin-4.py", (36, 39), ("normal", 1.0), ("normal", 1.0)),
    "exp5": ("tf-recurrent-sin-5.py", (37, 40), ("normal", 1.0), ("normal", 1.0)),
    "exp5-small": ("tf-recurrent-sin-5.py", (37, 40), ("normal", 1.0), ("normal", 1.0)),
    "exp5-1": ("tf-recurrent-sin-5.1.py", (39, 42), ("normal", 1.0), ("normal", 1.0)),
    "exp6": ("tf-recurrent-sin-6.py", (39, 42), ("truncated_normal", 1.0),
             ("truncated_normal", 0.1)),
}


def expected_std(distribution: str, stddev: float) -> float:
    """The standard deviation of the values drawn: ``stddev``, or for a normal cut at two
    standard deviations (and drawn again beyond) about 0.88 of it."""
    if distribution == "normal":
        return stddev
    density = math.exp(-2.0) / math.sqrt(2 * math.pi)   # phi(2)
    inside = math.erf(2 / math.sqrt(2))                  # P(|z| < 2)
    return stddev * math.sqrt(1 - 4 * density / inside)


def check_draws(values: np.ndarray, distribution: str, stddev: float, where: str) -> None:
    """Mean, spread and tails of ``values`` as the declared draw gives them."""
    values = np.asarray(values, np.float64).ravel()
    n = values.size
    assert abs(values.mean()) < 5 * stddev / math.sqrt(n), where
    assert values.std() == pytest.approx(expected_std(distribution, stddev), rel=0.06), where
    beyond = np.abs(values) > 2 * stddev
    if distribution == "truncated_normal":
        assert not beyond.any(), f"{where}: a value beyond two standard deviations"
    else:  # 4.6 % of a normal lies beyond: at least 1 % of these draws
        assert beyond.mean() > 0.01, f"{where}: no tail beyond two standard deviations"
