"""The progress bar of a training run: the steps, the training loss, the rate and the speed."""

from __future__ import annotations

import time

from sinelib.experiments import Experiment


class ProgressBar:
    """A tqdm bar over the run's steps showing the displayed loss, the rate and the speed.

    In a notebook tqdm draws a widget, and a notebook saved without widget state shows the
    widget's text as it was when it was first displayed: "0%". So there the bar is displayed
    with a display id and shown once more when it closes, and the saved text is the last one.
    """

    def __init__(self, exp: Experiment, steps: int | None, step: int, enabled: bool):
        from tqdm.auto import tqdm
        from tqdm.notebook import tqdm as notebook_tqdm

        total = steps if steps is not None else exp.budget_steps
        options = dict(total=total, initial=min(step, total), disable=not enabled,
                       unit="step", desc=exp.slug, dynamic_ncols=True)
        self.handle = None
        if issubclass(tqdm, notebook_tqdm) and enabled:
            from IPython.display import display

            self.bar = tqdm(display=False, **options)
            self.handle = display(self.bar.container, display_id=True)
        else:
            self.bar = tqdm(**options)
        self.exp, self.first_step, self.start = exp, step, time.perf_counter()

    def show(self, step: int, loss: float, rate: float) -> None:
        """Move to ``step`` (past the budget: towards the cap) with the loss and rate."""
        if step > self.bar.total:
            self.bar.total = self.exp.cap_steps
        self.bar.update(step - self.bar.n)
        speed = ((step - self.first_step) * self.exp.batch_size
                 / (time.perf_counter() - self.start))
        self.bar.set_postfix(loss=f"{loss:.4g}", lr=f"{rate:.2g}", examples_per_s=f"{speed:.0f}")

    def close(self, step: int) -> None:
        """Move to ``step``, the last one trained (the bar moves only at displayed steps, so a
        run that ends between two of them would otherwise close short of it), and close."""
        if step > self.bar.n:
            self.bar.update(step - self.bar.n)
        self.bar.close()
        if self.handle is not None:
            self.handle.update(self.bar.container)
