"""Notebook 06's clipping measurements and the check of the norm-clipping exercise."""

import numpy as np
import pytest

from sinelib.exercises.gradient_clipping import (
    adam_directions, check_clip_by_global_norm, clip_by_value, clipping_run, cosine,
    gradient_row, loss_variability, reference_clip_by_global_norm)


def test_the_check_accepts_the_global_norm_clip():
    assert check_clip_by_global_norm(reference_clip_by_global_norm)


def test_the_check_names_value_clipping():
    feedback = check_clip_by_global_norm(lambda g, m: clip_by_value(g, m))
    assert not feedback and "clipping by value" in feedback.message


def test_the_check_names_a_clip_of_each_array_by_its_own_norm():
    def per_array(gradients, max_norm):
        return [reference_clip_by_global_norm([g], max_norm)[0] for g in gradients]

    feedback = check_clip_by_global_norm(per_array)
    assert not feedback and "its own norm" in feedback.message


def test_the_check_of_an_unfinished_answer_says_what_is_wrong():
    feedback = check_clip_by_global_norm(lambda g, m: g)
    assert not feedback and "differs at index" in feedback.message
    feedback = check_clip_by_global_norm(lambda g, m: None)
    assert not feedback and "list of arrays" in feedback.message


def test_the_check_refuses_an_answer_that_changes_its_input():
    def in_place(gradients, max_norm):
        for g in gradients:
            g *= 0.0
        return gradients

    feedback = check_clip_by_global_norm(in_place)
    assert not feedback and "changed the gradients" in feedback.message


def test_gradient_row_counts_the_clipped_elements():
    row = gradient_row([np.array([1.0, 0.1, -0.2, -3.0])], ["w"], 0.5)
    assert row["clipped"] == 0.5 and row["clipped_by"] == {"w": 0.5}
    assert row["max"] == 3.0 and row["cosine"] < 1.0


def test_adam_ignores_a_constant_scale_but_not_a_value_clip():
    rng = np.random.default_rng(0)
    sequence = [[rng.normal(size=(5, 3)) * (1 + 10 * (k % 3 == 0))] for k in range(6)]
    scaled = adam_directions(sequence, lambda g: [0.01 * t for t in g])
    clipped = adam_directions(sequence, lambda g: clip_by_value(g, 0.5))
    assert np.allclose(scaled, 1.0)
    assert min(clipped) < 0.999
    assert cosine([np.ones(3)], [np.ones(3)]) == pytest.approx(1.0)


def test_loss_variability():
    result = loss_variability([4.0, 1.0, 2.0, 1.0, 2.0], last=4)
    assert result["median"] == 1.5 and result["max_over_min"] == 2.0
    assert result["median_jump"] == pytest.approx(np.log(2))


def test_clipping_run_is_seeded():
    first = clipping_run(clip_by_value, n_hidden=4, steps=3, seed=1)
    again = clipping_run(clip_by_value, n_hidden=4, steps=3, seed=1)
    assert first.shape == (3,) and np.array_equal(first, again)
