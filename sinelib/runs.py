"""A run folder: the one live run's lock, its checkpoint and its history file.

``training.train`` writes into a run folder (``out_dir``) every ``checkpoint_every`` steps, on
interrupt and at the end: ``checkpoint.npz`` (weights, optimizer state, counters and history,
written atomically) and ``history.csv`` beside it. A folder belongs to one live run at a time:
the run holds an OS lock on ``run.lock``, which the kernel drops when the process ends, so a
second run on a folder in use is refused and a killed run's folder resumes at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

import numpy as np

from sinelib.experiments import DISPLAY_EVERY_STEPS, Experiment
from sinelib.history import history_to_csv
from sinelib.storage import (
    ArraySpec, assign_arrays, atomic_write_text, load_array, load_arrays, save_arrays,
    variable_specs, variables_to_arrays,
)

#: The files of a run folder beside the lock.
CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.csv"
#: The file a live run holds an OS lock on; it records the run's process id.
LOCK_FILE = "run.lock"
#: Bounds of a checkpoint's state record (its JSON text), which grows by one history row per
#: display: ample room for a row, and for the config and counters around the rows.
STATE_CHARS_PER_ROW = 512
STATE_CHARS_FIXED = 16_384


class Checkpoint:
    """Reads and writes one run's checkpoint (weights, optimizer state, counters, history).

    Args:
        out_dir: The run folder.
        exp: The experiment trained; a checkpoint of another configuration is refused.
        seed: The run's seed; a checkpoint of another seed is refused.
        steps: The run's step count, if it has one (it bounds the history read back).
    """

    def __init__(self, out_dir: Path, exp: Experiment, seed: int, steps: int | None = None):
        self.path = out_dir / CHECKPOINT_FILE
        self.exp = exp
        self.seed = seed
        self.steps = steps  # the run's step count, if it has one: bounds the history

    def save(self, model, optimizer, step: int, displayed_loss, history: list[dict]) -> None:
        arrays = variables_to_arrays(model.weights, prefix="model/")
        arrays.update(variables_to_arrays(optimizer.variables, prefix="optimizer/"))
        state = {
            "experiment": self.exp.config(),
            "seed": self.seed,
            "step": step,
            "displayed_loss": displayed_loss,
            "history": history,
        }
        arrays["state"] = np.array(json.dumps(state))
        save_arrays(self.path, arrays)
        atomic_write_text(self.path.parent / HISTORY_FILE, history_to_csv(history))

    def state_spec(self) -> ArraySpec:
        """The state record's spec: JSON text of at most one history row per display."""
        rows = max(self.exp.cap_steps, self.steps or 0) // DISPLAY_EVERY_STEPS + 1
        chars = STATE_CHARS_FIXED + STATE_CHARS_PER_ROW * rows
        return ArraySpec((), "U", max_bytes=np.dtype("U1").itemsize * chars)

    def load(self, model, optimizer) -> dict:
        """Restore ``model`` and ``optimizer``; returns the state record.

        Only what this run's network and optimizer hold, and a state record of at most the
        history the run's steps (or the cap) can write, is read (``storage.load_arrays``).
        """
        state_spec = self.state_spec()
        state = json.loads(str(load_array(self.path, "state", state_spec)))
        if not isinstance(state, dict):
            raise ValueError(f"{self.path} is not a sinelib checkpoint (its state record is "
                             f"not a JSON object)")
        if state.get("experiment") != self.exp.config():
            raise ValueError(
                f"checkpoint {self.path} was written for a different configuration than "
                f"{self.exp.slug}; start a new run with another out_dir"
            )
        if state.get("seed") != self.seed:
            raise ValueError(
                f"checkpoint {self.path} was written with seed {state.get('seed')}, "
                f"not {self.seed}; resume with --seed {state.get('seed')}"
            )
        specs = {**variable_specs(model.weights, prefix="model/"),
                 **variable_specs(optimizer.variables, prefix="optimizer/"), "state": state_spec}
        arrays = load_arrays(self.path, expected=specs)
        assign_arrays(model.weights, arrays, str(self.path), prefix="model/")
        assign_arrays(optimizer.variables, arrays, str(self.path), prefix="optimizer/")
        return state


@contextlib.contextmanager
def run_folder_lock(out_dir: Path | None):
    """Hold ``out_dir`` for this run (a context manager), or refuse at once if another live
    run holds it; ``None`` holds nothing.

    ``flock`` belongs to the open file: the kernel drops it when the process ends, even by
    SIGKILL, so a killed run's folder can be resumed at once.
    """
    if out_dir is None:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = open(out_dir / LOCK_FILE, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise ValueError(f"run folder {out_dir} is in use by another training run (PID "
                             f"{holder}); wait for it to end or choose another out_dir") from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield
    finally:
        lock.close()  # closing the file releases the lock


def start_or_resume(out_dir, exp, seed, resume, steps, model, optimizer):
    """The run's checkpoint (``None`` without ``out_dir``) and ``(step, displayed loss,
    history)``, restored from the checkpoint when resuming.

    Raises:
        ValueError: ``out_dir`` holds a checkpoint and ``resume`` is false.
    """
    if out_dir is None:
        return None, (0, None, [])
    checkpoint = Checkpoint(out_dir, exp, seed, steps)
    if not checkpoint.path.exists():
        return checkpoint, (0, None, [])
    if not resume:
        raise ValueError(
            f"{out_dir} already holds a checkpoint of an earlier run; pass resume=True "
            f"(--resume) to continue it, or choose another out_dir (--out)"
        )
    state = checkpoint.load(model, optimizer)
    return checkpoint, (state["step"], state["displayed_loss"], state["history"])
