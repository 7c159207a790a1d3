"""The speed benchmark's pieces: the reference graph, the workers, the bound and the tables.

No timing is asserted: these tests check that every contender runs the same protocol and that
the reports are well formed.
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import training as benchmark
from sinelib import training
from sinelib.plumbing.steps import STEP_VARIANTS, step_plan
from sinelib.experiments import DISPLAY_EVERY_STEPS, EXPERIMENTS, get_experiment
from sinelib.plumbing.history import history_from_csv
from sinelib.study.records import TF1_RUNS_DIR
from sinelib.schedules import STOP_STEPS

HAS_TF_KERAS = importlib.util.find_spec("tf_keras") is not None


def test_reference_module_refuses_without_legacy_keras(monkeypatch):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    sys.modules.pop("sinelib.tools.reference_tf1", None)
    with pytest.raises(ImportError, match="TF_USE_LEGACY_KERAS=1"):
        importlib.import_module("sinelib.tools.reference_tf1")


def test_gemm_shapes_count_the_flops_of_one_step():
    exp = get_experiment("exp2")
    flops = sum(2 * m * k * n * count for m, k, n, count in benchmark.gemm_shapes(exp))
    # Per time step: h U forward, dz U^T and h^T dz backward (3 x 50x150x600), plus the
    # 1-wide input products; then the read-out's three products.
    recurrent = 3 * 2 * 50 * 150 * 600 * 100
    inputs = 2 * 2 * 50 * 1 * 600 * 100
    readout = 3 * 2 * 50 * 150 * 50
    assert flops == recurrent + inputs + readout


def test_stacked_networks_count_the_products_between_layers():
    exp = get_experiment("exp5")
    shapes = benchmark.gemm_shapes(exp)
    # Layers above the first get their input gradient product (dz W^T).
    assert sum(1 for m, k, n, _ in shapes if (m, k, n) == (50, 128, 32)) == 2 * 3 + 1


def test_step_plan_names_a_known_variant_for_every_experiment():
    for slug in EXPERIMENTS:
        plan = step_plan(get_experiment(slug))
        assert plan in STEP_VARIANTS.values()
        assert benchmark.VARIANTS[benchmark._plan_name(plan)].items() >= plan.items()
    assert set(STEP_VARIANTS) <= set(benchmark.CANDIDATES) == set(benchmark.VARIANTS)


def test_configs_are_one_experiment_per_distinct_network_and_step():
    """Derived from the registry: what the hand-written list covered, plus the GRU stack."""
    assert benchmark.CONFIGS == ("exp1", "exp2", "exp3", "exp3-1", "exp4", "exp5",
                                 "exp5-small", "exp6")
    key = lambda e: (e.cell, e.n_layers, e.n_hidden, e.n_in, e.n_out, e.batch_size)
    keys = [key(get_experiment(slug)) for slug in benchmark.CONFIGS]
    assert len(set(keys)) == len(keys)
    assert {key(exp) for exp in EXPERIMENTS.values()} == set(keys)


def test_gru_products_have_three_gate_blocks():
    exp = get_experiment("exp6")
    shapes = benchmark.gemm_shapes(exp)
    assert (64, 10, 30, 25) in shapes and not any(n == 40 for _, _, n, _ in shapes)


def test_chunk_step_takes_the_same_steps_as_single_steps():
    from sinelib.data import training_batch
    from sinelib.models import build_model

    exp = get_experiment("exp5").replace(n_layers=2, n_hidden=8)
    batches = [training_batch(0, k, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
               for k in range(3)]
    single_model = build_model(exp, seed=3)
    single = training.make_train_step(single_model, training.make_optimizer(exp, single_model))
    single_losses = [float(single(x, y)) for x, y in batches]
    chunk_model = build_model(exp, seed=3)
    chunk = benchmark.make_chunk_step(chunk_model, training.make_optimizer(exp, chunk_model))
    rates = np.full(3, exp.learning_rate, np.float32)
    chunk_losses = chunk(np.stack([x for x, _ in batches]), np.stack([y for _, y in batches]),
                         rates).numpy()
    np.testing.assert_allclose(chunk_losses, single_losses, rtol=1e-5)
    for a, b in zip(single_model.weights, chunk_model.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def _worker(kind, slug, steps=3):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if kind == "tf1":
        env["TF_USE_LEGACY_KERAS"] = "1"
    done = subprocess.run([sys.executable, "-m", "benchmarks.training", "--worker", kind, slug,
                           "--steps", str(steps)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=benchmark.ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sinelib_worker_reports_time_startup_and_memory():
    result = _worker("sinelib", "exp5-small")
    assert result["step_ms"] > 0 and result["startup_s"] > 0 and result["peak_rss_mb"] > 50


@pytest.mark.skipif(not HAS_TF_KERAS, reason="the reference needs the bench extra (tf-keras)")
def test_reference_worker_runs_the_tf1_graph():
    result = _worker("tf1", "exp5-small")
    assert result["step_ms"] > 0 and result["startup_s"] > 0


@pytest.mark.skipif(not HAS_TF_KERAS, reason="the reference needs the bench extra (tf-keras)")
def test_reference_graph_learns_with_the_seed_loss():
    code = (
        "import numpy as np\n"
        "from sinelib.tools.reference_tf1 import ReferenceGraph\n"
        "from sinelib.experiments import get_experiment\n"
        "from sinelib.losses import summed_loss\n"
        "exp = get_experiment('exp3').replace(n_hidden=16, clip_value=0.5)\n"
        "g = ReferenceGraph(exp, seed=1)\n"
        "x, y = g.minibatch(1, 0)\n"
        "first = g.step(x, y, 0.01)\n"
        "losses = [g.step(*g.minibatch(1, k), 0.01) for k in range(1, 200)]\n"
        "assert abs(first - g.heldout_loss(x, y)) > 0, 'the step must update the weights'\n"
        "print(first, np.mean(losses[-20:]))\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_USE_LEGACY_KERAS="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, late = map(float, done.stdout.split())
    assert late < first / 3


@pytest.mark.skipif(not HAS_TF_KERAS, reason="the reference needs the bench extra (tf-keras)")
def test_reference_runs_are_written_like_control_runs(tmp_path):
    """The TF1 graph trained with the protocol (``make tf1-runs``), here for 200 steps: a
    history with the loop's columns and rows, and a manifest of the run, without weights."""
    command = [sys.executable, "-m", "sinelib.tools.reference_tf1", "exp5-small", "--seeds", "3",
               "--steps", "200", "--out", str(tmp_path)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_USE_LEGACY_KERAS="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "exp5-small-seed3.json").read_text())
    exp = get_experiment("exp5-small")
    assert manifest["kind"] == "tf1-graph" and manifest["seed"] == 3
    assert manifest["config"] == exp.config()
    assert manifest["run"]["steps"] == 200 and manifest["run"]["stop_reason"] == STOP_STEPS
    assert set(manifest["metrics"]) >= {"loss", "mse", "by_frequency"}
    history = history_from_csv((tmp_path / "exp5-small-seed3.history.csv").read_text())
    assert [row["step"] for row in history] == [0, 100, 200]
    assert history[0]["heldout_loss"] > 0 and history[0]["train_loss"] is None
    assert all(row["train_loss"] > 0 for row in history[1:])
    assert not list(tmp_path.glob("*.npz"))
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already written, skipped" in again.stdout


REFERENCE_RUNS = sorted(TF1_RUNS_DIR.glob("*.json"))


@pytest.mark.shipped
@pytest.mark.parametrize("path", REFERENCE_RUNS, ids=lambda path: path.stem)
def test_shipped_reference_runs_match_the_registry(path):
    """Each shipped TF1-graph run was trained on its experiment's current configuration, and
    its history's last display is the last one before the step count its manifest gives (a
    run can stop between displays, as exp6's cap of 15625 steps does)."""
    manifest = json.loads(path.read_text())
    exp = get_experiment(manifest["experiment"])
    assert manifest["config"] == exp.config() and manifest["kind"] == "tf1-graph"
    assert path.stem == f"{exp.slug}-seed{manifest['seed']}"
    history = history_from_csv((path.parent / manifest["history_file"]).read_text())
    steps = manifest["run"]["steps"]
    assert steps - DISPLAY_EVERY_STEPS < history[-1]["step"] <= steps
    assert manifest["run"]["examples"] == manifest["run"]["steps"] * exp.batch_size


def test_tables_from_a_report():
    run = {"step_ms": 10.0, "startup_s": 1.0, "peak_rss_mb": 700.0, "samples_ms": [10.0]}
    config = {kind: dict(run) for kind in ["tf1", "sinelib", *benchmark.CANDIDATES]}
    config["tf1"]["step_ms"] = 20.0
    config["unroll"]["step_ms"] = 5.0
    config["gemm"] = {"bound_ms": 4.0, "gflop": 1.0, "gflops_per_s": 100.0}
    config["plan"] = step_plan(get_experiment("exp3"))
    report = {"configs": {"exp3": config}, "steps": 3, "rounds": 1, "machine": "m",
              "versions": {"tensorflow": "x"}, "date": "d"}
    rows = benchmark.step_table(report)
    assert rows[1][4] == "2.00x" and rows[1][5] == "100" and rows[1][7] == "2.50x"
    candidates = benchmark.candidate_table(report)
    assert candidates[1][-2] == "unroll"
    text = benchmark.markdown_report(report, "exp3")
    assert "| exp3 |" in text and "`python -m benchmarks.training exp3`" in text


def test_command_line_rejects_unknown_configs_and_tiny_runs(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["exp9"])
    assert "unknown experiment 'exp9'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        benchmark.main(["exp3", "--steps", "1"])
    assert "--steps must be at least 2, got 1" in capsys.readouterr().err


def test_target_table_says_when_and_whether_the_seed_number_was_reached():
    reached = {"steps": 7000, "elapsed_s": 80.0, "target": 0.138701,
               "reached": {"step": 7000, "elapsed_s": 79.6, "heldout_loss": 0.13}}
    missed = {"steps": 30000, "elapsed_s": 300.0, "reached": None, "target": 0.138701}
    rows = benchmark.target_table({"configs": {"exp5": {"tf1": missed, "sinelib": reached}}})
    assert rows[1] == ["exp5", "0.138701", "not reached in 30000 steps (300 s)",
                       "step 7000, 80 s"]


def test_shipped_history_gives_sinelib_time_to_target():
    result = benchmark.sinelib_time_to_target(get_experiment("exp3"))
    assert result["target"] == 0.177742
    assert result["reached"] is None or result["reached"]["heldout_loss"] <= 0.177742


def test_markdown_report_says_how_each_configuration_was_measured():
    run = {"step_ms": 10.0, "startup_s": 1.0, "peak_rss_mb": 700.0, "samples_ms": [10.0]}
    config = {kind: dict(run) for kind in ["tf1", "sinelib", *benchmark.CANDIDATES]}
    config["gemm"] = {"bound_ms": 4.0, "gflop": 1.0, "gflops_per_s": 100.0}
    config["plan"] = step_plan(get_experiment("exp1"))
    later = dict(config, date="later", load_average={"start": [1.0, 1.5, 2.0]}, rounds=3,
                 steps=200, command="exp1 --rounds 3")
    report = {"configs": {"exp1": later, "exp3": dict(config)}, "steps": 100,
              "rounds": 2, "machine": "m", "versions": {}, "date": "first",
              "load_average": {"start": None, "end": None}}
    text = benchmark.markdown_report(report, "exp1 exp3")
    assert ("| exp1 | later | 3 x 200 | 1.00, 1.50, 2.00 | "
            "`python -m benchmarks.training exp1 --rounds 3` |") in text
    assert "| exp3 | first | 2 x 100 | - | `python -m benchmarks.training exp1 exp3` |" in text
