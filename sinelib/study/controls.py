"""Control runs: a registered experiment with one thing changed, trained by the same rules.

A control answers "what does this setting buy?" or "was that luck?" with a measurement rather
than a guess:

* the clipping notebook asks how much value clipping calms experiment 4's minibatch loss, so
  it needs experiment 4 trained again, at the same seed and budget, without clipping (the same
  initial weights and minibatches; only the clipping differs);
* every experiment at the seeds of its spread (1-4; experiment 4: 1-2, with and without
  clipping) says how much of a result is the draw of initial weights and minibatches, and
  experiments 3.1 and 5 (small) with twice the budget say how much is the budget.

Which controls exist is declared with each experiment's study (``sinelib.study.declarations``);
this module trains and reads them.

A control ships only its training history and a manifest-like JSON (how it was made, its
config, run facts and held-out metrics), not its weights: the notebooks need its curve, and
experiment 4's weights are several megabytes. ``python -m sinelib control NAME`` (or
``make controls``) trains it and writes both files to ``sinelib/pretrained/controls/``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sinelib.plumbing.history import history_from_csv, history_to_csv
from sinelib.plumbing.pretrained import PRETRAINED_DIR, environment
from sinelib.plumbing.storage import atomic_write_json, atomic_write_text
from sinelib.study.declarations import CONTROLS, Control
from sinelib.training import train

#: Where the shipped control histories and manifests live: ``sinelib/pretrained/controls/``
#: in the installed package.
#:
#: :meta hide-value:
CONTROLS_DIR = PRETRAINED_DIR / "controls"
#: Bumped whenever the control manifest layout changes.
CONTROL_FORMAT = 1


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


def control_names(spread: bool) -> list[str]:
    """Names of the declared controls: those of the seed spreads (seed above 0) when
    ``spread``, else the controls at the shipped seed 0."""
    return [name for name, control in CONTROLS.items() if (control.seed != 0) == spread]


def control_history_path(name: str, directory: str | Path | None = None) -> Path:
    """The history CSV of control ``name``."""
    return Path(CONTROLS_DIR if directory is None else directory) / f"{name}.history.csv"


def control_manifest_path(name: str, directory: str | Path | None = None) -> Path:
    """The manifest of control ``name``."""
    return Path(CONTROLS_DIR if directory is None else directory) / f"{name}.json"


def train_control(name: str | Control, *, runs: str | Path = "runs",
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
        ``(manifest, history)``; ``history`` as from ``history.history_from_csv``.

    Raises:
        FileNotFoundError: the control has not been run into ``directory``.
        ValueError: the manifest's config no longer matches the registry.
    """
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
