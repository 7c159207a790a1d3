"""Property-based tests (hypothesis) of the data functions: shapes, value ranges, the
frequency and shift ranges of random windows, and determinism under a seed."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinelib import NYQUIST, SAMPLING_RATE, heldout_windows, sample_windows
from sinelib.data import SHIFT_RANGE, training_batch
from sinelib.experiments import RANDOM_BAND

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sizes = st.integers(1, 40)
seeds = st.integers(0, 2**63)
frequencies = st.floats(0.01, NYQUIST, exclude_max=True)
shifts = st.floats(-1e3, 1e3)


def reference(n_in, n_out, frequency, shift):
    """``sin(2 pi f (t + t0))`` at 100 Hz in float64, split into input and target."""
    t = np.arange(n_in + n_out) / SAMPLING_RATE
    signal = np.sin(2 * np.pi * np.asarray(frequency)[:, None] * (t + np.asarray(shift)[:, None]))
    return signal[:, :n_in, None], signal[:, n_in:]


@FAST
@given(batch=sizes, n_in=sizes, n_out=sizes, seed=seeds)
def test_random_windows_use_the_seed_ranges(batch, n_in, n_out, seed):
    """Replaying the generator: frequencies in [0.5, 4) Hz, shifts in [0, 2 pi) s."""
    x, y = sample_windows(batch, n_in, n_out, rng=seed)
    assert x.shape == (batch, n_in, 1) and y.shape == (batch, n_out)
    assert x.dtype == y.dtype == np.float32
    assert np.all(np.abs(x) <= 1) and np.all(np.abs(y) <= 1)
    replay = np.random.default_rng(seed)
    frequency = replay.uniform(*RANDOM_BAND, size=batch)
    shift = replay.uniform(0.0, SHIFT_RANGE, size=batch)
    assert np.all((RANDOM_BAND[0] <= frequency) & (frequency < RANDOM_BAND[1]))
    assert np.all((0 <= shift) & (shift < SHIFT_RANGE))
    x_ref, y_ref = reference(n_in, n_out, frequency, shift)
    np.testing.assert_allclose(x, x_ref, atol=2e-6)
    np.testing.assert_allclose(y, y_ref, atol=2e-6)


@FAST
@given(batch=sizes, n_in=sizes, n_out=sizes, seed=seeds)
def test_same_seed_same_windows_whatever_the_global_state(batch, n_in, n_out, seed):
    first = sample_windows(batch, n_in, n_out, rng=seed)
    np.random.seed(seed % 2**32)  # the legacy global state must not matter
    np.random.random(7)
    second = sample_windows(batch, n_in, n_out, rng=np.random.default_rng(seed))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@FAST
@given(n_in=sizes, n_out=sizes, split=st.integers(1, 39), frequency=frequencies, shift=shifts)
def test_input_and_target_are_one_continuous_signal(n_in, n_out, split, frequency, shift):
    """Moving the boundary between input and target changes nothing but the split."""
    total = n_in + n_out
    split = min(split, total - 1)
    x, y = sample_windows(2, n_in, n_out, frequency=frequency, shift=shift)
    x2, y2 = sample_windows(2, split, total - split, frequency=frequency, shift=shift)
    np.testing.assert_array_equal(np.concatenate([x[..., 0], y], axis=1),
                                  np.concatenate([x2[..., 0], y2], axis=1))


@FAST
@given(frequency=st.floats(0.5, 4.0), shift=st.floats(0, 10), periods=st.integers(1, 5))
def test_a_shift_of_whole_periods_changes_nothing(frequency, shift, periods):
    x, y = sample_windows(1, 25, 50, frequency=frequency, shift=shift)
    x2, y2 = sample_windows(1, 25, 50, frequency=frequency, shift=shift + periods / frequency)
    np.testing.assert_allclose(x, x2, atol=1e-4)
    np.testing.assert_allclose(y, y2, atol=1e-4)


@FAST
@given(frequency=st.lists(frequencies, min_size=1, max_size=8), data=st.data())
def test_per_window_frequencies_and_shifts(frequency, data):
    batch = len(frequency)
    shift = data.draw(st.lists(shifts, min_size=batch, max_size=batch))
    x, y = sample_windows(batch, 10, 5, frequency=frequency, shift=shift, rng=0)
    x_ref, y_ref = reference(10, 5, frequency, shift)
    np.testing.assert_allclose(x, x_ref, atol=2e-5)  # float64 -> float32, large arguments
    np.testing.assert_allclose(y, y_ref, atol=2e-5)


@FAST
@given(seed=st.integers(0, 2**32), step=st.integers(0, 10**9), other=st.integers(0, 10**9),
       frequency=st.none() | st.floats(0.5, 4.0))
def test_training_batch_depends_on_its_arguments_only(seed, step, other, frequency):
    first = training_batch(seed, step, 5, 6, 3, frequency)
    training_batch(seed, other, 5, 6, 3, frequency)  # other calls in between change nothing
    sample_windows(4, 2, 2)
    np.random.seed(1)
    again = training_batch(seed, step, 5, 6, 3, frequency)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    if other != step:
        assert not np.array_equal(first[0], training_batch(seed, other, 5, 6, 3, frequency)[0])


@settings(max_examples=15, deadline=None)
@given(n_in=sizes, n_out=sizes, frequency=st.none() | st.sampled_from([1.0, 2.0, 3.0, 0.75]),
       size=st.integers(1, 50))
def test_heldout_sets_are_fixed(n_in, n_out, frequency, size):
    x, y = heldout_windows(n_in, n_out, frequency, size)
    np.random.seed(2)
    x2, y2 = heldout_windows(n_in, n_out, frequency, size)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.shape == (size, n_in, 1) and y.shape == (size, n_out)
    assert np.all(np.abs(y) <= 1)


@FAST
@given(value=st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.floats(),
                       st.integers(-10**20, 10**20), st.lists(st.floats(), max_size=4),
                       st.complex_numbers()))
def test_junk_arguments_raise_value_error_or_work(value):
    """Whatever lands in an argument, the answer is windows or a ValueError naming it."""
    for arguments in (dict(batch=value), dict(n_in=value), dict(frequency=value),
                      dict(shift=value), dict(rng=value)):
        call = dict(batch=3, n_in=4, n_out=2)
        call.update(arguments)
        if call.get("frequency", 1.0) is None or call.get("shift", 1.0) is None:
            continue  # None means "random", which is valid
        try:
            x, y = sample_windows(**call)
        except ValueError as error:
            assert next(iter(arguments)) in str(error)
        else:
            assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
            assert math.isfinite(float(np.max(np.abs(y))))
