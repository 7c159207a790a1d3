"""Start-up and step timing of the unrolled network against the loop, on a tiny network."""

import pytest

from sinelib.tools.timing import compare_unroll, time_training_step, timing_rows


def test_time_training_step_measures_both_networks(tiny):
    loop = time_training_step(tiny, n_in=6, unroll=False, steps=2)
    unrolled = time_training_step(tiny, n_in=6, unroll=True, steps=2)
    for entry, unroll in ((loop, False), (unrolled, True)):
        assert entry["n_in"] == 6 and entry["unroll"] is unroll and entry["steps"] == 2
        assert entry["startup_s"] > 0 and entry["step_ms"] > 0
        assert entry["startup_s"] * 1000 > entry["step_ms"]
    with pytest.raises(ValueError, match="n_in"):
        time_training_step(tiny, n_in=0, unroll=False)


def test_compare_unroll_order_and_table(tiny):
    timings = compare_unroll(tiny, lengths=(4, 8), steps=1)
    assert [(t["n_in"], t["unroll"]) for t in timings] == [(4, False), (4, True), (8, False),
                                                           (8, True)]
    rows = timing_rows(timings)
    assert rows[0][0] == "input length" and [r[0] for r in rows[1:]] == ["4", "8"]
    assert rows[1][3].endswith("x") and rows[1][1].endswith(" s")
