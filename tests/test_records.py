"""Run records from shipped files, controls and live runs; control runs end to end."""

import json

import numpy as np
import pytest

from sinelib.study.controls import (
    CONTROLS, Control, control_names, get_control, load_control, train_control,
)
from sinelib.study.declarations import STUDIES
from sinelib.experiments import DISPLAY_EVERY_STEPS, EXPERIMENTS, get_experiment
from sinelib.plumbing.pretrained import load_manifest
from sinelib.study.analysis import seed_spread
from sinelib.study.records import (
    TF1_SOURCE, all_tf1_spreads, clipping_off_runs, control_run, load_history,
    overlay_histories, shipped_run, tf1_runs,
)
from sinelib.plumbing.history import HISTORY_COLUMNS
from sinelib.training import train


@pytest.mark.shipped
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
    manifest = train_control(control, runs=tmp_path / "runs", directory=tmp_path / "out",
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


def test_a_live_run_and_a_shipped_run_are_one_record():
    """train returns the same record the shipped files give, with the model beside it."""
    run = train(get_experiment("exp3").replace(slug="live", budget_examples=5000),
                progress=False, heldout_size=20)
    shipped = shipped_run("exp3")
    assert type(run) is type(shipped)
    assert run.source == "trained live" and shipped.source == "shipped"
    assert run.steps == 100 and run.examples == 5000 and run.model is not None
    assert shipped.model is None and shipped.examples == shipped.steps * 50
    assert set(load_manifest("exp3")["run"]) <= set(run.summary())


def test_spread_controls_vary_only_the_seed():
    for slug, study in STUDIES.items():
        for seed in study.spread_seeds:
            control = CONTROLS[f"{slug}-seed{seed}"]
            assert (control.base, control.seed, control.changes) == (slug, seed, {})
    for seed in STUDIES["exp4"].spread_seeds:
        control = CONTROLS[f"exp4-noclip-seed{seed}"]
        assert control.seed == seed and control.changes == {"clip_value": None}


def test_control_names_split_seed_zero_from_the_spreads():
    assert control_names(spread=False) == ["exp3-1-long", "exp4-noclip", "exp5-small-long"]
    spread = control_names(spread=True)
    assert len(spread) == sum(len(study.spread_seeds) * (1 + len(study.spread_controls))
                              for study in STUDIES.values())
    assert all(CONTROLS[name].seed > 0 for name in spread)


@pytest.mark.shipped
@pytest.mark.parametrize("name", list(CONTROLS))
def test_every_declared_control_is_shipped_and_matches_its_declaration(name):
    run = control_run(name)
    assert run.seed == CONTROLS[name].seed and run.experiment.slug == name


@pytest.mark.shipped
def test_clipping_off_runs_are_the_declared_ones():
    assert [run.experiment.slug for run in clipping_off_runs()] == [
        "exp4-noclip", "exp4-noclip-seed1", "exp4-noclip-seed2"]
    assert clipping_off_runs("exp3") == []


@pytest.mark.shipped
@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_training_figure_overlays_are_the_declared_controls(slug):
    overlays = overlay_histories(slug)
    assert len(overlays) == len(STUDIES[slug].overlays)
    for label, name in zip(overlays, STUDIES[slug].overlays):
        assert label.endswith("(control)")
        assert overlays[label] == control_run(name).history


@pytest.mark.shipped
@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_every_experiment_ships_its_seed_spread(slug):
    from sinelib.study.records import seed_runs

    runs = seed_runs(slug)
    assert [run.seed for run in runs] == [0, *STUDIES[slug].spread_seeds]
    assert all(run.experiment.config() | {"slug": slug} == get_experiment(slug).config()
               for run in runs)


@pytest.mark.shipped
@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_the_tf1_graph_is_shipped_at_seed_zero_and_the_spread_seeds(slug):
    runs = tf1_runs(slug)
    assert [run.seed for run in runs] == [0, *STUDIES[slug].spread_seeds]
    assert all(run.source == TF1_SOURCE and run.experiment == get_experiment(slug)
               and run.history and run.metrics["loss"] > 0 for run in runs)


def test_tf1_runs_are_read_from_their_folder(tmp_path):
    assert tf1_runs("exp3", tmp_path) == []
    history = "step,examples,learning_rate,train_loss,heldout_loss,elapsed_s\n0,0,0.0005,,2.0,0.0\n"
    for slug, seed in (("exp3", 2), ("exp3", 0), ("exp3-1", 0)):
        (tmp_path / f"{slug}-seed{seed}.history.csv").write_text(history)
        (tmp_path / f"{slug}-seed{seed}.json").write_text(json.dumps({
            "experiment": slug, "seed": seed, "history_file": f"{slug}-seed{seed}.history.csv",
            "run": {"seed": seed, "steps": 0, "examples": 0, "stop_reason": "steps"},
            "metrics": {"loss": 2.0 + seed}}))
    runs = tf1_runs("exp3", tmp_path)
    assert [run.seed for run in runs] == [0, 2] and runs[1].metrics["loss"] == 4.0
    assert runs[0].history[0]["heldout_loss"] == 2.0
    spreads = all_tf1_spreads(tmp_path)
    assert list(spreads) == ["exp3", "exp3-1"] and spreads["exp3"] == seed_spread([2.0, 4.0])


def test_seed_spread_statistics():
    from sinelib.study.analysis import seed_spread

    spread = seed_spread([1.0, 2.0, 3.0])
    assert spread == {"n": 3, "mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0}
    assert np.isnan(seed_spread([0.5])["std"])
    with pytest.raises(ValueError, match="finite"):
        seed_spread([1.0, float("nan")])


def test_control_command_lists_the_declared_names(capsys):
    from sinelib.tools.cli import main

    assert main(["control", "--all", "--list"]) == 0
    assert capsys.readouterr().out.split() == control_names(spread=False)
    assert main(["control", "--spread", "--list"]) == 0
    assert capsys.readouterr().out.split() == control_names(spread=True)
    assert main(["control", "exp4-noclip", "exp5-1-seed1", "--list"]) == 0
    assert capsys.readouterr().out.split() == ["exp4-noclip", "exp5-1-seed1"]
    assert main(["control"]) == 2
    assert "--all or --spread" in capsys.readouterr().err
    assert main(["control", "exp4-noclip", "--all"]) == 2
