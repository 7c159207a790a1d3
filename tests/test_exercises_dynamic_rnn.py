"""Notebook 08's measurements and the check of the stopping-rule exercise."""

from sinelib.exercises.dynamic_rnn import (
    check_keep_training, graph_size, reference_keep_training, stopping_point)


def test_the_check_accepts_the_original_rule():
    assert check_keep_training(reference_keep_training)


def test_the_check_names_an_and_instead_of_an_or():
    def both(examples, loss, budget, target):
        return examples < budget and (loss is None or loss > target)

    feedback = check_keep_training(both)
    assert not feedback and "before the budget" in feedback.message


def test_the_check_names_a_wrong_comparison_at_the_target():
    def at_target(examples, loss, budget, target):
        return examples < budget or (target is not None and (loss is None or loss >= target))

    feedback = check_keep_training(at_target)
    assert not feedback and "exactly at the target" in feedback.message


def test_the_check_of_an_unfinished_answer_runs():
    feedback = check_keep_training(lambda *args: None)
    assert not feedback and "return True or False" in feedback.message


def test_stopping_point_on_a_made_up_history():
    history = [{"examples": 0, "train_loss": None}, {"examples": 250_000, "train_loss": 0.1},
               {"examples": 300_000, "train_loss": 0.2}, {"examples": 350_000,
                                                          "train_loss": 0.14}]
    assert stopping_point(reference_keep_training, history, "exp5") == 350_000


def test_the_unrolled_graph_grows_with_the_input_and_the_loop_does_not():
    tiny = "exp5"
    loop = [graph_size(tiny, n, unroll=False)["operations"] for n in (3, 6)]
    unrolled = [graph_size(tiny, n, unroll=True)["operations"] for n in (3, 6)]
    assert loop[0] == loop[1] and unrolled[1] > unrolled[0]
