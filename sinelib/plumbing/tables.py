"""Tables as text: rows of strings (the header first) as Markdown, which notebooks display, or
as aligned plain text, which the command line prints."""

from __future__ import annotations

from sinelib.plumbing.arguments import shown


def _require_rows(rows) -> None:
    if not isinstance(rows, list) or not rows or any(
            not isinstance(row, list) or len(row) != len(rows[0]) for row in rows):
        raise ValueError(f"rows must be a non-empty list of equally long lists (header first), "
                         f"got {shown(rows)}")


def to_text(rows: list[list[str]]) -> str:
    """Aligned plain-text table (first row is the header)."""
    _require_rows(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def to_markdown(rows: list[list[str]]) -> str:
    """GitHub-flavoured Markdown table (first row is the header)."""
    _require_rows(rows)
    escape = lambda cell: cell.replace("|", "\\|")
    lines = ["| " + " | ".join(escape(c) for c in rows[0]) + " |",
             "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows[1:]]
    return "\n".join(lines)
