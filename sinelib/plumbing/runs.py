"""A run folder: the one live run's lock, its checkpoint and its history file.

``training.train`` writes into a run folder (``out_dir``) every ``checkpoint_every`` steps, on
interrupt and at the end: ``checkpoint.npz`` (weights, optimizer state, counters and history,
written atomically) and ``history.csv`` beside it. A folder belongs to one live run at a time:
the run holds an OS lock on ``run.lock`` (``flock`` on Linux and macOS, ``msvcrt.locking`` on
Windows), which the operating system drops when the process ends, so a second run on a folder
in use is refused and a killed run's folder resumes at once.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np

try:
    import fcntl  # Linux and macOS
    msvcrt = None
except ImportError:  # Windows has no fcntl; the lock is msvcrt's there
    fcntl = None
    import msvcrt

from sinelib.experiments import DISPLAY_EVERY_STEPS, Experiment
from sinelib.plumbing.history import history_to_csv
from sinelib.plumbing.storage import (
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
#: Windows locks byte ranges, and other processes cannot read a locked range: the lock is
#: taken on one byte past the process id written at the start of the file.
WINDOWS_LOCK_BYTE = 1024


class RunFolder:
    """One run's folder (or none, for a run that writes nothing): its checkpoint (weights,
    optimizer state, counters, history) and the history file beside it.

    Args:
        out_dir: The run folder, or ``None``: then nothing is read or written.
        exp: The experiment trained; a checkpoint of another configuration is refused.
        seed: The run's seed; a checkpoint of another seed is refused.
        steps: The run's step count, if it has one (it bounds the history read back).
    """

    def __init__(self, out_dir: Path | None, exp: Experiment, seed: int,
                 steps: int | None = None):
        self.path = None if out_dir is None else out_dir / CHECKPOINT_FILE
        self.exp = exp
        self.seed = seed
        self.steps = steps
        #: The step of the last checkpoint written or read.
        self.saved_step = 0

    def has_checkpoint(self) -> bool:
        return self.path is not None and self.path.exists()

    def start(self, resume: bool, model, optimizer) -> tuple[int, float | None, list[dict]]:
        """``(step, train loss, history)`` to start from: restored from the checkpoint when
        resuming, else a fresh start.

        Raises:
            ValueError: the folder holds a checkpoint and ``resume`` is false.
        """
        if not self.has_checkpoint():
            return 0, None, []
        if not resume:
            raise ValueError(
                f"{self.path.parent} already holds a checkpoint of an earlier run; pass "
                f"resume=True (--resume) to continue it, or choose another out_dir (--out)"
            )
        state = self.load(model, optimizer)
        return state["step"], state["train_loss"], state["history"]

    def save(self, model, optimizer, step: int, train_loss, history: list[dict]) -> None:
        """Write the checkpoint of ``step`` and the history file (nothing without a folder)."""
        if self.path is None:
            return
        arrays = variables_to_arrays(model.weights, prefix="model/")
        arrays.update(variables_to_arrays(optimizer.variables, prefix="optimizer/"))
        state = {
            "experiment": self.exp.config(),
            "seed": self.seed,
            "step": step,
            "train_loss": train_loss,
            "history": history,
        }
        arrays["state"] = np.array(json.dumps(state))
        save_arrays(self.path, arrays)
        atomic_write_text(self.path.parent / HISTORY_FILE, history_to_csv(history))
        self.saved_step = step

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
        self.saved_step = state["step"]
        return state


def try_lock(fd: int) -> bool:
    """Take the operating system's exclusive lock on the open file ``fd`` without waiting;
    ``False`` if another open file holds it. Closing ``fd`` (or the process ending) drops it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    os.lseek(fd, WINDOWS_LOCK_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def unlock(fd: int) -> None:
    """Drop the lock ``try_lock`` took on ``fd``."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    os.lseek(fd, WINDOWS_LOCK_BYTE, os.SEEK_SET)
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextlib.contextmanager
def run_folder_lock(out_dir: Path | None):
    """Hold ``out_dir`` for this run (a context manager), or refuse at once if another live
    run holds it; ``None`` holds nothing.

    The lock belongs to the open file: the operating system drops it when the process ends,
    even when it is killed, so a killed run's folder can be resumed at once.
    """
    if out_dir is None:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        if not try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            raise ValueError(f"run folder {out_dir} is in use by another training run (PID "
                             f"{holder}); wait for it to end or choose another out_dir")
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)
