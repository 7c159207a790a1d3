"""Training with a live loss curve: the notebooks' ``TRAIN = True`` path and their demos.

``LiveLossPlot`` is a ``training.train`` callback: it collects the history rows as they come
(every 100 steps) and redraws the training curve of ``plots.draw_training_curve`` in one
notebook output, at most every ``min_interval_s`` seconds. Outside a notebook it only
collects. ``train_live`` wires it to ``train`` beside train's own progress bar.

Matplotlib is imported when the first plot is made (it is slow to import), and IPython only
where a notebook shows the figure (it is an optional dependency: the ``notebooks`` extra).
"""

from __future__ import annotations

import time

from sinelib.plumbing.arguments import require_bool, require_number, require_positive_int
from sinelib.experiments import Experiment, get_experiment
from sinelib.plots import draw_training_curve
from sinelib.training import train


def _in_notebook() -> bool:
    """Whether this runs in a notebook kernel (not a terminal IPython, not plain Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ != "TerminalInteractiveShell"


class LiveLossPlot:
    """A training callback that keeps a loss curve up to date in a notebook.

    Args:
        exp: The experiment being trained (for the original's marks on the curve).
        min_interval_s: Redraw at most this often; each redraw renders a PNG.
        display: Show the figure; ``None`` shows it only inside a notebook.
        marks: Mark the original's numbers, target, budget and learning-rate steps.
        total_examples: Where the run is planned to end: the examples axis spans it from the
            start (a short demo is not squashed against the budget line); ``None`` fits the
            axis to the data and the marks.

    Raises:
        ValueError: an unknown experiment, a negative or non-finite ``min_interval_s``, a
            ``display`` or ``marks`` that is not a bool, or a ``total_examples`` that is not a
            positive integer.

    Attributes:
        history: The rows received so far.
        figure: The Matplotlib figure redrawn in place.
        redraws: How many times the figure was drawn.
    """

    def __init__(self, exp: Experiment | str, *, min_interval_s: float = 2.0,
                 display: bool | None = None, marks: bool = True,
                 total_examples: int | None = None):
        from matplotlib.figure import Figure

        self.exp = get_experiment(exp)
        self.min_interval_s = require_number("min_interval_s", min_interval_s, 0.0)
        self.display = _in_notebook() if display is None else require_bool("display", display)
        self.marks = require_bool("marks", marks)
        self.total_examples = (None if total_examples is None
                               else require_positive_int("total_examples", total_examples))
        self.history: list[dict] = []
        self.figure = Figure(figsize=(7, 3.2), layout="constrained")
        self.ax = self.figure.subplots()
        self.redraws = 0
        self._handle = None
        self._last_draw = float("-inf")

    def __call__(self, row: dict) -> None:
        """Receive one history row; redraw if ``min_interval_s`` has passed."""
        self.history.append(dict(row))
        if time.monotonic() - self._last_draw >= self.min_interval_s:
            self.draw()

    def draw(self) -> None:
        """Redraw the curve from the rows received so far and update the notebook output."""
        self.ax.clear()
        if any(row.get("train_loss") is not None or row.get("heldout_loss") is not None
               for row in self.history):
            draw_training_curve(self.ax, self.history, self.exp, marks=self.marks)
        last = self.history[-1] if self.history else {}
        if self.total_examples is not None:
            right = max(self.total_examples, last.get("examples", 0))
            self.ax.set_xlim(-0.02 * right, 1.02 * right)
        self._legend_of_what_is_in_view()
        self.ax.set_title(f"{self.exp.original_id}: {self.exp.title}, live: step "
                          f"{last.get('step', 0)}, {last.get('examples', 0)} examples",
                          fontsize=9)
        self.redraws += 1
        self._last_draw = time.monotonic()
        if self.display:
            from IPython.display import display

            if self._handle is None:
                self._handle = display(self.figure, display_id=True)
            else:
                self._handle.update(self.figure)

    def _legend_of_what_is_in_view(self) -> None:
        """A legend of the lines and marks inside the examples axis only: a short run's axis
        ends long before the budget line, and a mark beyond it has nothing to label. (A
        horizontal mark is always in view: Matplotlib widens the loss axis to hold it.)"""
        if self.ax.get_legend() is not None:
            self.ax.get_legend().remove()
        low, high = sorted(self.ax.get_xlim())
        x_in_data = (self.ax.transData, self.ax.get_xaxis_transform(which="grid"))
        shown = [(handle, label)
                 for handle, label in zip(*self.ax.get_legend_handles_labels())
                 if not any(handle.get_transform() is t for t in x_in_data)
                 or any(low <= x <= high for x in handle.get_xdata())]
        if shown:
            self.ax.legend(*zip(*shown), fontsize=7, loc="upper right")

    def close(self, run=None) -> None:
        """Draw the final state (call when training has ended): with the ``Run`` the training
        returned, its last step is added where the history (a row every 100 steps) ends
        before it, so the figure ends where the progress bar does."""
        if run is not None and (not self.history or self.history[-1]["step"] < run.steps):
            self.history.append({"step": run.steps,
                                 "examples": run.steps * self.exp.batch_size,
                                 "train_loss": None, "heldout_loss": None})
        self.draw()


def train_live(exp: Experiment | str, *, min_interval_s: float = 2.0, display=None, **kwargs):
    """``training.train`` with a progress bar and a live loss curve.

    Args:
        exp: The experiment (or its name).
        min_interval_s: Redraw the curve at most this often.
        display: Show the curve (``None``: only inside a notebook).
        **kwargs: Passed to ``train`` (``seed``, ``steps``, ``eval_every``, ...); a
            ``callback`` given here is called too.

    Returns:
        The ``Run``.
    """
    exp = get_experiment(exp)
    steps = kwargs.get("steps")
    total = (steps if steps is not None else exp.budget_steps) * exp.batch_size
    plot = LiveLossPlot(exp, min_interval_s=min_interval_s, display=display,
                        total_examples=total)
    extra = kwargs.pop("callback", None)

    def callback(row):
        plot(row)
        if extra is not None:
            extra(row)

    run = None
    try:
        run = train(plot.exp, callback=callback, **kwargs)
        return run
    finally:
        plot.close(run)  # the last redraw, whether training ended or was stopped by an error
