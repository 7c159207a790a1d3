"""Pure functions of a training history: what the original's claims need from a loss curve.

A history is a list of rows as ``training.train`` records them (``history.HISTORY_COLUMNS``):
one row every 100 steps with the displayed minibatch loss (``train_loss``, a summed loss), and
the held-out loss on some rows. No TensorFlow here: these run on shipped CSV files.
"""

from __future__ import annotations

import numpy as np


def train_losses(history: list[dict], *, max_examples: int | None = None,
                     last_steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The displayed minibatch losses of a history, optionally restricted.

    Args:
        history: Rows of a training history.
        max_examples: Keep rows with at most this many examples (e.g. the original's budget).
        last_steps: Keep rows within this many steps of the last row (after
            ``max_examples``).

    Returns:
        ``(examples, losses)``: int and float arrays of equal length.

    Raises:
        ValueError: ``last_steps`` is not positive, or no displayed loss is left.
    """
    rows = [row for row in history if row.get("train_loss") is not None]
    if max_examples is not None:
        rows = [row for row in rows if row["examples"] <= max_examples]
    if last_steps is not None:
        if last_steps <= 0:
            raise ValueError(f"last_steps must be positive, got {last_steps!r}")
        if rows:
            final = rows[-1]["step"]
            rows = [row for row in rows if row["step"] > final - last_steps]
    if not rows:
        raise ValueError("the history has no displayed loss in the requested range")
    examples = np.array([row["examples"] for row in rows], dtype=np.int64)
    losses = np.array([row["train_loss"] for row in rows], dtype=np.float64)
    return examples, losses


def value_spread(losses) -> dict:
    """How much a run of loss values varies: ``{"n", "min", "q25", "median", "q75", "max",
    "std", "iqr", "range", "max_over_min", "iqr_over_median"}`` (the ratios are unitless)."""
    losses = np.asarray(losses, dtype=float)
    q25, median, q75 = np.percentile(losses, [25, 50, 75])
    low, high = float(losses.min()), float(losses.max())
    return {
        "n": int(losses.size), "min": low, "q25": float(q25), "median": float(median),
        "q75": float(q75), "max": high, "std": float(losses.std()),
        "iqr": float(q75 - q25), "range": high - low,
        "max_over_min": high / low if low > 0 else float("inf"),
        "iqr_over_median": float((q75 - q25) / median) if median > 0 else float("inf"),
    }


def loss_spread(history: list[dict], last_steps: int = 2000,
                max_examples: int | None = None) -> dict:
    """How much the displayed minibatch loss varies over the last ``last_steps`` steps.

    The original's "vary wildly" as numbers: the spread of the values it would have printed.

    Args:
        history: Rows of a training history.
        last_steps: Window at the end of the run, in steps (2000 steps = 20 displayed values).
        max_examples: Cut the history here first (e.g. at the budget).

    Returns:
        ``value_spread`` of those values, in the original's units.
    """
    _, losses = train_losses(history, max_examples=max_examples, last_steps=last_steps)
    return value_spread(losses)


def best_train_loss(history: list[dict], max_examples: int | None = None) -> tuple[float, int]:
    """The lowest displayed minibatch loss and the examples at which it was shown.

    Args:
        history: Rows of a training history.
        max_examples: Only look at rows up to this many examples (e.g. the original's budget).

    Returns:
        ``(loss, examples)``.
    """
    examples, losses = train_losses(history, max_examples=max_examples)
    index = int(np.argmin(losses))
    return float(losses[index]), int(examples[index])


def first_at_or_below(history: list[dict], threshold: float) -> int | None:
    """Examples at which the displayed loss was first at or below ``threshold`` (or ``None``)."""
    examples, losses = train_losses(history)
    hits = np.flatnonzero(losses <= threshold)
    return int(examples[hits[0]]) if hits.size else None


def heldout_losses(history: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """``(examples, losses)`` of the rows where the held-out loss was measured."""
    rows = [row for row in history if row.get("heldout_loss") is not None]
    return (np.array([row["examples"] for row in rows], dtype=np.int64),
            np.array([row["heldout_loss"] for row in rows], dtype=np.float64))


def stall_ratio(history: list[dict], window_examples: int) -> float:
    """Median displayed loss over the last window divided by the median over the one before.

    Near 1 means the loss has stopped falling ("convergence effectively stops"); 0.5 means it
    halved from one window to the next.

    Raises:
        ValueError: the history is shorter than two windows.
    """
    examples, losses = train_losses(history)
    end = int(examples[-1])
    if end < 2 * window_examples:
        raise ValueError(
            f"the history covers {end} examples, fewer than two windows of {window_examples}"
        )
    last = losses[examples > end - window_examples]
    before = losses[(examples > end - 2 * window_examples) & (examples <= end - window_examples)]
    return float(np.median(last) / np.median(before))


def seed_spread(losses) -> dict:
    """Mean, sample standard deviation (n - 1), minimum and maximum of per-summed losses.

    Args:
        losses: One held-out loss per seed, at least one, all finite.

    Returns:
        ``{"n", "mean", "std", "min", "max"}``; ``std`` is NaN for a single seed.
    """
    values = np.asarray(losses, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"losses must be a non-empty sequence of finite numbers, got {losses!r}")
    return {"n": int(values.size), "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if values.size > 1 else float("nan"),
            "min": float(values.min()), "max": float(values.max())}


def spread_text(spread: dict | None, seeds: bool = True) -> str:
    """``mean ± std (min–max, n seeds)`` of a ``seed_spread``, or "-" for none.

    Args:
        spread: ``seed_spread`` output, or ``None``.
        seeds: Say how many seeds (``False``: ``mean ± std (min–max)``, a lone seed's value).
    """
    if not spread:
        return "-"
    if spread["n"] == 1:
        return f"{spread['mean']:.3g}" + (" (1 seed)" if seeds else "")
    count = f", {spread['n']} seeds" if seeds else ""
    return (f"{spread['mean']:.3g} ± {spread['std']:.2g} ({spread['min']:.3g}–"
            f"{spread['max']:.3g}{count})")
