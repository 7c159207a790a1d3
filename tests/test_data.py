import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sinelib import NYQUIST, SAMPLING_RATE, heldout_windows, sample_windows
from sinelib.data import training_batch


def naive_windows(n_in, n_out, frequencies, shifts):
    """Window by window, sample by sample: the definition in SPEC.md."""
    xs, ys = [], []
    for f, t0 in zip(frequencies, shifts):
        samples = [math.sin(2 * math.pi * f * (k / 100 + t0)) for k in range(n_in + n_out)]
        xs.append([[s] for s in samples[:n_in]])
        ys.append(samples[n_in:])
    return np.array(xs), np.array(ys)


def test_windows_match_a_naive_loop():
    rng = np.random.default_rng(5)
    frequencies = rng.uniform(0.5, 4.0, 7)
    shifts = rng.uniform(0, 2 * np.pi, 7)
    x, y = sample_windows(7, 25, 50, frequency=frequencies, shift=shifts)
    x_ref, y_ref = naive_windows(25, 50, frequencies, shifts)
    assert x.shape == (7, 25, 1) and y.shape == (7, 50)
    assert x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_allclose(x, x_ref, atol=1e-6)
    np.testing.assert_allclose(y, y_ref, atol=1e-6)


def test_target_continues_the_input():
    # The first target sample is the sample right after the last input sample.
    x, y = sample_windows(1, 100, 50, frequency=1.0, shift=0.0)
    assert SAMPLING_RATE == 100
    assert x[0, -1, 0] == pytest.approx(math.sin(2 * math.pi * 99 / 100), abs=1e-6)
    assert y[0, 0] == pytest.approx(math.sin(2 * math.pi * 100 / 100), abs=1e-6)


def test_random_draws_cover_the_seed_ranges():
    # Frequencies come first from the generator, then shifts: replay the same draws.
    x, _ = sample_windows(4000, 2, 1, rng=np.random.default_rng(11))
    reference = np.random.default_rng(11)
    frequencies = reference.uniform(0.5, 4.0, 4000)
    shifts = reference.uniform(0, 2 * np.pi, 4000)
    assert frequencies.min() >= 0.5 and frequencies.max() < 4.0
    assert shifts.min() >= 0 and shifts.max() < 2 * np.pi
    x_ref, _ = naive_windows(2, 1, frequencies, shifts)
    np.testing.assert_allclose(x, x_ref, atol=1e-5)


def test_heldout_sets_are_fixed_and_distinct():
    a = heldout_windows(25, 50)
    b = heldout_windows(25, 50)
    np.testing.assert_array_equal(a[0], b[0])
    one = heldout_windows(25, 50, frequency=1.0)
    two = heldout_windows(25, 50, frequency=2.0)
    assert a[0].shape == (1000, 25, 1)
    assert not np.array_equal(one[0], two[0])


def test_training_batches_depend_on_seed_and_step_only():
    a = training_batch(0, 7, 50, 25, 50)
    b = training_batch(0, 7, 50, 25, 50)
    c = training_batch(0, 8, 50, 25, 50)
    d = training_batch(1, 7, 50, 25, 50)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], d[0])
    # Training batches never reproduce the held-out set's first windows.
    held = heldout_windows(25, 50)[0][:50]
    assert not np.array_equal(training_batch(20_161_001, 0, 50, 25, 50)[0], held)


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch=0), "batch"),
    (dict(batch=-1), "batch"),
    (dict(batch=2.0), "batch"),
    (dict(n_in=0), "n_in"),
    (dict(n_out=True), "n_out"),
    (dict(frequency=NYQUIST), "frequency"),
    (dict(frequency=80.0), "frequency"),
    (dict(frequency=0.0), "frequency"),
    (dict(frequency=-1.0), "frequency"),
    (dict(frequency=float("nan")), "frequency"),
    (dict(frequency=float("inf")), "frequency"),
    (dict(frequency="fast"), "frequency"),
    (dict(frequency=[1.0, 2.0]), "frequency"),
    (dict(shift=float("nan")), "shift"),
    (dict(rng="seed"), "rng"),
    (dict(rng=-3), "rng"),
])
def test_bad_arguments_name_the_value(kwargs, match):
    arguments = dict(batch=3, n_in=5, n_out=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_windows(**arguments)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 20), n_in=st.integers(1, 60), n_out=st.integers(1, 60),
       seed=st.integers(0, 2**32 - 1))
def test_shapes_range_and_determinism(batch, n_in, n_out, seed):
    x, y = sample_windows(batch, n_in, n_out, rng=seed)
    assert x.shape == (batch, n_in, 1) and y.shape == (batch, n_out)
    assert np.all(np.abs(x) <= 1) and np.all(np.abs(y) <= 1)
    x2, y2 = sample_windows(batch, n_in, n_out, rng=seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


@settings(max_examples=40, deadline=None)
@given(frequency=st.floats(0.01, NYQUIST, exclude_max=True),
       shift=st.floats(-100, 100))
def test_fixed_frequency_and_shift_need_no_randomness(frequency, shift):
    x, y = sample_windows(2, 10, 5, frequency=frequency, shift=shift, rng=1)
    x2, y2 = sample_windows(2, 10, 5, frequency=frequency, shift=shift, rng=2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(x[0], x[1])
