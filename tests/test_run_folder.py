"""A run folder belongs to one live run: a second run on it is refused at once, and the lock
goes with the run however it ends (a normal finish, an exception, a killed process)."""

import json
import os
import subprocess
import sys

import pytest

from sinelib import train
from sinelib.plumbing.runs import LOCK_FILE, try_lock, unlock

KWARGS = dict(progress=False, heldout_size=20)


def _lock_is_free(folder) -> bool:
    """Whether a new open of the folder's lock file can take the lock (then gives it back)."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        if not try_lock(fd):
            return False
        unlock(fd)
        return True
    finally:
        os.close(fd)


def test_a_second_run_on_a_folder_in_use_is_refused(tiny, tmp_path):
    """The first run's callback starts a second run on the same folder (another open of the
    lock file): refused at once, naming the folder and this process, and the first run ends
    normally."""
    refusals = []

    def start_another(row):
        if row["step"] == 100:
            assert not _lock_is_free(tmp_path)
            with pytest.raises(ValueError) as caught:
                train(tiny, steps=100, out_dir=tmp_path, resume=True, **KWARGS)
            refusals.append(str(caught.value))

    first = train(tiny, steps=200, out_dir=tmp_path, callback=start_another, **KWARGS)
    assert first.steps == 200 and first.stop_reason == "steps"
    [message] = refusals
    assert str(tmp_path) in message and "in use by another training run" in message
    assert f"PID {os.getpid()}" in message


def test_the_lock_is_released_after_a_normal_finish(tiny, tmp_path):
    train(tiny, steps=100, out_dir=tmp_path, **KWARGS)
    assert _lock_is_free(tmp_path)
    resumed = train(tiny, steps=200, out_dir=tmp_path, resume=True, **KWARGS)
    assert resumed.steps == 200


def test_the_lock_is_released_after_an_exception(tiny, tmp_path):
    def fail(row):
        if row["step"] == 100:
            raise RuntimeError("a callback bug")

    with pytest.raises(RuntimeError, match="a callback bug"):
        train(tiny, steps=300, out_dir=tmp_path, callback=fail, checkpoint_every=100,
              **KWARGS)
    assert _lock_is_free(tmp_path)
    resumed = train(tiny, steps=200, out_dir=tmp_path, resume=True, **KWARGS)
    assert resumed.steps == 200


def test_a_refused_start_leaves_the_lock_free(tiny, tmp_path):
    """Refusing an existing checkpoint (no resume) happens inside the lock: it is released."""
    train(tiny, steps=100, out_dir=tmp_path, **KWARGS)
    with pytest.raises(ValueError, match="already holds a checkpoint"):
        train(tiny, steps=100, out_dir=tmp_path, **KWARGS)
    assert _lock_is_free(tmp_path)


def test_a_run_without_a_folder_takes_no_lock(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(tiny, steps=100, **KWARGS)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kwargs,match", [
    (dict(seed=-1), "seed"), (dict(seed=2**32), "seed"), (dict(unroll="yes"), "unroll"),
    (dict(eval_every=150), "eval_every"),
])
def test_bad_arguments_are_refused_before_the_folder_is_made(tiny, tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(tiny, steps=100, out_dir=tmp_path / "run", **kwargs, **KWARGS)
    assert not (tmp_path / "run").exists()


#: A learner's Windows laptop, played on this machine: ``import fcntl`` fails, and Windows'
#: ``msvcrt.locking`` (a byte-range lock that fails at once with OSError when held) is played by
#: ``flock`` on the same file descriptor. Then a run trains, refuses a second run on its folder,
#: and resumes.
_WITHOUT_FCNTL = """
import json, os, sys
import fcntl as real_fcntl
# What the package stands on is loaded first (the standard library's subprocess reads a present
# msvcrt as "this is Windows"); from here on, import fcntl raises ImportError, as on Windows.
import keras, numpy, tensorflow, tqdm
sys.modules["fcntl"] = None


class msvcrt:
    LK_UNLCK, LK_NBLCK = 0, 2
    calls = []

    @staticmethod
    def locking(fd, mode, nbytes):
        msvcrt.calls.append([mode, os.lseek(fd, 0, os.SEEK_CUR), nbytes])
        if mode == msvcrt.LK_UNLCK:
            real_fcntl.flock(fd, real_fcntl.LOCK_UN)
            return
        try:
            real_fcntl.flock(fd, real_fcntl.LOCK_EX | real_fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(36, "Resource deadlock avoided") from None


sys.modules["msvcrt"] = msvcrt
import sinelib
from sinelib.plumbing import runs

tiny = sinelib.get_experiment("exp3").replace(slug="tiny", n_hidden=8, n_in=10, n_out=5,
                                              budget_examples=10_000, cap_examples=10_000)
options = dict(out_dir=sys.argv[1], progress=False, heldout_size=20)
refusals = []


def start_another(row):
    if row["step"] == 100:
        try:
            sinelib.train(tiny, steps=100, resume=True, **options)
        except ValueError as error:
            refusals.append(str(error))


first = sinelib.train(tiny, steps=200, callback=start_another, **options)
resumed = sinelib.train(tiny, steps=300, resume=True, **options)
print(json.dumps({"fcntl": runs.fcntl is None, "steps": [first.steps, resumed.steps],
                  "refusals": refusals, "calls": msvcrt.calls, "pid": os.getpid()}))
"""


def test_without_fcntl_the_package_imports_trains_and_locks_with_msvcrt(tmp_path):
    done = subprocess.run([sys.executable, "-c", _WITHOUT_FCNTL, str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["fcntl"] and seen["steps"] == [200, 300]
    [refusal] = seen["refusals"]
    assert "in use by another training run" in refusal and f"PID {seen['pid']}" in refusal
    lock, unlock = 2, 0
    # Three runs took the lock on the byte past the process id, one was refused, two gave it back.
    assert seen["calls"] == [[lock, 1024, 1], [lock, 1024, 1], [unlock, 1024, 1],
                             [lock, 1024, 1], [unlock, 1024, 1]]
