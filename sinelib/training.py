"""The one training loop, for every experiment.

Experiments differ only by their registry record: size, input length, horizon, frequency
rule, learning rate and decay, clipping, budget and stopping rule. The loop follows the seed's
protocol (``../shared/SPEC.md``):

* a fresh minibatch of 50 windows for every Adam step; step ``k`` of a run seeded ``s`` always
  sees the same batch, so a resumed run continues the same random stream;
* Adam (``epsilon=1e-8``, TF1's default) on the seed loss, with element-wise gradient clipping
  where the experiment has it;
* every 100 steps the minibatch loss after the update is displayed and recorded, and the
  stopping rule looks at it;
* every ``eval_every`` steps the loss on a fixed held-out set is recorded too;
* every ``checkpoint_every`` steps, on interrupt and at the end, a checkpoint is written
  atomically; ``resume=True`` continues from it.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sinelib import schedules
from sinelib.checks import check_bool, check_positive_int, shown
from sinelib.data import HELDOUT_SIZE, training_batch
from sinelib.evaluation import evaluate, heldout_loss
from sinelib.experiments import DISPLAY_EVERY_STEPS, Experiment, get_experiment
from sinelib.history import history_to_csv
from sinelib.losses import summed_loss, summed_loss_tensor
from sinelib.models import build_model, predict, weights_finite
from sinelib.storage import (
    assign_arrays, atomic_write_text, load_arrays, save_arrays, variables_to_arrays,
)

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.csv"
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
        history: One dict per displayed step (``HISTORY_COLUMNS``), seed units.
        metrics: ``evaluate`` on the held-out sets at the end.
        elapsed_s: Wall time of training and evaluation in seconds, summed over resumes.
        out_dir: Where checkpoints and history were written, or ``None``.
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

    @property
    def examples(self) -> int:
        """Examples consumed: the seed's "iterations"."""
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
        }


def _last(history: list[dict], column: str):
    for row in reversed(history):
        if row.get(column) is not None:
            return row[column]
    return None


def _make_optimizer(exp: Experiment, model):
    import keras

    kwargs = {"clipvalue": exp.clip_value} if exp.clip_value is not None else {}
    # A float rate (not a schedule) so the step decay can assign a new one between steps.
    optimizer = keras.optimizers.Adam(
        learning_rate=schedules.learning_rate(exp, 0), epsilon=ADAM_EPSILON, name="adam",
        **kwargs
    )
    optimizer.build(model.trainable_variables)
    return optimizer


#: The ways of running the training step that ``make bench`` compares; each computes the same
#: update (the recurrence unrolled or looped, compiled by XLA or not, one step per compiled call
#: or a display interval of 100 steps per call).
#: Longest input ``train`` unrolls; longer ones run the symbolic loop (measured, see step_plan).
UNROLL_MAX_INPUT = 50
#: Stacked networks up to this many units a layer train fastest with XLA (measured, step_plan).
XLA_MAX_UNITS = 16
STEP_VARIANTS = {
    "loop": {"unroll": False, "jit_compile": False, "chunk": False, "threads": None},
    "unroll": {"unroll": True, "jit_compile": False, "chunk": False, "threads": None},
    "loop-xla": {"unroll": False, "jit_compile": True, "chunk": False, "threads": None},
    "unroll-chunk": {"unroll": True, "jit_compile": False, "chunk": True, "threads": None},
    "unroll-1x2": {"unroll": True, "jit_compile": False, "chunk": False, "threads": (1, 2)},
    "loop-1x2": {"unroll": False, "jit_compile": False, "chunk": False, "threads": (1, 2)},
}


def step_plan(exp: Experiment) -> dict:
    """The step variant ``train`` uses for ``exp``: the fastest one measured by ``make bench``.

    Measured on a quiet machine (BENCHMARKS.md): for the 25-sample inputs the unrolled graph
    was fastest or within noise of it, and 1.5x faster than the symbolic loop for the 4 x 32
    stack of experiment 5; for the 4 x 10 stack XLA on the symbolic loop was fastest (3.9 ms
    against 5.2 unrolled and 9.1 looped); for the 100-sample inputs of experiments 1 and 2 the
    loop was as fast as the unrolled graph and starts faster. Every variant computes the same
    function with the same weights; only the float rounding differs.
    """
    if exp.n_layers > 1 and exp.n_hidden <= XLA_MAX_UNITS:
        return dict(STEP_VARIANTS["loop-xla"])
    return dict(STEP_VARIANTS["loop" if exp.n_in > UNROLL_MAX_INPUT else "unroll"])


def make_train_step(model, optimizer, jit_compile: bool = False):
    """A compiled function ``(x, y) -> seed loss before the update`` taking one Adam step."""
    import tensorflow as tf

    variables = model.trainable_variables

    @tf.function(reduce_retracing=True, jit_compile=jit_compile)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = summed_loss_tensor(y, model(x, training=True))
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    return train_step


