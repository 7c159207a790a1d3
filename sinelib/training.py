"""The one training loop, for every experiment.

Experiments differ only by their registry record: size, input length, horizon, frequency
rule, learning rate and decay, clipping, budget and stopping rule. The loop follows the
original's protocol (``docs/original.md``):

* a fresh minibatch of ``exp.batch_size`` windows for every Adam step; step ``k`` of a run
  seeded ``s`` always sees the same batch, so a resumed run continues the same random stream;
* Adam (``epsilon=1e-8``, TF1's default) on the summed loss, with element-wise gradient
  clipping where the experiment has it;
* every 100 steps the minibatch loss after the update is displayed and recorded, and the
  stopping rule looks at it;
* every ``eval_every`` steps the loss on a fixed held-out set is recorded too;
* every ``checkpoint_every`` steps, on interrupt and at the end, a checkpoint is written
  atomically into the run folder; ``resume=True`` continues from it. A run folder belongs to
  one live run at a time (``sinelib.runs``).

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

from sinelib import backend, schedules
from sinelib.checks import check_bool, check_non_negative_int, check_positive_int, shown
from sinelib.data import HELDOUT_SIZE, training_batch
from sinelib.evaluation import evaluate, heldout_loss
from sinelib.experiments import DISPLAY_EVERY_STEPS, Experiment, get_experiment
from sinelib.losses import summed_loss, summed_loss_tensor
from sinelib.models import MAX_SEED, build_model, predict, weights_finite
from sinelib.runs import run_folder_lock, start_or_resume

#: TF1's AdamOptimizer default; Keras defaults to 1e-7.
ADAM_EPSILON = 1e-8


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        model: The trained Keras model.
        experiment: The experiment trained.
        seed: The run's seed.
        steps: Adam steps taken in total (including before a resume).
        stop_reason: Which rule ended the run (see ``sinelib.schedules``).
        history: One dict per displayed step (``history.HISTORY_COLUMNS``), losses in the
            original's unit (summed loss).
        metrics: ``evaluate`` on the held-out sets at the end.
        elapsed_s: Wall time of training and evaluation in seconds, summed over resumes.
        out_dir: Where checkpoints and history were written, or ``None``.
        step_variant: How the training step ran: ``{"unroll": bool, "jit_compile": bool}``
            (``STEP_VARIANTS``). Every variant computes the same update, but each rounds its own
            way, so a run repeats its numbers exactly only with the same variant on a machine
            that computes alike.
    """

    model: object
    experiment: Experiment
    seed: int
    steps: int
    stop_reason: str
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    elapsed_s: float = 0.0
    out_dir: Path | None = None
    step_variant: dict = field(default_factory=dict)

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
            "final_train_loss": _last(self.history, "train_loss"),
            "step_variant": dict(self.step_variant),
        }


def _last(history: list[dict], column: str):
    for row in reversed(history):
        if row.get(column) is not None:
            return row[column]
    return None


def make_optimizer(exp: Experiment, model):
    """The experiment's Adam optimizer, built for ``model``'s trainable variables.

    Args:
        exp: The experiment (the rate of its first update, clipping).
        model: A model from ``build_model(exp)``.

    Returns:
        A built ``keras.optimizers.Adam`` with TF1's epsilon and ``exp.clip_value``'s
        element-wise clipping.
    """
    keras = backend.keras()

    kwargs = {"clipvalue": exp.clip_value} if exp.clip_value is not None else {}
    # A float rate (not a schedule) so the step decay can assign a new one between steps.
    optimizer = keras.optimizers.Adam(
        learning_rate=schedules.update_rate(exp, 1), epsilon=ADAM_EPSILON, name="adam",
        **kwargs
    )
    optimizer.build(model.trainable_variables)
    return optimizer


