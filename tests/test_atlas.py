import numpy as np
import pytest

from sinelib import BASELINES, build_model, load_pretrained
from sinelib.study.atlas import (
    ATLAS_FREQUENCIES, AUTOREGRESSIVE, NETWORK, build_atlas, curve, load_atlas, measure,
)
from sinelib.study.autoregressive import AR_BASE, as_predictor, load_autoregressive
from sinelib.baselines import baseline_for
from sinelib.evaluation import NOISE_LEVELS, loss_by_horizon
from sinelib.experiments import EXPERIMENTS
from sinelib.study.declarations import STUDIES
from sinelib.study.plots import plot_atlas


@pytest.mark.shipped
def test_shipped_atlas_covers_every_network_and_baseline():
    atlas = load_atlas()
    assert list(atlas["experiments"]) == list(EXPERIMENTS)
    assert atlas["frequencies"] == list(ATLAS_FREQUENCIES)
    assert atlas["frequencies"][0] == 0.1 and atlas["frequencies"][-1] == 8.0
    assert atlas["sigmas"] == list(NOISE_LEVELS)
    for slug, entry in atlas["experiments"].items():
        names = [NETWORK, *BASELINES] + ([AUTOREGRESSIVE] if STUDIES[slug].autoregressive else [])
        assert list(entry["curves"]) == names
        for values in entry["curves"].values():
            assert len(values["frequency_loss"]) == len(ATLAS_FREQUENCIES)
            assert len(values["horizon_mse"]) == EXPERIMENTS[slug].n_out
            assert len(values["noise_loss"]) == len(NOISE_LEVELS)


@pytest.mark.shipped
@pytest.mark.parametrize("slug", ["exp2", "exp5-1"])
def test_shipped_atlas_matches_a_fresh_measurement(slug):
    """Re-measure a slice: the network and the analytic rule at a few frequencies."""
    atlas = load_atlas()
    picks = [0, 19, 79]  # 0.1, 2.0 and 8.0 Hz
    frequencies = [ATLAS_FREQUENCIES[i] for i in picks]
    for name, predictor in ((NETWORK, load_pretrained(slug)),
                            ("analytic", baseline_for("analytic", slug))):
        fresh = measure(predictor, slug, frequencies=frequencies)
        shipped = atlas["experiments"][slug]["curves"][name]
        # Float32 networks may differ in the last digits across processors.
        np.testing.assert_allclose(fresh["frequency_loss"],
                                   [shipped["frequency_loss"][i] for i in picks],
                                   rtol=1e-3, atol=1e-9)
        np.testing.assert_allclose(fresh["horizon_mse"], shipped["horizon_mse"],
                                   rtol=1e-3, atol=1e-9)


@pytest.mark.shipped
def test_shipped_autoregressive_curve_matches_a_fresh_measurement():
    shipped = load_atlas()["experiments"][AR_BASE]["curves"][AUTOREGRESSIVE]["horizon_mse"]
    fresh = loss_by_horizon(as_predictor(load_autoregressive()), AR_BASE)
    np.testing.assert_allclose(fresh, shipped, rtol=1e-3)


def test_build_atlas_measures_named_predictors_and_plots_them():
    atlas = build_atlas({"exp5-small": {NETWORK: build_model("exp5-small", seed=1),
                                        "persistence": BASELINES["persistence"]}})
    entry = atlas["experiments"]["exp5-small"]
    assert entry["band"] == [0.5, 4.0] and entry["n_out"] == 100
    x, y = curve(atlas, "exp5-small", "persistence", "horizon")
    assert list(x[:2]) == [1, 2] and y.shape == (100,)
    for view in ("frequency", "horizon", "noise"):
        figure = plot_atlas(atlas, view)
        assert len([ax for ax in figure.axes if ax.get_visible()]) == 1
        assert [line.get_label() for line in figure.axes[0].get_lines()] == [
            NETWORK, "persistence"]
    with pytest.raises(ValueError, match="view must be one of"):
        plot_atlas(atlas, "phase")
    with pytest.raises(ValueError, match="view must be"):
        curve(atlas, "exp5-small", NETWORK, "phase")


def test_missing_atlas_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m sinelib atlas"):
        load_atlas(tmp_path / "atlas.json")
    (tmp_path / "old.json").write_text('{"format": 0}')
    with pytest.raises(ValueError, match="remeasure"):
        load_atlas(tmp_path / "old.json")


@pytest.mark.shipped
def test_atlas_command_measures_the_named_experiments(tmp_path, capsys):
    from sinelib.tools.cli import main

    out = tmp_path / "atlas.json"
    assert main(["atlas", "exp1", "--out", str(out)]) == 0
    atlas = load_atlas(out)
    assert list(atlas["experiments"]) == ["exp1"]
    assert atlas["experiments"]["exp1"]["band"] == [1.0, 1.0]
    # Trained at 1 Hz only: far better at 1 Hz than at 3 Hz.
    f, loss = curve(atlas, "exp1", NETWORK, "frequency")
    assert loss[list(f).index(1.0)] * 100 < loss[list(f).index(3.0)]
    assert main(["atlas", "exp9", "--out", str(out)]) == 2
    assert "unknown experiment 'exp9'" in capsys.readouterr().err


def _toy_atlas():
    """One experiment, frequencies 0.1-8 Hz, a network good on [0.5, 4] and just beyond."""
    frequencies = list(ATLAS_FREQUENCIES)
    network = [0.1 if 0.4 <= f <= 4.2 else 50.0 for f in frequencies]
    return {"frequencies": frequencies, "sigmas": [0.0, 0.01, 0.1, 0.3],
            "experiments": {"exp3": {"n_in": 25, "n_out": 2, "band": [0.5, 4.0], "curves": {
                NETWORK: {"frequency_loss": network, "horizon_mse": [0.25, 0.5],
                          "noise_loss": [0.1, 0.2, 5.0, 9.0]},
                "analytic": {"frequency_loss": [1e-12] * len(frequencies),
                             "horizon_mse": [0.0, 1e-12], "noise_loss": [0.0, 1.0, 4.0, 10.0]},
            }}}}


def test_atlas_summaries():
    from sinelib.study.atlas import generalisation_band, heldout, noise_crossing

    atlas = _toy_atlas()
    assert heldout(atlas, "exp3", NETWORK) == 0.75
    assert generalisation_band(atlas, "exp3") == {"median": 0.1, "low": 0.4, "high": 4.2}
    # Beats the analytic rule at σ = 0.01, not at 0.1, again at 0.3.
    assert noise_crossing(atlas, "exp3") == (0.01, False)
    assert noise_crossing(atlas, "exp3", "analytic", NETWORK) == (0.0, False)
    atlas["experiments"]["exp3"]["curves"][NETWORK]["noise_loss"] = [1.0, 2.0, 5.0, 11.0]
    assert noise_crossing(atlas, "exp3") == (None, False)


def test_generalisation_rows_from_the_atlas():
    from sinelib.study.tables import generalisation_rows

    rows = generalisation_rows(_toy_atlas())
    entry = dict(zip(rows[0], rows[1]))
    assert entry["band [Hz]"] == "0.5-4" and entry["within 10x of it [Hz]"] == "0.4-4.2"
    assert entry["beats the analytic rule from noise σ"] == "0.01 (not at every level above)"
    assert entry["at 0.1 Hz"] == "50" and entry["median in band"] == "0.1"