def make_chunk_step(model, optimizer, jit_compile: bool = False):
    """A compiled function taking several Adam steps in one call.

    It maps ``xs`` of shape ``(k, batch, n_in, 1)``, ``ys`` of shape ``(k, batch, n_out)`` and
    per-step learning rates ``rates`` of shape ``(k,)`` to the ``k`` seed losses before each
    update: the same steps as ``k`` calls of ``make_train_step``'s function, in one call.
    """
    import tensorflow as tf

    variables = model.trainable_variables
    n_in, n_out = model.input_shape[1], model.output_shape[1]
    signature = [tf.TensorSpec((None, None, n_in, 1), tf.float32),
                 tf.TensorSpec((None, None, n_out), tf.float32),
                 tf.TensorSpec((None,), tf.float32)]

    @tf.function(input_signature=signature, jit_compile=jit_compile)
    def train_chunk(xs, ys, rates):
        count = tf.shape(xs)[0]
        losses = tf.TensorArray(tf.float32, size=count)
        for index in tf.range(count):
            optimizer.learning_rate.assign(rates[index])
            with tf.GradientTape() as tape:
                loss = summed_loss_tensor(ys[index], model(xs[index], training=True))
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            losses = losses.write(index, loss)
        return losses.stack()

    return train_chunk


class _Checkpoint:
    """Reads and writes one run's checkpoint (weights, optimizer state, counters, history)."""

    def __init__(self, out_dir: Path, exp: Experiment, seed: int):
        self.path = out_dir / CHECKPOINT_FILE
        self.exp = exp
        self.seed = seed

    def save(self, model, optimizer, step: int, displayed_loss, history: list[dict]) -> None:
        arrays = variables_to_arrays(model.weights, prefix="model/")
        arrays.update(variables_to_arrays(optimizer.variables, prefix="optimizer/"))
        state = {
            "experiment": self.exp.config(),
            "seed": self.seed,
            "step": step,
            "displayed_loss": displayed_loss,
            "history": history,
        }
        arrays["state"] = np.array(json.dumps(state))
        save_arrays(self.path, arrays)
        atomic_write_text(self.path.parent / HISTORY_FILE, history_to_csv(history))

    def load(self, model, optimizer) -> dict:
        arrays = load_arrays(self.path)
        if "state" not in arrays:
            raise ValueError(f"{self.path} is not a sinelib checkpoint (no state record)")
        state = json.loads(str(arrays.pop("state")))
        if state.get("experiment") != self.exp.config():
            raise ValueError(
                f"checkpoint {self.path} was written for a different configuration than "
                f"{self.exp.slug}; start a new run with another out_dir"
            )
        if state.get("seed") != self.seed:
            raise ValueError(
                f"checkpoint {self.path} was written with seed {state.get('seed')}, "
                f"not {self.seed}; resume with --seed {state.get('seed')}"
            )
        assign_arrays(model.weights, arrays, str(self.path), prefix="model/")
        assign_arrays(optimizer.variables, arrays, str(self.path), prefix="optimizer/")
        return state


def _check_out_dir(out_dir) -> Path:
    """``out_dir`` as a Path, or ``ValueError`` if it is not a usable folder path."""
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ValueError(f"out_dir must be a folder path or None, got {shown(out_dir)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {str(out_dir)!r} exists and is not a folder")
    return out_dir