#: The ways of running the training step that ``step_plan`` chooses from; each computes the
#: same update, the recurrence unrolled or looped, compiled by XLA or not (``make bench``
#: measures these and more, see ``sinelib.tools.benchmark``).
STEP_VARIANTS = {
    "loop": {"unroll": False, "jit_compile": False},
    "unroll": {"unroll": True, "jit_compile": False},
    "loop-xla": {"unroll": False, "jit_compile": True},
}
#: Longest input ``train`` unrolls; longer ones run the symbolic loop (measured, see step_plan).
UNROLL_MAX_INPUT = 50
#: Stacked networks up to this many units a layer train fastest with XLA (measured, step_plan).
XLA_MAX_UNITS = 16


def step_plan(exp: Experiment) -> dict:
    """The step variant ``train`` uses for ``exp``: the fastest one measured by ``make bench``.

    Measured on a quiet machine (BENCHMARKS.md): for the 25-sample inputs the unrolled graph
    was fastest or within noise of it, and 1.5x faster than the symbolic loop for the 4 x 32
    stack of experiment 5; for the 4 x 10 stack XLA on the symbolic loop was fastest (3.9 ms
    against 5.2 unrolled and 9.1 looped); for the 100-sample inputs of experiments 1 and 2 the
    loop was as fast as the unrolled graph and starts faster. Every variant computes the same
    function with the same weights; only the float rounding differs.

    Returns:
        A copy of one ``STEP_VARIANTS`` entry: ``{"unroll": bool, "jit_compile": bool}``.
    """
    if exp.n_layers > 1 and exp.n_hidden <= XLA_MAX_UNITS:
        return dict(STEP_VARIANTS["loop-xla"])
    return dict(STEP_VARIANTS["loop" if exp.n_in > UNROLL_MAX_INPUT else "unroll"])


def chosen_variant(exp: Experiment, unroll: bool | None, jit_compile: bool | None) -> dict:
    """The step variant a run uses: ``step_plan(exp)`` unless the caller says otherwise.

    An explicit ``unroll`` replaces the plan and runs without XLA unless ``jit_compile`` is
    given too (the unrolled graph under XLA was never measured fast, and compiles for minutes).
    """
    if unroll is None:
        variant = step_plan(exp)
    else:
        variant = {"unroll": unroll, "jit_compile": False}
    if jit_compile is not None:
        variant["jit_compile"] = jit_compile
    return variant


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


def _check_arguments(seed, steps, out_dir, resume, eval_every, checkpoint_every,
                     heldout_size, progress, callback, unroll, jit_compile) -> Path | None:
    """Refuse bad ``train`` arguments by name, before any folder is made; returns ``out_dir``
    as a Path (or ``None``)."""
    if check_non_negative_int("seed", seed) > MAX_SEED:
        raise ValueError(f"seed must be at most {MAX_SEED}, got {seed}")
    if steps is not None:
        check_positive_int("steps", steps)
    eval_every = check_positive_int("eval_every", eval_every)
    if eval_every % DISPLAY_EVERY_STEPS:
        raise ValueError(
            f"eval_every must be a multiple of {DISPLAY_EVERY_STEPS}, got {eval_every}"
        )
    check_positive_int("checkpoint_every", checkpoint_every)
    check_positive_int("heldout_size", heldout_size)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {shown(callback)}")
    resume = check_bool("resume", resume)
    check_bool("progress", progress)
    if unroll is not None:
        check_bool("unroll", unroll)
    if jit_compile is not None:
        check_bool("jit_compile", jit_compile)
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


class _ProgressBar:
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


def _end_run(exp, reason, step, displayed_loss, history, checkpoint, last_saved, model,
             optimizer):
    """The ``(stop reason, step, history)`` a run ends with, after its last checkpoint.

    Weights that blew up since the last display count as a divergence too. A divergence is
    warned about and the last checkpoint restored where there is one; any other end saves a
    checkpoint of the last step.
    """
    if reason != schedules.STOP_DIVERGED and not weights_finite(model):
        # The loss is looked at every 100 steps; the weights may have blown up since.
        reason, displayed_loss = schedules.STOP_DIVERGED, math.nan
    if reason == schedules.STOP_DIVERGED:
        message = f"{exp.slug}: the loss became {displayed_loss} by step {step}; training stopped"
        if checkpoint is not None and checkpoint.path.exists():
            state = checkpoint.load(model, optimizer)
            step, history = state["step"], state["history"]
            message += f" and the model was restored from the checkpoint at step {step}"
        # stacklevel 3: the warning points at the code that called train.
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    elif checkpoint is not None and step != last_saved:
        checkpoint.save(model, optimizer, step, displayed_loss, history)
    return reason, step, history


