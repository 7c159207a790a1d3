"""Where a claim of the original does not hold for our run, the measurements that say why.

Each criterion declared for an experiment (``sinelib.study.declarations``) may explain the numbers
behind its verdict (``criteria.Criterion.explain``); ``explain`` joins those words into one
paragraph. Every number comes from the run and the runs it is compared with, and every
conclusion is conditional on what they show, so the text stays true when the weights are
retrained. The notebooks print it below their checked claims.
"""

from __future__ import annotations

import re

from sinelib.study.criteria import Criterion, Sources
from sinelib.study.declarations import get_study
from sinelib.training import Run
from sinelib.study.records import shipped_run, shipped_sources


def explain(run: Run | str, sources: Sources | None = None,
            kind: type[Criterion] | None = None, bullets: bool = False) -> str:
    """Why the run differs from the original where it does, from the run and its controls.

    Args:
        run: A ``Run`` or an experiment name (its shipped run).
        sources: Where the criteria find the runs they compare with; default the shipped files.
        kind: Only the words of the criteria of this class (e.g. ``criteria.OriginalGraph``,
            the comparison with the original's TF1 graph).
        bullets: A Markdown list instead of a paragraph: one item per criterion, and one
            sub-item per seed where a criterion lists seeds ("...; seed 1: ...").

    Returns:
        A paragraph of plain text (or a Markdown list), or ``""`` when no criterion (of ``kind``)
        needs words. Where
        the port meets the original's claims (experiments 1, 2 and 3), only the comparison
        with the original's TF1 graph has any.

    Raises:
        ValueError: no study is declared for the run's experiment.
    """
    if not isinstance(run, Run):
        run = shipped_run(run)
    sources = shipped_sources() if sources is None else sources
    texts = (criterion.explain(run, sources) for criterion in get_study(run.experiment.slug).criteria
             if kind is None or isinstance(criterion, kind))
    texts = [text for text in texts if text]
    if bullets:
        return "\n".join(as_bullet(text) for text in texts)
    return " ".join(texts)


def as_bullet(text: str) -> str:
    """One criterion's words as a Markdown list item, a list of seeds ("seed 0: ...; seed 1:
    ...") as its sub-items."""
    parts = re.split(r"(: |; |\. )(?=seed \d+: )", text)
    if len(parts) == 1:
        return f"- {text}"
    head = parts[0] + ("." if parts[1] == ". " else ":")
    *seeds, last = parts[2::2]
    # The last seed's words run on to the end of their sentence; what follows is the item's.
    tail = ""
    match = re.search(r"\. (?=[A-Z\"])", last)
    if match:
        last, tail = last[:match.start()], last[match.end():]
    items = "\n".join(f"  - {seed.rstrip('.')}" for seed in [*seeds, last])
    return f"- {head}\n{items}" + (f"\n\n  {tail}" if tail else "")
