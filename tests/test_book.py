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
import struct
import threading
import urllib.error
import urllib.request
import zlib
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
    assert "Run here, it opens" not in _text(out[1])  # no setting stored, none claimed
    assert "notebooks/02_x.ipynb" in _text(out[1])
    # A lesson's page links to the explorer's page; only that page shows the screenshot.
    assert f"]({book.EXPLORER_NOTEBOOK})" in _text(out[1])
    assert book.SCREENSHOT not in _text(out[1])
    assert (ROOT / "notebooks" / book.EXPLORER_NOTEBOOK).is_file()
    own = _text(book.static_cells(cells, book.EXPLORER_NOTEBOOK)[1])
    assert f"]({book.SCREENSHOT})" in own and "experiment 2 just above" in own
    assert out[2]["outputs"][0]["data"] == {"text/plain": "exp1: 100%|#####| 200/200"}
    assert book.WIDGET in cells[1]["outputs"][0]["data"], "the input cells are not changed"
    # The note says where this page's explorer opens, and that the picture is another setting.
    cells[0]["outputs"][0]["data"]["text/plain"] = (
        "Explorer('exp5', frequency=1, shift=0, amplitude=1, offset=0, noise=0)")
    note = _text(book.static_cells(cells, "08_x.ipynb")[1])
    assert "Run here, it opens on `exp5` at 1 Hz." in note


