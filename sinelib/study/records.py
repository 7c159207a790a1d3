"""One record per finished run, whatever its source: shipped weights, a control, a live run.

The notebooks, the claims and the figures all read a ``training.Run``: the experiment, the
run's facts (seed, steps, examples, stop reason), its held-out metrics and its training history.
A reader who trains live (``TRAIN = True``) gets the ``Run`` that ``train`` returns instead of
the shipped one, and every later cell works unchanged. The original's TF1 graph, trained with
the same protocol on the same minibatches (``make tf1-runs``), gives runs of the same kind
(``tf1_runs``).
"""

from __future__ import annotations

import json
from pathlib import Path

from sinelib.experiments import EXPERIMENTS, Experiment, get_experiment
from sinelib.plumbing.history import history_from_csv
from sinelib.plumbing.pretrained import PRETRAINED_DIR, history_path, load_manifest
from sinelib.study.analysis import seed_spread
from sinelib.study.controls import control_manifest_path, get_control, load_control
from sinelib.study.criteria import Sources
from sinelib.study.declarations import STUDIES, get_study
from sinelib.training import Run

#: Where the original's TF1 graph's training runs are shipped: ``<slug>-seed<N>.json`` and
#: ``.history.csv`` (``sinelib.tools.reference_tf1`` writes them; no weights), in
#: ``sinelib/pretrained/tf1/``.
#:
#: :meta hide-value:
TF1_RUNS_DIR = PRETRAINED_DIR / "tf1"
#: The ``source`` of a TF1-graph run's record.
TF1_SOURCE = "TF1 graph"


def _from_manifest(exp: Experiment, manifest: dict, history: list, source: str) -> Run:
    run = manifest.get("run") or {}
    steps = run.get("steps")
    if steps is None:
        steps = history[-1]["step"] if history else 0
    return Run(experiment=exp, seed=run.get("seed", 0), steps=steps,
               stop_reason=run.get("stop_reason", "unknown"), metrics=manifest["metrics"],
               history=history, source=source, elapsed_s=run.get("elapsed_s", 0.0),
               step_variant=run.get("step_variant", {}))


def load_history(name: str | Experiment, directory=None) -> list[dict]:
    """The training history shipped beside an experiment's weights.

    Raises:
        FileNotFoundError: no history file for ``name`` in ``directory``.
    """
    exp = get_experiment(name)
    path = history_path(exp, PRETRAINED_DIR if directory is None else Path(directory))
    if not path.is_file():
        raise FileNotFoundError(
            f"no training history for {exp.slug} at {path}; train it with: "
            f"python -m sinelib reproduce {exp.slug}"
        )
    return history_from_csv(path.read_text(encoding="utf-8"))


def shipped_run(name: str | Experiment, directory=None) -> Run:
    """The record of an experiment's shipped run (manifest and history), without weights."""
    exp = get_experiment(name)
    return _from_manifest(exp, load_manifest(exp, directory), load_history(exp, directory),
                          "shipped")


def control_run(name: str, directory=None) -> Run:
    """The record of a control run (``sinelib.study.controls``)."""
    control = get_control(name)
    manifest, history = load_control(control, directory)
    return _from_manifest(control.experiment(), manifest, history, f"control {control.name}")


def spread_runs(name: str | Experiment, controls_directory=None) -> list[Run]:
    """The seed-spread control runs of an experiment that have been trained, in seed order
    (its study's ``spread_seeds``; ``make seeds`` trains them)."""
    study = get_study(get_experiment(name).slug)
    return [control_run(control, controls_directory) for control in study.spread_names()
            if control_manifest_path(control, controls_directory).is_file()]


def seed_runs(name: str | Experiment, directory=None, controls_directory=None) -> list[Run]:
    """The shipped run (seed 0) and every seed-spread control run of an experiment found.

    Seeds whose control has not been trained yet (``make seeds``) are left out; the caller
    sees how many seeds there are from the list's length.
    """
    return [shipped_run(name, directory), *spread_runs(name, controls_directory)]


def all_seed_spreads(directory=None, controls_directory=None) -> dict:
    """``analysis.seed_spread`` of the held-out loss over seeds, for every experiment."""
    return {slug: seed_spread([run.metrics["loss"]
                               for run in seed_runs(slug, directory, controls_directory)])
            for slug in EXPERIMENTS}


def tf1_runs(name: str | Experiment, directory=None) -> list[Run]:
    """The original's TF1 graph trained on the experiment's protocol and minibatches, at every
    seed found (``make tf1-runs``), in seed order; empty when none has been trained.

    Args:
        name: The experiment.
        directory: Where the runs are (default the shipped ones, ``TF1_RUNS_DIR``).
    """
    exp = get_experiment(name)
    folder = TF1_RUNS_DIR if directory is None else Path(directory)
    runs = []
    for path in folder.glob(f"{exp.slug}-seed*.json"):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        history = history_from_csv((folder / manifest["history_file"]).read_text(
            encoding="utf-8"))
        runs.append(_from_manifest(exp, manifest, history, TF1_SOURCE))
    return sorted(runs, key=lambda run: run.seed)


def all_tf1_spreads(directory=None) -> dict:
    """``analysis.seed_spread`` of the TF1 graph's held-out loss over its seeds, for every
    experiment with at least one run."""
    return {slug: seed_spread([run.metrics["loss"] for run in runs])
            for slug in EXPERIMENTS if (runs := tf1_runs(slug, directory))}


def clipping_off_runs(name: str | Experiment | None = None,
                      controls_directory=None) -> list[Run]:
    """The runs without value clipping that have been trained: seed 0, then the spread's seeds.

    Args:
        name: The experiment (default: every experiment whose study has such runs, which is
            experiment 4).
        controls_directory: Where the control runs are (default the shipped ones).
    """
    studies = STUDIES.values() if name is None else [get_study(get_experiment(name).slug)]
    names = [control for study in studies for control in study.clipping_off()]
    return [control_run(name, controls_directory) for name in names
            if control_manifest_path(name, controls_directory).is_file()]


def overlay_histories(name: str | Experiment, controls_directory=None) -> dict[str, list]:
    """The control runs an experiment's training figure draws beside its own curve.

    Returns:
        Label ("seed 1 (control)", "without clipping (control)", ...) to training history, for
        ``plots.plot_training_curve(..., others=...)``; the controls are the study's
        ``overlays``.
    """
    study = get_study(get_experiment(name).slug)
    return {f"{get_control(control).label or control} (control)":
            control_run(control, controls_directory).history for control in study.overlays}


def shipped_sources(directory=None, controls_directory=None) -> Sources:
    """Where the criteria find the runs they compare with: the shipped files."""
    return Sources(
        shipped=lambda name: shipped_run(name, directory),
        control=lambda name: control_run(name, controls_directory),
        spread=lambda name: spread_runs(name, controls_directory),
        label=lambda name: get_control(name).label or name,
        tf1=lambda name: tf1_runs(name),
    )
