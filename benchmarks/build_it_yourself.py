"""Notebook 02's network, written from parts, trained to the original's number; and its variations.

``python -m benchmarks.build_it_yourself`` (``make bench-build``) trains the worked answers of
notebook 02 (``sinelib.exercises.build_it_yourself``: the ``tf.data`` pipeline, the LSTM cell as
a Keras layer run by ``keras.layers.RNN``, the summed loss, the compiled step, the loop), with
the notebook's default settings: experiment 3's task, seed 0, the initial weights of
``sinelib.build_model("exp3", 0)``, Adam at 5e-4, no clipping, held-out loss every 1000 steps,
until the held-out loss reaches the original's 0.177742 (or the budget of 10000 steps ends). It
records the wall time of that loop (compiling the step included), the steps, the machine and its
load.

It also times the worked answers' step against ``sinelib.train``'s in one process, alternating
(``compare_steps``). ``--lstm-only`` measures these two again and keeps the variations of the
existing report.

Then the three variations of the notebook's exercises, each for ``--variation-steps`` steps
(default 4000) from the same seed: a plain ``tanh`` cell in place of the LSTM, backpropagation
truncated to the last k steps of the window, and the prediction fed back one sample at a time.
The solutions notebook reads their held-out losses from the JSON written here.

Nothing here is asserted in a test: the numbers are for reading, with the load they were
measured under.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from sinelib.data import training_batch
from sinelib.experiments import get_experiment
from sinelib.exercises import build_it_yourself as byo
from sinelib.models import build_model
from sinelib.plumbing.pretrained import environment
from sinelib.plumbing.steps import chosen_variant
from sinelib.plumbing.tables import to_markdown
from sinelib.training import make_optimizer, make_train_step

#: The task and seed of the notebook's default run.
TASK, SEED = byo.TASK, 0
#: The steps each variation trains for by default: where the LSTM crossed the original's number.
VARIATION_STEPS = 4000
#: The truncation lengths measured (steps of the window the gradient flows through).
TRUNCATIONS = (1, 5)


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _summary(run: dict, started: float) -> dict:
    """The plain data of a run of ``train_to_target``."""
    heldout = {row["step"]: round(row["heldout_loss"], 6) for row in run["history"]
               if row["heldout_loss"] is not None}
    return {"steps": run["steps"], "heldout_loss": run["heldout_loss"],
            "best_heldout_loss": min(heldout.values()) if heldout else None,
            "heldout_by_step": heldout, "train_s": round(run["train_s"], 1),
            "total_s": round(time.perf_counter() - started, 1),
            "ms_per_step": round(1000 * run["train_s"] / max(run["steps"], 1), 2),
            "load_average_after": _load_average(),
            "history": [{key: (round(value, 6) if isinstance(value, float) else value)
                         for key, value in row.items()} for row in run["history"]]}


def _readout_like_the_original(model, exp, seed):
    """Give ``model``'s read-out the original's N(0, 1) start of ``build_model(exp, seed)``
    (its first columns, where ``model`` reads out fewer samples)."""
    library = build_model(exp, seed=seed).get_layer("readout")
    kernel, bias = library.kernel.numpy(), library.bias.numpy()
    mine = model.layers[-1] if hasattr(model, "layers") and not hasattr(model, "readout") \
        else model.readout
    width = mine.kernel.shape[1]
    mine.kernel.assign(kernel[:, :width])
    mine.bias.assign(bias[:width])


def compare_steps(steps: int = 100, rounds: int = 3) -> dict:
    """Milliseconds per step of the worked answers' step and of ``sinelib.train``'s
    (``make_train_step`` on ``build_model``, the variant ``train`` picks), in this process,
    alternating ``rounds`` times ``steps`` steps each on the same minibatches after a warm-up:
    the ratio holds under a load that both share. Medians over the rounds."""
    exp = get_experiment(TASK)
    variant = chosen_variant(exp, None, None)
    library = build_model(exp, seed=SEED, unroll=variant["unroll"])
    library_step = make_train_step(library, make_optimizer(exp, library),
                                   jit_compile=variant["jit_compile"])
    mine = byo.reference_network(exp.n_hidden, exp.n_in, exp.n_out)
    byo.copy_weights(build_model(exp, seed=SEED), mine)
    mine_step = byo.reference_step(mine, byo.adam(exp), byo.reference_loss)
    batches = [training_batch(SEED, k, exp.batch_size, exp.n_in, exp.n_out)
               for k in range(steps)]
    times = {"worked answers": [], "sinelib.train": []}
    for step in (mine_step, library_step):
        step(*batches[0])  # trace and compile
    for _ in range(rounds):
        for name, step in (("worked answers", mine_step), ("sinelib.train", library_step)):
            start = time.perf_counter()
            for x, y in batches:
                step(x, y)
            times[name].append(1000 * (time.perf_counter() - start) / steps)
    return {"ms_per_step": {name: round(sorted(values)[len(values) // 2], 2)
                            for name, values in times.items()},
            "steps": steps, "rounds": rounds, "library_variant": variant,
            "load_average_after": _load_average()}


def train_lstm(max_steps=None) -> dict:
    """The notebook's default run: the worked answers until the original's number."""
    started = time.perf_counter()
    run = byo.train_to_target(TASK, seed=SEED, max_steps=max_steps, progress=False)
    result = _summary(run, started)
    result["reached"] = run["reached"]
    return result


def train_variation(name: str, steps: int, truncate=None) -> dict:
    """One variation for ``steps`` steps from seed ``SEED``'s weights (where they fit)."""
    import keras

    exp = get_experiment(TASK)
    keras.utils.set_random_seed(SEED)
    started = time.perf_counter()
    if name == "simple":
        model = byo.reference_network(exp.n_hidden, exp.n_in, exp.n_out,
                                      cell=byo.ReferenceSimpleCell(exp.n_hidden))
        _readout_like_the_original(model, exp, SEED)
    elif name == "truncated":
        model = byo.UnrolledNetwork(byo.ReferenceLSTMCell(exp.n_hidden), exp.n_in, exp.n_out,
                                    truncate=truncate)
        byo.copy_weights(build_model(exp, seed=SEED), model)
    elif name == "feedback":
        model = byo.UnrolledNetwork(byo.ReferenceLSTMCell(exp.n_hidden), exp.n_in, exp.n_out,
                                    feedback=True)
        library = build_model(exp, seed=SEED).get_layer(index=0)
        for mine, theirs in zip(model.cell.weights, library.cell.weights):
            mine.assign(theirs.numpy())
        _readout_like_the_original(model, exp, SEED)
    else:
        raise ValueError(f"unknown variation {name!r}")
    # No target: the variation trains its whole budget, measured every 1000 steps.
    run = byo.train_to_target(exp, seed=SEED, max_steps=steps, target=-math.inf,
                              progress=False, model=model)
    result = _summary(run, started)
    result["reached"] = result["best_heldout_loss"] is not None and \
        result["best_heldout_loss"] <= exp.reported.loss
    result["first_step_reached"] = next(
        (step for step, loss in result["heldout_by_step"].items()
         if loss <= exp.reported.loss), None)
    return result


