"""Sine windows: the only data the experiments ever see.

A window holds ``n_in + n_out`` samples of ``sin(2π f (t + t0))`` at ``t = k / 100`` s. The
first ``n_in`` samples are the input, the next ``n_out`` the target. A fresh random batch is
drawn for every optimizer step; held-out sets are drawn from fixed seeds.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from sinelib.checks import check_non_negative_int, check_positive_int, shown
from sinelib.experiments import RANDOM_BAND

#: Sampling rate of every window, in Hz.
SAMPLING_RATE = 100.0
#: Frequencies at or above this cannot be represented at ``SAMPLING_RATE``.
NYQUIST = SAMPLING_RATE / 2
#: The random shift t0 is uniform on [0, SHIFT_RANGE) seconds (the original code's choice).
SHIFT_RANGE = 2 * math.pi
#: Most samples (windows x window length) one call may draw: 10^8 float64 samples are 800 MB
#: while they are computed, already more than a notebook kernel should risk.
MAX_SAMPLES = 10**8
#: Largest size of a shift, in seconds: beyond it float64 time stamps lose the precision a 50 Hz phase
#: needs (and far beyond, the phase overflows to infinity and the sine to NaN).
MAX_SHIFT = 1e6
_NYQUIST_NOTE = f" Hz ({NYQUIST:g} Hz is the Nyquist limit at {SAMPLING_RATE:g} Hz sampling)"


def _as_generator(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng must be a numpy Generator, a non-negative integer seed or None, got {shown(rng)}"
    )


def _per_window(name: str, value, batch: int, low: float, high: float,
                note: str = "", low_open: bool = False) -> np.ndarray:
    """Broadcast a scalar or per-window value to shape (batch,), checking its range."""
    try:
        if np.asarray(value).dtype.kind not in "iuf":
            raise TypeError  # bools, strings, objects: refuse, even where NumPy would convert
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or an array of numbers, got {shown(value)}"
        ) from None
    if array.ndim > 1 or (array.ndim == 1 and array.shape[0] != batch):
        raise ValueError(
            f"{name} must be a scalar or have shape ({batch},), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {shown(value)}")
    if np.any(array <= low if low_open else array < low) or np.any(array >= high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g})"
        raise ValueError(f"{name} must lie in {interval}{note}, got {shown(value)}")
    return np.broadcast_to(array, (batch,))


def sample_windows(batch: int, n_in: int, n_out: int, frequency=None, shift=None, rng=None):
    """Draw a batch of sine windows.

    Args:
        batch: Number of windows.
        n_in: Input length in samples.
        n_out: Horizon in samples.
        frequency: Hz; a scalar or shape ``(batch,)``. ``None`` draws each window's frequency
            uniformly from [0.5, 4) Hz. Must be below the 50 Hz Nyquist limit.
        shift: The shift t0 in seconds; a scalar or shape ``(batch,)``, at most 10^6 s in
            size. ``None`` draws it uniformly from [0, 2π) s.
        rng: A ``numpy.random.Generator`` or an integer seed; ``None`` uses fresh entropy.

    Returns:
        ``(x, y)``: float32 arrays of shapes ``(batch, n_in, 1)`` and ``(batch, n_out)``.

    Raises:
        ValueError: a size is not a positive integer, more than ``MAX_SAMPLES`` samples are
            asked for, a frequency is not finite or outside (0, 50) Hz, or a shift is not
            finite or beyond 10^6 s.
    """
    batch = check_positive_int("batch", batch)
    n_in = check_positive_int("n_in", n_in)
    n_out = check_positive_int("n_out", n_out)
    if batch * (n_in + n_out) > MAX_SAMPLES:
        raise ValueError(
            f"batch x (n_in + n_out) = {batch} x {n_in + n_out} samples is more than the "
            f"{MAX_SAMPLES:.0e} one call may draw; draw fewer or shorter windows"
        )
    generator = _as_generator(rng)
    if frequency is None:
        frequency = generator.uniform(*RANDOM_BAND, size=batch)
    else:
        frequency = _per_window("frequency", frequency, batch, 0.0, NYQUIST, _NYQUIST_NOTE,
                                low_open=True)
    if shift is None:
        shift = generator.uniform(0.0, SHIFT_RANGE, size=batch)
    else:
        shift = _per_window("shift", shift, batch, -MAX_SHIFT, MAX_SHIFT, " s")
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    signal = np.sin(2 * np.pi * frequency[:, None] * (t[None, :] + shift[:, None]))
    signal = signal.astype(np.float32)
    return signal[:, :n_in, None], signal[:, n_in:]


#: Entropy of the held-out sets; a 3-element key so it never meets a training key.
HELDOUT_KEY = 20_161_001
#: Size of each held-out set.
HELDOUT_SIZE = 1000


def training_batch(seed: int, step: int, batch: int, n_in: int, n_out: int, frequency=None):
    """The minibatch of optimizer step ``step`` of a run seeded ``seed``.

    Each step's batch depends on ``(seed, step)`` alone, so a resumed run sees exactly the
    batches an uninterrupted run would have seen.

    Args:
        seed: The run's seed, a non-negative integer.
        step: The optimizer step, counted from 0.
        batch, n_in, n_out, frequency: As for ``sample_windows``.

    Returns:
        ``(x, y)`` as from ``sample_windows``.
    """
    seed = check_non_negative_int("seed", seed)
    step = check_non_negative_int("step", step)
    rng = np.random.default_rng([seed, step, 1])
    return sample_windows(batch, n_in, n_out, frequency=frequency, rng=rng)


def heldout_windows(n_in: int, n_out: int, frequency=None, size: int = HELDOUT_SIZE):
    """A fixed, seeded held-out set: the same windows on every call.

    Args:
        n_in: Input length.
        n_out: Horizon.
        frequency: ``None`` for the random band, or a fixed frequency in Hz.
        size: Number of windows.

    Returns:
        ``(x, y)`` as from ``sample_windows``.
    """
    size = check_positive_int("size", size)
    if frequency is not None:
        frequency = float(_per_window("frequency", frequency, 1, 0.0, NYQUIST, _NYQUIST_NOTE,
                                      low_open=True)[0])
    # The key depends on the frequency so that sets at different fixed frequencies draw
    # independent shifts; millihertz resolution is ample for a seed.
    tag = 0 if frequency is None else 1 + int(round(frequency * 1000))
    rng = np.random.default_rng([HELDOUT_KEY, tag, 2])
    return sample_windows(size, n_in, n_out, frequency=frequency, rng=rng)
