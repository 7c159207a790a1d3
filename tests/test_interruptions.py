"""Interrupted and diverging training runs lose at most the steps since the last checkpoint,
never keep non-finite weights, and the same seed gives bit-identical runs on one machine."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from sinelib import predict, train
from sinelib.plumbing.runs import RunFolder
from sinelib.models import weights_finite
from sinelib.plumbing.storage import load_arrays, variables_to_arrays


def _checkpoint_state(folder):
    return json.loads(str(load_arrays(folder / "checkpoint.npz")["state"]))


def _cli(*arguments):
    return [sys.executable, "-m", "sinelib", "train", *arguments, "--no-progress"]


#: The environment of the training processes the tests start.
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


@contextlib.contextmanager
def _started(command, cwd, out):
    """A training process started with ``command``, once it has written its first checkpoint
    into ``out``; it is killed on leaving the block, whatever happened in it."""
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while not (out / "checkpoint.npz").exists():
            assert process.poll() is None and time.monotonic() < deadline, (
                "training ended, or wrote no checkpoint within 180 s")
            time.sleep(0.02)
        yield process
    finally:
        process.kill()
        process.wait()


def _kill(process):
    """SIGKILL a training process that is still running, and wait for it to die."""
    assert process.poll() is None, "training finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def test_sigkill_then_resume_ends_like_an_uninterrupted_run(tmp_path):
    """A real training process, killed with SIGKILL after its first checkpoint, resumes to the
    same step count and the same weights, bit for bit, as a run that was never stopped."""
    out = tmp_path / "run"
    command = _cli("exp3", "--steps", "200", "--checkpoint-every", "100", "--out", str(out))
    with _started(command, tmp_path, out) as process:
        _kill(process)
    killed_at = _checkpoint_state(out)["step"]
    assert killed_at in (100,), killed_at
    assert not (out / "exp3.weights.npz").exists()  # the run never reached its end

    resumed = subprocess.run(command + ["--resume"], cwd=tmp_path, env=ENV, text=True,
                             capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "stopped by 'steps' after 200 steps (10000 examples)" in resumed.stdout
    manifest = json.loads((out / "exp3.json").read_text())
    assert manifest["run"]["steps"] == 200 and manifest["run"]["stop_reason"] == "steps"
    history = [line.split(",") for line in (out / "history.csv").read_text().splitlines()[1:]]
    assert [int(row[0]) for row in history] == [0, 100, 200]
    first_heldout, final_loss = float(history[0][4]), manifest["run"]["train_loss"]
    assert np.isfinite(final_loss) and 0 < final_loss < first_heldout
    assert np.isfinite(manifest["metrics"]["loss"])

    whole = train("exp3", seed=0, steps=200, progress=False, heldout_size=50)
    expected = variables_to_arrays(whole.model.weights)
    saved = load_arrays(out / "exp3.weights.npz")
    assert sorted(saved) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(saved[key], value, err_msg=key)
    assert whole.history[-1]["train_loss"] == final_loss


def test_kernel_interrupt_between_displays_keeps_usable_weights(tiny, tmp_path, monkeypatch):
    """Ctrl-C / a kernel interrupt between loss displays (here while drawing step 150's
    batch) returns a usable model, checkpoints it, and a resumed run still matches an
    uninterrupted one."""
    import sinelib.training

    real_batches = sinelib.training.training_batches

    def interrupt_at_150(seed, step, *args):
        for k, batch in enumerate(real_batches(seed, step, *args), start=step):
            if k == 150:
                raise KeyboardInterrupt
            yield batch

    kwargs = dict(seed=1, progress=False, heldout_size=50, checkpoint_every=100)
    monkeypatch.setattr(sinelib.training, "training_batches", interrupt_at_150)
    interrupted = train(tiny, steps=300, out_dir=tmp_path, **kwargs)
    monkeypatch.undo()
    # 150 when batches are drawn step by step; a loop that draws a display interval's batches
    # ahead is interrupted at that interval's start. Either way nothing trained is lost.
    assert interrupted.stop_reason == "interrupted" and 100 <= interrupted.steps <= 150
    assert weights_finite(interrupted.model)
    assert np.all(np.isfinite(predict(interrupted.model, np.zeros((3, tiny.n_in, 1)))))
    assert np.isfinite(interrupted.metrics["loss"])
    assert _checkpoint_state(tmp_path)["step"] == interrupted.steps

    resumed = train(tiny, steps=300, out_dir=tmp_path, resume=True, **kwargs)
    whole = train(tiny, steps=300, **kwargs)
    assert resumed.steps == 300
    for a, b in zip(whole.model.weights, resumed.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_notebook_interrupt_without_a_run_folder_returns_the_model(tiny):
    """``TRAIN = True`` in a notebook, interrupted: the weights so far come back usable."""
    def interrupt_at_200(row):
        if row["step"] == 200:
            raise KeyboardInterrupt

    kwargs = dict(seed=2, progress=False, heldout_size=50)
    interrupted = train(tiny, steps=1000, callback=interrupt_at_200, **kwargs)
    assert (interrupted.stop_reason, interrupted.steps) == ("interrupted", 200)
    assert interrupted.out_dir is None and weights_finite(interrupted.model)
    shorter = train(tiny, steps=200, **kwargs)
    for a, b in zip(shorter.model.weights, interrupted.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _blows_up_at_step_200(tiny):
    """A step decay by 10^35 at 10000 examples: fine for 200 steps, then the rate is 10^32."""
    return tiny.replace(decay_every_examples=10_000, decay_factor=1e35)


@pytest.mark.parametrize("steps,seen_at", [(500, 300), (250, 250)])
def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tiny, tmp_path, steps,
                                                                 seen_at, monkeypatch):
    """Caught at the next loss display (step 300), or at the end of a run that stops between
    displays (step 250): either way the checkpoint of step 200 stays, byte for byte."""
    written = []
    real_save = RunFolder.save

    def save_and_remember(self, model, optimizer, step, *args, **kwargs):
        real_save(self, model, optimizer, step, *args, **kwargs)
        written.append((step, self.path.read_bytes()))

    monkeypatch.setattr(RunFolder, "save", save_and_remember)
    with pytest.warns(RuntimeWarning) as caught:
        result = train(_blows_up_at_step_200(tiny), steps=steps, out_dir=tmp_path,
                       checkpoint_every=100, progress=False, heldout_size=20)
    message = str(caught[-1].message)
    assert f"tiny: the loss became nan or infinite by step {seen_at}" in message
    assert "restored from the checkpoint at step 200" in message
    assert (result.stop_reason, result.steps) == ("diverged", 200)
    assert [row["step"] for row in result.history] == [0, 100, 200]
    assert weights_finite(result.model)

    assert [step for step, _ in written] == [100, 200]
    assert (tmp_path / "checkpoint.npz").read_bytes() == written[-1][1]
    state = _checkpoint_state(tmp_path)
    assert state["step"] == 200 and np.isfinite(state["train_loss"])
    arrays = load_arrays(tmp_path / "checkpoint.npz")
    assert all(np.all(np.isfinite(v)) for k, v in arrays.items() if k != "state")
    model_arrays = variables_to_arrays(result.model.weights, prefix="model/")
    for key, value in model_arrays.items():
        np.testing.assert_array_equal(arrays[key], value)
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "100", "200"]


def test_divergence_before_any_checkpoint_is_reported_and_not_saved(tiny, tmp_path, capsys):
    """No good weights exist yet: the run says so, and the command line saves nothing."""
    from sinelib.tools.cli import _train_and_save

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _train_and_save(tiny.replace(learning_rate=1e30), 0, 300, tmp_path, False,
                                 tmp_path, progress=False)
    assert result.stop_reason == "diverged"
    assert any("the loss became" in str(w.message) for w in caught)
    assert "weights are not finite; nothing saved" in capsys.readouterr().err
    assert not (tmp_path / "tiny.weights.npz").exists()
    assert not (tmp_path / "checkpoint.npz").exists()


def test_same_seed_bit_identical_losses_and_weights(tiny):
    kwargs = dict(seed=11, steps=300, progress=False, heldout_size=50, eval_every=100)
    a, b = train(tiny, **kwargs), train(tiny, **kwargs)
    losses = lambda r: [(row["train_loss"], row["heldout_loss"]) for row in r.history]
    assert losses(a) == losses(b)  # exact float equality, not approx
    assert [x.hex() for x, _ in losses(a)[1:]] == [x.hex() for x, _ in losses(b)[1:]]
    for va, vb in zip(a.model.weights, b.model.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    assert a.metrics == b.metrics


def test_a_write_that_fails_midway_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    """Checkpoints are written to a temporary name and renamed: a crash (here, a failing
    rename) leaves the previous file whole and no temporary file behind."""
    import sinelib.plumbing.storage
    from sinelib.plumbing.storage import atomic_write_bytes

    path = tmp_path / "checkpoint.npz"
    atomic_write_bytes(path, b"old")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(sinelib.plumbing.storage.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_a_live_process_holds_its_folder_and_a_killed_one_leaves_no_lock(tiny, tmp_path):
    """While a real training process runs, a second run on its folder is refused with the
    process's PID; once it is killed by SIGKILL, the folder resumes at once."""
    out = tmp_path / "run"
    command = _cli("exp3", "--steps", "100000", "--checkpoint-every", "100", "--out", str(out))
    with _started(command, tmp_path, out) as process:
        with pytest.raises(ValueError, match=f"in use by another training run \\(PID "
                                             f"{process.pid}\\)"):
            train("exp3", steps=100000, out_dir=out, resume=True, progress=False)
        _kill(process)
    killed_at = _checkpoint_state(out)["step"]
    resumed = train("exp3", steps=killed_at + 100, out_dir=out, resume=True, progress=False,
                    heldout_size=50)
    assert resumed.steps == killed_at + 100 and resumed.stop_reason == "steps"
