"""The sine windows (sinelib.data), checked against a naive loop over the definition, with
hypothesis for shapes, splits, shifts and seeds. Bad arguments: see also the sample_windows rows
of tests/test_robustness.py, which name the exact messages."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinelib import NYQUIST, heldout_windows, sample_windows
from sinelib.data import training_batch

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sizes = st.integers(1, 40)
seeds = st.integers(0, 2**63)
frequencies = st.floats(0.01, NYQUIST, exclude_max=True)
shifts = st.floats(-1e3, 1e3)


def naive_windows(n_in, n_out, frequencies, shifts):
    """Window by window, sample by sample: ``sin(2 pi f (k / 100 + t0))`` in float64."""
    xs, ys = [], []
    for f, t0 in zip(frequencies, shifts):
        samples = [math.sin(2 * math.pi * f * (k / 100 + t0)) for k in range(n_in + n_out)]
        xs.append([[s] for s in samples[:n_in]])
        ys.append(samples[n_in:])
    return np.array(xs), np.array(ys)


@FAST
@given(frequency=st.lists(frequencies, min_size=1, max_size=8), n_in=sizes, n_out=sizes,
       data=st.data())
def test_windows_match_a_naive_loop(frequency, n_in, n_out, data):
    batch = len(frequency)
    shift = data.draw(st.lists(shifts, min_size=batch, max_size=batch))
    x, y = sample_windows(batch, n_in, n_out, frequency=frequency, shift=shift)
    x_ref, y_ref = naive_windows(n_in, n_out, frequency, shift)
    assert x.shape == (batch, n_in, 1) and y.shape == (batch, n_out)
    assert x.dtype == y.dtype == np.float32
    np.testing.assert_allclose(x, x_ref, atol=2e-5)  # float64 -> float32, large arguments
    np.testing.assert_allclose(y, y_ref, atol=2e-5)


def test_target_continues_the_input():
    # By hand: at 1 Hz from t0 = 0, the last input sample is sin(2 pi 0.99) and the first
    # target sample sin(2 pi 1.00).
    x, y = sample_windows(1, 100, 50, frequency=1.0, shift=0.0)
    assert x[0, -1, 0] == pytest.approx(math.sin(2 * math.pi * 0.99), abs=1e-6)
    assert y[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert y[0, 25] == pytest.approx(1.0, abs=1e-6)  # t = 1.25 s: a quarter period on


@FAST
@given(batch=sizes, n_in=sizes, n_out=sizes, seed=seeds)
def test_random_windows_draw_the_original_ranges(batch, n_in, n_out, seed):
    """Replaying the generator: frequencies first, uniform on [0.5, 4) Hz, then shifts,
    uniform on [0, 2 pi) s (the original's ranges)."""
    x, y = sample_windows(batch, n_in, n_out, seed=seed)
    replay = np.random.default_rng(seed)
    frequency = replay.uniform(0.5, 4.0, size=batch)
    shift = replay.uniform(0.0, 2 * np.pi, size=batch)
    x_ref, y_ref = naive_windows(n_in, n_out, frequency, shift)
    np.testing.assert_allclose(x, x_ref, atol=2e-6)
    np.testing.assert_allclose(y, y_ref, atol=2e-6)


@FAST
@given(batch=sizes, n_in=sizes, n_out=sizes, seed=seeds)
def test_same_seed_same_windows_whatever_the_global_state(batch, n_in, n_out, seed):
    first = sample_windows(batch, n_in, n_out, seed=seed)
    np.random.seed(seed % 2**32)  # the legacy global state must not matter
    np.random.random(7)
    second = sample_windows(batch, n_in, n_out, seed=seed)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(frequency=frequencies, shift=st.floats(-100, 100))
def test_fixed_frequency_and_shift_need_no_randomness(frequency, shift):
    x, y = sample_windows(2, 10, 5, frequency=frequency, shift=shift, seed=1)
    x2, y2 = sample_windows(2, 10, 5, frequency=frequency, shift=shift, seed=2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(x[0], x[1])


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


def test_training_batches_differ_by_seed_and_never_repeat_the_heldout_set():
    assert not np.array_equal(training_batch(0, 7, 50, 25, 50)[0],
                              training_batch(1, 7, 50, 25, 50)[0])
    held = heldout_windows(25, 50)[0][:50]
    assert not np.array_equal(training_batch(20_161_001, 0, 50, 25, 50)[0], held)


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


def test_heldout_sets_at_other_frequencies_draw_other_shifts():
    one, two = heldout_windows(25, 50, frequency=1.0), heldout_windows(25, 50, frequency=2.0)
    assert not np.array_equal(one[0], two[0])
    # Not merely the same shifts at another frequency: the first windows' phases differ.
    assert not np.allclose(one[0][:, 0, 0], heldout_windows(25, 50, frequency=1.001)[0][:, 0, 0],
                           atol=0.05)


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch=-1), "batch must be a positive integer, got -1"),
    (dict(n_in=0), "n_in must be a positive integer, got 0"),
    (dict(n_out=True), "n_out must be a positive integer, got True"),
    (dict(frequency=-1.0), r"frequency must lie in \(0, 50\) Hz"),
])
def test_bad_arguments_name_the_value(kwargs, match):
    arguments = dict(batch=3, n_in=5, n_out=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_windows(**arguments)


@FAST
@given(value=st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.floats(),
                       st.integers(-10**20, 10**20), st.lists(st.floats(), max_size=4),
                       st.complex_numbers()))
def test_junk_arguments_raise_value_error_or_work(value):
    """Whatever lands in an argument, the answer is windows or a ValueError naming it."""
    for arguments in (dict(batch=value), dict(n_in=value), dict(frequency=value),
                      dict(shift=value), dict(seed=value)):
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


def test_training_batches_are_each_steps_training_batch():
    """The loop's iterator, checked once, draws exactly what training_batch draws step by step."""
    from sinelib.data import training_batch, training_batches

    batches = training_batches(3, 7, 5, 4, 2, 1.5)
    for step in range(7, 10):
        for drawn, alone in zip(next(batches), training_batch(3, step, 5, 4, 2, 1.5)):
            np.testing.assert_array_equal(drawn, alone)
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        next(training_batches(3, -1, 5, 4, 2))
