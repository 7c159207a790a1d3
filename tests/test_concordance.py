"""The concordance in docs/original.md: one table per script of the original, every item that
changes the numbers, each with a name that exists in sinelib and a verdict that says same or
differs (and, where it differs, what measures it)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import sinelib
from sinelib.experiments import Experiment

DOC = Path(__file__).resolve().parent.parent / "docs" / "original.md"

#: The original's scripts at the commit the concordance cites.
SCRIPTS = ("tf-recurrent-sin.py", "tf-recurrent-sin-2.py", "tf-recurrent-sin-3.py",
           "tf-recurrent-sin-4.py", "tf-recurrent-sin-5.py", "tf-recurrent-sin-5.1.py",
           "tf-recurrent-sin-6.py")
#: The items that change the numbers, in every table.
ITEMS = ("frequency", "shift", "spacing", "lengths", "random draws", "batch",
         "budget, and how it is counted", "loss", "optimizer", "decay", "clipping", "cell",
         "cell initialisers", "read-out initialisers", "output read", "static or dynamic",
         "display", "stopping rule")


def _tables() -> dict[str, list[list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Line by line", 1)[1].split("\n## ", 1)[0]
    tables = {}
    for block in section.split("\n### ")[1:]:
        heading, _, body = block.partition("\n")
        script = re.match(r"`([^`]+)`", heading)[1]
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
                for line in body.splitlines() if line.startswith("| ")]
        tables[script] = rows[1:]  # without the header
    return tables


def test_one_table_per_script_with_every_item():
    tables = _tables()
    assert tuple(tables) == SCRIPTS
    for script, rows in tables.items():
        items = [row[0] for row in rows]
        missing = [item for item in ITEMS if item not in items]
        assert not missing, f"{script}: no row for {missing}"
        for item, original, port, verdict in rows:
            assert re.search(r"lines? \d+|none", original), f"{script} {item}: no line cited"
            assert verdict.startswith(("same", "differs", "beyond", "see the", "the cap")), \
                f"{script} {item}: verdict {verdict!r}"
            if "differs" in verdict:
                assert "Measured" in verdict, f"{script} {item}: a difference with no measure"


def _resolves(name: str) -> bool:
    """Whether ``name`` (``Experiment.n_in``, ``data.SHIFT_RANGE``, ``readout_bias_init``) is a
    field, a module attribute or a function of sinelib."""
    head, _, rest = name.partition(".")
    if head == "Experiment":
        return rest.split()[0] in Experiment.__dataclass_fields__
    if not rest:
        return head in Experiment.__dataclass_fields__ or hasattr(sinelib, head)
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):  # the longest module path first
        try:
            target = importlib.import_module("sinelib." + ".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute, None)
        return target is not None
    return False


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_name_in_the_port_column_exists(script):
    for item, _, port, _ in _tables()[script]:
        for name in re.findall(r"`([^`]+)`", port):
            if name.startswith(("keras.", "STOP_")) or "(" in name or "=" in name:
                continue
            assert _resolves(name), f"{script} {item}: {name} is not a name in sinelib"
