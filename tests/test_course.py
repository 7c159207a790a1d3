"""The course table: notebooks in reading order with their measured default-run time."""

import json

import pytest

from sinelib.study.course import course_rows, run_seconds, title


def _notebook(path, durations, heading="# 01 · A title"):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [heading + "\n", "text"]}]
    for index, seconds in enumerate(durations):
        stamps = {} if seconds is None else {
            "iopub.execute_input": "2026-11-30T10:00:00.000000Z",
            "shell.execute_reply": f"2026-11-30T10:{seconds // 60:02d}:{seconds % 60:02d}.500000Z"}
        cells.append({"cell_type": "code", "metadata": {"execution": stamps}, "source": [],
                      "outputs": [], "execution_count": index + 1})
    path.write_text(json.dumps({"cells": cells, "metadata": {}}))
    return path


def test_run_seconds_sums_the_cells_stamps(tmp_path):
    path = _notebook(tmp_path / "01_x.ipynb", [2, 75])
    assert run_seconds(path) == pytest.approx(78.0)
    assert title(path) == "01 · A title"


def test_a_cell_without_stamps_is_named(tmp_path):
    path = _notebook(tmp_path / "01_x.ipynb", [2, None])
    with pytest.raises(ValueError, match="01_x.ipynb: code cell 2 has no execution time"):
        run_seconds(path)


def test_course_rows_link_notebooks_and_their_solutions(tmp_path):
    _notebook(tmp_path / "00_intro.ipynb", [5], "# 00 · Intro")
    _notebook(tmp_path / "01_x.ipynb", [64])
    (tmp_path / "solutions").mkdir()
    _notebook(tmp_path / "solutions" / "01_x_solutions.ipynb", [1])
    rows = course_rows(tmp_path)
    assert rows[1] == ["[00 · Intro](notebooks/00_intro.ipynb)", "-", "6 s"]
    assert rows[2] == ["[01 · A title](notebooks/01_x.ipynb)",
                       "[01_x_solutions.ipynb](notebooks/solutions/01_x_solutions.ipynb)",
                       "1 min 04 s"]
    with pytest.raises(ValueError, match="no numbered notebooks"):
        course_rows(tmp_path / "empty")


def test_lesson_budget_counts_what_a_class_hour_reads(tmp_path):
    """Words as a page shows them (whitespace-separated: code, headings' marks and a table's
    bars count), streams and Markdown results but not plain reprs or pictures, the exercises
    of the exercises section, the questionnaire's questions."""
    from sinelib.study.course import lesson_budget

    def markdown(text):
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    cells = [
        markdown("# Title\n\nFour words of prose.\n\n```python\nnot = counted\n```"),
        markdown("**0.2** is not an exercise outside the exercises section."),
        markdown("## Exercises\n\n**Exercise 1 (code).** Write it.\n\n**2. Predict first.** Guess."),
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "x",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "three words here\n"},
                     {"output_type": "display_data", "metadata": {},
                      "data": {"image/png": "AAAA", "text/plain": "<Figure size 1 with 1 Axes>"}},
                     {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |",
                               "text/plain": "<IPython.core.display.Markdown object>"}}]},
        markdown("## Questionnaire\n\n1. Why?\n2. How?\n3. What, at 1. 5 Hz?"),
    ]
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    # Prose: 11 tokens in the first cell (its code block too), 9, 11 and 12. Output: the stream's
    # 3 words and the table's 11 tokens ("| a | b |", "|---|---|", "| 1 | 2 |").
    assert lesson_budget(path) == {"prose_words": 11 + 9 + 11 + 12, "output_words": 3 + 11,
                                   "exercises": 2, "questions": 3}


# --- The lessons fit a class hour ------------------------------------------------------------

from pathlib import Path  # noqa: E402

from sinelib.study.course import (  # noqa: E402
    EXERCISES, OUTPUT_WORDS, PROSE_WORDS, QUESTIONS, lesson_budget, lessons,
    repeated_paragraphs,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = lessons(NOTEBOOKS)


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_each_lesson_fits_a_class_hour(path):
    budget = lesson_budget(path)
    assert budget["prose_words"] <= PROSE_WORDS, budget
    assert budget["output_words"] <= OUTPUT_WORDS, budget
    assert EXERCISES[0] <= budget["exercises"] <= EXERCISES[1], budget
    assert QUESTIONS[0] <= budget["questions"] <= QUESTIONS[1], budget


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_each_questionnaire_is_answered_in_the_solutions(path):
    solutions = NOTEBOOKS / "solutions" / f"{path.stem}_solutions.ipynb"
    assert lesson_budget(solutions)["questions"] == lesson_budget(path)["questions"]


def test_no_long_paragraph_is_said_twice_in_the_course():
    assert repeated_paragraphs(sorted(NOTEBOOKS.rglob("*.ipynb"))) == {}


def test_a_repeated_paragraph_is_found(tmp_path):
    paragraph = " ".join(["word"] * 41)
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_text(json.dumps({"cells": [
            {"cell_type": "markdown", "metadata": {}, "source": f"Intro.\n\n{paragraph}\n"}]}))
    assert repeated_paragraphs([tmp_path / "a.ipynb", tmp_path / "b.ipynb"]) == {
        " ".join(["word"] * 12) + " ...": ["a.ipynb", "b.ipynb"]}


def test_the_seven_meetings_take_every_notebook_once_and_name_real_exercises():
    from sinelib.study.course import MEETINGS

    assert len(MEETINGS) == 7
    taken = [name for meeting in MEETINGS for name in (meeting.in_class, *meeting.at_home)]
    assert sorted(taken) == sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for meeting in MEETINGS:
        exercises = lesson_budget(NOTEBOOKS / f"{meeting.in_class}.ipynb")["exercises"]
        assert meeting.class_exercises and set(meeting.class_exercises) <= set(
            range(1, exercises + 1)), meeting
