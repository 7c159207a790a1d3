"""Training-speed benchmark: ``sinelib``'s training step against the original's TF1-style graph.

``python -m benchmarks.training`` (``make bench``) measures, for every network configuration of
the registry, in one run and alternating the contenders:

* the median milliseconds per training step (at the experiment's batch size) of the TF1-style
  reference (``sinelib.tools.reference_tf1``, in a process of its own) and of the step
  ``sinelib.train`` uses, and their ratio;
* each one's start-up time (graph build plus first step) and peak memory (the process's
  maximum resident set, TensorFlow included);
* the time of the step's matrix products alone at the GEMM rate this machine reaches on the
  network's recurrent product: a lower bound for any implementation that does the same
  arithmetic in single precision;
* the candidate ways of running ``sinelib``'s step (``VARIANTS``: Keras' symbolic loop, the
  unrolled graph, XLA, several steps per compiled call, fewer threads), which is the data
  ``step_plan`` is chosen by. The variants ``train`` never uses live here, not in
  ``sinelib.training``.

Every measurement runs in a fresh subprocess (``--worker``), so start-up and memory are
per contender and one contender's threads or caches never help another. No number here is
asserted in a test: ratios measured in one run are what to compare.

``--to-target`` instead trains the reference at the original's protocol until its held-out loss
reaches the original's quoted number (or the budget ends) and records the wall time; ``sinelib``'s
time comes from its own full-budget histories (the shipped ``*.history.csv``).

TensorFlow, and the TF1-style reference (which switches ``tf.keras`` to Keras 2 for the whole
process), are imported inside the functions that run them: each measurement runs in a worker
process of its own, and only the reference's workers may load the legacy Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sinelib import schedules, training
from sinelib.plumbing.steps import STEP_VARIANTS, step_plan
from sinelib.data import heldout_windows, training_batch
from sinelib.experiments import DISPLAY_EVERY_STEPS, EXPERIMENTS, Experiment, get_experiment
from sinelib.plumbing.history import history_from_csv
from sinelib.losses import summed_loss_tensor
from sinelib.models import build_model
from sinelib.plumbing.pretrained import PRETRAINED_DIR, environment, history_path
from sinelib.plumbing.tables import to_markdown, to_text

#: The repository; the workers run ``python -m benchmarks.training`` from it.
ROOT = Path(__file__).resolve().parents[1]


def _distinct_configs() -> tuple[str, ...]:
    """One experiment per distinct network and training step, in registry order.

    Two experiments share a network and step when they have the same cell, layers, units,
    input and output lengths and batch size (exp5-1 trains exp5-small's network with another
    schedule); the first experiment of each such key stands for all of them.
    """
    first = {}
    for slug, exp in EXPERIMENTS.items():
        key = (exp.cell, exp.n_layers, exp.n_hidden, exp.n_in, exp.n_out, exp.batch_size)
        first.setdefault(key, slug)
    return tuple(first.values())


#: The experiments measured by default: one per distinct network and step (``_distinct_configs``).
CONFIGS = _distinct_configs()
#: Every way of running sinelib's step that the benchmark compares: ``STEP_VARIANTS``
#: (what ``train`` picks from), a display interval of 100 steps per compiled call
#: (``make_chunk_step``), and TensorFlow limited to 1 intra-op and 2 inter-op threads.
VARIANTS = {
    **{name: {**variant, "chunk": False, "threads": None}
       for name, variant in STEP_VARIANTS.items()},
    "unroll-chunk": {"unroll": True, "jit_compile": False, "chunk": True, "threads": None},
    "unroll-1x2": {"unroll": True, "jit_compile": False, "chunk": False, "threads": (1, 2)},
    "loop-1x2": {"unroll": False, "jit_compile": False, "chunk": False, "threads": (1, 2)},
}
#: The variants measured by default, in table order.
CANDIDATES = tuple(VARIANTS)


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages: how busy it was while we measured."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(exp: Experiment, count: int, seed: int = 0):

    return [training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
            for step in range(count)]


def _time_calls(call, batches) -> list[float]:
    times = []
    for x, y in batches:
        start = time.perf_counter()
        call(x, y)
        times.append(time.perf_counter() - start)
    return times


def measure_reference(exp: Experiment, steps: int) -> dict:
    """Start-up and per-step time of the TF1-style graph (needs ``TF_USE_LEGACY_KERAS=1``)."""
    from sinelib.tools.reference_tf1 import ReferenceGraph

    batches = _batches(exp, steps + 1)
    start = time.perf_counter()
    graph = ReferenceGraph(exp, seed=0)
    x, y = batches[0]
    graph.step(x, y, graph.rate(0))
    startup = time.perf_counter() - start
    times = _time_calls(lambda x, y: graph.step(x, y, graph.rate(0)), batches[1:])
    graph.close()
    return {"startup_s": startup, "step_ms": 1000 * statistics.median(times)}


def make_chunk_step(model, optimizer, jit_compile: bool = False):
    """A compiled function taking several Adam steps in one call.

    It maps ``xs`` of shape ``(k, batch, n_in, 1)``, ``ys`` of shape ``(k, batch, n_out)`` and
    per-step learning rates ``rates`` of shape ``(k,)`` to the ``k`` summed losses before each
    update: the same steps as ``k`` calls of ``training.make_train_step``'s function, in one
    call.
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


