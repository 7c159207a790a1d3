"""Sphinx configuration of the course's book (``make book``; ``book/build.py`` writes the
sources and runs Sphinx with this folder as its configuration folder).

The toolchain is Jupyter Book 1's, used as a plain Sphinx project: MyST-NB reads the committed
notebooks with their stored outputs and never executes them, the Sphinx Book Theme gives the
sidebar of pages in reading order, and autodoc with Napoleon turns ``sinelib``'s Google-style
docstrings into the API page. Everything the pages load is served from the build folder, so the
book builds and reads offline: notebook 01's equations are turned into MathML at build time.
"""


import html
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.util import logging

logger = logging.getLogger(__name__)

project = "sinelib"
html_title = "LSTM sine prediction, from TensorFlow 1 to Keras 3"
author = "the sinelib authors"
copyright = "the sinelib authors"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]

# The notebooks are read with the outputs `make notebooks` stored: the book never runs them.
nb_execution_mode = "off"
# A progress bar's stored text is what a reader of the saved notebook sees; render it, and
# the figures, in the order the notebook stored them.
nb_merge_streams = True
# A notebook's Markdown output (the claims and results tables ``to_markdown`` prints) is read
# as MyST, the Markdown of the pages themselves: its pipe tables become tables. MyST-NB's
# default, CommonMark, knows no tables and would print the pipes as a paragraph.
nb_render_markdown_format = "myst"
myst_enable_extensions = ["dollarmath", "colon_fence"]
# Headings of every page get anchors, so that a link to a section resolves.
myst_heading_anchors = 3

# The original notebooks travel with the book as downloads only (``{download}`` links on
# every page), never as pages of their own.
exclude_patterns = ["_notebooks"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Types go beside the arguments a docstring describes. A dataclass documents its fields under
# "Attributes:"; without this its constructor's parameters would list them a second time.
autodoc_typehints_description_target = "documented"
# A default is shown as written (``path=ATLAS_PATH``), never as its value, which would be a
# path of the machine the book was built on.
autodoc_preserve_defaults = True
# The page contents name a function by its own name; the module is the heading above it.
toc_object_entries_show_parents = "hide"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# A class's "Attributes:" become fields of the class, not entries that a dataclass's own
# fields would describe a second time.
napoleon_use_ivar = True

html_theme = "sphinx_book_theme"
# One search box: the one in the page's header (the theme would add a second to the sidebar).
html_sidebars = {"**": ["navbar-logo.html", "sbt-sidebar-nav.html"]}
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
# The reader's system setting picks light or dark (without a mode the theme logs an error on
# a first visit).
html_context = {"default_mode": "auto"}
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
html_css_files = ["book.css"]
# book.js: the menu buttons on a narrow screen, and figures that open full size on a click.
html_js_files = ["book.js"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None

# Math becomes MathML when the book is built (latex2mathml), which browsers draw natively: no
# script, no web font, nothing fetched from elsewhere.
html_math_renderer = "mathml"


def _mathml(latex: str, display: bool) -> str:
    # latex2mathml reads align* but not aligned, the same alignment inside display math.
    latex = latex.replace(r"\begin{aligned}", r"\begin{align*}")
    latex = latex.replace(r"\end{aligned}", r"\end{align*}")
    return convert(latex, display="block" if display else "inline")


def _render(self, node, display: bool) -> None:
    try:
        markup = _mathml(node.astext(), display)
    except Exception as error:  # latex2mathml raises plain exceptions on TeX it cannot read
        logger.warning(f"cannot turn this math into MathML ({error}): {node.astext()!r}",
                       location=node)
        markup = f"<code>{html.escape(node.astext())}</code>"
    self.body.append(f'<div class="math-display">{markup}</div>' if display else markup)
    raise nodes.SkipNode


def _visit_math(self, node):
    _render(self, node, display=False)


def _visit_displaymath(self, node):
    _render(self, node, display=True)


# A module constant's ``#:`` comment is prose ("Largest run seed: a 32-bit seed, ..."), which
# Napoleon would cut at its first colon into a type and a description. The comment is kept
# as written: saved before Napoleon (priority 500) sees it and put back after.
_PROSE = ("data", "attribute")
_comments = {}


def _save_comment(app, what, name, obj, options, lines):
    if what in _PROSE:
        _comments[name] = list(lines)


def _restore_comment(app, what, name, obj, options, lines):
    if what in _PROSE:
        lines[:] = _comments.pop(name)


# The folder the book is built in (the repository). A page that shows it (a constant's value,
# a default argument) tells the reader about the build machine, not about the course.
_BUILD_FOLDER = str(Path(__file__).resolve().parents[1])


def _refuse_build_folder(app, doctree, docname):
    for text in doctree.findall(nodes.Text):
        if _BUILD_FOLDER in text:
            logger.warning(f"{docname} shows the build folder's path {_BUILD_FOLDER} "
                           f"({str(text)[:120]!r}); a docstring's ``:meta hide-value:`` hides a "
                           f"constant's value", location=text.parent)


def setup(app):
    app.connect("doctree-resolved", _refuse_build_folder)
    app.connect("autodoc-process-docstring", _save_comment, priority=400)
    app.connect("autodoc-process-docstring", _restore_comment, priority=600)
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
