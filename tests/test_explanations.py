"""The explanations of where TF2 differs: built from the shipped runs and controls."""

import pytest

from sinelib.study.explanations import explain
from sinelib.study.records import control_run, shipped_run


@pytest.mark.parametrize("slug", ["exp1", "exp2", "exp3"])
def test_experiments_that_hold_need_no_explanation(slug):
    assert explain(slug) == ""


def test_explanations_quote_the_measurements_they_rest_on():
    text = explain("exp3-1")
    assert f"{control_run('exp3-1-long').metrics['loss']:.3g}" in text
    assert f"{shipped_run('exp3-1').metrics['loss']:.3g}" in text
    text = explain(shipped_run("exp4"))
    assert f"{control_run('exp4-noclip').metrics['loss']:.3g} without" in text
    assert "evaluations after the start" in text
    assert "0.15" in explain("exp5")
    assert f"{control_run('exp5-small-long').metrics['loss']:.3g}" in explain("exp5-small")
    text = explain("exp5-1")
    assert "seed 0:" in text and "seed 1:" in text and "seed 2:" in text
    assert "5e-05 from 500000" in text
