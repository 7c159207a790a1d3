"""A run folder belongs to one live run: a second run on it is refused at once, and the lock
goes with the run however it ends (a normal finish, an exception, a killed process)."""

import fcntl
import os

import pytest

from sinelib import train
from sinelib.plumbing.runs import LOCK_FILE

KWARGS = dict(progress=False, heldout_size=20)


def _lock_is_free(folder) -> bool:
    """Whether a new open of the folder's lock file can take the lock (then gives it back)."""
    with open(folder / LOCK_FILE, "a+") as file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)
        return True


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
