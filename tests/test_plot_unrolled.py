"""plots.plot_unrolled draws static_rnn as one cell copy per step and dynamic_rnn as one cell
in a loop."""

import pytest

from sinelib.plots import plot_unrolled


def _texts(ax):
    return [text.get_text() for text in ax.texts]


def test_a_short_window_is_drawn_with_one_copy_per_step():
    top, bottom = plot_unrolled(n_steps=4).axes
    texts = _texts(top)
    assert texts.count("LSTM\ncell") == 4
    assert [f"$x_{{{t}}}$" for t in range(4)] == [t for t in texts if t.startswith("$x_")]
    assert "unroll=True" in top.get_title(loc="left") and "4 copies" in top.get_title(loc="left")
    assert _texts(bottom).count("LSTM\ncell") == 1
    assert "$x_t$" in _texts(bottom)
    assert "while loop" in bottom.get_title(loc="left")
    assert any("read-out" in text for text in texts)


def test_a_long_window_is_drawn_with_an_ellipsis_and_its_last_step():
    top, bottom = plot_unrolled(n_steps=25, copies=6).axes
    texts = _texts(top)
    assert texts.count("LSTM\ncell") == 5
    assert "$x_{24}$" in texts and "$x_{5}$" not in texts
    assert "· · ·" in texts
    assert "25 copies" in top.get_title(loc="left")
    assert any("24" in text for text in _texts(bottom))


@pytest.mark.parametrize("kwargs, words", [
    (dict(n_steps=0), "n_steps"),
    (dict(copies=2), "at least 3"),
    (dict(title=3), "title"),
])
def test_bad_arguments_are_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        plot_unrolled(**kwargs)
