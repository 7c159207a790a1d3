"""The original's training graph in TensorFlow 1 style: the benchmark's reference contender.

A graph and a session, placeholders fed from NumPy every step, the TF1 cells
(``BasicLSTMCell`` + ``static_rnn`` for experiments 1-4, ``LSTMCell`` + ``MultiRNNCell`` +
``dynamic_rnn`` for experiment 5, ``GRUCell`` in that stack for experiment 6), the read-out
drawn as the experiment's script drew it (``tf.random_normal``, or ``tf.truncated_normal`` for
experiment 6: ``Experiment.readout_kernel_init`` and ``readout_bias_init``), Adam on the
summed loss,
and ``clip_by_value`` on every gradient for experiment 4: the original code's structure.

The TF1 cells exist only with the ``tf-keras`` package (``pip install -e ".[bench]"``) and
``TF_USE_LEGACY_KERAS=1`` set before TensorFlow is imported, which changes ``tf.keras`` for
the whole process. So this module refuses to load otherwise, and ``benchmarks.training``
runs it in a process of its own. It feeds the same minibatches as ``sinelib.training`` (from
``sinelib.data.training_batch``) and follows the same learning-rate schedule.

``train_reference`` trains the graph with the original's whole protocol (budget, stopping rule
and cap, step decay, clipping), recording the history ``sinelib.train`` records; ``make
tf1-runs`` (``TF_USE_LEGACY_KERAS=1 python -m sinelib.tools.reference_tf1``) runs it for every
experiment at seed 0 and its spread seeds and ships histories and manifests in
``sinelib/pretrained/tf1/``: the original's network trained today on the port's minibatches,
the control that says whether a number the port misses is the port's or the original's.

``transplant_losses`` (``make transplant``) proves that the port is the same network: it copies
the port's initial weights into the graph (``keras_to_tf1``), trains both on the same
minibatches, and returns each step's loss from each; ``tests/test_transplant.py`` holds them to
agree within float32 drift. What remains different between the two implementations is only how
the initial weights are drawn (see ``sinelib.models``).
"""

from __future__ import annotations

import os

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "sinelib.tools.reference_tf1 needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is "
        "imported "
        "(and the tf-keras package: pip install -e '.[bench]'); run it through "
        "`python -m benchmarks.training`, which starts it in a process of its own"
    )

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from sinelib import schedules  # noqa: E402
from sinelib.data import HELDOUT_SIZE, heldout_windows, training_batch  # noqa: E402
from sinelib.evaluation import evaluate  # noqa: E402
from sinelib.experiments import (  # noqa: E402
    DISPLAY_EVERY_STEPS, EXPERIMENTS, Experiment, Initializer, get_experiment,
)
from sinelib.plumbing.history import history_to_csv  # noqa: E402
from sinelib.models import build_model  # noqa: E402
from sinelib.plumbing.pretrained import environment  # noqa: E402
from sinelib.plumbing.storage import atomic_write_json, atomic_write_text  # noqa: E402
from sinelib.study.declarations import get_study  # noqa: E402
from sinelib.study.records import TF1_RUNS_DIR  # noqa: E402
from sinelib.plumbing.steps import step_plan  # noqa: E402
from sinelib.training import make_optimizer, make_train_step  # noqa: E402

v1 = tf.compat.v1

#: Bumped whenever the layout of a run's manifest changes.
REFERENCE_RUN_FORMAT = 1


def tf1_initial_value(spec: Initializer, shape: list[int]):
    """The TF1 op that draws a read-out variable's start as ``spec`` says, as the original's
    scripts did: ``tf.random_normal(shape, stddev=...)`` or ``tf.truncated_normal(...)``."""
    draw = {"normal": v1.random_normal, "truncated_normal": v1.truncated_normal}
    return draw[spec.distribution](shape, stddev=spec.stddev)