def measure_sinelib(exp: Experiment, steps: int, variant: str | None = None) -> dict:
    """Start-up and per-step time of one way of running ``sinelib``'s training step.

    ``variant`` is one of ``VARIANTS``; ``None`` is the one ``train`` picks
    (``step_plan``).
    """


    plan = VARIANTS[_plan_name(step_plan(exp)) if variant is None else variant]
    if plan["threads"] is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(plan["threads"][0])
        tf.config.threading.set_inter_op_parallelism_threads(plan["threads"][1])
    batches = _batches(exp, steps + 1)
    start = time.perf_counter()
    model = build_model(exp, seed=0, unroll=plan["unroll"])
    optimizer = training.make_optimizer(exp, model)
    if plan["chunk"]:
        step = make_chunk_step(model, optimizer, jit_compile=plan["jit_compile"])
        x, y = batches[0]
        step(x[None], y[None], np.full(1, exp.learning_rate, np.float32)).numpy()
        startup = time.perf_counter() - start
        xs = np.stack([x for x, _ in batches[1:]])
        ys = np.stack([y for _, y in batches[1:]])
        rates = np.full(len(xs), exp.learning_rate, np.float32)
        times = []
        for first in range(0, len(xs), DISPLAY_EVERY_STEPS):
            block = slice(first, first + DISPLAY_EVERY_STEPS)
            begin = time.perf_counter()
            step(xs[block], ys[block], rates[block]).numpy()
            times.extend([(time.perf_counter() - begin) / len(xs[block])] * len(xs[block]))
    else:
        step = training.make_train_step(model, optimizer, jit_compile=plan["jit_compile"])
        x, y = batches[0]
        step(x, y).numpy()
        startup = time.perf_counter() - start
        times = _time_calls(lambda x, y: step(x, y).numpy(), batches[1:])
    return {"startup_s": startup, "step_ms": 1000 * statistics.median(times)}


def _gates(exp: Experiment) -> int:
    """Gate blocks of the cell's kernels: 4 for an LSTM, 3 for a GRU."""
    return 3 if exp.kind == "gru" else 4


def gemm_shapes(exp: Experiment) -> list[tuple[int, int, int, int]]:
    """The matrix products ``(m, k, n, count)`` of one training step of ``exp``'s network.

    Per layer and time step: the forward products of the input and of the previous state with
    their kernels, and in the backward pass the gradient with respect to the state, to the
    input (above the first layer) and to both kernels. The read-out adds one forward and two
    backward products. ``g`` is the cell's gate count: 4 for an LSTM, 3 for a GRU.
    """
    b, h, steps, g = exp.batch_size, exp.n_hidden, exp.n_in, _gates(exp)
    shapes = []
    for layer in range(exp.n_layers):
        d = 1 if layer == 0 else h
        shapes += [
            (b, d, g * h, steps),      # x_t W
            (b, h, g * h, steps),      # h_{t-1} U
            (b, g * h, h, steps),      # dz U^T
            (h, b, g * h, steps),      # h^T dz
            (d, b, g * h, steps),      # x^T dz
        ]
        if layer > 0:
            shapes.append((b, g * h, d, steps))  # dz W^T
    shapes += [(b, h, exp.n_out, 1), (b, exp.n_out, h, 1), (h, b, exp.n_out, 1)]
    return shapes