def test_the_playground_gives_way_to_its_screenshot_and_how_to_run_it():
    cells = [{"cell_type": "code", "metadata": {}, "source": "app", "outputs": [
        {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
         "data": {book.WIDGET: {"model_id": "a"},
                  "text/plain": "Playground(LSTM 1 x 150, 25 -> 50, step 0)"}}]}]
    out = book.static_cells(cells, "15_playground.ipynb")
    assert out[0]["outputs"] == [], "the widget's text is not shown as if it were output"
    note = _text(out[1])
    assert "make playground" in note and "make lab" in note
    assert f"]({book.PLAYGROUND_SCREENSHOT})" in note
    assert (ROOT / book.PLAYGROUND_SCREENSHOT).is_file()


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
    # The overview only: how the book and the explorer are built and tested stays in the README.
    assert "### " not in text and "tests/test_book.py" not in text
    if "`notebooks/solutions/`" in readme:
        assert "`notebooks/solutions/` (on these pages: folded under each exercise" in text
    assert "](notebooks/" not in text
    toc = re.search(r"```\{toctree\}\n:caption: The course\n:hidden:\n\n(.*?)```", text, re.S)
    assert toc[1].split() == [path.stem for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert f"]({path.name})" in text
    reference = re.search(r"```\{toctree\}\n:caption: Reference\n:hidden:\n\n(.*?)```", text,
                          re.S)
    assert reference[1].split() == ["results", "teaching", "original", "package", "api"]


def test_the_api_pages_list_every_module_once_by_part():
    pages = book.api_pages()
    documented = [name for text in pages.values()
                  for name in re.findall(r"\.\. automodule:: (\S+)", text)]
    assert sorted(documented) == sorted(book._modules())
    assert "sinelib.data" in documented and "sinelib.plumbing.runs" in documented
    assert not set(book.API_EXCLUDED) & set(documented)
    assert "automodule" not in pages["api.md"]
    toc = re.search(r"```\{toctree\}\n:maxdepth: 1\n\n(.*?)```", pages["api.md"], re.S)
    assert toc[1].split() == [name[:-3] for name in pages if name != "api.md"]
    assert "api-core.md" in pages and "api-plumbing.md" in pages
    assert ".. automodule:: sinelib.plumbing.runs" in pages["api-plumbing.md"]
    assert ".. automodule:: sinelib.plumbing.runs" not in pages["api-study.md"]


def test_staging_writes_the_book_and_removes_what_is_gone(tmp_path):
    stale = tmp_path / "99_gone.ipynb"
    stale.write_text("{}")
    book.stage(tmp_path)
    assert not stale.exists()
    for name in ["index.md", "results.md", "teaching.md", "original.md", "package.md",
                 *book.api_pages(),
                 book.SCREENSHOT, book.PLAYGROUND_SCREENSHOT,
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


# ---------------------------------------------------------------------------------- layout

#: The sizes a student reads the book at: a laptop and a phone (CSS pixels).
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: Milliseconds the theme's sidebars take to slide away when the window narrows (its CSS
#: transitions take 0.2 s).
SLIDE_MS = 400
#: The smallest text a figure may be drawn with, in CSS pixels, unless a click opens it full
#: size.
MIN_TEXT_PX = 9
#: The smallest font the package's figures use (``fontsize=7`` in ``sinelib/plots.py``), in
#: points; at the resolution a PNG records (matplotlib writes it), 7 pt is 7 * dpi / 72 pixels.
SMALLEST_FONT_PT = 7
#: The resolution assumed for a PNG that records none (a browser's screenshot): one CSS pixel.
DEFAULT_DPI = 96


def png_dpi(data: bytes) -> float:
    """The resolution a PNG records (its ``pHYs`` chunk), or ``DEFAULT_DPI``."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return DEFAULT_DPI
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"pHYs":
            per_unit, _, unit = struct.unpack(">IIB", data[position + 8:position + 17])
            return per_unit * 0.0254 if unit == 1 else DEFAULT_DPI
        if kind in (b"IDAT", b"IEND"):
            break
        position += 12 + length
    return DEFAULT_DPI


_LAYOUT = """() => {
    const problems = [];
    const article = document.querySelector('article') || document.body;
    // A Markdown table printed as text: a paragraph of pipes.
    for (const p of article.querySelectorAll('p')) {
        const text = p.textContent.trim();
        if (text.startsWith('|')) {
            problems.push('raw Markdown table: ' + text.slice(0, 60));
        }
    }
    // The page scrolls sideways: name what sticks out (code blocks and tables scroll inside
    // themselves, so they never do).
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width) {
        const out = [...document.body.querySelectorAll('*')].filter(e => {
            const box = e.getBoundingClientRect();
            return box.right > width + 1 && box.width > 0 && !e.closest('dialog')
                && ![...e.children].some(c => c.getBoundingClientRect().right > width + 1);
        });
        const names = out.slice(0, 3).map(e => '<' + e.tagName.toLowerCase() + '> '
            + (e.textContent || '').trim().slice(0, 50));
        problems.push('page is ' + document.documentElement.scrollWidth + ' px wide in a '
            + width + ' px window: ' + names.join('; '));
    }
    // The page contents: every entry fits its sidebar (a long name breaks, never cut off).
    for (const nav of document.querySelectorAll('nav.page-toc, nav.bd-docs-nav')) {
        const sidebar = (nav.closest('.bd-sidebar-secondary, .bd-sidebar-primary') || nav)
            .getBoundingClientRect();
        if (sidebar.width === 0 || sidebar.left >= document.documentElement.clientWidth - 1
                || sidebar.right <= 0) {
            continue;  // a narrow window keeps the sidebar off screen until a button opens it
        }
        const right = Math.min(nav.getBoundingClientRect().right, sidebar.right,
                               document.documentElement.clientWidth);
        const cut = [...nav.querySelectorAll('a')]
            .filter(a => a.checkVisibility({visibilityProperty: true})
            && (a.getBoundingClientRect().right > right + 1 || a.scrollWidth > a.clientWidth + 1));
        if (cut.length) {
            problems.push(cut.length + ' entries of the page contents are cut off: '
                + cut.slice(0, 3).map(a => a.textContent.trim()).join(', '));
        }
    }
    // Aligned equations: in each column of an mtable the cells' contents line up on the
    // side the column is aligned to.
    for (const table of article.querySelectorAll('mtable')) {
        const columns = {};
        for (const row of table.querySelectorAll(':scope > mtr')) {
            [...row.children].forEach((cell, index) => {
                const align = cell.getAttribute('columnalign');
                if (!align || align === 'center' || !cell.childNodes.length) return;
                const range = document.createRange();
                range.selectNodeContents(cell);
                const box = range.getBoundingClientRect();
                if (box.width === 0) return;
                (columns[index] = columns[index] || []).push(align === 'left' ? box.left
                                                                                : box.right);
            });
        }
        for (const [index, edges] of Object.entries(columns)) {
            const spread = Math.max(...edges) - Math.min(...edges);
            if (spread > 1) {
                problems.push('equation column ' + index + ' is not aligned: its rows start '
                    + 'or end ' + spread.toFixed(0) + ' px apart');
            }
        }
    }
    return problems;
}"""

_FIGURES = """() => [...(document.querySelector('article') || document.body)
        .querySelectorAll('img')].map(image => {
    const link = image.closest('a[href]');
    return {src: image.src, drawn: image.getBoundingClientRect().width,
            natural: image.naturalWidth, link: link ? link.href : null};
})"""


def layout_problems(page) -> list[str]:
    """What a reader of the open page meets at its current size (nothing: ``[]``): a Markdown
    table printed as pipes, a page wider than the window, an equation whose rows do not line
    up, a figure whose smallest text is drawn under ``MIN_TEXT_PX`` and which no click opens
    full size."""
    problems = page.evaluate(_LAYOUT)
    for figure in page.evaluate(_FIGURES):
        if not figure["natural"] or figure["link"] == figure["src"]:
            continue
        with urllib.request.urlopen(figure["src"], timeout=10) as response:
            dpi = png_dpi(response.read())
        text = SMALLEST_FONT_PT * dpi / 72 * figure["drawn"] / figure["natural"]
        if text < MIN_TEXT_PX:
            problems.append(f"figure {figure['src'].rsplit('/', 1)[-1]} is drawn at "
                            f"{figure['drawn']:.0f} of its {figure['natural']} px: its "
                            f"{SMALLEST_FONT_PT} pt text is {text:.1f} px, and a click does "
                            f"not open it full size")
    return problems


def menu_problem(page) -> str | None:
    """On a narrow window: the menu button a reader sees opens the chapter list (the
    sidebar's links become visible); what goes wrong otherwise (``None``: it opens)."""
    toggles = page.locator("button.primary-toggle:visible")
    if toggles.count() == 0:
        return "no visible menu button"
    toggles.first.click()
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('nav.bd-docs-nav a')].some(a => {"
            "    const box = a.getBoundingClientRect();"
            "    return a.checkVisibility() && box.width > 0 && box.left >= 0"
            "        && box.right <= document.documentElement.clientWidth; })",
            timeout=3000)
    except PlaywrightTimeout:
        return "the menu button does not open the chapter list"
    return None


def build_folder_problem(page) -> str | None:
    """The page shows the path of the folder the book was built in (a constant's value, a
    default argument): what it shows (``None``: it does not)."""
    text = page.locator("body").inner_text()
    lines = [line.strip() for line in text.splitlines() if str(ROOT) in line]
    return f"shows the build folder's path: {lines[0][:120]!r}" if lines else None


@pytest.fixture(scope="module")
def page():
    with browser_page(LAPTOP["width"], LAPTOP["height"], PAGE_TIMEOUT) as opened:
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


def _png(width: int, height: int, dpi: float) -> bytes:
    """A grey PNG of ``width`` x ``height`` pixels that records ``dpi``, as matplotlib's do."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    per_metre = round(dpi / 0.0254)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


_EQUATIONS = ("<math display='block'><mtable>"
              "<mtr><mtd columnalign='right'><mi>z</mi></mtd><mtd columnalign='left'><mo>=</mo>"
              "<mi>x</mi><mo>+</mo><mi>y</mi><mo>+</mo><mi>w</mi></mtd></mtr>"
              "<mtr><mtd columnalign='right'><mi>a</mi><mi>b</mi><mi>c</mi></mtd>"
              "<mtd columnalign='left'><mo>=</mo><mi>x</mi></mtd></mtr></mtable></math>")


def test_the_layout_checks_fail_on_a_broken_page(tmp_path, page):
    (tmp_path / "figure.png").write_bytes(_png(1200, 40, 100))
    (tmp_path / "broken.html").write_text(
        "<html><body><article>"
        "<p>| held-out set | summed loss |</p><p>|---|---|</p>"
        f"<p><code style='white-space: nowrap'>{'/a/long/path' * 60}</code></p>"
        "<img src='figure.png' style='width: 300px'>"
        f"{_EQUATIONS}"
        f"<p>ATLAS_PATH = PosixPath('{ROOT}/sinelib/pretrained/atlas.json')</p>"
        "<button class='primary-toggle'>menu</button>"
        "<nav class='bd-docs-nav' style='display: none'><a href='#'>01</a></nav>"
        "</article><nav class='page-toc' style='width: 100px; overflow: hidden'>"
        "<a href='#' style='display: block; white-space: nowrap'>"
        "sinelib.exercises.build_it_yourself</a></nav></body></html>")
    (tmp_path / "good.html").write_text(
        "<html><head><style>mtd[columnalign=right] { text-align: -webkit-right; }"
        "mtd[columnalign=left] { text-align: left; } nav { display: none; }"
        "nav.open { display: block; }</style></head><body><article>"
        "<table><tr><td>held-out set</td><td>summed loss</td></tr></table>"
        f"<p><code>{'/a/long/path ' * 60}</code></p>"
        "<a href='figure.png'><img src='figure.png' style='width: 300px'></a>"
        "<img src='figure.png' style='width: 1200px; max-width: none'>"
        f"{_EQUATIONS}<p>ATLAS_PATH</p>"
        "<button class='primary-toggle' onclick=\"document.querySelector('nav')"
        ".classList.add('open')\">menu</button>"
        "<nav class='bd-docs-nav'><a href='#'>01</a></nav>"
        "</article><nav class='page-toc' style='width: 100px'><a href='#' "
        "style='display: block; overflow-wrap: anywhere'>sinelib.exercises.build_it_yourself"
        "</a></nav></body></html>")
    with _serving(tmp_path) as url:
        page.set_viewport_size(PHONE)
        try:
            page.goto(url + "broken.html")
            problems = layout_problems(page) + [build_folder_problem(page), menu_problem(page)]
            page.goto(url + "good.html")
            page.set_viewport_size(LAPTOP)  # the full-size figure fits a laptop's window
            good = layout_problems(page) + [build_folder_problem(page)]
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(SLIDE_MS)
            good.append(menu_problem(page))
        finally:
            page.set_viewport_size(LAPTOP)
    joined = "\n".join(str(problem) for problem in problems)
    for expected in ["raw Markdown table: | held-out set | summed loss |",
                     "raw Markdown table: |---|---|",
                     "px wide in a 390 px window: <code> /a/long/path",
                     "figure figure.png is drawn at 300 of its 1200 px: its 7 pt text is 2.4 px",
                     "equation column 1 is not aligned", "equation column 0 is not aligned",
                     f"shows the build folder's path: \"ATLAS_PATH = PosixPath('{ROOT}/sinelib",
                     "the menu button does not open the chapter list",
                     "1 entries of the page contents are cut off: "
                     "sinelib.exercises.build_it_yourself"]:
        assert expected in joined, f"{expected!r} not found in:\n{joined}"
    assert [problem for problem in good if problem] == [], good


def test_the_book_builds_without_warnings_and_every_page_works(tmp_path_factory, page):
    html_dir = book.build(tmp_path_factory.mktemp("book"))
    pages = sorted(path.relative_to(html_dir).as_posix() for path in html_dir.glob("*.html"))
    expected = {"index.html", "results.html", "teaching.html", "original.html", "package.html",
                "api.html", *[f"{name[:-3]}.html" for name in book.api_pages()],
                *[f"{path.stem}.html" for path in NOTEBOOKS]}
    assert expected <= set(pages), f"pages missing: {sorted(expected - set(pages))}"
    links = _Links()
    problems = {}
    with _serving(html_dir) as url:
        for name in pages:
            found = check_page(page, url + name, links)
            # What a reader sees, on a laptop and on a phone (the worked answers are open).
            found += [f"at {LAPTOP['width']} px: {problem}" for problem in layout_problems(page)]
            found += [problem for problem in [build_folder_problem(page)] if problem]
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(SLIDE_MS)
            try:
                found += [f"at {PHONE['width']} px: {problem}"
                          for problem in [*layout_problems(page), menu_problem(page)] if problem]
            finally:
                page.set_viewport_size(LAPTOP)
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
        # The search page goes on fetching excerpts; leave it before the server stops, or a
        # fetch cut off by the shutdown is logged as a console error on the next page.
        page.wait_for_load_state("networkidle")
        # The page that explains the forget gate comes first.
        found = page.locator("#search-results li > a").all_inner_texts()
        assert found[0] == "01 · What an LSTM computes", found
        page.goto("about:blank")
    # Opened as a file (make book, then the landing page in a browser), the course is there.
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto((html_dir / "index.html").as_uri())
    assert page.locator("h1").first.inner_text().startswith("sinelib: LSTM sine prediction")
    memorising = ROOT / "notebooks" / "03_memorising_1hz.ipynb"
    page.locator("nav.bd-docs-nav a", has_text=title(memorising)).click()
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
