import subprocess
import sys

import pytest

from sinelib.tools.cli import main


def test_list_shows_every_experiment_with_budgets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for slug in ("exp1", "exp3-1", "exp5-small", "exp5-1"):
        assert slug in out
    assert "500000 / 10000" in out and "0.177742" in out


def test_train_then_evaluate(tmp_path, capsys):
    assert main(["train", "exp5-small", "--steps", "100", "--seed", "1", "--out",
                 str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "stopped by 'steps' after 100 steps (5000 examples)" in out
    assert (tmp_path / "checkpoint.npz").is_file() and (tmp_path / "exp5-small.json").is_file()
    assert main(["evaluate", "5 (small)", "--weights", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "trained 100 steps (5000 examples)" in out and "3 Hz" in out
    assert main(["ledger", "--weights", str(tmp_path), "--markdown"]) == 0
    ledger = capsys.readouterr().out.splitlines()
    assert ledger[0].startswith("| experiment | original's loss | held-out loss")
    assert ledger[2].startswith("| 5 (small) (exp5-small) | 0.5 |") and "| steps |" in ledger[2]
    # --resume past the end of the run trains no further.
    assert main(["train", "exp5-small", "--steps", "100", "--seed", "1", "--out",
                 str(tmp_path), "--resume", "--no-progress"]) == 0
    assert "after 100 steps" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["train", "exp42"], "unknown experiment 'exp42'"),
    (["evaluate", "exp3", "--weights", "/nonexistent"], "no pretrained weights for exp3"),
    (["reproduce"], "or pass --all"),
    (["ledger", "--weights", "/nonexistent"], "no pretrained manifests"),
    (["reproduce", "exp3", "--all"], "not both"),
    (["train", "exp3", "--steps", "0"], "steps must be a positive integer"),
    (["control", "exp9"], "unknown control 'exp9'"),
    (["figures", "nope.png", "--out", "/tmp"], "unknown figures"),
])
def test_errors_are_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "sinelib", "list"], capture_output=True,
                          text=True, check=True)
    assert "exp4" in done.stdout


def test_reproduce_repeats_the_recorded_step_variant(tmp_path, monkeypatch):
    """make reproduce trains as the manifest in its destination says the run was stepped."""
    import json

    from sinelib.tools import cli

    seen = {}

    class Stop(Exception):
        pass

    def fake_train(exp, **kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(cli, "train", fake_train)
    (tmp_path / "exp5-small.json").write_text(json.dumps(
        {"run": {"step_variant": {"unroll": True, "jit_compile": False}}}))
    with pytest.raises(Stop):
        cli.main(["reproduce", "exp5-small", "--dest", str(tmp_path), "--runs",
                  str(tmp_path / "runs"), "--no-progress"])
    assert (seen["unroll"], seen["jit_compile"]) == (True, False)
    seen.clear()
    (tmp_path / "exp5-small.json").unlink()  # no record: the plan decides
    with pytest.raises(Stop):
        cli.main(["reproduce", "exp5-small", "--dest", str(tmp_path), "--runs",
                  str(tmp_path / "runs"), "--no-progress"])
    assert (seen["unroll"], seen["jit_compile"]) == (None, None)