def measure_gemm_bound(exp: Experiment, chain: int = 100) -> dict:
    """The step's matrix products at this machine's measured single-precision GEMM rate.

    The rate is measured on the network's recurrent product, ``(batch, n_hidden)`` by
    ``(n_hidden, gates * n_hidden)``, as a chain of dependent products in one compiled call (the
    way the recurrence runs them); the bound is the step's floating-point operations in its
    matrix products (``gemm_shapes``) at that rate.
    """
    import tensorflow as tf

    b, h, g = exp.batch_size, exp.n_hidden, _gates(exp)
    state = tf.random.normal([b, h], stddev=0.1)
    kernel = tf.random.normal([h, g * h], stddev=0.1)

    @tf.function
    def products(state, kernel):
        for _ in range(chain):
            state = tf.matmul(state, kernel)[:, :h]
        return state

    products(state, kernel)
    samples = []
    for _ in range(15):
        start = time.perf_counter()
        products(state, kernel).numpy()
        samples.append((time.perf_counter() - start) / chain)
    # The fastest sample: a bound wants the rate the machine can reach, not its noise.
    rate = 2 * b * h * g * h / min(samples)
    flops = sum(2 * m * k * n * count for m, k, n, count in gemm_shapes(exp))
    return {"bound_ms": 1000 * flops / rate, "gflop": flops / 1e9, "gflops_per_s": rate / 1e9}


def train_reference_to_target(exp: Experiment, seed: int = 0, eval_every: int = 1000) -> dict:
    """Train the reference with the original's rule until the held-out loss reaches its
    quoted number."""
    from sinelib.tools.reference_tf1 import ReferenceGraph

    target = exp.reported.loss
    x_held, y_held = heldout_windows(exp.n_in, exp.n_out, exp.frequency)
    graph = ReferenceGraph(exp, seed=seed)
    start = time.perf_counter()
    step, displayed, reached = 0, None, None
    heldout = None
    while schedules.stop_reason(exp, step * exp.batch_size, displayed) is None:
        x, y = graph.minibatch(seed, step)
        graph.step(x, y, graph.rate(step))
        step += 1
        if step % DISPLAY_EVERY_STEPS == 0:
            displayed = graph.heldout_loss(x, y)
        if step % eval_every == 0:
            heldout = graph.heldout_loss(x_held, y_held)
            if target is not None and reached is None and heldout <= target:
                reached = {"step": step, "elapsed_s": time.perf_counter() - start,
                           "heldout_loss": heldout}
    return {"steps": step, "elapsed_s": time.perf_counter() - start, "final_heldout": heldout,
            "target": target, "reached": reached}


def sinelib_time_to_target(exp: Experiment) -> dict | None:
    """When ``sinelib``'s shipped full-budget run first met the original's number held-out."""
    path = history_path(exp, PRETRAINED_DIR)
    target = exp.reported.loss
    if not path.exists():
        return None
    history = history_from_csv(path.read_text())
    reached = next((row for row in history if row["heldout_loss"] is not None
                    and target is not None and row["heldout_loss"] <= target), None)
    return {"target": target, "steps": history[-1]["step"],
            "elapsed_s": history[-1]["elapsed_s"], "final_heldout": history[-1]["heldout_loss"],
            "reached": None if reached is None else {
                "step": reached["step"], "elapsed_s": reached["elapsed_s"],
                "heldout_loss": reached["heldout_loss"]}}


# --- the orchestrating side ---------------------------------------------------------------