class ReferenceGraph:
    """One experiment's TF1 training graph and its session.

    ``step(x, y, learning_rate)`` runs one Adam step and returns the minibatch summed loss
    before the update, as the original's ``sess.run(optimizer, feed_dict=...)`` did.
    """

    def __init__(self, exp: Experiment, seed: int = 0, threads: int | None = None):
        self.exp = exp
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.x = v1.placeholder(tf.float32, [None, exp.n_in, 1], name="x")
            self.y = v1.placeholder(tf.float32, [None, exp.n_out], name="y")
            self.learning_rate = v1.placeholder(tf.float32, [], name="learning_rate")
            weights = tf.Variable(tf1_initial_value(exp.readout_kernel_init,
                                                    [exp.n_hidden, exp.n_out]), name="weights")
            biases = tf.Variable(tf1_initial_value(exp.readout_bias_init, [exp.n_out]),
                                 name="biases")
            if exp.static_rnn:
                cell = v1.nn.rnn_cell.BasicLSTMCell(exp.n_hidden, forget_bias=1.0)
                inputs = tf.unstack(self.x, exp.n_in, axis=1)
                outputs, _ = v1.nn.static_rnn(cell, inputs, dtype=tf.float32)
                last = outputs[-1]
            else:
                if exp.kind == "gru":
                    cells = [v1.nn.rnn_cell.GRUCell(exp.n_hidden) for _ in range(exp.n_layers)]
                else:
                    cells = [v1.nn.rnn_cell.LSTMCell(exp.n_hidden, forget_bias=1.0)
                             for _ in range(exp.n_layers)]
                stack = v1.nn.rnn_cell.MultiRNNCell(cells)
                outputs, _ = v1.nn.dynamic_rnn(stack, self.x, dtype=tf.float32)
                last = outputs[:, -1, :]
            pred = tf.matmul(last, weights) + biases
            self.pred = pred
            self.loss = tf.reduce_mean(tf.reduce_sum(tf.square(pred - self.y), axis=1))
            optimizer = v1.train.AdamOptimizer(learning_rate=self.learning_rate, epsilon=1e-8)
            grads_and_vars = optimizer.compute_gradients(self.loss)
            if exp.clip_value is not None:
                grads_and_vars = [(tf.clip_by_value(g, -exp.clip_value, exp.clip_value), v)
                                  for g, v in grads_and_vars]
            self.train_op = optimizer.apply_gradients(grads_and_vars)
            init = v1.global_variables_initializer()
        config = v1.ConfigProto()
        if threads is not None:
            config.intra_op_parallelism_threads = threads
            config.inter_op_parallelism_threads = threads
        self.session = v1.Session(graph=self.graph, config=config)
        self.session.run(init)

    def assign(self, values: list[np.ndarray]) -> None:
        """Set every trainable variable, in the graph's order (``keras_to_tf1`` gives it)."""
        with self.graph.as_default():
            variables = v1.trainable_variables()
            if len(values) != len(variables):
                raise ValueError(f"the graph has {len(variables)} trainable variables, got "
                                 f"{len(values)} arrays")
            for variable, value in zip(variables, values):
                if tuple(variable.shape) != np.shape(value):
                    raise ValueError(f"{variable.name} has shape {tuple(variable.shape)}, got "
                                     f"{np.shape(value)}")
            self.session.run([variable.assign(np.asarray(value, np.float32))
                              for variable, value in zip(variables, values)])

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        loss, _ = self.session.run(
            [self.loss, self.train_op],
            feed_dict={self.x: x, self.y: y, self.learning_rate: learning_rate},
        )
        return float(loss)

    def minibatch(self, seed: int, step: int):
        """The training batch of ``step``: the same one ``sinelib.train`` uses."""
        exp = self.exp
        return training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)

    def rate(self, done: int) -> float:
        """The rate of the update taken after ``done`` updates (``schedules.update_rate``)."""
        return schedules.update_rate(self.exp, done + 1)

    def heldout_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(self.session.run(self.loss, feed_dict={self.x: x, self.y: y}))

    def predict(self, x: np.ndarray, n_out: int) -> np.ndarray:
        """The graph's prediction for windows ``x`` of shape ``(batch, n_in, 1)``, as a
        baseline's ``predict(x, n_out)`` gives it, so ``sinelib.evaluate`` can measure it."""
        if n_out != self.exp.n_out:
            raise ValueError(f"this graph predicts {self.exp.n_out} samples, not {n_out}")
        return self.session.run(self.pred, feed_dict={self.x: np.asarray(x, np.float32)})

    def close(self) -> None:
        self.session.close()


