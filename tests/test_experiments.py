"""The registry against the original's table (docs/original.md), transcribed by hand."""

import pytest

from sinelib import EXPERIMENTS, get_experiment

# The original's table (docs/original.md), transcribed: id -> (layers, hidden, n_in, n_out,
# fixed frequency, lr, budget examples, clip, target, the original's reported loss, static_rnn).
ORIGINAL_TABLE = {
    "1": (1, 100, 100, 50, 1.0, 0.001, 200_000, None, None, None, True),
    "2": (1, 150, 100, 50, None, 0.001, 300_000, None, None, 0.614914, True),
    "3": (1, 150, 25, 50, None, 0.0005, 500_000, None, None, 0.177742, True),
    "3.1": (1, 150, 25, 100, None, 0.0005, 500_000, None, None, 0.257725, True),
    "4": (1, 500, 25, 100, None, 0.001, 500_000, 0.5, None, 0.422188, True),
    "5": (4, 32, 25, 100, None, 0.001, 300_000, None, 0.15, 0.138701, False),
    "5 (small)": (4, 10, 25, 100, None, 0.001, 1_200_000, None, None, 0.5, False),
    "5.1": (4, 10, 25, 100, None, 0.005, 300_000, None, 0.2, 0.180995, False),
}
ORIGINAL_STEPS = {"1": 4000, "2": 6000, "3": 10000, "3.1": 10000, "4": 10000, "5": 6000,
              "5 (small)": 24000, "5.1": 6000}


def test_registry_has_one_row_per_spec_row_in_order_then_the_gru_stack():
    assert [exp.original_id for exp in EXPERIMENTS.values()] == list(ORIGINAL_TABLE) + ["6"]
    assert list(EXPERIMENTS) == ["exp1", "exp2", "exp3", "exp3-1", "exp4", "exp5",
                                 "exp5-small", "exp5-1", "exp6"]


def test_gru_row_matches_the_original_projects_last_experiment():
    exp = get_experiment("6")
    assert (exp.cell, exp.n_layers, exp.n_hidden, exp.n_in, exp.n_out) == \
        ("GRUCell", 4, 10, 25, 100)
    assert (exp.batch_size, exp.learning_rate) == (64, 0.005)
    assert (exp.decay_every_examples, exp.decay_factor) == (250_000, 0.1)
    # The target is checked from the first display (100 steps of 64) up to 10^6 examples.
    assert (exp.target_loss, exp.budget_examples, exp.cap_examples) == (0.2, 6_400, 1_000_000)
    assert (exp.budget_steps, exp.cap_steps) == (100, 15_625)
    assert exp.static_rnn is False


@pytest.mark.parametrize("original_id", list(ORIGINAL_TABLE))
def test_registry_row_matches_spec(original_id):
    exp = get_experiment(original_id)
    (layers, hidden, n_in, n_out, frequency, lr, budget, clip, target, loss,
     static) = ORIGINAL_TABLE[original_id]
    assert (exp.n_layers, exp.n_hidden, exp.n_in, exp.n_out) == (layers, hidden, n_in, n_out)
    assert exp.frequency == frequency
    assert exp.learning_rate == lr
    assert exp.budget_examples == budget
    assert exp.budget_steps == ORIGINAL_STEPS[original_id]
    assert exp.batch_size == 50
    assert exp.clip_value == clip
    assert exp.target_loss == target
    assert exp.reported.loss == loss
    assert exp.static_rnn is static
    assert exp.cell == ("BasicLSTMCell" if static else "LSTMCell")
    if target is not None:
        assert exp.cap_examples > exp.budget_examples
        assert exp.cap_examples >= 3 * exp.budget_examples


def test_step_decay_only_on_5_1_and_the_gru_stack():
    decayed = [exp.slug for exp in EXPERIMENTS.values() if exp.decay_every_examples]
    assert decayed == ["exp5-1", "exp6"]
    exp = get_experiment("5.1")
    assert (exp.decay_every_examples, exp.decay_factor) == (250_000, 0.1)


def test_lookup_by_slug_and_id():
    assert get_experiment("exp3-1") is get_experiment("3.1") is get_experiment("exp3.1")
    assert get_experiment(" exp4 ") is EXPERIMENTS["exp4"]
    assert get_experiment(EXPERIMENTS["exp5"]) is EXPERIMENTS["exp5"]


# More bad names and records, with their exact messages: tests/test_robustness.py.
@pytest.mark.parametrize("name", ["3.2", "EXP 3; rm -rf", "exp3-2"])
def test_unknown_name_lists_known_ones(name):
    with pytest.raises(ValueError, match="unknown experiment") as error:
        get_experiment(name)
    assert "exp3-1 (3.1)" in str(error.value)


@pytest.mark.parametrize("name", [3.1, ["exp3"]])
def test_non_string_name_is_refused(name):
    with pytest.raises(ValueError, match="must be a string"):
        get_experiment(name)


@pytest.mark.parametrize("field,value", [
    ("n_layers", 0), ("batch_size", 0), ("slug", "-exp3"), ("slug", "Exp3"),
    ("decay_factor", 0.0), ("decay_every_examples", -1), ("title", None),
    ("reported", {"loss": 0.1}),
])
def test_invalid_records_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        get_experiment("exp3").replace(**{field: value})


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        EXPERIMENTS["exp3"].n_hidden = 10


def test_config_leaves_out_titles_and_the_originals_numbers():
    config = get_experiment("exp3").config()
    assert "title" not in config and "reported" not in config
    assert config["n_hidden"] == 150 and config["slug"] == "exp3"


def test_every_cell_has_one_kind_and_the_cells_weights_use_the_same_words():
    from sinelib.cells import network_weights
    from sinelib.models import build_model

    assert {exp.kind for exp in EXPERIMENTS.values()} == {"lstm", "gru"}
    for slug in ("exp3", "exp6"):
        exp = get_experiment(slug)
        assert {cell.kind for cell in network_weights(build_model(exp)).cells} == {exp.kind}


def test_a_variant_may_name_the_plain_rnn_cell_and_an_unknown_cell_is_refused():
    assert get_experiment("exp3").replace(cell="BasicRNNCell").kind == "rnn"
    with pytest.raises(ValueError, match="cell must be one of .*'BasicRNNCell', got 'RNN'"):
        get_experiment("exp3").replace(cell="RNN")