def _run_worker(kind: str, slug: str, steps: int, timeout: float = 1800) -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if kind in ("tf1", "tf1-target"):
        env["TF_USE_LEGACY_KERAS"] = "1"
    else:
        env.pop("TF_USE_LEGACY_KERAS", None)
    command = [sys.executable, "-m", "benchmarks.training", "--worker", kind, slug,
               "--steps", str(steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark worker {kind} {slug} failed (exit {done.returncode}):\n"
                           + done.stderr[-3000:])
    return json.loads(lines[-1])


def _worker(kind: str, slug: str, steps: int) -> dict:
    exp = get_experiment(slug)
    if kind == "tf1":
        result = measure_reference(exp, steps)
    elif kind == "tf1-target":
        result = train_reference_to_target(exp)
    elif kind == "gemm":
        result = measure_gemm_bound(exp)
    elif kind == "sinelib":
        result = measure_sinelib(exp, steps)
    else:
        result = measure_sinelib(exp, steps, variant=kind)
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def machine() -> str:
    """The machine in one line, for a report: processor, cores and operating system."""
    found = environment()
    return f"{found['processor']}, {found['cpu_count']} logical CPUs, {found['platform']}"


def versions() -> dict:
    """The package versions a report records (``pretrained.environment``'s)."""
    found = environment()
    return {name: found[name] or "not installed"
            for name in ("python", "tensorflow", "keras", "tf-keras", "numpy")}


def run_benchmark(configs=CONFIGS, steps: int = 200, rounds: int = 2,
                  candidates=CANDIDATES, log=print) -> dict:
    """Measure every configuration; contenders alternate in order from round to round."""
    load_start = _load_average()
    results = {}
    for slug in configs:
        exp = get_experiment(slug)
        kinds = ["tf1", "sinelib", *candidates]
        samples = {kind: [] for kind in kinds}
        for round_index in range(rounds):
            order = kinds if round_index % 2 == 0 else kinds[::-1]
            for kind in order:
                sample = _run_worker(kind, slug, steps)
                samples[kind].append(sample)
                log(f"{slug} round {round_index + 1} {kind}: {sample['step_ms']:.2f} ms/step, "
                    f"start-up {sample['startup_s']:.2f} s, peak {sample['peak_rss_mb']:.0f} MB")
        gemm = _run_worker("gemm", slug, steps)
        log(f"{slug} matrix products alone: {gemm['bound_ms']:.2f} ms "
            f"({gemm['gflop']:.3f} GFLOP at {gemm['gflops_per_s']:.0f} GFLOP/s)")

        def summary(kind):
            rows = samples[kind]
            return {"step_ms": statistics.median(r["step_ms"] for r in rows),
                    "startup_s": statistics.median(r["startup_s"] for r in rows),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
                    "samples_ms": [round(r["step_ms"], 3) for r in rows]}

        results[slug] = {kind: summary(kind) for kind in kinds}
        results[slug]["gemm"] = gemm
        results[slug]["plan"] = step_plan(exp)
    return {"configs": results, "steps": steps, "rounds": rounds, "versions": versions(),
            "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_average": {"start": load_start, "end": _load_average()}}


def step_table(report: dict) -> list[list[str]]:
    """Rows of the main table: reference against sinelib, with the bound beside them."""
    rows = [["config", "network", "TF1 ms/step", "sinelib ms/step", "speed-up",
             "GEMM GFLOP/s", "products alone ms", "sinelib / products", "start-up TF1 s",
             "start-up sinelib s",
             "peak MB TF1", "peak MB sinelib"]]
    for slug, result in report["configs"].items():
        exp = get_experiment(slug)
        ref, ours, gemm = result["tf1"], result["sinelib"], result["gemm"]
        rows.append([
            slug, f"{exp.n_layers} x {exp.n_hidden}, {exp.n_in} -> {exp.n_out}",
            f"{ref['step_ms']:.1f}", f"{ours['step_ms']:.1f}",
            f"{ref['step_ms'] / ours['step_ms']:.2f}x", f"{gemm['gflops_per_s']:.0f}",
            f"{gemm['bound_ms']:.1f}",
            f"{ours['step_ms'] / gemm['bound_ms']:.2f}x",
            f"{ref['startup_s']:.2f}", f"{ours['startup_s']:.2f}",
            f"{ref['peak_rss_mb']:.0f}", f"{ours['peak_rss_mb']:.0f}",
        ])
    return rows


def candidate_table(report: dict) -> list[list[str]]:
    """Rows of the table the step plan is chosen from: ms/step of every candidate."""
    slugs = list(report["configs"])
    kinds = [kind for kind in CANDIDATES if kind in report["configs"][slugs[0]]]
    rows = [["config", *[f"{kind} ms" for kind in kinds], "fastest", "train uses"]]
    for slug in slugs:
        result = report["configs"][slug]
        fastest = min(kinds, key=lambda kind: result[kind]["step_ms"])
        rows.append([slug, *[f"{result[kind]['step_ms']:.1f}" for kind in kinds], fastest,
                     _plan_name(result["plan"])])
    return rows


def target_table(report: dict) -> list[list[str]]:
    """Rows of the time-to-the-original's-number table (``--to-target``)."""
    def cell(run):
        if run is None:
            return "no run"
        if run.get("target") is None:
            return f"no number of the original ({run['steps']} steps, {run['elapsed_s']:.0f} s)"
        if run["reached"] is None:
            return f"not reached in {run['steps']} steps ({run['elapsed_s']:.0f} s)"
        return f"step {run['reached']['step']}, {run['reached']['elapsed_s']:.0f} s"

    rows = [["config", "the original's loss", "TF1 reference reaches it held-out",
             "sinelib reaches it "
             "held-out (shipped run)"]]
    for slug, result in report["configs"].items():
        target = get_experiment(slug).reported.loss
        rows.append([slug, "-" if target is None else f"{target:g}", cell(result["tf1"]),
                     cell(result["sinelib"])])
    return rows


def markdown_report(report: dict, arguments: str = "") -> str:
    """The tables of a report in Markdown, with the machine, versions and how each was run."""
    runs = [["config", "run finished", "rounds x steps", "load average at the run's start",
             "command"]]
    for slug, result in report["configs"].items():
        load = result.get("load_average", report.get("load_average", {})).get("start")
        runs.append([slug, result.get("date", report["date"]),
                     f"{result.get('rounds', report['rounds'])} x "
                     f"{result.get('steps', report['steps'])}",
                     "-" if load is None else ", ".join(f"{value:.2f}" for value in load),
                     "`python -m benchmarks.training "
                     + result.get("command", arguments).replace("|", "/") + "`"])
    lines = [
        f"Machine: {report['machine']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + ".",
        "Each number is the median over alternating rounds; every contender runs in a fresh "
        "process, at the experiment's batch size.",
        "",
        to_markdown(runs),
        "",
        to_markdown(step_table(report)),
        "",
        to_markdown(candidate_table(report)),
        "",
    ]
    return "\n".join(lines)


def _plan_name(plan: dict) -> str:
    """The name of the ``STEP_VARIANTS`` entry ``plan`` is."""
    return next(name for name, value in STEP_VARIANTS.items() if value == plan)


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.training",
        description="Training step of sinelib against the original's TF1-style graph.")
    parser.add_argument("configs", nargs="*", default=list(CONFIGS),
                        help="experiments to measure (default: one per network)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    parser.add_argument("--merge", action="store_true",
                        help="replace only the measured configurations in the --json report "
                             "(each keeps its own date and load)")
    parser.add_argument("--to-target", action="store_true",
                        help="train the reference to the original's loss instead (long)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error(f"--steps must be at least 2, got {args.steps}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    for slug in args.configs:
        if slug not in EXPERIMENTS:
            parser.error(f"unknown experiment {slug!r}; known: {', '.join(EXPERIMENTS)}")

    if args.worker:
        print(json.dumps(_worker(args.worker, args.configs[0], args.steps)))
        return 0
    if args.to_target:
        report = {"machine": machine(), "versions": versions(), "configs": {}}
        for slug in args.configs:
            exp = get_experiment(slug)
            if exp.reported.loss is None:
                print(f"{slug}: the original quotes no loss to reach; skipped", flush=True)
                continue
            report["configs"][slug] = {
                "tf1": _run_worker("tf1-target", slug, args.steps, timeout=4 * 3600),
                "sinelib": sinelib_time_to_target(exp),
            }
            print(slug, json.dumps(report["configs"][slug]), flush=True)
        print(to_text(target_table(report)))
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n")
        if args.markdown:

            args.markdown.write_text(to_markdown(target_table(report)) + "\n")
        return 0
    report = run_benchmark(args.configs, steps=args.steps, rounds=args.rounds,
                           log=lambda line: print(line, file=sys.stderr, flush=True))
    for result in report["configs"].values():
        result["date"], result["load_average"] = report["date"], report["load_average"]
        result["rounds"], result["steps"] = args.rounds, args.steps
        result["command"] = " ".join(sys.argv[1:])
    if args.merge:
        if args.json is None or not args.json.exists():
            parser.error("--merge needs --json naming an existing report")
        earlier = json.loads(args.json.read_text())
        earlier["configs"].update(report["configs"])
        earlier["configs"] = {slug: earlier["configs"][slug] for slug in CONFIGS
                              if slug in earlier["configs"]}
        report = earlier
    print(f"{report['machine']}; " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    print(f"median of {args.rounds} rounds x {args.steps} steps, at each experiment's batch "
          f"size\n")
    print(to_text(step_table(report)))
    print()
    print(to_text(candidate_table(report)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nfull results: {args.json}")
    if args.markdown:
        args.markdown.write_text(markdown_report(report, " ".join(sys.argv[1:])))
        print(f"Markdown tables: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