#: TF1's ``BasicLSTMCell`` and ``LSTMCell`` add this constant to the forget gate (the graph
#: above builds them with it); the Keras port starts a trainable forget bias at it instead.
TF1_FORGET_BIAS = 1.0


def _lstm_blocks(matrix: np.ndarray) -> np.ndarray:
    """Keras' gate blocks ``[i | f | c | o]`` along the last axis, as TF1's ``[i | j | f | o]``
    (``j`` is the candidate)."""
    i, f, c, o = np.split(matrix, 4, axis=-1)
    return np.concatenate([i, c, f, o], axis=-1)


def keras_to_tf1(model, exp: Experiment, forget_bias: float = TF1_FORGET_BIAS
                 ) -> list[np.ndarray]:
    """The weights of a Keras network from ``sinelib.build_model(exp)`` laid out as the TF1
    graph's trainable variables, in their order (``ReferenceGraph.assign`` takes them).

    * The read-out ``W`` and ``b`` are the Dense layer's kernel and bias as they are.
    * LSTM: TF1 multiplies ``[x; h]`` by one kernel, so Keras' input kernel is stacked on its
      recurrent kernel; the gate blocks move from Keras' i, f, c, o to TF1's i, j, f, o; and
      TF1 adds a constant ``forget_bias`` to the forget gate, so its bias is Keras' minus it.
    * GRU (``reset_after=False``): Keras' blocks are update ``z``, reset ``r``, candidate
      ``h``. TF1's ``gates`` kernel and bias hold ``[r | u]`` with ``u`` the update gate (the
      same ``z``: both keep ``u * h_prev``), its ``candidate`` kernel and bias the rest.

    Args:
        model: A Keras network of ``exp``'s architecture.
        exp: Its experiment.
        forget_bias: The constant TF1's LSTM cells add (a test passes 0 to see a wrong
            transplant disagree).
    """
    readout = model.get_layer("readout")
    values = [np.asarray(w) for w in readout.get_weights()]
    gru = exp.kind == "gru"
    for index in range(exp.n_layers):
        kernel, recurrent, bias = (np.asarray(w) for w in model.get_layer(
            f"{'gru' if gru else 'lstm'}_{index}").get_weights())
        merged = np.concatenate([kernel, recurrent], axis=0)
        if gru:
            z, r, h = np.split(merged, 3, axis=-1)
            bz, br, bh = np.split(bias, 3)
            values += [np.concatenate([r, z], axis=-1), np.concatenate([br, bz]), h, bh]
        else:
            bias = _lstm_blocks(bias).copy()
            bias[2 * exp.n_hidden:3 * exp.n_hidden] -= forget_bias
            values += [_lstm_blocks(merged), bias]
    return values


