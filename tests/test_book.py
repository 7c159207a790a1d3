"""The course as a website (``make book``, ``book/build.py``).

The first tests check how the sources are staged, on the committed notebooks, without Sphinx.
The browser test then builds the whole book (warnings are errors), serves it on 127.0.0.1 and
opens every page in headless Chromium (tests/chromium.py): no console error, no request that
fails or leaves the machine, every image drawn, every internal link and anchor found, every
folded worked answer opens, notebook 01's equations drawn, the search finds a page, and the
landing page works opened as a file. The page check is shown failing on a page broken in each
of those ways.
"""

import functools
import http.server
import json
import re
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from chromium import browser_page
from sinelib.study.course import duration, run_seconds, title
from book import build as book

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [path for path in NOTEBOOKS
           if (ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb").is_file()]
#: Seconds a page may take to load and settle.
PAGE_TIMEOUT = 30


def _text(cell) -> str:
    return book._source(cell)


def _page(path: Path, assets=None) -> dict:
    return book.notebook_page(path, book._pages(ROOT), set() if assets is None else assets)


# ---------------------------------------------------------------------------------- staging

def test_links_go_to_pages_images_stay_and_other_files_become_names():
    pages = book._pages(ROOT)
    assets = set()
    text = ("See [notebook 03](notebooks/03_memorising_1hz.ipynb), its "
            "[answers](notebooks/solutions/03_memorising_1hz_solutions.ipynb), "
            "[docs/original.md](docs/original.md), [the numbers](benchmarks/explorer.md), "
            "[Faithfulness](#faithfulness), [the original](https://github.com/x/y) and "
            "![a picture](figures/explorer.png).")
    out = book.rewrite_links(text, "", pages, assets)
    assert "[notebook 03](03_memorising_1hz.ipynb)" in out
    assert "[answers](03_memorising_1hz.ipynb)" in out
    assert "[docs/original.md](original.md)" in out
    assert "the numbers (`benchmarks/explorer.md`)" in out
    assert "), Faithfulness, [the original]" in out and "#faithfulness" not in out
    assert "[the original](https://github.com/x/y)" in out
    assert "![a picture](figures/explorer.png)" in out and assets == {"figures/explorer.png"}
    # Relative to the file's own folder: from docs/, ../README.md is the landing page.
    assert book.rewrite_links("[home](../README.md)", "docs", pages, set()) == "[home](index.md)"
    assert book.rewrite_links("![x](../figures/a.png)", "notebooks", pages, assets) == \
        "![x](figures/a.png)"


def _folds(cells) -> list[str]:
    return [re.search(r"<summary>(.*)</summary>", _text(cell))[1] for cell in cells
            if _text(cell).startswith('<details class="solution">')]


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_every_exercise_is_followed_by_its_folded_worked_answer(path):
    page = _page(path)
    cells = page["cells"]
    folds = _folds(cells)
    solutions = json.loads((path.parent / "solutions" / f"{path.stem}_solutions.ipynb")
                           .read_text())
    answers = [cell for cell in solutions["cells"] if cell["cell_type"] == "markdown"
               and re.match(r"## (Exercise )?\d+[.:]", _text(cell))]
    assert folds[0] == "The worked answers' set-up"
    assert folds[-1] == "Answers to the questionnaire"
    assert [re.match(r"Worked answer to exercise (\d+):", fold)[1] for fold in folds[1:-1]] == \
        [str(n) for n in range(1, len(answers) + 1)]
    # Each fold opens and closes, and comes after its exercise and before the next one.
    opened = 0
    seen_exercise = 0
    for cell in cells:
        text = _text(cell)
        if text.startswith("<details"):
            assert opened == 0, "a worked answer opens inside another"
            opened += 1
            number = re.search(r"exercise (\d+):", text)
            if number:
                assert int(number[1]) == seen_exercise
        elif text.startswith("</details>"):
            opened -= 1
        elif cell["cell_type"] == "markdown" and opened == 0:
            start = book._EXERCISE.match(text)
            if start:
                assert int(start[1]) == seen_exercise + 1
                seen_exercise += 1
    assert opened == 0 and seen_exercise == len(answers)
    # Every cell of the solutions notebook is on the page, outputs included (the title aside).
    code = [_text(cell) for cell in solutions["cells"] if cell["cell_type"] == "code"]
    assert all(any(_text(cell) == source for cell in cells) for source in code)


def test_mismatched_exercises_and_answers_are_an_error_that_names_them():
    path = ROOT / "notebooks" / "03_memorising_1hz.ipynb"
    cells = json.loads(path.read_text())["cells"]
    solutions = json.loads((path.parent / "solutions" / f"{path.stem}_solutions.ipynb")
                           .read_text())
    solutions["cells"] = [cell for cell in solutions["cells"]
                          if not _text(cell).startswith("## 3.")]
    with pytest.raises(ValueError, match=r"numbered \[1, 2, 3(, 4)?\] but the worked answers "
                                         r"\[1, 2(, 4)?\]"):
        book.with_answers(cells, solutions, path.name)
    heading = json.loads((path.parent / "solutions" / f"{path.stem}_solutions.ipynb")
                         .read_text())
    heading["cells"].append({"cell_type": "markdown", "metadata": {},
                             "source": "### A heading inside the answer"})
    with pytest.raises(ValueError, match="questionnaire' holds the heading '### A heading"):
        book.with_answers(cells, heading, path.name)
    without = [cell for cell in cells if not _text(cell).startswith("## Exercises")]
    with pytest.raises(ValueError, match="no '## Exercises' section"):
        book.with_answers(without, solutions, path.name)


def test_the_explorer_gives_way_to_its_screenshot_and_a_bar_keeps_its_text():
    cells = [{"cell_type": "code", "metadata": {}, "source": "explore(exp)", "outputs": [
                 {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                  "data": {book.WIDGET: {"model_id": "a"}, "text/plain": "Explorer('exp1')"}}]},
             {"cell_type": "code", "metadata": {}, "source": "train()", "outputs": [
                 {"output_type": "display_data", "metadata": {},
                  "data": {book.WIDGET: {"model_id": "b"},
                           "text/plain": "exp1: 100%|#####| 200/200"}}]}]
    out = book.static_cells(cells, "02_x.ipynb")
    assert out[0]["outputs"] == []
    assert "make lab" in _text(out[1]) and "make app" in _text(out[1])
    assert f"]({book.SCREENSHOT})" in _text(out[1]) and "notebooks/02_x.ipynb" in _text(out[1])
    assert out[2]["outputs"][0]["data"] == {"text/plain": "exp1: 100%|#####| 200/200"}
    assert book.WIDGET in cells[1]["outputs"][0]["data"], "the input cells are not changed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_page_says_its_run_time_and_links_its_notebook(path):
    page = _page(path)
    assert _text(page["cells"][0]).startswith("# ")
    header = _text(page["cells"][1])
    assert f"{{download}}`{path.name} <{book.DOWNLOADS}/{path.name}>`" in header
    assert f"**Default run:** {duration(run_seconds(path))} " in header
    outputs = [output for cell in page["cells"] for output in cell.get("outputs", [])]
    assert not [output for output in outputs if book.WIDGET in output.get("data", {})]


def test_the_landing_page_is_the_course_overview_in_reading_order():
    readme = (ROOT / "README.md").read_text()
    pages = book._pages(ROOT)
    text = book.landing_page(readme, [path.name for path in NOTEBOOKS], pages, set())
    assert text.startswith(readme.splitlines()[0])
    assert "## The course" in text and "default run" in text
    assert "](notebooks/" not in text
    toc = re.search(r"```\{toctree\}\n:caption: The course\n:hidden:\n\n(.*?)```", text, re.S)
    assert toc[1].split() == [path.stem for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert f"]({path.name})" in text
    reference = re.search(r"```\{toctree\}\n:caption: Reference\n:hidden:\n\n(.*?)```", text,
                          re.S)
    assert reference[1].split() == ["results", "teaching", "original", "package", "api"]


def test_the_api_page_lists_every_module():
    text = book.api_page()
    documented = re.findall(r"\.\. automodule:: (\S+)", text)
    assert set(documented) == set(book._modules())
    assert "sinelib.data" in documented and "sinelib.plumbing.runs" in documented
    assert not set(book.API_EXCLUDED) & set(documented)


def test_staging_writes_the_book_and_removes_what_is_gone(tmp_path):
    stale = tmp_path / "99_gone.ipynb"
    stale.write_text("{}")
    book.stage(tmp_path)
    assert not stale.exists()
    for name in ["index.md", "results.md", "teaching.md", "original.md", "package.md", "api.md",
                 book.SCREENSHOT,
                 *[path.name for path in NOTEBOOKS],
                 *[f"{book.DOWNLOADS}/{path.name}" for path in NOTEBOOKS]]:
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / book.DOWNLOADS / NOTEBOOKS[0].name).read_bytes() == \
        NOTEBOOKS[0].read_bytes()
    results = (tmp_path / "results.md").read_text()
    assert results.startswith("# Results and the ledger") and "| experiment |" in results


# ---------------------------------------------------------------------------------- browser

class _Anchors(HTMLParser):
    """Every ``id`` in a page."""

    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id" and value)


@contextmanager
def _serving(folder: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _Links:
    """Internal links, checked once each: the file answers 200, the anchor exists on it."""

    def __init__(self):
        self.anchors: dict[str, set | None] = {}

    def problem(self, url: str) -> str | None:
        page, fragment = urldefrag(url)
        if page not in self.anchors:
            try:
                with urllib.request.urlopen(page, timeout=10) as response:
                    body = response.read()
                    parser = _Anchors()
                    if response.headers.get_content_type() == "text/html":
                        parser.feed(body.decode("utf-8"))
                    self.anchors[page] = parser.ids
            except (urllib.error.URLError, OSError) as error:
                self.anchors[page] = None
                return f"link to {page} does not resolve ({error})"
        if self.anchors[page] is None:
            return f"link to {page} does not resolve"
        if fragment and fragment not in self.anchors[page]:
            return f"link to {url}: no element with id {fragment!r} there"
        return None


def check_page(page, url: str, links: _Links) -> list[str]:
    """Open ``url`` and list what is wrong with it (nothing: ``[]``)."""
    problems = []
    origin = urlparse(url).netloc

    def on_request(route):
        target = urlparse(route.request.url)
        if target.scheme in ("http", "https") and target.netloc != origin:
            problems.append(f"request leaves the machine: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    page.route("**/*", on_request)
    handlers = {
        "console": lambda message: message.type == "error"
        and problems.append(f"console error: {message.text}"),
        "pageerror": lambda error: problems.append(f"page error: {error}"),
        "requestfailed": lambda request: urlparse(request.url).netloc == origin
        and problems.append(f"request failed: {request.url}"),
        "response": lambda response: response.status >= 400
        and problems.append(f"HTTP {response.status}: {response.url}"),
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        page.goto(url, wait_until="load")
        broken = page.evaluate(
            """async () => {
                for (const image of document.images) {
                    if (!image.complete) {
                        await new Promise(done => { image.onload = image.onerror = done; });
                    }
                }
                return [...document.images]
                    .filter(image => image.naturalWidth === 0)
                    .map(image => image.getAttribute('src'));
            }""")
        problems += [f"image does not load: {src}" for src in broken]
        hrefs = page.evaluate(
            "() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in sorted(set(hrefs)):
            if urlparse(href).netloc == origin:
                problem = links.problem(href)
                if problem:
                    problems.append(problem)
        folds = page.locator("details.solution")
        for index in range(folds.count()):
            fold = folds.nth(index)
            fold.locator("summary").click()
            opened = fold.evaluate(
                "d => d.open && [...d.children].filter(c => c.tagName !== 'SUMMARY')"
                "   .some(c => c.getBoundingClientRect().height > 0)")
            if not opened:
                title = fold.locator("summary").inner_text()
                problems.append(f"worked answer does not open: {title!r}")
        page.wait_for_timeout(200)  # late console errors
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
        page.unroute("**/*")
    return problems


@pytest.fixture(scope="module")
def page():
    with browser_page(1280, 900, PAGE_TIMEOUT) as opened:
        yield opened


def test_the_page_check_fails_on_a_broken_page(tmp_path, page):
    (tmp_path / "good.html").write_text('<html><body><p id="here">here</p></body></html>')
    (tmp_path / "broken.html").write_text(
        '<html><body><img src="missing.png"><a href="nowhere.html">x</a>'
        '<a href="good.html#not-there">y</a><a href="good.html#here">z</a>'
        '<details class="solution"><summary>Worked answer</summary></details>'
        '<script>console.error("boom")</script>'
        '<img src="https://example.com/x.png"></body></html>')
    with _serving(tmp_path) as url:
        problems = check_page(page, url + "broken.html", _Links())
        assert check_page(page, url + "good.html", _Links()) == []
    joined = "\n".join(problems)
    for expected in ["console error: boom", "image does not load: missing.png",
                     "nowhere.html does not resolve", "no element with id 'not-there'",
                     "worked answer does not open: 'Worked answer'",
                     "request leaves the machine: https://example.com/x.png",
                     "HTTP 404"]:
        assert expected in joined, f"{expected!r} not found in:\n{joined}"
    assert "'here'" not in joined


def test_the_book_builds_without_warnings_and_every_page_works(tmp_path_factory, page):
    html_dir = book.build(tmp_path_factory.mktemp("book"))
    pages = sorted(path.relative_to(html_dir).as_posix() for path in html_dir.glob("*.html"))
    expected = {"index.html", "results.html", "teaching.html", "original.html", "package.html",
                "api.html",
                *[f"{path.stem}.html" for path in NOTEBOOKS]}
    assert expected <= set(pages), f"pages missing: {sorted(expected - set(pages))}"
    links = _Links()
    problems = {}
    with _serving(html_dir) as url:
        for name in pages:
            found = check_page(page, url + name, links)
            if found:
                problems[name] = found
            if name == "01_concepts.html":
                # The equations are MathML, drawn by the browser itself.
                sizes = page.evaluate(
                    "() => [...document.querySelectorAll('math')]"
                    "   .map(m => m.getBoundingClientRect().width)")
                assert len(sizes) > 20 and min(sizes) > 0
            if name == "index.html":
                sidebar = page.locator("nav.bd-docs-nav a").all_inner_texts()
                titles = [title(path) for path in NOTEBOOKS]
                assert [text for text in sidebar if text in titles] == titles
        folded = {}
        for path in LESSONS:
            page.goto(url + f"{path.stem}.html")
            folded[path.stem] = page.locator("details.solution").count()
        # The search runs in the page, on the index the build wrote.
        page.goto(url + "search.html?q=forget+gate")
        page.wait_for_function(
            "() => document.querySelectorAll('#search-results li').length > 0")
        assert "01 · What an LSTM computes" in page.locator("#search-results").inner_text()
        # The search page goes on fetching excerpts; leave it before the server stops, or a
        # fetch cut off by the shutdown is logged as a console error on the next page.
        page.wait_for_load_state("networkidle")
        page.goto("about:blank")
    # Opened as a file (make book, then the landing page in a browser), the course is there.
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto((html_dir / "index.html").as_uri())
    assert page.locator("h1").first.inner_text().startswith("sinelib: LSTM sine prediction")
    page.locator("nav.bd-docs-nav a", has_text="02 · Memorising a 1 Hz sine").click()
    page.wait_for_url("**/03_memorising_1hz.html")
    assert page.locator("details.solution").count() >= 4 and errors == []
    assert problems == {}, "\n".join(f"{name}: {problem}" for name, found in problems.items()
                                     for problem in found)
    assert all(count >= 4 for count in folded.values()), folded


def test_the_questionnaires_answers_are_folded_after_it():
    def md(text):
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    lesson = [md("# 99 · A lesson"), md("## Exercises"), md("**1. Write it.**"),
              md("## Questionnaire\n\n1. Why?\n2. How?"), md("## What we learned")]
    solutions = {"cells": [md("# Answers"), md("## 1. Write it\nLike so."),
                           md("## Questionnaire\n\n1. Because.\n2. So.")]}
    cells = book.with_answers(lesson, solutions, "99_lesson.ipynb")
    texts = [_text(cell) for cell in cells]
    asked = texts.index("## Questionnaire\n\n1. Why?\n2. How?")
    assert "Answers to the questionnaire" in texts[asked + 1]
    assert texts[asked + 2] == "1. Because.\n2. So." and texts[-1] == "## What we learned"
    assert all("Because" not in text for text in texts[:asked])  # not inside exercise 1's fold
    with pytest.raises(ValueError, match="do not answer"):
        book.with_answers(lesson, {"cells": solutions["cells"][:2]}, "99_lesson.ipynb")