def markdown(report: dict) -> str:
    """The report's tables."""
    lstm, exp = report["lstm"], get_experiment(TASK)
    lines = [
        f"Measured {report['date']} on {report['machine']['processor']} "
        f"({report['machine']['cpu_count']} cores), load average before "
        f"{report['load_average_before']}, after {lstm['load_average_after']}.",
        "",
        to_markdown([
            ["network", "steps", "examples", "held-out loss", "loop wall time", "ms/step",
             "with start-up"],
            [f"notebook 02's LSTM (to {exp.reported.loss})", str(lstm["steps"]),
             str(lstm["steps"] * exp.batch_size), f"{lstm['heldout_loss']:.4f}",
             f"{lstm['train_s']:.1f} s", f"{lstm['ms_per_step']:.1f}", f"{lstm['total_s']:.1f} s"],
        ]),
        "",
    ]
    if "step_comparison" in report:
        compared = report["step_comparison"]
        lines += [f"The step alone, in the same process, alternating {compared['rounds']} rounds "
                  f"of {compared['steps']} steps (median ms/step): " + ", ".join(
                      f"{name} {value:.1f}" for name, value in compared["ms_per_step"].items())
                  + f"; load average after {compared['load_average_after']}.", ""]
    if "variations_measured" in report:
        earlier = report["variations_measured"]
        lines += [f"The variations below were measured {earlier['date']}, load average before "
                  f"{earlier['load_average_before']}.", ""]
    rows = [["variation", "steps", *[f"held-out at {k}" for k in
                                      report["variations"]["simple"]["heldout_by_step"]],
             f"reaches {exp.reported.loss}", "ms/step"]]
    rows.append(["LSTM, direct read-out (above)", str(lstm["steps"]),
                 *[f"{v:.4f}" for v in lstm["heldout_by_step"].values()],
                 "yes", f"{lstm['ms_per_step']:.1f}"])
    for name, result in report["variations"].items():
        rows.append([name, str(result["steps"]),
                     *[f"{v:.4f}" for v in result["heldout_by_step"].values()],
                     f"at step {result['first_step_reached']}" if result["reached"] else "no",
                     f"{result['ms_per_step']:.1f}"])
    return "\n".join(lines + [to_markdown(rows), ""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.build_it_yourself",
        description="Notebook 02's network, written from parts, trained to the original's "
                    "number; then its variations.")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/build_it_yourself.json"))
    parser.add_argument("--markdown", type=Path,
                        default=Path("benchmarks/build_it_yourself.md"))
    parser.add_argument("--variation-steps", type=int, default=VARIATION_STEPS,
                        help="steps of each variation (a multiple of 1000)")
    parser.add_argument("--lstm-only", action="store_true",
                        help="measure the run to the original's number again and replace it "
                             "in the existing --json report, keeping its variations")
    args = parser.parse_args(argv)
    if args.variation_steps < byo.EVAL_EVERY or args.variation_steps % byo.EVAL_EVERY:
        parser.error(f"--variation-steps must be a positive multiple of {byo.EVAL_EVERY}, got "
                     f"{args.variation_steps}")
    report = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "command": "python -m benchmarks.build_it_yourself " + " ".join(sys.argv[1:]),
              "machine": environment(), "load_average_before": _load_average(),
              "task": TASK, "seed": SEED, "target": get_experiment(TASK).reported.loss}
    report["step_comparison"] = compare_steps()
    print("step comparison", report["step_comparison"], flush=True)
    report["lstm"] = train_lstm()
    print("lstm", {k: v for k, v in report["lstm"].items() if k != "history"}, flush=True)
    if args.lstm_only:
        if not args.json.is_file():
            parser.error(f"--lstm-only needs the existing report {args.json}")
        earlier = json.loads(args.json.read_text())
        report["variations"] = earlier["variations"]
        report["variations_measured"] = earlier.get("variations_measured", {
            key: earlier[key] for key in ("date", "load_average_before")})
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        args.markdown.write_text(markdown(report))
        print(markdown(report))
        return 0
    report["variations"] = {}
    for name, truncate in (("simple", None), *(("truncated", k) for k in TRUNCATIONS),
                           ("feedback", None)):
        key = name if truncate is None else f"{name}_{truncate}"
        report["variations"][key] = train_variation(name, args.variation_steps, truncate)
        print(key, {k: v for k, v in report["variations"][key].items() if k != "history"},
              flush=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    args.markdown.write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