def transplant_losses(exp: Experiment, seed: int = 0, steps: int = 300,
                      forget_bias: float = TF1_FORGET_BIAS,
                      rounding_control: bool = False) -> dict:
    """The Keras port and the TF1 graph from the same initial weights, trained step by step on
    the same minibatches with the same learning rates: the proof that they are one network.

    The port is built and stepped exactly as ``sinelib.train`` does it (``build_model``,
    ``make_optimizer`` with its clipping, ``make_train_step``, ``step_plan``'s variant); its
    initial weights go into the graph through ``keras_to_tf1``.

    Args:
        exp: The experiment (a registered one or a variant).
        seed: Seed of the port's initial weights and of the minibatches.
        steps: Adam steps to take.
        forget_bias: Passed to ``keras_to_tf1`` (0 makes a wrong transplant, for tests).
        rounding_control: Also train the port a second time with the recurrence the other way
            (unrolled if ``step_plan`` loops, else looped): the same function, other float
            rounding. How far that run drifts from the first is the yardstick for how far the
            TF1 graph may.

    Returns:
        ``{"keras": losses, "tf1": losses}`` (and ``"control"`` with ``rounding_control``):
        each step's minibatch summed loss before the update, as float64 arrays of length
        ``steps``.
    """
    def port(unroll: bool, jit_compile: bool):
        model = build_model(exp, seed=seed, unroll=unroll)
        optimizer = make_optimizer(exp, model)
        return model, optimizer, make_train_step(model, optimizer, jit_compile=jit_compile)

    plan = step_plan(exp)
    model, optimizer, train_step = port(plan["unroll"], plan["jit_compile"])
    ports = {"keras": (optimizer, train_step)}
    if rounding_control:
        ports["control"] = port(not plan["unroll"], False)[1:]
    graph = ReferenceGraph(exp, seed=seed)
    graph.assign(keras_to_tf1(model, exp, forget_bias))
    losses = {name: [] for name in [*ports, "tf1"]}
    for step in range(steps):
        x, y = graph.minibatch(seed, step)
        rate = graph.rate(step)
        for name, (optimizer, train_step) in ports.items():
            optimizer.learning_rate.assign(rate)
            losses[name].append(float(train_step(x, y)))
        losses["tf1"].append(graph.step(x, y, rate))
    graph.close()
    return {name: np.asarray(values, np.float64) for name, values in losses.items()}


def train_reference(exp: Experiment, seed: int = 0, steps: int | None = None,
                    eval_every: int = 1000, heldout_size: int = HELDOUT_SIZE) -> dict:
    """Train the TF1 graph with the original's protocol, as ``sinelib.train`` trains the port.

    The same minibatch stream (step ``k`` of seed ``s``), learning-rate schedule, clipping,
    stopping rule and cap, displayed loss (the current minibatch's after the update, every 100
    steps) and held-out loss (every ``eval_every`` steps), but TF1's own cells and
    initialisation.

    Args:
        exp: The experiment (a registered one or a variant).
        seed: Seed of the graph's initial weights (``tf.set_random_seed``) and the minibatches.
        steps: Stop after this many steps instead of the original's rule (tests only).
        eval_every: Record the held-out loss every this many steps (a multiple of 100).
        heldout_size: Windows in the held-out set.

    Returns:
        ``{"history", "run", "metrics"}``: history rows as ``history.HISTORY_COLUMNS``, the run
        facts a manifest records (seed, steps, examples, stop reason, time) and ``evaluate``'s
        held-out metrics at the end.
    """
    if eval_every % DISPLAY_EVERY_STEPS:
        raise ValueError(f"eval_every must be a multiple of {DISPLAY_EVERY_STEPS}, got "
                         f"{eval_every}")
    graph = ReferenceGraph(exp, seed=seed)
    x_held, y_held = heldout_windows(exp.n_in, exp.n_out, exp.frequency, heldout_size)
    start = time.perf_counter()
    history = [{"step": 0, "examples": 0, "learning_rate": graph.rate(0), "train_loss": None,
                "heldout_loss": graph.heldout_loss(x_held, y_held), "elapsed_s": 0.0}]
    step, displayed = 0, None
    while (reason := schedules.stop_reason(exp, step * exp.batch_size, displayed,
                                           steps)) is None:
        x, y = graph.minibatch(seed, step)
        rate = graph.rate(step)
        graph.step(x, y, rate)
        step += 1
        if step % DISPLAY_EVERY_STEPS:
            continue
        displayed = graph.heldout_loss(x, y)  # the current minibatch's, after the update
        if not math.isfinite(displayed):
            reason = schedules.STOP_DIVERGED
            break
        history.append({"step": step, "examples": step * exp.batch_size, "learning_rate": rate,
                        "train_loss": displayed,
                        "heldout_loss": (graph.heldout_loss(x_held, y_held)
                                         if step % eval_every == 0 else None),
                        "elapsed_s": round(time.perf_counter() - start, 3)})
    metrics = evaluate(graph.predict, exp, size=heldout_size)
    elapsed = time.perf_counter() - start
    graph.close()
    run = {"seed": seed, "steps": step, "examples": step * exp.batch_size,
           "stop_reason": reason, "elapsed_s": round(elapsed, 3),
           "train_loss": displayed}
    return {"history": history, "run": run, "metrics": metrics}


