"""The course as a website (``make book``): the committed, executed notebooks as the pages of a
static book, built offline with Sphinx, MyST-NB and the Sphinx Book Theme (``book/conf.py``).

Nothing is executed: the pages show the outputs ``make notebooks`` stored. :func:`stage` writes
the book's sources into a build folder, and :func:`build` runs Sphinx on them with warnings as
errors. In reading order:

* the landing page: the README's introduction and its course overview;
* one page per notebook. Each opens with its default run's time and a link to download the
  notebook file. A lesson's worked answers (``notebooks/solutions/``) are folded under each
  exercise (an HTML ``<details>`` element: a click opens it);
* outputs that need a live kernel (the explorer) give way to the stored screenshot and how to
  run the page live (``make lab``, ``make app``); a progress bar keeps its stored text;
* the reference part: the results and the ledger (``docs/results.md``), the teacher's page
  (``docs/teaching.md``), the original's protocol (``docs/original.md``), using the package
  (``docs/package.md``) and the ``sinelib`` API from its docstrings, one page per part of the
  package.

Run ``python -m book.build [--out FOLDER]``; the pages land in ``FOLDER/html``.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import pkgutil
import posixpath
import re
import subprocess
import sys
import time
from pathlib import Path

import sinelib
from sinelib.study.course import SOLUTIONS, duration, run_seconds

ROOT = Path(__file__).resolve().parents[1]
#: Sphinx's configuration folder (``conf.py`` and the book's stylesheet), in the repository.
CONF_FOLDER = "book"
#: Where ``make book`` builds: sources in ``source/``, pages in ``html/`` (gitignored).
DEFAULT_OUT = ROOT / "build" / "book"
#: The mime type of an ipywidget's view. A notebook saved without widget state keeps only the
#: reference to a model that no longer exists; a web page cannot draw it.
WIDGET = "application/vnd.jupyter.widget-view+json"
#: The explorer's picture, taken by ``make screenshot``.
SCREENSHOT = "figures/explorer.png"
#: The playground's picture, taken by ``make screenshot`` too; its notebook's page shows it.
PLAYGROUND_SCREENSHOT = "figures/playground.png"
#: The explorer's own notebook: its page shows the picture, every other page with an explorer
#: links to it (the picture is one setting, which on a lesson's page could give away the
#: answer to a predict-first exercise).
EXPLORER_NOTEBOOK = "12_explorer.ipynb"
#: The downloads of the notebook files, beside the pages' sources (never pages themselves).
DOWNLOADS = "_notebooks"
#: Modules the API page leaves out: the command line's entry point, and the TF1 reference,
#: which refuses to import without ``TF_USE_LEGACY_KERAS=1`` (it runs in its own process).
API_EXCLUDED = ("sinelib.__main__", "sinelib.tools.reference_tf1")
#: The API page's groups: a package prefix and its heading, in the order of the package's
#: own docstring.
API_GROUPS = (
    ("sinelib", "The core: `import sinelib`"),
    ("sinelib.exercises", "The exercises' checks: `sinelib.exercises`"),
    ("sinelib.study", "Claims, studies and the README's tables: `sinelib.study`"),
    ("sinelib.tools", "The command line, live training, the explorer and the probes: "
                      "`sinelib.tools`"),
    ("sinelib.plumbing", "What the core stands on: `sinelib.plumbing`"),
)

_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
#: The pages of the book's reference part, in order: ``docs/<name>.md``.
DOCS = ("results", "teaching", "original", "package")
#: The heading of a lesson's questionnaire, and of its answers in the solutions notebook.
QUESTIONNAIRE = "## Questionnaire"
_EXERCISE = re.compile(r"(?m)^\*\*(?:Exercise )?(\d+)[\s.:(]")
_ANSWER = re.compile(r"^## (?:Exercise )?(\d+)[.:]\s*(.*)$")


# ---------------------------------------------------------------------------------- markdown

def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def rewrite_links(text: str, base: str, pages: dict[str, str], assets: set[str]) -> str:
    """Markdown ``text`` from the repository file in folder ``base``, with its links made to
    work in the book.

    A link to a file that is a page of the book goes to that page; an image stays, and its
    path is added to ``assets`` (files the book copies, relative to the repository); a link to
    any other file of the repository becomes the file's name in code, which a reader finds in
    the clone; a link to a section of the README (``#...``) becomes its text. Web links stay.

    Args:
        text: Markdown.
        base: The folder of the file ``text`` comes from, relative to the repository
            (``""``, ``"docs"``, ``"notebooks"``).
        pages: Repository paths (``notebooks/03_memorising_1hz.ipynb``) to the book's
            page sources (``03_memorising_1hz.ipynb``).
        assets: Collects the repository paths of the images ``text`` shows.
    """
    def replace(match: re.Match) -> str:
        bang, label, target = match["bang"], match["text"], match["target"]
        if re.match(r"[a-z]+:", target):
            return match[0]
        if target.startswith("#"):
            return label
        path = posixpath.normpath(posixpath.join(base, target.split("#")[0]))
        if bang:
            assets.add(path)
            return f"![{label}]({path})"
        if path in pages:
            return f"[{label}]({pages[path]})"
        name = f"`{path}`"
        return name if label.strip("`") in (path, target) else f"{label} ({name})"

    return _LINK.sub(replace, text)


def _sections(text: str, level: int = 2) -> list[tuple[str, str]]:
    """``text`` cut at its headings of ``level``: (heading line, whole section) pairs, the
    first with the heading ``""`` for what comes before any heading."""
    marker = "#" * level + " "
    parts, heading, lines = [], "", []
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith(marker):
            parts.append((heading, "".join(lines)))
            heading, lines = line.strip(), []
        lines.append(line)
    parts.append((heading, "".join(lines)))
    return parts


def readme_section(readme: str, heading: str) -> str:
    """The README's ``## heading`` section, with its subsections.

    Raises:
        ValueError: the README has no such section.
    """
    for line, section in _sections(readme):
        if line == f"## {heading}":
            return section
    raise ValueError(f"the README has no '## {heading}' section")


# ---------------------------------------------------------------------------------- notebooks

_EXPLORER = re.compile(r"Explorer\('(?P<slug>[^']+)', frequency=(?P<frequency>[^,)]+)")


def _live_only_note(notebook: str, explorer: str) -> str:
    """The note that stands in for the explorer: how to run it live and where it opens on this
    page (from its stored text, ``Explorer('exp5', frequency=1, ...)``). On the explorer's
    own page it shows the screenshot, whose setting the caption gives; elsewhere it links to
    that page."""
    match = _EXPLORER.match(explorer)
    opens = (f" Run here, it opens on `{match['slug']}` at {match['frequency']} Hz." if match
             else "")
    note = (":::{admonition} Live only: the explorer needs a running kernel\n:class: note\n\n"
            "A web page has no Python kernel behind it, so the explorer's sliders cannot move "
            f"here. Run it live: `make lab`, then open and run `notebooks/{notebook}`; or "
            f"`make app`, the explorer alone as a web page.{opens}")
    if notebook != EXPLORER_NOTEBOOK:
        return (f"{note} [The explorer's page]({EXPLORER_NOTEBOOK}) shows what it looks "
                f"like.\n:::\n")
    return (f"{note} The picture shows it on experiment 2 just above its training band, with "
            "the analytic baseline beside it (`make screenshot` retakes it; click it to see it "
            "full size).\n\n"
            f"![The explorer in JupyterLab, on experiment 2 just above its training band]"
            f"({SCREENSHOT})\n"
            ":::\n")


def _playground_note() -> str:
    """The note that stands in for the training playground: how to run it live, and its
    screenshot."""
    return (":::{admonition} Live only: the playground needs a running kernel\n:class: note\n\n"
            "A web page has no Python kernel behind it, so nothing can train here. Run it "
            "live: `make lab`, then open and run `notebooks/15_playground.ipynb`; or "
            "`make playground`, the playground alone as a web page. The picture shows it "
            "after a short run of experiment 3's preset (`make screenshot` retakes it; click it "
            "to see it full size).\n\n"
            "![The training playground in JupyterLab, after a short run of experiment 3's "
            f"preset]({PLAYGROUND_SCREENSHOT})\n"
            ":::\n")


def static_cells(cells: list[dict], notebook: str) -> list[dict]:
    """The cells with every output a web page cannot draw replaced.

    A cell that shows the explorer (a widget whose text is ``Explorer(...)``) or the
    playground (``Playground(...)``) loses that output and is followed by a note with how to
    run it live and its screenshot (the explorer's on its own page only).
    Any other widget (a training progress bar) keeps the text it stored.

    Args:
        cells: A notebook's cells (not changed).
        notebook: The notebook's file name, for the note.
    """
    out = []
    for cell in cells:
        cell = copy.deepcopy(cell)
        out.append(cell)
        live = None
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data:
                text = "".join(data.get("text/plain", ""))
                if text.startswith(("Explorer(", "Playground(")):
                    live = text
                    continue
                del data[WIDGET]
            outputs.append(output)
        if cell["cell_type"] == "code":
            cell["outputs"] = outputs
        if live is not None:
            out.append(_markdown_cell(_playground_note() if live.startswith("Playground(")
                                      else _live_only_note(notebook, live)))
    return out


def _exercise_pieces(cells: list[dict]) -> list[tuple[int, dict]]:
    """The cells of an exercises section as (exercise number, cell) pairs, 0 for the
    section's introduction; a Markdown cell where a new exercise starts is cut there."""
    pieces, number = [], 0
    for cell in cells:
        if cell["cell_type"] != "markdown":
            pieces.append((number, cell))
            continue
        text = _source(cell)
        starts = {match.start(): int(match[1]) for match in _EXERCISE.finditer(text)}
        cuts = sorted({0, *starts, len(text)})
        for begin, end in zip(cuts, cuts[1:]):
            number = starts.get(begin, number)
            pieces.append((number, {**cell, "source": text[begin:end]}))
    return pieces


def _answers(solutions: dict, name: str) -> tuple[list[dict], dict[int, tuple[str, list]]]:
    """The solutions notebook's set-up (cells before its first answer, title line removed)
    and its answers by exercise number: (title, cells)."""
    cells = solutions["cells"]
    setup, answers, current = [], {}, None
    for cell in cells:
        text = _source(cell)
        first = text.split("\n", 1)[0]
        if cell["cell_type"] == "markdown" and first.startswith(QUESTIONNAIRE):
            break  # the questionnaire's answers (``_questionnaire_answers``) end the exercises
        match = _ANSWER.match(first) if cell["cell_type"] == "markdown" else None
        if match:
            current = int(match[1])
            if current in answers:
                raise ValueError(f"{name} answers exercise {current} twice")
            rest = text.split("\n", 1)[1].strip() if "\n" in text else ""
            answers[current] = (match[2].strip(), [_markdown_cell(rest)] if rest else [])
        elif current is None:
            if first.startswith("# "):
                rest = text.split("\n", 1)[1].strip() if "\n" in text else ""
                if rest:
                    setup.append({**cell, "source": rest})
            else:
                setup.append(cell)
        else:
            answers[current][1].append(cell)
    return setup, answers


def _questionnaire_answers(solutions: dict) -> list[dict]:
    """The cells of the solutions notebook's ``## Questionnaire`` section, heading left out
    (empty when it has none)."""
    cells = solutions["cells"]
    start = next((i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
                  and _source(cell).startswith(QUESTIONNAIRE)), None)
    if start is None:
        return []
    rest = _source(cells[start]).split("\n", 1)[1].strip() if "\n" in _source(
        cells[start]) else ""
    return ([_markdown_cell(rest)] if rest else []) + cells[start + 1:]


def _summary(text: str) -> str:
    """Markdown inline text as HTML for a ``<summary>`` (code spans kept)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _folded(summary: str, cells: list[dict], name: str) -> list[dict]:
    """``cells`` inside one ``<details class="solution">`` whose summary line is ``summary``.

    Raises:
        ValueError: a Markdown cell holds a heading, which would end the fold's section in
            the middle of the fold.
    """
    for cell in cells:
        text = re.sub(r"(?ms)^```.*?^```", "", _source(cell))
        heading = re.search(r"(?m)^#{1,6} .*", text) if cell["cell_type"] == "markdown" else None
        if heading:
            raise ValueError(f"{name}: '{summary}' holds the heading {heading[0]!r}, which "
                             f"cannot be folded; write it in bold instead")
    opening = f'<details class="solution">\n<summary>{_summary(summary)}</summary>\n'
    return [_markdown_cell(opening), *cells, _markdown_cell("</details>\n")]


def with_answers(cells: list[dict], solutions: dict, name: str) -> list[dict]:
    """A lesson's cells with each worked answer folded right after its exercise.

    The exercises are the ``## Exercises`` section, each starting with a bold number
    (``**2.`` or ``**Exercise 2``); the answers are the solutions notebook's ``## 2. ...``
    (or ``## Exercise 2: ...``) sections. The solutions notebook's set-up cells come first,
    folded too, before exercise 1. The answers to the lesson's ``## Questionnaire`` (the
    solutions notebook's own ``## Questionnaire`` section, last) are folded after it.

    Raises:
        ValueError: the lesson has no exercises section, or its exercises and the answers do
            not match one to one.
    """
    starts = [i for i, cell in enumerate(cells)
              if cell["cell_type"] == "markdown" and _source(cell).startswith("## Exercises")]
    if not starts:
        raise ValueError(f"{name} has worked answers but no '## Exercises' section")
    start = starts[0]
    end = next((i for i in range(start + 1, len(cells)) if cells[i]["cell_type"] == "markdown"
                and _source(cells[i]).startswith("## ")), len(cells))
    pieces = _exercise_pieces(cells[start:end])
    setup, answers = _answers(solutions, name)
    exercises = sorted({number for number, _ in pieces if number})
    if exercises != sorted(answers):
        raise ValueError(f"{name}: the exercises are numbered {exercises} but the worked "
                         f"answers {sorted(answers)}")
    section = []
    for index, (number, cell) in enumerate(pieces):
        section.append(cell)
        following = pieces[index + 1][0] if index + 1 < len(pieces) else None
        if following == number:
            continue
        if number == 0:
            section += _folded("The worked answers' set-up", setup, name)
        else:
            title, answer = answers[number]
            section += _folded(f"Worked answer to exercise {number}: {title}", answer, name)
    cells = cells[:start] + section + cells[end:]
    answered = _questionnaire_answers(solutions)
    asked = next((i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
                  and _source(cell).startswith(QUESTIONNAIRE)), None)
    if answered and asked is None:
        raise ValueError(f"{name} answers a questionnaire but asks none ('{QUESTIONNAIRE}')")
    if asked is not None:
        if not answered:
            raise ValueError(f"{name} asks a questionnaire that its solutions do not answer")
        after = next((i for i in range(asked + 1, len(cells)) if cells[i]["cell_type"] ==
                      "markdown" and _source(cells[i]).startswith("## ")), len(cells))
        cells = (cells[:after] + _folded("Answers to the questionnaire", answered, name)
                 + cells[after:])
    return cells


def _header(notebook: Path, solutions: Path | None) -> str:
    seconds = run_seconds(notebook)
    lines = [f"**The notebook:** {{download}}`{notebook.name} <{DOWNLOADS}/{notebook.name}>` "
             f"(`notebooks/{notebook.name}` in the repository; `make lab` opens it in "
             f"JupyterLab, where it runs). **Default run:** {duration(seconds)} on two CPU "
             f"cores, as the last `make notebooks` measured it."]
    if solutions is not None:
        lines.append(f"**Worked answers:** folded under each exercise below, and as a notebook, "
                     f"{{download}}`{solutions.name} <{DOWNLOADS}/{solutions.name}>`.")
    return "\n\n".join(lines) + "\n"


def notebook_page(path: Path, pages: dict[str, str], assets: set[str]) -> dict:
    """The book's page of the notebook at ``path``: its title, a header (the notebook file and
    its default run's time), its cells with the worked answers folded in (if it has a
    solutions notebook) and every live-only output replaced by a note."""
    def cells_of(notebook: dict, name: str) -> list[dict]:
        cells = copy.deepcopy(notebook["cells"])
        for cell in cells:
            if cell["cell_type"] == "markdown":
                cell["source"] = rewrite_links(_source(cell), "notebooks", pages, assets)
        return static_cells(cells, name)

    notebook = json.loads(path.read_text(encoding="utf-8"))
    solutions_path = path.parent / SOLUTIONS / f"{path.stem}_solutions.ipynb"
    solutions = None
    if solutions_path.is_file():
        solutions = json.loads(solutions_path.read_text(encoding="utf-8"))
        solutions["cells"] = cells_of(solutions, solutions_path.name)
    cells = cells_of(notebook, path.name)
    if solutions is not None:
        cells = with_answers(cells, solutions, path.name)
    first = _source(cells[0])
    if not first.startswith("# "):
        raise ValueError(f"{path.name} does not open with a '# ' title")
    title, _, rest = first.partition("\n")
    opening = [_markdown_cell(title + "\n"),
               _markdown_cell(_header(path, solutions_path if solutions else None))]
    if rest.strip():
        opening.append({**cells[0], "source": rest.strip() + "\n"})
    return {**notebook, "cells": opening + cells[1:]}


# ---------------------------------------------------------------------------------- pages

def _pages(root: Path) -> dict[str, str]:
    pages = {"README.md": "index.md", **{f"docs/{name}.md": f"{name}.md" for name in DOCS}}
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        pages[f"notebooks/{path.name}"] = path.name
        pages[f"notebooks/{SOLUTIONS}/{path.stem}_solutions.ipynb"] = path.name
    return pages


def landing_page(readme: str, notebooks: list[str], pages: dict[str, str],
                 assets: set[str]) -> str:
    """The landing page: the README's title and introduction and its course overview (the
    reading order and the default-run times, without the subsections on how the book and the
    explorer are built and tested), with the tables of contents the sidebar follows."""
    introduction = _sections(readme)[0][1]
    # The course's overview without its subsections, which speak to whoever builds and
    # tests the book and the explorer (the explorer has its own page).
    course = _sections(readme_section(readme, "The course"), level=3)[0][1]
    course = course.replace(f"`notebooks/{SOLUTIONS}/`",
                            f"`notebooks/{SOLUTIONS}/` (on these pages: folded under each "
                            f"exercise, *Worked answer*)")
    text = rewrite_links(introduction + "\n" + course, "", pages, assets)
    contents = "\n".join(Path(name).stem for name in notebooks)
    return (f"{text.rstrip()}\n\n"
            "```{toctree}\n:caption: The course\n:hidden:\n\n"
            f"{contents}\n```\n\n"
            "```{toctree}\n:caption: Reference\n:hidden:\n\n"
            + "\n".join(DOCS) + "\napi\n```\n")


def _modules() -> list[str]:
    names = ["sinelib"] + [module.name for module in
                           pkgutil.walk_packages(sinelib.__path__, prefix="sinelib.")]
    return sorted(name for name in names if name not in API_EXCLUDED)


def api_pages(modules: list[str] | None = None) -> dict[str, str]:
    """The API pages, by source name: ``api.md``, an overview of the package's parts, and one
    page per part (``api-core.md``, ``api-exercises.md``, ...) with every module of that part
    (``modules``; default: all but ``API_EXCLUDED``) and the docstrings of its public members,
    grouped as the package's docstring describes it. One page per part keeps each to a length
    a reader scrolls through, with page contents that fit beside it."""
    modules = _modules() if modules is None else modules
    groups: dict[str, list[str]] = {prefix: [] for prefix, _ in API_GROUPS}
    for name in modules:
        prefix = max((prefix for prefix, _ in API_GROUPS
                      if name == prefix or name.startswith(prefix + ".")), key=len)
        groups[prefix].append(name)
    overview = ["# The sinelib API\n",
                "Every module of the package with its public functions and classes, generated "
                "from their docstrings when the book is built, one page per part of the "
                "package. `import sinelib` loads the core only; the other parts are imported "
                "by name. The TF1 reference (`sinelib.tools.reference_tf1`, behind `make bench`, "
                "`make tf1-runs` and `make transplant`) is not listed: it needs "
                "`TF_USE_LEGACY_KERAS=1` before TensorFlow is imported, so it runs in a process "
                "of its own.\n"]
    pages, contents = {}, []
    for prefix, heading in API_GROUPS:
        if not groups[prefix]:
            continue
        page = api_page_name(prefix)
        contents.append(page)
        text = [f"# {heading}\n"]
        for name in groups[prefix]:
            # autodoc writes reStructuredText, which MyST reads only in an eval-rst block.
            options = "" if name == "sinelib" else "   :members:\n"
            text.append(f"## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n"
                        f"{options}```\n")
        pages[f"{page}.md"] = "\n".join(text)
    overview.append("```{toctree}\n:maxdepth: 1\n\n" + "\n".join(contents) + "\n```\n")
    return {"api.md": "\n".join(overview), **pages}


def api_page_name(prefix: str) -> str:
    """The page (source name without ``.md``) of the API's part ``prefix``: ``sinelib`` is
    ``api-core``, ``sinelib.study`` is ``api-study``."""
    return "api-core" if prefix == "sinelib" else "api-" + prefix.rsplit(".", 1)[-1]


def _write(path: Path, content: str | bytes) -> None:
    """Write only when the content changed, so that Sphinx rebuilds only what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def stage(source: Path, *, root: Path = ROOT) -> Path:
    """Write the book's sources into ``source``: the landing page, one page per notebook, the
    results, the original's protocol, the API page, the notebook files to download and the
    images the pages show. Files of an earlier staging that are no longer part of the book
    are removed.

    Returns:
        ``source``.
    """
    source, root = Path(source), Path(root)
    pages, assets = _pages(root), {SCREENSHOT, PLAYGROUND_SCREENSHOT}
    readme = (root / "README.md").read_text(encoding="utf-8")
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ValueError(f"no numbered notebooks in {root / 'notebooks'}")
    written = {}
    for path in notebooks:
        page = notebook_page(path, pages, assets)
        written[path.name] = json.dumps(page, indent=1, ensure_ascii=False) + "\n"
        written[f"{DOWNLOADS}/{path.name}"] = path.read_bytes()
        solutions = path.parent / SOLUTIONS / f"{path.stem}_solutions.ipynb"
        if solutions.is_file():
            written[f"{DOWNLOADS}/{solutions.name}"] = solutions.read_bytes()
    written["index.md"] = landing_page(readme, [p.name for p in notebooks], pages, assets)
    for name in DOCS:
        text = (root / "docs" / f"{name}.md").read_text(encoding="utf-8")
        written[f"{name}.md"] = rewrite_links(text, "docs", pages, assets)
    written.update(api_pages())
    for asset in sorted(assets):
        if not (root / asset).is_file():
            raise ValueError(f"a page shows {asset}, which is not in the repository")
        written[asset] = (root / asset).read_bytes()
    for name, content in written.items():
        _write(source / name, content)
    for path in sorted(source.rglob("*"), reverse=True):
        name = path.relative_to(source).as_posix()
        if path.is_file() and name not in written:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return source


def build(out: Path = DEFAULT_OUT, *, root: Path = ROOT, quiet: bool = True) -> Path:
    """Stage the sources into ``out/source`` and build the pages into ``out/html`` with Sphinx,
    warnings as errors.

    Returns:
        The folder of the pages (``out/html``; the landing page is ``index.html``).

    Raises:
        RuntimeError: Sphinx failed or warned; its messages are in the error.
    """
    out = Path(out)
    source = stage(out / "source", root=root)
    html_dir = out / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
               "-c", str(root / CONF_FOLDER), "-d", str(out / "doctrees"), str(source),
               str(html_dir)]
    if quiet:
        command.insert(3, "-q")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the book did not build (sphinx-build exited with "
                           f"{result.returncode}):\n{result.stderr[-6000:]}")
    return html_dir


