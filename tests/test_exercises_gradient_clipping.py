"""Notebook 07's clipping measurements and the check of the norm-clipping exercise."""

import numpy as np
import pytest

from sinelib.exercises.gradient_clipping import (
    AdamState, adam_cosines, adam_directions, check_clip_by_global_norm, clip_by_value,
    clipping_table, cosine, gradient_row, reference_clip_by_global_norm)


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


def test_adam_steps_under_a_clip_that_cuts_at_every_step():
    """Clipped at every step, an element reads as +-0.5 to Adam: its step is the unclipped
    one only while the element's size is steady."""
    def steps(sequence, clip):
        adam = AdamState([()])
        return [float(adam.update([clip(np.array(g))])[0]) for g in sequence]

    def cut(g):
        return np.clip(g, -0.5, 0.5)

    steady = [3.0, -3.0] * 3
    assert np.allclose(steps(steady, cut), steps(steady, lambda g: g))
    changing = [1.0, 10.0] * 3
    assert np.allclose(steps(changing, cut), 1.0)
    assert steps(changing, lambda g: g)[1] == pytest.approx(0.807, abs=1e-3)


def test_adam_cosines_follow_the_start_of_training():
    scaled = adam_cosines({"scaled": lambda g: [0.01 * t for t in g],
                           "by value": clip_by_value}, "exp4", steps=3, seed=1, n_hidden=4)
    assert list(scaled) == ["scaled", "by value"]
    assert scaled["scaled"].shape == (4,) and np.allclose(scaled["scaled"], 1.0, atol=1e-4)
    assert np.all(scaled["by value"] <= 1.0 + 1e-9)
    again = adam_cosines({"by value": clip_by_value}, "exp4", steps=3, seed=1, n_hidden=4)
    assert np.array_equal(again["by value"], scaled["by value"])
    with pytest.raises(ValueError, match="clips must map names"):
        adam_cosines({}, "exp4", steps=1, n_hidden=4)


def test_clipping_table_mixes_rows_with_and_without_adam():
    row = {"step": 0, "loss": 1.0, **gradient_row([np.array([1.0, 0.1])], ["w"], 0.5)}
    table = clipping_table([{**row, "adam_cosine": 0.99}, {**row, "step": 9}])
    assert table[0][-1] == "cosine of Adam's updates"
    assert table[1][-1] == "0.9900" and table[2][-1] == "-"
