"""Run records from shipped files, controls and live runs; control runs end to end."""

import numpy as np
import pytest

from sinelib.study.controls import CONTROLS, Control, get_control, load_control, run_control
from sinelib.experiments import DISPLAY_EVERY_STEPS, EXPERIMENTS, get_experiment
from sinelib.pretrained import load_manifest
from sinelib.study.records import load_history, result_run, shipped_run
from sinelib.history import HISTORY_COLUMNS
from sinelib.training import train


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_shipped_run_matches_its_manifest(slug):
    run = shipped_run(slug)
    manifest = load_manifest(slug)
    assert run.metrics == manifest["metrics"]
    assert run.examples == manifest["run"]["examples"]
    # The history has a row every 100 steps; a run can stop between two (exp6's cap of 10^6
    # examples is step 15625 at batch 64).
    last = run.history[-1]["examples"]
    assert last <= run.examples < last + DISPLAY_EVERY_STEPS * run.experiment.batch_size
    assert run.stop_reason == manifest["run"]["stop_reason"]
    assert set(run.history[0]) == set(HISTORY_COLUMNS)


def test_missing_history_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m sinelib reproduce exp3"):
        load_history("exp3", tmp_path)


def test_controls_change_only_what_they_say():
    noclip = get_control("exp4-noclip").experiment()
    assert noclip.config() == {**get_experiment("exp4").config(), "slug": "exp4-noclip",
                               "clip_value": None}
    for name in ("exp3-1-seed1", "exp5-1-seed2"):
        control = CONTROLS[name]
        assert control.seed in (1, 2) and control.changes == {}
    with pytest.raises(ValueError, match="known controls"):
        get_control("exp9")


def test_control_run_writes_history_and_manifest_without_weights(tmp_path):
    control = Control("tiny-noclip", "exp4", {"n_hidden": 4, "n_in": 5, "n_out": 3,
                                              "clip_value": None}, "test", seed=3)
    manifest = run_control(control, runs=tmp_path / "runs", directory=tmp_path / "out",
                           progress=False, steps=200)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "tiny-noclip.history.csv", "tiny-noclip.json"]
    assert manifest["seed"] == 3 and manifest["changes"] == {"clip_value": None,
                                                             "n_hidden": 4, "n_in": 5,
                                                             "n_out": 3}
    assert manifest["command"] == "python -m sinelib control tiny-noclip"
    loaded, history = load_control(control, tmp_path / "out")
    assert loaded == manifest
    assert [row["step"] for row in history] == [0, 100, 200]
    with pytest.raises(FileNotFoundError, match="python -m sinelib control tiny-noclip"):
        load_control(control, tmp_path)


def test_result_run_of_a_live_run(tiny):
    result = train(tiny, steps=100, progress=False, heldout_size=20, eval_every=100)
    run = result_run(result)
    assert run.source == "trained live" and run.steps == 100 and run.examples == 5000
    assert run.history == result.history and run.metrics == result.metrics


def test_spread_seeds_cover_every_experiment():
    from sinelib.study.controls import SPREAD_SEEDS

    assert list(SPREAD_SEEDS) == list(EXPERIMENTS)
    for slug, seeds in SPREAD_SEEDS.items():
        assert seeds == ((1, 2) if slug == "exp4" else (1, 2, 3, 4))
        for seed in seeds:
            control = CONTROLS[f"{slug}-seed{seed}"]
            assert (control.base, control.seed, control.changes) == (slug, seed, {})
    for seed in SPREAD_SEEDS["exp4"]:
        control = CONTROLS[f"exp4-noclip-seed{seed}"]
        assert control.seed == seed and control.changes == {"clip_value": None}


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_every_experiment_ships_its_seed_spread(slug):
    from sinelib.study.records import seed_runs

    runs = seed_runs(slug)
    assert [run.seed for run in runs] == list(range(3 if slug == "exp4" else 5))
    assert all(run.experiment.config() | {"slug": slug} == get_experiment(slug).config()
               for run in runs)


def test_seed_spread_statistics():
    from sinelib.study.analysis import seed_spread

    spread = seed_spread([1.0, 2.0, 3.0])
    assert spread == {"n": 3, "mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0}
    assert np.isnan(seed_spread([0.5])["std"])
    with pytest.raises(ValueError, match="finite"):
        seed_spread([1.0, float("nan")])