# ---------------------------------------------------------------------------------- screenshots

#: The README's screenshots of the book (``make screenshots``): a page, the elements it is
#: scrolled to and which of them (the LSTM's equations, the first clipping table, the
#: ledger), each taken on a laptop and on a phone.
SCREENSHOT_PAGES = (("01_concepts", "mtable", 0),
                    ("07_gradient_clipping", "table", 0),
                    ("results", "#what-was-measured table", 1))
#: The window sizes (CSS pixels) of the screenshots, by name.
SCREENSHOT_SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
#: Where ``make screenshots`` writes them, relative to the repository.
SCREENSHOT_FOLDER = "figures/screenshots"
#: Colours a screenshot keeps (a palette PNG stays well under 300 kB).
SCREENSHOT_COLOURS = 128


def take_screenshots(html_dir: Path, out: Path) -> list[Path]:
    """Screenshots of ``SCREENSHOT_PAGES`` of the built book in ``html_dir`` at each of
    ``SCREENSHOT_SIZES``, scrolled to the page's element, written to ``out`` as
    ``<page>-<size>.png`` (palette PNGs). Needs Chromium (``tests/chromium.py``).

    Returns:
        The files written.
    """
    import functools
    import http.server
    import io
    import threading

    from PIL import Image

    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import browser_page

    out.mkdir(parents=True, exist_ok=True)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    written = []
    try:
        for size, (width, height) in SCREENSHOT_SIZES.items():
            with browser_page(width, height, 30) as page:
                for name, selector, index in SCREENSHOT_PAGES:
                    page.goto(url + f"{name}.html", wait_until="load")
                    element = page.locator(selector).nth(index)
                    element.scroll_into_view_if_needed()
                    # The element just below the header, with a little of what leads to it.
                    page.evaluate("(y) => window.scrollTo(0, window.scrollY + y - 120)",
                                  element.bounding_box()["y"])
                    page.wait_for_timeout(300)
                    image = Image.open(io.BytesIO(page.screenshot()))
                    path = out / f"{name}-{size}.png"
                    image.convert("RGB").quantize(SCREENSHOT_COLOURS).save(path, optimize=True)
                    written.append(path)
    finally:
        server.shutdown()
        server.server_close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m book.build",
        description="Build the course as a static website from the committed, executed "
                    "notebooks (nothing is executed; warnings are errors).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"build folder (default: {DEFAULT_OUT.relative_to(ROOT)}); the "
                             f"pages go to OUT/html")
    parser.add_argument("--screenshots", type=Path, metavar="FOLDER",
                        help=f"then take the README's screenshots of three pages, on a laptop "
                             f"and a phone, into FOLDER (make screenshots: "
                             f"{SCREENSHOT_FOLDER}); needs Chromium")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html_dir = build(args.out)
    except (RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.screenshots is not None:
        for path in take_screenshots(html_dir, args.screenshots):
            print(f"{path} ({path.stat().st_size / 1000:.0f} kB)")
    print(f"The book is in {html_dir} ({time.perf_counter() - start:.0f} s). Open "
          f"{html_dir / 'index.html'} in a browser, or serve the folder (the search shows "
          f"excerpts only then): python -m http.server -d {html_dir} --bind 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
