"""Every PNG in ``figures/`` and every generated block of the README, from the shipped files.

``python -m sinelib figures`` (``make figures``) redraws the figures from the shipped weights,
histories and control runs; ``python -m sinelib readme`` rewrites the README's generated
blocks (the ledger, the original's numbers beside ours, the claims), so no measured number
is ever typed into the README by hand. Both are deterministic: the same shipped files give the
same bytes. Which figures an experiment gets beyond its own two (the controls its training
curve overlays, the clipping figures, the figures of what is inside networks) follows its
study's declaration: no experiment is named here.

The plotting and evaluation modules are imported where they are used: they load Matplotlib
and TensorFlow, which the README blocks do not need.
"""

from __future__ import annotations

import re
from pathlib import Path

from sinelib import plots
from sinelib.cells import network_weights
from sinelib.data import heldout_windows, sample_windows
from sinelib.evaluation import loss_by_frequency
from sinelib.experiments import EXPERIMENTS
from sinelib.internals import gate_saturation, gradient_norms_through_time, state_pca
from sinelib.plumbing.pretrained import load_manifest, load_pretrained
from sinelib.plumbing.tables import to_markdown
from sinelib.study import plots as study_plots
from sinelib.study.atlas import AUTOREGRESSIVE, NETWORK, load_atlas
from sinelib.study.autoregressive import AR_BASE
from sinelib.study.claims import all_claims
from sinelib.study.course import course_rows, meeting_rows
from sinelib.study.declarations import CONTROLS, STUDIES
from sinelib.study.explanations import explain
from sinelib.study.records import (
    all_seed_spreads, all_tf1_spreads, clipping_off_runs, control_run, overlay_histories,
    seed_runs, shipped_run, tf1_runs,
)
from sinelib.study.tables import (
    baseline_rows, experiment_rows, horizon_rows, ledger_rows, quote_rows, spread_rows,
)

#: Resolution of every saved figure.
DPI = 100
#: Metadata Matplotlib would otherwise stamp into each PNG (its version): left out so the
#: bytes depend on the drawing only.
_PNG_METADATA = {"Software": None}