def train(exp: Experiment | str, *, seed: int = 0, steps: int | None = None,
          out_dir: str | Path | None = None, resume: bool = False,
          eval_every: int = 1000, checkpoint_every: int = 1000,
          heldout_size: int = HELDOUT_SIZE, progress: bool = True, callback=None,
          unroll: bool | None = None, jit_compile: bool | None = None) -> TrainResult:
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
            fastest measured variant. Either way the weights are the same network's.
        jit_compile: Compile the step with XLA; ``None`` follows the plan, or runs without XLA
            when ``unroll`` is given (``chosen_variant``). To repeat a shipped run's numbers,
            pass the ``step_variant`` its manifest records.

    Returns:
        A ``TrainResult``; its ``stop_reason`` (a ``sinelib.schedules`` constant) says which
        rule ended the run.
    """
    exp = get_experiment(exp)
    out_dir = _check_arguments(seed, steps, out_dir, resume, eval_every, checkpoint_every,
                               heldout_size, progress, callback, unroll, jit_compile)
    with run_folder_lock(out_dir):
        variant = chosen_variant(exp, unroll, jit_compile)
        model = build_model(exp, seed=seed, unroll=variant["unroll"])
        optimizer = make_optimizer(exp, model)
        train_step = make_train_step(model, optimizer, jit_compile=variant["jit_compile"])
        checkpoint, (step, displayed_loss, history) = start_or_resume(
            out_dir, exp, seed, resume, steps, model, optimizer)
        log = _Recorder(exp, history, callback)
        if not history:
            log.record(0, schedules.update_rate(exp, 1), None,
                       heldout_loss(model, exp, heldout_size), elapsed=0.0)
        bar, last_saved, rate_set = _ProgressBar(exp, steps, step, progress), step, None
        try:
            while (reason := schedules.stop_reason(exp, step * exp.batch_size, displayed_loss,
                                                   steps)) is None:
                rate = schedules.update_rate(exp, step + 1)  # the original's step counts from 1
                if rate != rate_set:  # assigning the variable every step would cost time
                    optimizer.learning_rate.assign(rate)
                    rate_set = rate
                x, y = training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out,
                                      exp.frequency)
                train_step(x, y)
                step += 1
                if step % DISPLAY_EVERY_STEPS:
                    continue
                # Like the original code: the displayed loss is the current minibatch's,
                # evaluated after the update.
                displayed_loss = summed_loss(y, predict(model, x))
                if not math.isfinite(displayed_loss):
                    reason = schedules.STOP_DIVERGED
                    break
                log.record(step, rate, displayed_loss, heldout_loss(model, exp, heldout_size)
                           if step % eval_every == 0 else None)
                bar.show(step, displayed_loss, rate)
                if checkpoint is not None and step - last_saved >= checkpoint_every:
                    checkpoint.save(model, optimizer, step, displayed_loss, history)
                    last_saved = step
        except KeyboardInterrupt:
            reason = schedules.STOP_INTERRUPTED
        finally:
            bar.close(step)
        reason, step, history = _end_run(exp, reason, step, displayed_loss, history, checkpoint,
                                         last_saved, model, optimizer)
    return TrainResult(model=model, experiment=exp, seed=seed, steps=step, stop_reason=reason,
                       history=history, metrics=evaluate(model, exp, size=heldout_size),
                       elapsed_s=log.elapsed(), out_dir=out_dir, step_variant=variant)
