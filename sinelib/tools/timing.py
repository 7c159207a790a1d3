"""Start-up and step time of the unrolled network against the symbolic loop.

The original moved from ``static_rnn`` (a graph unrolled over every input sample) to
``dynamic_rnn`` (one loop in the graph) at experiment 5, "drastically improving the startup
time". In TF2 the pair is Keras ``LSTM(unroll=True)`` against the default symbolic loop. This
module times both on the real training step (``training.make_train_step``): start-up is model
build, optimizer build, tracing and the first step; the steady step time is the median of the
steps after it.
"""

from __future__ import annotations

import time

import numpy as np

from sinelib.data import require_positive_int, training_batch
from sinelib.experiments import Experiment, get_experiment
from sinelib.models import build_model
from sinelib.training import make_optimizer, make_train_step


def time_training_step(exp: Experiment | str, *, n_in: int | None = None, unroll: bool,
                       steps: int = 10, seed: int = 0) -> dict:
    """Time one network's start-up and steady training step.

    Args:
        exp: The experiment whose network and optimizer are timed.
        n_in: Input length (``None``: the experiment's own); the start-up cost of unrolling
            grows with it.
        unroll: ``True`` for the unrolled graph (``static_rnn``), ``False`` for the symbolic
            loop (``dynamic_rnn``).
        steps: Steady steps timed after the first one.
        seed: Seed of the weights and minibatches.

    Returns:
        ``{"n_in", "unroll", "startup_s", "step_ms", "steps"}``: start-up in seconds (build,
        trace and first step), steady step time in milliseconds (median).
    """
    exp = get_experiment(exp)
    if n_in is not None:
        exp = exp.replace(n_in=require_positive_int("n_in", n_in))
    steps = require_positive_int("steps", steps)
    batches = [training_batch(seed, k, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
               for k in range(steps + 1)]
    start = time.perf_counter()
    model = build_model(exp, seed=seed, unroll=unroll)
    optimizer = make_optimizer(exp, model)
    train_step = make_train_step(model, optimizer)
    float(train_step(*batches[0]))  # float() waits for the step to finish
    startup = time.perf_counter() - start
    durations = []
    for x, y in batches[1:]:
        begin = time.perf_counter()
        float(train_step(x, y))
        durations.append(time.perf_counter() - begin)
    return {"n_in": exp.n_in, "unroll": bool(unroll), "startup_s": startup,
            "step_ms": 1000 * float(np.median(durations)), "steps": steps}


def compare_unroll(exp: Experiment | str, lengths=(25, 100), steps: int = 10,
                   seed: int = 0, warm_up: bool = True) -> list[dict]:
    """``time_training_step`` for the symbolic loop and the unrolled graph at each length.

    Args:
        exp: The experiment whose network is timed (experiment 5: 4 x 32).
        lengths: Input lengths to time.
        steps: Steady steps per measurement.
        seed: Seed of weights and minibatches.
        warm_up: First build and step a one-sample loop model untimed, so the first
            measurement does not pay TensorFlow's one-off start-up.

    Returns:
        One ``time_training_step`` dict per (length, unroll), loop first at each length.
    """
    exp = get_experiment(exp)
    if warm_up:
        time_training_step(exp.replace(n_layers=1, n_hidden=2), n_in=2, unroll=False, steps=1,
                           seed=seed)
    return [time_training_step(exp, n_in=n_in, unroll=unroll, steps=steps, seed=seed)
            for n_in in lengths for unroll in (False, True)]


def timing_rows(timings: list[dict]) -> list[list[str]]:
    """A header row, then one row per input length: start-up and step time of both networks,
    and the ratio unrolled / loop."""
    by_length: dict[int, dict[bool, dict]] = {}
    for entry in timings:
        by_length.setdefault(entry["n_in"], {})[entry["unroll"]] = entry
    rows = [["input length", "start-up, loop", "start-up, unroll=True", "unroll / loop",
             "step, loop", "step, unroll=True"]]
    for n_in, pair in sorted(by_length.items()):
        loop, unrolled = pair.get(False), pair.get(True)
        if loop is None or unrolled is None:
            continue
        rows.append([str(n_in), f"{loop['startup_s']:.1f} s", f"{unrolled['startup_s']:.1f} s",
                     f"{unrolled['startup_s'] / loop['startup_s']:.1f}x",
                     f"{loop['step_ms']:.0f} ms", f"{unrolled['step_ms']:.0f} ms"])
    return rows