def save_figure(figure, path: str | Path, dpi: int = DPI) -> Path:
    """Save a Figure as a PNG without version metadata; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, metadata=_PNG_METADATA)
    return path


#: The frequencies at which the README draws the hidden state of the networks whose study
#: declares the ``"state"`` figure.
STATE_FREQUENCIES = (0.5, 1.0, 2.0, 3.0)
#: Window length and recurrent scales of the gradient-through-time figure (``"gradient"``).
GRADIENT_STEPS, GRADIENT_SCALES = 300, (0.5, 1.5)


def drawn_in(figure: str) -> list[str]:
    """The experiments whose study declares ``figure`` (``Study.figures``), in registry
    order."""
    return [slug for slug, study in STUDIES.items() if figure in study.figures]


def figure_set() -> dict:
    """Every figure of the README, by file name: a dict of name to a function drawing it."""
    models: dict = {}

    def model(slug):
        if slug not in models:
            models[slug] = load_pretrained(slug)
        return models[slug]

    def label(slug):
        return f"{EXPERIMENTS[slug].original_id} ({slug})"

    def curve(slug):
        return plots.plot_training_curve(shipped_run(slug).history, slug,
                                         others=overlay_histories(slug))

    def clipping_seeds(slug):
        return study_plots.plot_loss_spread(
            {**{f"clipped, seed {run.seed}": run.history for run in seed_runs(slug)},
             **{f"unclipped, seed {run.seed}": run.history for run in clipping_off_runs(slug)}},
            title=f"Experiment {EXPERIMENTS[slug].original_id}'s displayed loss at the end, "
                  f"every seed, with and without clipping")

    def clipping_spread(slug, unclipped):
        return study_plots.plot_loss_spread(
            {f"with clipping ({slug})": shipped_run(slug).history,
             f"{CONTROLS[unclipped].label} (control)": control_run(unclipped).history})

    def error_vs_frequency():
        curves = {label(slug) + (" at 1 Hz only" if EXPERIMENTS[slug].frequency else ""):
                  loss_by_frequency(model(slug), slug) for slug in EXPERIMENTS}
        return plots.plot_error_vs_frequency(
            curves, unit="mse", title="Held-out per-point MSE against frequency")

    def gradient_through_time():
        [network] = drawn_in("gradient")
        exp = EXPERIMENTS[network]
        x, _ = sample_windows(20, GRADIENT_STEPS, 1, seed=0)
        _, y = sample_windows(20, exp.n_in, exp.n_out, seed=1)
        weights = network_weights(model(network))
        curves = {f"{label(network)}, trained": gradient_norms_through_time(weights, x, y)}
        curves.update({f"recurrent weights x{scale:g}": gradient_norms_through_time(
            weights.scaled(scale), x, y) for scale in GRADIENT_SCALES})
        return plots.plot_gradient_norms(
            curves, title=f"The gradient carried back through {GRADIENT_STEPS} steps")

    drawings = {}
    for slug in EXPERIMENTS:
        drawings[f"{slug}-predictions.png"] = (
            lambda slug=slug: plots.plot_predictions(model(slug), slug))
        drawings[f"{slug}-training.png"] = lambda slug=slug: curve(slug)
    drawings["predictions-grid.png"] = lambda: study_plots.plot_prediction_grid(
        {label(slug): (model(slug), slug) for slug in EXPERIMENTS})
    drawings["training-grid.png"] = lambda: study_plots.plot_curve_grid(
        {label(slug): (shipped_run(slug).history, slug) for slug in EXPERIMENTS})
    drawings["error-vs-frequency.png"] = error_vs_frequency
    drawings["seed-spread.png"] = lambda: study_plots.plot_seed_spread(
        {label(slug): ([run.metrics["loss"] for run in seed_runs(slug)],
                       EXPERIMENTS[slug].reported.loss) for slug in EXPERIMENTS},
        tf1={label(slug): [run.metrics["loss"] for run in runs]
             for slug in EXPERIMENTS if (runs := tf1_runs(slug))},
        title="Held-out loss of every seed: the port and the original's TF1 graph")
    for slug, study in STUDIES.items():
        unclipped = study.clipping_off()
        if unclipped:
            drawings[f"{slug}-clipping-seeds.png"] = (
                lambda slug=slug: clipping_seeds(slug))
            drawings[f"{slug}-clipping-spread.png"] = (
                lambda slug=slug, unclipped=unclipped: clipping_spread(slug, unclipped[0]))
    for view in ("frequency", "horizon", "noise"):
        drawings[f"atlas-{view}.png"] = (
            lambda view=view: study_plots.plot_atlas(load_atlas(), view))
    drawings["autoregressive-horizon.png"] = lambda: study_plots.plot_atlas(
        load_atlas(), "horizon", experiments=[AR_BASE], ncols=1)
    drawings["state-pca.png"] = lambda: plots.plot_state_pca(
        {label(slug): state_pca(model(slug), STATE_FREQUENCIES) for slug in drawn_in("state")},
        title="Hidden state while reading a 3 s sine, on its first two principal components")
    drawings["gate-saturation.png"] = lambda: plots.plot_gate_saturation(
        {label(slug): gate_saturation(model(slug), heldout_windows(
            EXPERIMENTS[slug].n_in, EXPERIMENTS[slug].n_out, EXPERIMENTS[slug].frequency,
            size=200)[0]) for slug in drawn_in("gates")},
        title="Share of gate values saturated (below 0.05 or above 0.95) on held-out windows")
    drawings["gradient-through-time.png"] = gradient_through_time
    return drawings


def write_figures(directory: str | Path = "figures", names=None) -> list[Path]:
    """Draw and save the README's figures.

    Args:
        directory: Destination folder (created if needed).
        names: File names to draw (default: all of ``figure_set()``).

    Returns:
        The paths written.
    """
    drawings = figure_set()
    names = list(drawings) if names is None else list(names)
    unknown = sorted(set(names) - set(drawings))
    if unknown:
        raise ValueError(f"unknown figures {unknown}; known: {', '.join(drawings)}")
    return [save_figure(drawings[name](), Path(directory) / name) for name in names]


# --- README blocks -----------------------------------------------------------------------------

_BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)",
                    re.DOTALL)


#: Where a claim judged at several seeds starts the numbers of its next seed.
_NEXT_SEED = re.compile(r"; (?=seed \d+: )")


def claims_block(claims) -> str:
    """The claims as a Markdown list, one line each: the experiment, the statement and the
    verdict, then the numbers behind it. A claim judged on one run gives them in brackets; one
    judged at several seeds gives them folded (an HTML ``<details>`` element, which GitHub and
    the book open on a click), one line per seed, so that the list reads as verdicts first."""
    lines = []
    for claim in claims:
        head = f"- **{claim.experiment}**: {claim.statement}: **{claim.shown_verdict}**"
        seeds = _NEXT_SEED.split(claim.measured)
        if not claim.basis or len(seeds) < 2:
            lines.append(f"{head} ({claim.measured})")
            continue
        lines += [head, "", "  <details><summary>the numbers at each seed</summary>", "",
                  *[f"  - {seed}" for seed in seeds], "", "  </details>", ""]
    return "\n".join(lines).rstrip("\n")


def readme_blocks(notebooks) -> dict[str, str]:
    """The README's generated blocks, by name: the registry (``experiments``), ``ledger``,
    ``quotes``, ``claims``, ``why``, the seed ``spread``, ``baselines``, ``autoregressive``,
    and the ``course`` (the notebooks in ``notebooks`` with their measured run times)."""
    manifests = {slug: load_manifest(slug) for slug in EXPERIMENTS}
    claims = claims_block(all_claims())
    why = "\n".join(f"- **{EXPERIMENTS[slug].original_id} ({slug})**\n"
                    + "\n".join(f"  {line}" if line else "" for line in text.splitlines())
                    for slug in EXPERIMENTS if (text := explain(slug, bullets=True)))
    ledger = to_markdown(ledger_rows(manifests, all_seed_spreads(), all_tf1_spreads()))
    atlas = load_atlas()
    return {"ledger": ledger, "quotes": to_markdown(quote_rows()),
            "claims": claims, "why": why,
            "experiments": to_markdown(experiment_rows()),
            "spread": to_markdown(spread_rows({slug: seed_runs(slug) for slug in EXPERIMENTS},
                                              {slug: tf1_runs(slug) for slug in EXPERIMENTS})),
            "baselines": to_markdown(baseline_rows(atlas)),
            "course": to_markdown(course_rows(notebooks)),
            "meetings": to_markdown(meeting_rows(notebooks)),
            "autoregressive": to_markdown(horizon_rows(
                atlas, AR_BASE, [NETWORK, AUTOREGRESSIVE, "linear", "analytic"]))}


#: Where each generated block lives: the README keeps the registry and the course table; the
#: results page (``docs/results.md``) the rest.
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "README.md": ("experiments", "course"),
    "docs/results.md": ("quotes", "ledger", "claims", "why", "spread", "baselines",
                        "autoregressive"),
    "docs/teaching.md": ("meetings",),
}


def update_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` with the body of every ``<!-- generated:NAME -->`` block replaced; ``blocks``
    are the ones this document holds.

    Raises:
        ValueError: a block in ``text`` has no generated content, or a generated block is
            missing from ``text``.
    """
    found = {match["name"] for match in _BLOCK.finditer(text)}
    missing, unknown = set(blocks) - found, found - set(blocks)
    if missing or unknown:
        raise ValueError(f"generated blocks do not match: missing {sorted(missing)}, unknown "
                         f"{sorted(unknown)}")
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m["name"]] + "\n" + m.group(4), text)


def updated_documents(root) -> dict[Path, tuple[str, str]]:
    """Every document with generated blocks (``DOCUMENTS``) under the repository ``root``:
    ``{path: (text now, text with its blocks regenerated)}``."""
    root = Path(root)
    blocks = readme_blocks(root / "notebooks")
    placed = [name for names in DOCUMENTS.values() for name in names]
    if sorted(placed) != sorted(blocks):
        raise ValueError(f"each generated block lives in one document: {sorted(blocks)} are "
                         f"generated, {sorted(placed)} placed")
    documents = {}
    for name, names in DOCUMENTS.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        documents[path] = (text, update_blocks(text, {key: blocks[key] for key in names}))
    return documents
