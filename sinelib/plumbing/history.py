"""A training history: one row per displayed step, as ``training.train`` records it.

Rows hold the columns ``HISTORY_COLUMNS``: the step, the examples seen, the learning rate the
steps were taken with, the displayed minibatch loss (``train_loss``), the held-out loss (on
the rows where it was measured, else ``None``) and the wall time. Runs ship their history as
CSV beside their weights; these are the functions that write, read and query it.
"""

from __future__ import annotations

import csv
import io

from sinelib.plumbing.arguments import shown

#: Columns of a training history.
HISTORY_COLUMNS = ("step", "examples", "learning_rate", "train_loss", "heldout_loss", "elapsed_s")


def history_to_csv(history: list[dict]) -> str:
    """Render a history as CSV text (empty cells where a value was not measured)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in HISTORY_COLUMNS})
    return buffer.getvalue()


def history_from_csv(text: str) -> list[dict]:
    """Parse ``history_to_csv`` output back into rows of numbers and ``None``."""
    if not isinstance(text, str):
        raise ValueError(f"history must be CSV text, got {shown(text)}")
    rows = []
    for line, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        row = {}
        for key in HISTORY_COLUMNS:
            value = raw.get(key, "")
            try:
                if value in ("", None):
                    row[key] = None
                elif key in ("step", "examples"):
                    row[key] = int(value)
                else:
                    row[key] = float(value)
            except ValueError:
                raise ValueError(f"history line {line}: {key} must be a number, got "
                                 f"{shown(value)}") from None
        rows.append(row)
    return rows


def learning_rate_changes(history: list[dict]) -> list[tuple[int, float]]:
    """Where the learning rate changed: ``(examples, new rate)`` for each step of the decay.

    A row's rate is its last update's (``schedules.update_rate``), so a change shows on the first
    row at or after the update that stepped down, and is placed at that row's example count:
    exactly at the decay where it falls on a displayed step (experiment 5.1: 250000), up to
    one display interval after it otherwise (experiment 6 steps down at 250048 examples, shown
    at 256000).
    """
    changes = []
    previous = None
    for row in history:
        rate = row.get("learning_rate")
        if rate is None:
            continue
        if previous is not None and rate != previous:
            changes.append((row["examples"], rate))
        previous = rate
    return changes
