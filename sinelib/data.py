"""Sine windows: the only data the experiments ever see.

A window holds ``n_in + n_out`` samples of ``sin(2π f (t + t0))`` at ``t = k / 100`` s. The
first ``n_in`` samples are the input, the next ``n_out`` the target. A fresh random batch is
drawn for every optimizer step; held-out sets are drawn from fixed seeds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from sinelib.plumbing.arguments import (
    require_non_negative_int, require_numeric_array, require_positive_int, shown,
)

#: Frequency band (Hz) of the "random frequencies" experiments, uniform on [low, high).
RANDOM_BAND: tuple[float, float] = (0.5, 4.0)
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
#: What a frequency at or above the Nyquist limit is told.
NYQUIST_NOTE = f" Hz ({NYQUIST:g} Hz is the Nyquist limit at {SAMPLING_RATE:g} Hz sampling)"


def _per_window(name: str, value, batch: int, low: float, high: float,
                note: str = "", low_open: bool = False) -> np.ndarray:
    """Broadcast a scalar or per-window value to shape (batch,), checking its range."""
    array = require_numeric_array(name, value, np.float64, "a number or an array of numbers")
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


def sample_windows(batch: int, n_in: int, n_out: int, frequency=None, shift=None, seed=None):
    """Draw a batch of sine windows.

    Args:
        batch: Number of windows.
        n_in: Input length in samples.
        n_out: Horizon in samples.
        frequency: Hz; a scalar or shape ``(batch,)``. ``None`` draws each window's frequency
            uniformly from [0.5, 4) Hz. Must be below the 50 Hz Nyquist limit.
        shift: The shift t0 in seconds; a scalar or shape ``(batch,)``, at most 10^6 s in
            size. ``None`` draws it uniformly from [0, 2π) s.
        seed: A non-negative integer, or a sequence of them (NumPy's seed entropy, as in
            ``np.random.default_rng([key, n_in])``); ``None`` uses fresh entropy.

    Returns:
        ``(x, y)``: float32 arrays of shapes ``(batch, n_in, 1)`` and ``(batch, n_out)``.

    Raises:
        ValueError: a size is not a positive integer, more than ``MAX_SAMPLES`` samples are
            asked for, a frequency is not finite or outside (0, 50) Hz, a shift is not
            finite or beyond 10^6 s, or the seed is not a non-negative integer (or a sequence
            of them).
    """
    batch, n_in, n_out = _sizes(batch, n_in, n_out)
    if frequency is not None:
        frequency = _per_window("frequency", frequency, batch, 0.0, NYQUIST, NYQUIST_NOTE,
                                low_open=True)
    if shift is not None:
        shift = _per_window("shift", shift, batch, -MAX_SHIFT, MAX_SHIFT, " s")
    if isinstance(seed, (list, tuple)) and seed:
        seed = [require_non_negative_int("seed", part) for part in seed]
    elif seed is not None:
        seed = require_non_negative_int("seed", seed)
    return _draw(np.random.default_rng(seed), (batch, n_in, n_out), frequency, shift)


def _sizes(batch, n_in, n_out) -> tuple[int, int, int]:
    """The three sizes of a batch of windows, checked."""
    batch = require_positive_int("batch", batch)
    n_in = require_positive_int("n_in", n_in)
    n_out = require_positive_int("n_out", n_out)
    if batch * (n_in + n_out) > MAX_SAMPLES:
        raise ValueError(
            f"batch x (n_in + n_out) = {batch} x {n_in + n_out} samples is more than the "
            f"{MAX_SAMPLES:.0e} one call may draw; draw fewer or shorter windows"
        )
    return batch, n_in, n_out


def _draw(generator: np.random.Generator, sizes: tuple[int, int, int], frequency, shift):
    """The windows of ``sample_windows``, from checked arguments: ``sizes`` is ``(batch, n_in,
    n_out)``; a ``None`` frequency or shift is drawn from ``generator``, frequency first."""
    batch, n_in, n_out = sizes
    if frequency is None:
        frequency = generator.uniform(*RANDOM_BAND, size=batch)
    if shift is None:
        shift = generator.uniform(0.0, SHIFT_RANGE, size=batch)
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    signal = np.sin(2 * np.pi * frequency[:, None] * (t[None, :] + shift[:, None]))
    signal = signal.astype(np.float32)
    return signal[:, :n_in, None], signal[:, n_in:]


#: Entropy of the held-out sets. A training batch's key ends in 1 and a held-out set's in 2,
#: so the two never share a random stream, whatever the seed.
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
    return next(training_batches(seed, step, batch, n_in, n_out, frequency))


def training_batches(seed: int, step: int, batch: int, n_in: int, n_out: int, frequency=None):
    """The minibatches of a run seeded ``seed``, one per optimizer step from ``step`` on.

    The arguments are checked once, here; item ``k`` is ``training_batch(seed, step + k, ...)``.
    The training loop draws from this endless iterator, one batch per step.
    """
    seed = require_non_negative_int("seed", seed)
    step = require_non_negative_int("step", step)
    sizes = _sizes(batch, n_in, n_out)
    if frequency is not None:
        frequency = _per_window("frequency", frequency, sizes[0], 0.0, NYQUIST, NYQUIST_NOTE,
                                low_open=True)
    for k in itertools.count(step):
        yield _draw(np.random.default_rng([seed, k, 1]), sizes, frequency, None)


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
    sizes = _sizes(require_positive_int("size", size), n_in, n_out)
    frequency_array = None
    if frequency is not None:
        frequency_array = _per_window("frequency", frequency, sizes[0], 0.0, NYQUIST,
                                      NYQUIST_NOTE, low_open=True)
        frequency = float(frequency_array[0])
    # The key depends on the frequency so that sets at different fixed frequencies draw
    # independent shifts; millihertz resolution is ample for a seed.
    tag = 0 if frequency is None else 1 + int(round(frequency * 1000))
    return _draw(np.random.default_rng([HELDOUT_KEY, tag, 2]), sizes, frequency_array, None)