def train(exp: Experiment | str, *, seed: int = 0, steps: int | None = None,
          out_dir: str | Path | None = None, resume: bool = False,
          eval_every: int = 1000, checkpoint_every: int = 1000,
          heldout_size: int = HELDOUT_SIZE, progress: bool = True, callback=None,
          unroll: bool | None = None) -> TrainResult:
    """Train one experiment with the seed's protocol.

    Args:
        exp: An ``Experiment`` or its name.
        seed: Seeds the initial weights and every minibatch.
        steps: Stop after this many Adam steps (stop reason ``"steps"``) instead of the
            seed's rule; for demos and tests.
        out_dir: Folder for ``checkpoint.npz`` and ``history.csv``; ``None`` writes nothing.
        resume: Continue from ``out_dir``'s checkpoint when there is one.
        eval_every: Record the held-out loss every this many steps (a multiple of 100).
        checkpoint_every: Write a checkpoint every this many steps.
        heldout_size: Windows in the held-out set.
        progress: Show a progress bar (tqdm; a widget in notebooks).
        callback: Called as ``callback(row)`` with each new history row.
        unroll: Unroll the recurrence while training; ``None`` uses ``step_plan(exp)``, the
            fastest measured variant. Either way the weights are the same network's.

    Returns:
        A ``TrainResult``; its ``stop_reason`` says which rule ended the run.
    """
    from tqdm.auto import tqdm

    exp = get_experiment(exp)
    if steps is not None:
        steps = check_positive_int("steps", steps)
    eval_every = check_positive_int("eval_every", eval_every)
    if eval_every % DISPLAY_EVERY_STEPS:
        raise ValueError(
            f"eval_every must be a multiple of {DISPLAY_EVERY_STEPS}, got {eval_every}"
        )
    checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
    heldout_size = check_positive_int("heldout_size", heldout_size)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {shown(callback)}")
    resume = check_bool("resume", resume)
    check_bool("progress", progress)
    if out_dir is not None:
        out_dir = _check_out_dir(out_dir)
    if resume and out_dir is None:
        raise ValueError("resume=True needs the out_dir of the run to resume")

    plan = step_plan(exp)
    model = build_model(exp, seed=seed, unroll=plan["unroll"] if unroll is None else unroll)
    optimizer = _make_optimizer(exp, model)
    train_step = make_train_step(model, optimizer, jit_compile=plan["jit_compile"])
    checkpoint = None
    step, displayed_loss, history = 0, None, []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = _Checkpoint(out_dir, exp, seed)
        if resume and checkpoint.path.exists():
            state = checkpoint.load(model, optimizer)
            step, displayed_loss, history = state["step"], state["displayed_loss"], state["history"]
        elif checkpoint.path.exists():
            raise ValueError(
                f"{out_dir} already holds a checkpoint of an earlier run; pass resume=True "
                f"(--resume) to continue it, or choose another out_dir (--out)"
            )

    def record(row):
        history.append(row)
        if callback is not None:
            callback(dict(row))

    elapsed_before = history[-1]["elapsed_s"] if history else 0.0
    start = time.perf_counter()
    if not history:
        record({"step": 0, "examples": 0, "learning_rate": schedules.learning_rate(exp, 0),
                "train_loss": None, "heldout_loss": heldout_loss(model, exp, heldout_size),
                "elapsed_s": 0.0})

    total = steps if steps is not None else exp.budget_steps
    bar = tqdm(total=total, initial=min(step, total), disable=not progress, unit="step",
               desc=exp.slug, dynamic_ncols=True)
    last_saved_step = first_step = step
    current_rate = None
    reason = None
    try:
        while True:
            if steps is not None:
                reason = schedules.STOP_STEPS if step >= steps else None
            else:
                reason = schedules.stop_reason(exp, step * exp.batch_size, displayed_loss)
            if reason is not None:
                break
            rate = schedules.learning_rate(exp, step * exp.batch_size)
            if rate != current_rate:
                optimizer.learning_rate.assign(rate)
                current_rate = rate
            x, y = training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
            train_step(x, y)
            step += 1
            if step % DISPLAY_EVERY_STEPS == 0:
                # Like the original code: the displayed loss is the current minibatch's,
                # evaluated after the update.
                displayed_loss = summed_loss(y, predict(model, x))
                if not math.isfinite(displayed_loss):
                    reason = schedules.STOP_DIVERGED
                    break
                elapsed = elapsed_before + time.perf_counter() - start
                row = {"step": step, "examples": step * exp.batch_size, "learning_rate": rate,
                       "train_loss": displayed_loss, "heldout_loss": None,
                       "elapsed_s": round(elapsed, 3)}
                if step % eval_every == 0:
                    row["heldout_loss"] = heldout_loss(model, exp, heldout_size)
                record(row)
                if step > bar.total:
                    bar.total = exp.cap_steps
                bar.update(step - bar.n)
                speed = (step - first_step) * exp.batch_size / (time.perf_counter() - start)
                bar.set_postfix(loss=f"{displayed_loss:.4g}", lr=f"{rate:.2g}",
                                examples_per_s=f"{speed:.0f}")
            if checkpoint is not None and step - last_saved_step >= checkpoint_every \
                    and step % DISPLAY_EVERY_STEPS == 0:
                checkpoint.save(model, optimizer, step, displayed_loss, history)
                last_saved_step = step
    except KeyboardInterrupt:
        reason = schedules.STOP_INTERRUPTED
    finally:
        bar.close()

    if reason != schedules.STOP_DIVERGED and not weights_finite(model):
        # The loss is looked at every 100 steps; the weights may have blown up since.
        reason, displayed_loss = schedules.STOP_DIVERGED, math.nan
    if reason == schedules.STOP_DIVERGED:
        message = (f"{exp.slug}: the loss became {displayed_loss} by step {step}; training "
                   f"stopped")
        if checkpoint is not None and checkpoint.path.exists():
            state = checkpoint.load(model, optimizer)
            step, history = state["step"], state["history"]
            message += f" and the model was restored from the checkpoint at step {step}"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    elif checkpoint is not None and step != last_saved_step:
        checkpoint.save(model, optimizer, step, displayed_loss, history)
    metrics = evaluate(model, exp, size=heldout_size)
    elapsed = elapsed_before + time.perf_counter() - start
    return TrainResult(model=model, experiment=exp, seed=seed, steps=step, stop_reason=reason,
                       history=history, metrics=metrics, elapsed_s=elapsed, out_dir=out_dir)
