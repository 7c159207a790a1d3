"""Notebook 08 (experiment 5, dynamic_rnn and four stacked layers): measurements and the
exercise's checks.

* ``graph_size``: how many operations TensorFlow's traced training step holds, unrolled or
  looped: what the start-up time pays for;
* ``loop_startups`` and ``fresh_loop_startups``: the loop's start-up measured several times
  in one process (this one, or a fresh one), in the order given, to tell a length effect from
  a first-measurement effect;
* ``check_keep_training`` and ``stopping_point``: the original's stopping rule, written by the
  learner, and where it would have stopped a recorded run.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

from sinelib.data import training_batch
from sinelib.exercises.feedback import Feedback
from sinelib.experiments import Experiment, get_experiment
from sinelib.models import build_model
from sinelib.plumbing import backend
from sinelib.schedules import stop_reason
from sinelib.tools.timing import time_training_step
from sinelib.training import make_optimizer, make_train_step

#: The lesson's experiment: the first the original built with ``dynamic_rnn``.
EXERCISE_EXPERIMENT = "exp5"


def graph_size(exp: Experiment | str, n_in: int, unroll: bool, seed: int = 0) -> dict:
    """Trace ``exp``'s training step at input length ``n_in`` and count its operations.

    Returns:
        ``{"n_in", "unroll", "operations", "in_functions", "functions"}``: operations in the
        traced graph, of which ``in_functions`` sit in the ``functions`` sub-graphs that the
        graph calls (the symbolic loop's body and condition are such sub-graphs).
    """
    tf = backend.tensorflow()
    exp = get_experiment(exp).replace(n_in=n_in)
    model = build_model(exp, seed=seed, unroll=unroll)
    train_step = make_train_step(model, make_optimizer(exp, model))
    x, y = training_batch(seed, 0, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
    graph = train_step.get_concrete_function(tf.constant(x, tf.float32),
                                             tf.constant(y, tf.float32)).graph.as_graph_def()
    inside = sum(len(function.node_def) for function in graph.library.function)
    return {"n_in": n_in, "unroll": bool(unroll), "operations": len(graph.node) + inside,
            "in_functions": inside, "functions": len(graph.library.function)}


def loop_startups(exp: Experiment | str = EXERCISE_EXPERIMENT, lengths=(25, 100, 25, 100),
                  steps: int = 3, seed: int = 0) -> list[dict]:
    """The symbolic loop's start-up (build, trace, first step), measured at each length of
    ``lengths`` in that order, in this process, with no warm-up: the first entry pays for
    whatever TensorFlow and Keras do once per process; later entries show the length's own
    effect.

    Returns:
        ``time_training_step`` dicts with ``"order"`` (1 for the first measurement) added.
    """
    exp = get_experiment(exp)
    return [{"order": order, **time_training_step(exp, n_in=n_in, unroll=False, steps=steps,
                                                  seed=seed)}
            for order, n_in in enumerate(lengths, 1)]


def fresh_loop_startups(exp_slug: str = EXERCISE_EXPERIMENT, lengths=(25, 100, 25, 100),
                        steps: int = 3, seed: int = 0) -> list[dict]:
    """``loop_startups`` in a fresh Python process, as at the start of a notebook or script:
    the first measurement pays TensorFlow's and Keras' one-off costs.

    Args:
        exp_slug: The registered experiment's name.
        lengths, steps, seed: As for ``loop_startups``.
    """
    code = ("import json, sys; from sinelib.exercises.dynamic_rnn import loop_startups; "
            f"print(json.dumps(loop_startups({exp_slug!r}, {tuple(lengths)!r}, {int(steps)}, "
            f"{int(seed)})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference_keep_training(examples: int, train_loss, budget: int, target) -> bool:
    """The original's rule: train on while ``examples < budget`` or the last displayed loss is
    above the target (no displayed loss yet counts as above). This is the training loop's own
    rule (``schedules.stop_reason``) without its safety cap, which the original did not have:
    the cap is put past ``examples``."""
    exp = get_experiment(EXERCISE_EXPERIMENT).replace(
        budget_examples=budget, target_loss=target, cap_examples=max(budget, examples + 1))
    return stop_reason(exp, examples, train_loss) is None


_CASES = [
    ((100_000, 0.1, 300_000, 0.15), "before the budget, even with a loss below the target"),
    ((300_000, 0.2, 300_000, 0.15), "at the budget with the loss above the target"),
    ((300_000, 0.15, 300_000, 0.15), "at the budget with the loss exactly at the target"),
    ((350_000, 0.12, 300_000, 0.15), "past the budget with the loss below the target"),
    ((500_000, 0.4, 300_000, 0.15), "long past the budget with the loss above the target"),
    ((300_000, None, 300_000, 0.15), "at the budget before any loss was displayed"),
    ((300_000, 0.3, 300_000, None), "at the budget of an experiment without a target"),
]


def check_keep_training(fn) -> Feedback:
    """Check a learner's ``fn(examples, train_loss, budget, target) -> bool``: keep
    training while ``examples < budget`` or the displayed loss is above ``target``."""
    for arguments, label in _CASES:
        expected = reference_keep_training(*arguments)
        try:
            got = fn(*arguments)
        except Exception as error:  # a learner's unfinished code may raise anything
            return Feedback(False, f"{label} {arguments}: your function raised "
                                   f"{type(error).__name__}: {error}")
        if not isinstance(got, bool):
            return Feedback(False, f"{label} {arguments}: return True or False, got "
                                   f"{got!r}")
        if got != expected:
            verb = "keep training" if expected else "stop"
            return Feedback(False, f"{label} (examples, loss, budget, target = {arguments}): "
                                   f"the rule should {verb}, your function returned {got}")
    return Feedback(True, "keep_training follows the original's rule: on while examples < "
                          "budget or the displayed loss is above the target")


def stopping_point(keep_training, history: list[dict], exp: Experiment | str) -> int | None:
    """Where ``keep_training`` would have stopped a recorded run: the examples of the first
    displayed row at which it says stop (``None``: it never does within the history).

    Args:
        keep_training: ``fn(examples, train_loss, budget, target) -> bool``.
        history: A run's history (rows with ``examples`` and ``train_loss``).
        exp: The experiment (budget and target).
    """
    exp = get_experiment(exp)
    for row in history:
        loss = row.get("train_loss")
        if loss is None or (isinstance(loss, float) and math.isnan(loss)):
            continue
        if not keep_training(row["examples"], loss, exp.budget_examples, exp.target_loss):
            return row["examples"]
    return None
