"""Pure rules of the training protocol: the learning-rate step decay and the stopping rule.

Both are plain functions of counters, testable without TensorFlow.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

from sinelib.plumbing.arguments import require_non_negative_int, require_positive_int, shown
from sinelib.experiments import Experiment

#: Stop reasons a run can record.
STOP_BUDGET = "budget"          # examples reached the budget (no target loss)
STOP_TARGET = "target"          # budget reached and the displayed loss is at or below target
STOP_CAP = "cap"                # safety cap reached while the loss was still above target
STOP_STEPS = "steps"            # the caller asked for a fixed number of steps
STOP_DIVERGED = "diverged"      # the loss became NaN or infinite
STOP_INTERRUPTED = "interrupted"  # KeyboardInterrupt (e.g. a notebook kernel interrupt)


def _require_experiment(exp) -> None:
    if not isinstance(exp, Experiment):
        raise ValueError(f"exp must be an Experiment (sinelib.get_experiment), got {shown(exp)}")


def learning_rate(exp: Experiment, examples: int) -> float:
    """The rate of the update that brings the examples seen to ``examples``.

    ``lr = base * factor ** floor(examples / decay_every_examples)``; constant when the
    experiment has no decay. The original computed its rate from ``step * batch_size`` with
    ``step`` counted from 1, before taking update ``step``: the examples seen *once that update
    is taken*. So the update that reaches 250000 examples of experiment 5.1 (update 5000) already
    runs at the lower rate; ``update_rate`` gives the rate by update number.
    """
    _require_experiment(exp)
    return _rate(exp, require_non_negative_int("examples", examples))


def _rate(exp: Experiment, examples: int) -> float:
    if exp.decay_every_examples is None:
        return exp.learning_rate
    return exp.learning_rate * exp.decay_factor ** (examples // exp.decay_every_examples)


def update_rate(exp: Experiment, update: int) -> float:
    """The rate of update number ``update``, counted from 1 as the original counted its steps.

    Experiment 5.1 (batch 50) takes updates 1-4999 at 0.005 and update 5000 at 0.0005;
    experiment 6 (batch 64) steps down at updates 3907, 7813 and 11719.
    """
    _require_experiment(exp)
    return _rate(exp, require_positive_int("update", update) * exp.batch_size)


def rate_schedule(exp: Experiment) -> Callable[[int], float]:
    """``update_rate`` for one experiment, checked once: ``rate(update)`` for the training loop,
    which asks for the rate of every update."""
    _require_experiment(exp)
    return lambda update: _rate(exp, update * exp.batch_size)


def stop_reason(exp: Experiment, examples_seen: int, train_loss: float | None,
                steps: int | None = None) -> str | None:
    """The stopping rule, checked before each step; ``None`` means keep training.

    The original kept training *while* ``examples < budget`` *or* the last displayed minibatch
    loss was above the target. That can run forever, so ``exp.cap_examples`` stops it too.
    A caller that asks for a fixed number of ``steps`` (demos, tests) replaces that rule.

    Args:
        exp: The experiment.
        examples_seen: Examples consumed so far (steps taken times ``exp.batch_size``).
        train_loss: The last displayed training loss (``None`` before the first display).
        steps: Stop after this many Adam steps instead of the original's rule; ``None`` keeps
            the original's rule.

    Returns:
        ``None``, ``STOP_STEPS``, ``STOP_BUDGET``, ``STOP_TARGET`` or ``STOP_CAP``.
    """
    require_non_negative_int("examples_seen", examples_seen)
    if train_loss is not None and (not isinstance(train_loss, numbers.Real)
                                   or isinstance(train_loss, bool)):
        raise ValueError(f"train_loss must be a number or None, got {shown(train_loss)}")
    return stopping_rule(exp, steps)(examples_seen, train_loss)


def stopping_rule(exp: Experiment, steps: int | None = None) -> Callable[[int, float | None],
                                                                         str | None]:
    """``stop_reason`` for one run, checked once: ``rule(examples_seen, train_loss)`` for the
    training loop, which asks before every step."""
    _require_experiment(exp)
    if steps is not None:
        steps = require_positive_int("steps", steps)
        return lambda examples_seen, _: (STOP_STEPS if examples_seen >= steps * exp.batch_size
                                         else None)

    def rule(examples_seen: int, train_loss: float | None) -> str | None:
        if examples_seen < exp.budget_examples:
            return None
        if exp.target_loss is None:
            return STOP_BUDGET
        if train_loss is not None and math.isfinite(train_loss) \
                and train_loss <= exp.target_loss:
            return STOP_TARGET
        if examples_seen >= exp.cap_examples:
            return STOP_CAP
        return None

    return rule
