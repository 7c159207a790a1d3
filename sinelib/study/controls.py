"""Control runs: a registered experiment with one thing changed, trained by the same rules.

A control answers "what does this setting buy?" or "was that luck?" with a measurement rather
than a guess:

* the clipping notebook asks how much value clipping calms experiment 4's minibatch loss, so
  it needs experiment 4 trained again, at the same seed and budget, without clipping (the same
  initial weights and minibatches; only the clipping differs);
* where seed 0 misses one of the seed's numbers (experiments 3.1 and 5.1), the same
  experiment at seeds 1 and 2 says how much of the gap is the draw of initial weights and
  minibatches, and experiments 3.1 and 5 (small) with twice the budget say how much is the budget.

A control ships only its training history and a manifest-like JSON (how it was made, its
config, run facts and held-out metrics), not its weights: the notebooks need its curve, and
experiment 4's weights are several megabytes. ``python -m sinelib control NAME`` (or
``make controls``) trains it and writes both files to ``sinelib/pretrained/controls/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sinelib.experiments import EXPERIMENTS, Experiment, get_experiment
from sinelib.pretrained import PRETRAINED_DIR, environment
from sinelib.storage import atomic_write_json, atomic_write_text

#: Where the shipped control histories and manifests live.
CONTROLS_DIR = PRETRAINED_DIR / "controls"
#: Bumped whenever the control manifest layout changes.
CONTROL_FORMAT = 1


@dataclass(frozen=True)
class Control:
    """One control run: a registered experiment with some fields changed.

    Attributes:
        name: Stable identifier (file names, command line); also the experiment's slug.
        base: Slug of the registered experiment it varies.
        changes: Fields of ``Experiment`` that differ from ``base``.
        question: What the control is for, in one sentence.
        seed: Seed of the initial weights and minibatches (the shipped weights use 0).
    """

    name: str
    base: str
    changes: dict
    question: str
    seed: int = 0

    def experiment(self) -> Experiment:
        """The base experiment with ``changes`` applied, under this control's name."""
        return get_experiment(self.base).replace(slug=self.name, **self.changes)


#: Seeds beyond the shipped seed 0 trained for the seed spread of each experiment (the ledger's
#: mean and standard deviation): five seeds in all, three for the 500-unit experiment 4.
SPREAD_SEEDS: dict[str, tuple[int, ...]] = {
    slug: (1, 2) if slug == "exp4" else (1, 2, 3, 4) for slug in EXPERIMENTS
}

CONTROLS: dict[str, Control] = {
    control.name: control
    for control in (
        Control("exp4-noclip", "exp4", {"clip_value": None},
                "How wildly does experiment 4's minibatch loss vary without value clipping, "
                "at the same seed and budget?"),
        Control("exp3-1-long", "exp3-1", {"budget_examples": 1_000_000,
                                          "cap_examples": 1_000_000},
                "Does experiment 3.1 reach the seed's number with twice the budget? (Same "
                "seed: it repeats the shipped run before going on.)"),
        Control("exp5-small-long", "exp5-small", {"budget_examples": 2_400_000,
                                                  "cap_examples": 2_400_000},
                "Where does the 4 x 10 network at lr 0.001 stall, given twice the seed's "
                "examples? (Same seed: it repeats the shipped run before going on.)"),
        *(Control(f"{base}-seed{seed}", base, {},
                  f"How much of {base}'s result is the draw of initial weights and "
                  f"minibatches? (seed {seed} of the spread)", seed=seed)
          for base, seeds in SPREAD_SEEDS.items() for seed in seeds),
        *(Control(f"exp4-noclip-seed{seed}", "exp4", {"clip_value": None},
                  f"How wildly does experiment 4's minibatch loss vary without value clipping, "
                  f"at seed {seed}?", seed=seed)
          for seed in SPREAD_SEEDS["exp4"]),
    )
}


def get_control(name: str | Control) -> Control:
    """Look up a control by name.

    Raises:
        ValueError: unknown name; the message lists the known ones.
    """
    if isinstance(name, Control):
        return name
    if name not in CONTROLS:
        raise ValueError(f"unknown control {name!r}; known controls: {', '.join(CONTROLS)}")
    return CONTROLS[name]


def control_history_path(name: str, directory: str | Path | None = None) -> Path:
    """The history CSV of control ``name``."""
    return Path(CONTROLS_DIR if directory is None else directory) / f"{name}.history.csv"


def control_manifest_path(name: str, directory: str | Path | None = None) -> Path:
    """The manifest of control ``name``."""
    return Path(CONTROLS_DIR if directory is None else directory) / f"{name}.json"


def run_control(name: str | Control, *, runs: str | Path = "runs",
                directory: str | Path | None = None, progress: bool = True,
                steps: int | None = None) -> dict:
    """Train a control at its base experiment's full budget and write history and manifest.

    The run folder (``runs/<name>-seed<seed>``) holds a checkpoint, so an interrupted run
    resumes where it stopped when called again.

    Args:
        name: Control name, e.g. ``"exp4-noclip"``.
        runs: Folder of run folders (checkpoints).
        directory: Where history and manifest go; defaults to ``CONTROLS_DIR``.
        progress: Show a progress bar.
        steps: Stop after this many steps instead of the budget (tests only).

    Returns:
        The manifest written.
    """
    from sinelib.history import history_to_csv
    from sinelib.training import train

    control = get_control(name)
    exp = control.experiment()
    seed = control.seed
    result = train(exp, seed=seed, steps=steps, out_dir=Path(runs) / f"{control.name}-seed{seed}",
                   resume=True, progress=progress)
    manifest = {
        "format": CONTROL_FORMAT,
        "control": control.name,
        "base": control.base,
        "changes": control.changes,
        "question": control.question,
        "seed": seed,
        "command": f"python -m sinelib control {control.name}",
        "config": exp.config(),
        "run": result.summary(),
        "metrics": result.metrics,
        "versions": environment(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "history_file": control_history_path(control.name, directory).name,
        "weights": "not shipped (the notebooks use the history only)",
    }
    atomic_write_text(control_history_path(control.name, directory),
                      history_to_csv(result.history))
    atomic_write_json(control_manifest_path(control.name, directory), manifest)
    return manifest


def load_control(name: str | Control, directory: str | Path | None = None) -> tuple[dict, list]:
    """Read a control's manifest and training history.

    Returns:
        ``(manifest, history)``; ``history`` as from ``training.history_from_csv``.

    Raises:
        FileNotFoundError: the control has not been run into ``directory``.
        ValueError: the manifest's config no longer matches the registry.
    """
    import json

    from sinelib.history import history_from_csv

    control = get_control(name)
    manifest_file = control_manifest_path(control.name, directory)
    if not manifest_file.is_file():
        raise FileNotFoundError(
            f"no control run {control.name} in {manifest_file.parent}; make it with: "
            f"python -m sinelib control {control.name}"
        )
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != CONTROL_FORMAT or manifest.get("seed") != control.seed or \
            manifest.get("config") != control.experiment().config():
        raise ValueError(
            f"control manifest {manifest_file} does not match the current {control.name} "
            f"configuration; rerun python -m sinelib control {control.name}"
        )
    history_file = control_history_path(control.name, directory)
    history = history_from_csv(history_file.read_text(encoding="utf-8"))
    return manifest, history
