"""How the training step runs: recurrence unrolled or looped, compiled by XLA or not.

Every variant computes the same update of the same network; only the float rounding differs.
``train`` takes the fastest one ``make bench`` measured (``step_plan``), unless told otherwise.
"""

from __future__ import annotations

from sinelib.experiments import Experiment

#: The ways of running the training step that ``step_plan`` chooses from; each computes the
#: same update, the recurrence unrolled or looped, compiled by XLA or not (``make bench``
#: measures these and more, see ``benchmarks/training.py``).
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
    stack of experiment 5 (7.3 ms a step against 11.1); for the 4 x 10 stack XLA on the symbolic loop was fastest (3.4 ms a step
    against 4.4 unrolled and 8.0 looped); for the 100-sample inputs of experiments 1 and 2 the
    loop was as fast as the unrolled graph and starts faster.

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
