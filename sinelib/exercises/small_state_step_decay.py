"""Exercises of notebook 09 (experiments 5 (small) and 5.1): the step-decay schedule.

``check_step_decay(fn)`` checks a learner's schedule ``fn(examples, base, factor, every)``
against ``sinelib.schedules.learning_rate``, the rule the training loop uses, on experiment
5.1's schedule and on a second, made-up one, at the examples where a schedule goes wrong
(just before, at and after each step).
"""

from __future__ import annotations

import math

from sinelib.exercises.feedback import Feedback
from sinelib.experiments import get_experiment
from sinelib.schedules import learning_rate

#: The schedules checked: experiment 5.1's, and one with another base, factor and period.
SCHEDULES: tuple[dict, ...] = (
    {"base": 0.005, "factor": 0.1, "every": 250_000},
    {"base": 0.001, "factor": 0.5, "every": 100_000},
)
#: Where each schedule is checked, as multiples of its period (offsets in examples added).
CHECK_POINTS: tuple[tuple[int, int], ...] = (
    (0, 0), (0, 1), (1, -1), (1, 0), (1, 10_000), (2, -1), (2, 0), (2, 10_000), (4, 0), (6, 0),
)


def _expected(schedule: dict, examples: int) -> float:
    exp = get_experiment("exp5-1").replace(
        learning_rate=schedule["base"], decay_factor=schedule["factor"],
        decay_every_examples=schedule["every"])
    return learning_rate(exp, examples)


def _never_changes(fn, schedule: dict) -> bool:
    try:
        later = float(fn(6 * schedule["every"], schedule["base"], schedule["factor"],
                         schedule["every"]))
    except Exception:  # only a hint: an error here is reported where it happens
        return False
    return math.isclose(later, schedule["base"], rel_tol=1e-6)


def _hint(fn, schedule: dict, examples: int, got: float) -> str:
    """A likely cause for a wrong rate, from the value that came back."""
    base, factor, every = schedule["base"], schedule["factor"], schedule["every"]
    if math.isclose(got, base, rel_tol=1e-6) and _never_changes(fn, schedule):
        return " The rate never changed: the decay is missing."
    if math.isclose(got, base * factor ** (examples / every), rel_tol=1e-6):
        return (" This is a smooth exponential decay, factor ** (examples / every); the step "
                "decay holds the rate constant between steps: use the whole number of periods, "
                "examples // every.")
    if math.isclose(got, base * factor ** round(examples / every), rel_tol=1e-6):
        return " Rounding to the nearest period steps too early; round down (examples // every)."
    if examples % every == 0 and examples and math.isclose(
            got, base * factor ** (examples // every - 1), rel_tol=1e-6):
        return (" The rate steps down AT each multiple of the period (the update that brings "
                "the count to 250000 examples already uses the new rate), not just after it.")
    return ""


def check_step_decay(fn) -> Feedback:
    """Check a step-decay schedule ``fn(examples, base, factor, every) -> learning rate``.

    The rate of the Adam step that brings the examples seen to ``examples`` is
    ``base * factor ** floor(examples / every)`` (``sinelib.schedules.learning_rate``).

    Returns:
        ``Feedback``: right, or the first input it fails on with the rate expected, the rate
        returned and, where the value returned suggests one, the likely mistake.
    """
    if not callable(fn):
        return Feedback(False, f"pass your function itself, e.g. check_step_decay(step_decay); "
                               f"got {type(fn).__name__}")
    count = 0
    for schedule in SCHEDULES:
        for periods, offset in CHECK_POINTS:
            examples = periods * schedule["every"] + offset
            where = (f"at {examples} examples (base {schedule['base']:g}, factor "
                     f"{schedule['factor']:g}, every {schedule['every']})")
            try:
                got = fn(examples, schedule["base"], schedule["factor"], schedule["every"])
                got = float(got)
            except Exception as error:  # a learner's error, reported rather than raised
                return Feedback(False, f"{where} your function raised "
                                       f"{type(error).__name__}: {error}")
            expected = _expected(schedule, examples)
            if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-15):
                return Feedback(False, f"{where} expected {expected:.6g}, got {got:.6g}."
                                       + _hint(fn, schedule, examples, got))
            count += 1
    return Feedback(True, f"your schedule gives sinelib.schedules' rate at all {count} points "
                          f"checked (two schedules, around each step)")
