"""The one training loop, for every experiment.

Experiments differ only by their registry record: size, input length, horizon, frequency
rule, learning rate and decay, clipping, budget and stopping rule. The loop follows the
original's protocol (``docs/original.md``):

* a fresh minibatch of ``exp.batch_size`` windows for every Adam step; step ``k`` of a run
  seeded ``s`` always sees the same batch, so a resumed run continues the same random stream;
* Adam (``epsilon=1e-8``, TF1's default) on the summed loss, with element-wise gradient
  clipping where the experiment has it;
* every 100 steps the training loss (the loss on that step's minibatch, after the update) is
  displayed and recorded, and the stopping rule looks at it;
* every ``eval_every`` steps the loss on a fixed held-out set is recorded too;
* every ``checkpoint_every`` steps, on interrupt and at the end, a checkpoint is written
  atomically into the run folder; ``resume=True`` continues from it. A run folder belongs to
  one live run at a time (``sinelib.plumbing.runs``).

TensorFlow, Keras and tqdm are imported inside the functions that need them: importing
``sinelib`` stays fast.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sinelib import schedules
from sinelib.data import HELDOUT_SIZE, training_batches
from sinelib.evaluation import evaluate, heldout_loss
from sinelib.experiments import DISPLAY_EVERY_STEPS, Experiment, get_experiment
from sinelib.losses import summed_loss, summed_loss_tensor
from sinelib.models import build_model, predict, weights_finite
from sinelib.plumbing import backend
from sinelib.plumbing.arguments import (
    require_bool, require_number, require_positive_int, require_seed, shown,
)
from sinelib.plumbing.progress import ProgressBar
from sinelib.plumbing.runs import RunFolder, run_folder_lock
from sinelib.plumbing.steps import chosen_variant

#: TF1's AdamOptimizer default; Keras defaults to 1e-7.
ADAM_EPSILON = 1e-8


#: The ``source`` of a run trained in this process.
LIVE = "trained live"


@dataclass
class Run:
    """A finished training run, trained here (``train``) or read from files (the shipped
    weights, a control, the original's TF1 graph: ``sinelib.study.records``).

    Attributes:
        experiment: What was trained (a registered experiment or a control's variant).
        seed: Seed of the initial weights and of every minibatch.
        steps: Adam steps taken in total (including before a resume).
        stop_reason: Which rule ended the run (a ``sinelib.schedules`` constant).
        metrics: ``evaluate`` on the held-out sets at the end (summed loss and per-point MSE).
        history: One dict per displayed step (``history.HISTORY_COLUMNS``), losses in the
            original's unit (summed loss).
        source: Where the run comes from, for captions: ``LIVE``, "shipped", "control
            exp4-noclip", "TF1 graph".
        elapsed_s: Wall time of training and evaluation in seconds, summed over resumes.
        step_variant: How the training step ran: ``{"unroll": bool, "jit_compile": bool}``
            (``plumbing.steps.STEP_VARIANTS``). Every variant computes the same update, but
            each rounds its own way, so a run repeats its numbers exactly only with the same
            variant on a machine that computes alike.
        model: The trained Keras model, for a run trained in this process; else ``None``.
        out_dir: Where checkpoints and history were written, or ``None``.
    """

    experiment: Experiment
    seed: int
    steps: int
    stop_reason: str
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list, repr=False)
    source: str = LIVE
    elapsed_s: float = 0.0
    step_variant: dict = field(default_factory=dict)
    model: object = field(default=None, repr=False)
    out_dir: Path | None = None

    @property
    def examples(self) -> int:
        """Examples consumed: the original's "iterations"."""
        return self.steps * self.experiment.batch_size

    def summary(self) -> dict:
        """Plain data describing the run, for manifests."""
        return {
            "seed": self.seed,
            "steps": self.steps,
            "examples": self.examples,
            "stop_reason": self.stop_reason,
            "elapsed_s": round(self.elapsed_s, 3),
            "train_loss": _last(self.history, "train_loss"),
            "step_variant": dict(self.step_variant),
        }


def _last(history: list[dict], column: str):
    for row in reversed(history):
        if row.get(column) is not None:
            return row[column]
    return None


def make_optimizer(exp: Experiment, model, clip_norm: float | None = None):
    """The experiment's Adam optimizer, built for ``model``'s trainable variables.

    Args:
        exp: The experiment (the rate of its first update, clipping).
        model: A model from ``build_model(exp)``.
        clip_norm: Scale the gradients down, all together, so that their global norm is at
            most this (TF1's ``tf.clip_by_global_norm``); ``None``, the default and every
            experiment's, leaves them. Refused together with ``exp.clip_value``.

    Returns:
        A built ``keras.optimizers.Adam`` with TF1's epsilon and ``exp.clip_value``'s
        element-wise clipping (or ``clip_norm``'s).
    """
    keras = backend.keras()

    kwargs = {"clipvalue": exp.clip_value} if exp.clip_value is not None else {}
    if clip_norm is not None:
        clip_norm = require_number("clip_norm", clip_norm, 0.0, low_open=True)
        if kwargs:
            raise ValueError(f"clip_norm={clip_norm:g} and {exp.slug}'s clip_value="
                             f"{exp.clip_value:g} cannot both clip: choose one")
        kwargs = {"global_clipnorm": clip_norm}
    # A float rate (not a schedule) so the step decay can assign a new one between steps.
    optimizer = keras.optimizers.Adam(
        learning_rate=schedules.update_rate(exp, 1), epsilon=ADAM_EPSILON, name="adam",
        **kwargs
    )
    optimizer.build(model.trainable_variables)
    return optimizer


def make_train_step(model, optimizer, jit_compile: bool = False):
    """A compiled function ``(x, y) -> summed loss before the update`` taking one Adam step.

    ``x`` has shape ``(batch, n_in, 1)``, ``y`` shape ``(batch, n_out)``; the loss is a scalar
    tensor.
    """
    tf = backend.tensorflow()

    variables = model.trainable_variables

    @tf.function(reduce_retracing=True, jit_compile=jit_compile)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = summed_loss_tensor(y, model(x, training=True))
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    return train_step


class _Recorder:
    """Appends history rows, stamps their wall time (summed over resumes), calls the callback."""

    def __init__(self, exp: Experiment, history: list[dict], callback):
        self.exp, self.history, self.callback = exp, history, callback
        self.before = history[-1]["elapsed_s"] if history else 0.0
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return self.before + time.perf_counter() - self.start

    def record(self, step, rate, loss, heldout, elapsed: float | None = None) -> None:
        """Add the row of ``step`` (``history.HISTORY_COLUMNS``)."""
        row = {"step": step, "examples": step * self.exp.batch_size, "learning_rate": rate,
               "train_loss": loss, "heldout_loss": heldout,
               "elapsed_s": round(self.elapsed() if elapsed is None else elapsed, 3)}
        self.history.append(row)
        if self.callback is not None:
            self.callback(dict(row))


def _out_dir(out_dir, resume) -> Path | None:
    """``out_dir`` as a Path (or ``None``), refused by name before any folder is made."""
    if out_dir is None:
        if resume:
            raise ValueError("resume=True needs the out_dir of the run to resume")
        return None
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ValueError(f"out_dir must be a folder path or None, got {shown(out_dir)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {str(out_dir)!r} exists and is not a folder")
    return out_dir


def _restore_after_divergence(folder: RunFolder, model, optimizer, step: int,
                              history: list[dict]) -> tuple[int, list[dict]]:
    """Warn that the run diverged by ``step``, and restore the last checkpoint where there is
    one; returns the ``(step, history)`` the run ends with."""
    message = (f"{folder.exp.slug}: the loss became nan or infinite by step {step}; training "
               f"stopped")
    if folder.has_checkpoint():
        state = folder.load(model, optimizer)
        step, history = state["step"], state["history"]
        message += f" and the model was restored from the checkpoint at step {step}"
    # stacklevel 3: the warning points at the code that called train.
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    return step, history


def train(exp: Experiment | str, *, seed: int = 0, steps: int | None = None,
          out_dir: str | Path | None = None, resume: bool = False,
          eval_every: int = 1000, checkpoint_every: int = 1000,
          heldout_size: int = HELDOUT_SIZE, progress: bool = True, callback=None,
          unroll: bool | None = None, jit_compile: bool | None = None) -> Run:
    """Train one experiment with the original's protocol.

    Args:
        exp: An ``Experiment`` or its name.
        seed: Seeds the initial weights and every minibatch.
        steps: Stop after this many Adam steps (stop reason ``STOP_STEPS``) instead of the
            original's rule; for demos and tests.
        out_dir: Folder for ``checkpoint.npz`` and ``history.csv``; ``None`` writes nothing.
            One live run at a time: a second run on a folder in use is refused.
        resume: Continue from ``out_dir``'s checkpoint when there is one.
        eval_every: Record the held-out loss every this many steps (a multiple of 100).
        checkpoint_every: Write a checkpoint every this many steps.
        heldout_size: Windows in the held-out set.
        progress: Show a progress bar (tqdm; a widget in notebooks).
        callback: Called as ``callback(row)`` with each new history row.
        unroll: Unroll the recurrence while training; ``None`` uses ``step_plan(exp)``, the
            fastest measured variant (``sinelib.plumbing.steps``). Either way the weights are
            the same network's.
        jit_compile: Compile the step with XLA; ``None`` follows the plan, or runs without XLA
            when ``unroll`` is given (``chosen_variant``). To repeat a shipped run's numbers,
            pass the ``step_variant`` its manifest records.

    Returns:
        A ``Run`` holding the trained model; its ``stop_reason`` (a ``sinelib.schedules``
        constant) says which rule ended the run.
    """
    # The arguments are checked here, once: nothing below checks them again.
    exp = get_experiment(exp)
    seed = require_seed(seed)
    stop = schedules.stopping_rule(exp, steps)
    rate_of = schedules.rate_schedule(exp)
    for name, value in (("eval_every", eval_every), ("checkpoint_every", checkpoint_every),
                        ("heldout_size", heldout_size)):
        require_positive_int(name, value)
    if eval_every % DISPLAY_EVERY_STEPS:
        raise ValueError(
            f"eval_every must be a multiple of {DISPLAY_EVERY_STEPS}, got {eval_every}")
    resume, progress = require_bool("resume", resume), require_bool("progress", progress)
    for name, value in (("unroll", unroll), ("jit_compile", jit_compile)):
        if value is not None:
            require_bool(name, value)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {shown(callback)}")
    out_dir = _out_dir(out_dir, resume)

    with run_folder_lock(out_dir):
        variant = chosen_variant(exp, unroll, jit_compile)
        model = build_model(exp, seed=seed, unroll=variant["unroll"])
        optimizer = make_optimizer(exp, model)
        train_step = make_train_step(model, optimizer, jit_compile=variant["jit_compile"])
        folder = RunFolder(out_dir, exp, seed, steps)
        step, train_loss, history = folder.start(resume, model, optimizer)
        log = _Recorder(exp, history, callback)
        if not history:
            log.record(0, rate_of(1), None, heldout_loss(model, exp, heldout_size), elapsed=0.0)
        batches = training_batches(seed, step, exp.batch_size, exp.n_in, exp.n_out,
                                   exp.frequency)
        bar, rate_set = ProgressBar(exp, steps, step, progress), None
        try:
            while (reason := stop(step * exp.batch_size, train_loss)) is None:
                rate = rate_of(step + 1)  # the original counted its updates from 1
                if rate != rate_set:  # assigning the variable every step would cost time
                    optimizer.learning_rate.assign(rate)
                    rate_set = rate
                x, y = next(batches)
                train_step(x, y)
                step += 1
                if step % DISPLAY_EVERY_STEPS:
                    continue
                # Like the original code: the displayed loss is the current minibatch's,
                # evaluated after the update.
                train_loss = summed_loss(y, predict(model, x))
                if not math.isfinite(train_loss):
                    break  # a divergence, judged below
                log.record(step, rate, train_loss, heldout_loss(model, exp, heldout_size)
                           if step % eval_every == 0 else None)
                bar.show(step, train_loss, rate)
                if step - folder.saved_step >= checkpoint_every:
                    folder.save(model, optimizer, step, train_loss, history)
        except KeyboardInterrupt:
            reason = schedules.STOP_INTERRUPTED
        finally:
            bar.close(step)
        # The one divergence check: a non-finite displayed loss ended the loop (no reason),
        # or the weights blew up since the last display (the loss is looked at every 100).
        if reason is None or not weights_finite(model):
            reason = schedules.STOP_DIVERGED
            step, history = _restore_after_divergence(folder, model, optimizer, step, history)
        elif step != folder.saved_step:
            folder.save(model, optimizer, step, train_loss, history)
    return Run(experiment=exp, seed=seed, steps=step, stop_reason=reason,
               metrics=evaluate(model, exp, size=heldout_size), history=history,
               elapsed_s=log.elapsed(), step_variant=variant, model=model, out_dir=out_dir)