def write_reference_run(exp: Experiment, seed: int, directory: Path, steps: int | None = None,
                        command: str = "") -> dict:
    """Train the TF1 graph (``train_reference``) and write its history and manifest, without
    weights, as ``<slug>-seed<seed>.history.csv`` and ``.json`` in ``directory``.

    Returns:
        The manifest written.
    """
    result = train_reference(exp, seed, steps)
    name = f"{exp.slug}-seed{seed}"
    manifest = {
        "format": REFERENCE_RUN_FORMAT, "kind": "tf1-graph", "experiment": exp.slug,
        "seed": seed, "command": command, "config": exp.config(), "run": result["run"],
        "metrics": result["metrics"], "versions": environment(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "history_file": f"{name}.history.csv",
        "weights": "not shipped (the comparison uses the history and metrics only)",
    }
    atomic_write_text(Path(directory) / f"{name}.history.csv", history_to_csv(result["history"]))
    atomic_write_json(Path(directory) / f"{name}.json", manifest)
    return manifest


#: Steps within which ``make transplant`` reports the gap separately: the start, before the
#: loss has fallen far.
TRANSPLANT_EARLY_STEPS = 100


def _relative_gap(losses: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return np.abs(losses - reference) / np.abs(reference)


def _transplant_report(experiments, seeds, steps: int, markdown: str | None) -> int:
    """Print (and with ``markdown``, write) ``transplant_losses``' gaps for each experiment,
    with the port's own rounding drift beside them."""
    early = TRANSPLANT_EARLY_STEPS
    rows = [["experiment", "seed", "loss at step 0 → last",
             f"TF1 graph vs port, first {early} steps", f"TF1 graph vs port, all {steps} (at step)",
             f"port unrolled vs looped, all {steps} (at step)"]]
    for exp, seed in ((exp, seed) for exp in experiments for seed in seeds):
        losses = transplant_losses(exp, seed, steps, rounding_control=True)
        gap = _relative_gap(losses["tf1"], losses["keras"])
        drift = _relative_gap(losses["control"], losses["keras"])
        rows.append([f"{exp.original_id} ({exp.slug})", str(seed),
                     f"{losses['keras'][0]:.4g} → {losses['keras'][-1]:.4g}",
                     f"{gap[:early].max():.2g}", f"{gap.max():.2g} ({int(gap.argmax())})",
                     f"{drift.max():.2g} ({int(drift.argmax())})"])
        print(" | ".join(rows[-1]), flush=True)
    if markdown:
        machine = environment()
        text = "\n".join([
            "# The port and the TF1 graph from the same weights",
            "",
            f"`make transplant` (`python -m sinelib.tools.reference_tf1 --transplant --steps "
            f"{steps} --markdown benchmarks/transplant.md`): {machine['cpu_count']} cores, "
            f"Python {machine['python']}, TensorFlow {machine['tensorflow']}, Keras "
            f"{machine['keras']}.",
            "",
            "The TF1 graph starts from the Keras port's initial weights (`keras_to_tf1`); both "
            "take the same Adam steps on the same minibatches with the same learning rates. "
            "Each cell is the largest |loss − loss_port| / loss_port over the steps, the loss "
            "being each step's minibatch summed loss before the update. A wrong transplant (the "
            "forget bias not moved) is off by 37-65 % from step 0 (`tests/test_transplant.py`).",
            "",
            "The last column is a yardstick: the port trained a second time with its recurrence "
            "the other way (unrolled where it loops, looped where it unrolls) computes the same "
            "function with the same matrix products, so it starts bit for bit equal (exp2: for "
            "its first 50 steps) before rounding separates the two. The TF1 graph multiplies `[x; h]` by one "
            "stacked kernel where Keras adds two products, so it rounds differently from step "
            "0. Adam then carries any difference forward, and amplifies it: it divides each "
            "gradient element by that element's own running size, so an element that is zero "
            "up to rounding still moves by up to a full learning-rate step. Both gaps grow "
            "where the loss is most sensitive (exp2: both largest at step 240).",
            "",
            "| " + " | ".join(rows[0]) + " |",
            "|" + "---|" * len(rows[0]),
            *("| " + " | ".join(row) + " |" for row in rows[1:]),
            "",
        ])
        atomic_write_text(Path(markdown), text)
    return 0


def main(argv=None) -> int:
    """``python -m sinelib.tools.reference_tf1 SLUG... [--seeds N...]`` (``make tf1-runs``):
    train the TF1 graph at the seeds of each experiment's spread; a run already written is
    skipped. With ``--transplant`` (``make transplant``), compare it step by step with the
    port started from the same weights instead."""
    parser = argparse.ArgumentParser(prog="python -m sinelib.tools.reference_tf1",
                                     description=main.__doc__)
    parser.add_argument("names", nargs="*", help="experiments (default: every one)")
    parser.add_argument("--seeds", type=int, nargs="*",
                        help="seeds (default: 0 and the experiment's spread seeds)")
    parser.add_argument("--out", default=str(TF1_RUNS_DIR), help="destination folder")
    parser.add_argument("--steps", type=int,
                        help="stop after N steps (tests only; with --transplant: default 300)")
    parser.add_argument("--transplant", action="store_true",
                        help="instead of training: start the TF1 graph from the Keras port's "
                             "initial weights and print how far their losses differ, step by "
                             "step, on the same minibatches")
    parser.add_argument("--markdown", help="with --transplant: also write the table there")
    args = parser.parse_args(argv)
    try:
        experiments = [get_experiment(name) for name in args.names] or list(EXPERIMENTS.values())
        if args.steps is not None and args.steps < 1:
            raise ValueError(f"--steps must be a positive number of steps, got {args.steps}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.transplant:
        return _transplant_report(experiments, args.seeds or [0], args.steps or 300,
                                  args.markdown)
    # Seed by seed (a stable sort on each seed's place in its experiment's list): every
    # experiment's seed 0 first, so an interrupted batch of runs has covered every experiment
    # before it adds seeds.
    runs = sorted(((place, exp, seed) for exp in experiments
                   for place, seed in enumerate(args.seeds or
                                                [0, *get_study(exp.slug).spread_seeds])),
                  key=lambda entry: entry[0])
    for _, exp, seed in runs:
        if (Path(args.out) / f"{exp.slug}-seed{seed}.json").is_file():
            print(f"{exp.slug} seed {seed}: already written, skipped", flush=True)
            continue
        manifest = write_reference_run(
            exp, seed, Path(args.out), args.steps,
            command=f"python -m sinelib.tools.reference_tf1 {exp.slug} --seeds {seed}")
        run = manifest["run"]
        print(f"{exp.slug} seed {seed}: stopped by '{run['stop_reason']}' after "
              f"{run['steps']} steps in {run['elapsed_s']:.0f} s, held-out "
              f"{manifest['metrics']['loss']:.4g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
