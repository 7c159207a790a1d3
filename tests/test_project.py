"""The project's files agree with each other."""

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from notebook_code import notebook_code

from sinelib.study.course import lessons
from sinelib.study.figures import figure_set, updated_documents
from sinelib.study.tables import experiment_rows
from sinelib.plumbing.tables import to_markdown

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = [d for d in environment["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert set(pip_section) - {"-e ."} == wanted
    assert "-e ." in pip_section
    python = [d for d in environment["dependencies"] if isinstance(d, str)
              and d.startswith("python")]
    assert python == ["python" + project["requires-python"]]


def test_readme_gives_the_quick_start_and_the_units():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "examples" in readme and "summed over" in readme


def test_readme_registry_table_is_the_registry():
    assert to_markdown(experiment_rows()) in (ROOT / "README.md").read_text()


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.shipped
def test_generated_blocks_are_current():
    """The tables and claims of the README and docs/results.md are generated (python -m
    sinelib readme), never typed: they are made from the shipped manifests, histories and
    atlas."""
    stale = [path.name for path, (text, updated) in updated_documents(ROOT).items()
             if updated != text]
    assert stale == [], f"{stale}: generated blocks are out of date: run python -m sinelib readme"


def test_the_readme_is_read_in_five_minutes():
    """What this is, the quick start, the course table, pictures of the book (a laptop and a
    phone), of the two apps and of the results (two), and links: at most 250 lines and six
    pictures; the results and the package's reference live in docs/."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert len(re.findall(r"!\[[^\]]*\]\(figures/", readme)) <= 6
    for page in ("docs/results.md", "docs/teaching.md", "docs/original.md", "docs/package.md"):
        assert f"]({page})" in readme


def test_readme_links_every_notebook_and_shows_figures_that_exist():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{notebook.name})" in readme
    images = re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", readme)
    assert images and all((ROOT / image).is_file() for image in images)


#: Pictures in figures/ that make figures does not draw: the explorer's screenshot is taken
#: in a real browser by tests/test_browser.py and tests/test_browser_playground.py (make
#: screenshot).
SCREENSHOTS = {"explorer.png", "playground.png"}


def test_every_figure_of_make_figures_is_committed():
    committed = {p.name for p in (ROOT / "figures").glob("*.png")}
    assert sorted(figure_set()) == sorted(committed - SCREENSHOTS)
    assert SCREENSHOTS <= committed


def test_notebooks_are_numbered_tagged_and_stripped():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert [n.name[:2] for n in notebooks] == [f"{i:02d}" for i in range(len(notebooks))]
    assert not list((ROOT / "notebooks").rglob(".ipynb_checkpoints"))
    for path in notebooks:
        notebook = json.loads(path.read_text())
        assert "widgets" not in notebook["metadata"], f"{path.name} stores widget state"
        tags = [tag for cell in notebook["cells"] for tag in cell["metadata"].get("tags", [])]
        assert "nbval-check-output" in tags, f"{path.name} has no checked cell"
        if path.name != "11_comparison.ipynb":
            assert tags.count("parameters") == 1, f"{path.name} has no parameters cell"
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert cell["execution_count"] is not None, f"{path.name} is not executed"


#: Every notebook of the course and of its solutions.
ALL_NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebooks_show_no_stderr_and_no_error(path):
    outputs = [output for cell in json.loads(path.read_text())["cells"]
               for output in cell.get("outputs", [])]
    stderr = ["".join(output["text"])[:200] for output in outputs
              if output.get("name") == "stderr"]
    assert stderr == [], f"{path.name} stores stderr output, which readers see: {stderr}"
    assert not [output for output in outputs if output["output_type"] == "error"]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebooks_show_progress_bars_at_their_end(path):
    """A notebook saved without widget state shows a progress bar's text as it was last
    displayed; training shows its final state (sinelib.training's bar): every run in a
    notebook trains a fixed number of steps, so every stored bar reads n/n, never "0%" or a
    step short of the end."""
    bars = [text for cell in json.loads(path.read_text())["cells"]
            for output in cell.get("outputs", [])
            for text in ["".join(output.get("data", {}).get("text/plain", ""))]
            if re.search(r"\d+%\|", text)]
    unfinished = [text[:120] for text in bars
                  if not (match := re.search(r"\| (\d+)/(\d+) \[", text))
                  or match[1] != match[2]]
    assert unfinished == [], f"{path.name} stores a progress bar short of its end: {unfinished}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: path.name)
def test_notebooks_use_every_name_they_import(path):
    tree = ast.parse(notebook_code(path))
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = node.lineno
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = node.lineno
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert sorted(set(imported) - used) == [], f"{path.name} imports names it never uses"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda path: path.name)
def test_notebooks_with_exercises_have_a_checked_solutions_notebook(path):
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    if not re.search(r"(?m)^## Exercises", text):
        return
    solutions = ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb"
    assert solutions.is_file(), f"{path.name} has exercises but no {solutions.name}"
    code = notebook_code(solutions)
    assert "assert" in code, f"{solutions.name} asserts none of its answers"


@pytest.mark.parametrize("path", lessons(ROOT / "notebooks"),
                         ids=lambda path: path.name)
def test_each_lesson_teaches_explains_and_asks(path):
    """From the concept notebook to the last experiment: what you will learn, a why-section,
    3-5 exercises (numbered in bold), and what we learned."""
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    assert re.search(r"^# " + path.name[:2] + " · ", text), f"{path.name}: title without its number"
    for heading in ("**What you will learn**", "\n## Why ", "\n## Exercises", "\n## What we learned"):
        assert heading in text, f"{path.name} has no {heading.strip()!r}"
    exercises = text[text.index("\n## Exercises"):]
    exercises = exercises.split("\n## ", 2)[1]
    count = len(re.findall(r"(?m)^\*\*(?:Exercise )?\d+[ .]", exercises))
    assert 3 <= count <= 5, f"{path.name} has {count} exercises, not 3-5"
