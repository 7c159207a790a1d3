"""The course: its notebooks in reading order, each with the measured time of its default run.

The time is read from the notebook itself: ``make notebooks`` executes every notebook with
nbconvert, which stamps each code cell with when it started and when its reply came
(``metadata.execution``). A notebook's default run is the sum over its cells, so the README's
course table shows what the last ``make notebooks`` measured, on the machine it ran on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

#: Where a notebook's exercises are answered: ``solutions/<stem>_solutions.ipynb``.
SOLUTIONS = "solutions"
#: A lesson fits one class hour: at most this many words of Markdown prose and of stored text
#: output (tables included), this many exercises and this many questionnaire questions.
PROSE_WORDS, OUTPUT_WORDS = 1800, 400
EXERCISES, QUESTIONS = (3, 5), (5, 8)
#: An exercise starts a Markdown paragraph "**Exercise 3 ..." or "**3. ..." (as the book's
#: builder finds them); the questionnaire is a section "## Questionnaire" of numbered items.
_EXERCISE = re.compile(r"(?m)^\*\*(?:Exercise )?\d+[\s.:(]")
_QUESTION = re.compile(r"(?m)^\d+\. ")
_FENCE = re.compile(r"```.*?```", re.S)


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_seconds(path) -> float:
    """Seconds the notebook's stored default run took: the sum over its code cells of the time
    from the cell's start to its reply, from nbconvert's execution stamps.

    Raises:
        ValueError: a code cell carries no execution stamps (the notebook was saved without
            being run by ``make notebooks``).
    """
    path = Path(path)
    total = 0.0
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "code":
            continue
        stamps = cell.get("metadata", {}).get("execution", {})
        start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
        if start is None or end is None:
            raise ValueError(f"{path.name}: code cell {index} has no execution time; execute "
                             f"the notebook with make notebooks")
        total += (_stamp(end) - _stamp(start)).total_seconds()
    return total


def duration(seconds: float) -> str:
    """A time as the course table writes it: "40 s", "2 min 05 s"."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def title(path) -> str:
    """The notebook's title: its first Markdown heading, without the ``#``."""
    for cell in json.loads(Path(path).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError(f"{Path(path).name} has no '# ' title")


def lessons(notebooks) -> list[Path]:
    """The lessons of the course in reading order: the numbered notebooks that have a worked
    answers notebook in ``notebooks/solutions/`` (the reference part has none).

    Args:
        notebooks: The folder of the notebooks (``notebooks/`` beside the README).
    """
    notebooks = Path(notebooks)
    return [path for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
            if (notebooks / SOLUTIONS / f"{path.stem}_solutions.ipynb").is_file()]


def course_rows(notebooks) -> list[list[str]]:
    """A header row, then one row per notebook of the course in reading order: its title
    (linked), its solutions notebook if it has exercises, and its default run's time.

    Args:
        notebooks: The folder of the notebooks (``notebooks/`` beside the README).
    """
    notebooks = Path(notebooks)
    paths = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no numbered notebooks in {notebooks}")
    rows = [["notebook", "exercises answered in", "default run"]]
    for path in paths:
        solutions = notebooks / SOLUTIONS / f"{path.stem}_solutions.ipynb"
        link = f"notebooks/{path.name}"
        answered = (f"[{solutions.name}](notebooks/{SOLUTIONS}/{solutions.name})"
                    if solutions.is_file() else "-")
        rows.append([f"[{title(path)}]({link})", answered, duration(run_seconds(path))])
    return rows


def _words(text: str) -> int:
    """Words as a reader counts them on the page: whitespace-separated, a table's bars
    included (a table costs its layout too)."""
    return len(text.split())


def _output_text(output: dict) -> str:
    """The text a reader sees in one stored output: a stream's text or a result's Markdown
    (a table, a list). Plain-text reprs and pictures are left out."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    return "".join(output.get("data", {}).get("text/markdown", ""))


def lesson_budget(path) -> dict:
    """What a notebook asks of a class hour: ``{"prose_words", "output_words", "exercises",
    "questions"}``.

    Prose is the Markdown cells' words (whitespace-separated, code blocks and equations
    included); output is the words of the stored streams and Markdown results (tables with
    their bars); exercises are the bold-numbered paragraphs of
    the "## Exercises" section, as the book's builder finds them; questions are the numbered
    items of the "## Questionnaire" section.
    """
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    prose = output = exercises = questions = 0
    section = ""
    for cell in cells:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            if text.startswith("## "):
                section = text.split("\n", 1)[0]
            prose += _words(text)
            if section.startswith("## Exercises"):
                exercises += len(_EXERCISE.findall(text))
            if section.startswith("## Questionnaire"):
                questions += len(_QUESTION.findall(text))
        elif cell["cell_type"] == "code":
            output += sum(_words(_output_text(out)) for out in cell.get("outputs", []))
    return {"prose_words": prose, "output_words": output, "exercises": exercises,
            "questions": questions}


#: A paragraph this long, or longer, is said once in the whole course.
REPEAT_WORDS = 40


def repeated_paragraphs(paths) -> dict[str, list[str]]:
    """Markdown paragraphs of more than ``REPEAT_WORDS`` words that appear in more than one
    notebook: ``{paragraph's first words: [notebook names]}`` (empty when none is repeated).
    Paragraphs are compared with their spaces normalised."""
    seen: dict[str, set[str]] = {}
    for path in paths:
        path = Path(path)
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for paragraph in re.split(r"\n\s*\n", _FENCE.sub("", "".join(cell["source"]))):
                text = " ".join(paragraph.split())
                if _words(text) > REPEAT_WORDS:
                    seen.setdefault(text, set()).add(path.name)
    return {" ".join(text.split()[:12]) + " ...": sorted(names)
            for text, names in seen.items() if len(names) > 1}


@dataclass(frozen=True)
class Meeting:
    """One class meeting of about an hour: the lesson taken in class, and what is left for home.

    Attributes:
        title: What the meeting is about.
        in_class: The notebook taken together (its stem, e.g. ``"01_concepts"``).
        class_exercises: Its exercises done in class, by number.
        at_home: Notebooks read at home after the meeting (their exercises too), by stem.
    """

    title: str
    in_class: str
    class_exercises: tuple[int, ...]
    at_home: tuple[str, ...] = ()


#: The course as seven class meetings (the teacher's page, ``docs/teaching.md``).
MEETINGS: tuple[Meeting, ...] = (
    Meeting("What an LSTM computes", "01_concepts", (1, 3), ("00_introduction",)),
    Meeting("Build it yourself", "02_build_it_yourself", (1,), ("15_playground",)),
    Meeting("One frequency or a band", "03_memorising_1hz", (1, 2), ("04_random_frequencies",)),
    Meeting("How much input, how far ahead", "05_shorter_input", (1, 2),
            ("06_longer_horizon",)),
    Meeting("Gradient clipping, judged by one measure", "07_gradient_clipping", (1, 2)),
    Meeting("Stacks, a stopping rule and step decay", "08_dynamic_rnn", (2, 3),
            ("09_small_state_step_decay",)),
    Meeting("GRUs, and what the claims rest on", "10_gru_stack", (1, 3),
            ("11_comparison", "12_explorer", "13_baselines_and_atlas",
             "14_luck_and_autoregression")),
)
#: Reading speed the teacher's page assumes to turn a lesson's words into minutes.
WORDS_PER_MINUTE = 200


def meeting_rows(notebooks) -> list[list[str]]:
    """A header row, then one row per meeting (``MEETINGS``): the lesson in class with its
    reading (words, and minutes at ``WORDS_PER_MINUTE``) and its default run and its worked
    answers' run as the last ``make notebooks`` measured them, the exercises done in class and
    at home, and the notebooks left for home."""
    notebooks = Path(notebooks)
    rows = [["meeting", "in class", "reading", "run: lesson / answers",
             "exercises: in class / at home", "then at home"]]
    for number, meeting in enumerate(MEETINGS, 1):
        path = notebooks / f"{meeting.in_class}.ipynb"
        solutions = notebooks / SOLUTIONS / f"{meeting.in_class}_solutions.ipynb"
        budget = lesson_budget(path)
        home = [n for n in range(1, budget["exercises"] + 1) if n not in meeting.class_exercises]
        rows.append([
            f"{number}. {meeting.title}", f"[{title(path)}](../notebooks/{path.name})",
            f"{budget['prose_words']} words, "
            f"{round(budget['prose_words'] / WORDS_PER_MINUTE)} min",
            f"{duration(run_seconds(path))} / {duration(run_seconds(solutions))}",
            f"{', '.join(map(str, meeting.class_exercises))} / "
            f"{', '.join(map(str, home)) or '-'} and the questionnaire",
            ", ".join(f"[{n[:2]}](../notebooks/{n}.ipynb)" for n in meeting.at_home) or "-",
        ])
    return rows

