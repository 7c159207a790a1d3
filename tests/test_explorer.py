"""The generalisation explorer in its three modules: the pure probe functions
(``sinelib.tools.probe``), the widget driven headless (``sinelib.tools.explorer``: setting a
input's value runs its observers, so every picture and readout is checked against direct calls
of sinelib) and the latency benchmark (``benchmarks.explorer``).

Tests that load a shipped network (exp3, exp3-1) are marked ``shipped``."""

import json
import re

import numpy as np
import pytest

from sinelib import (
    build_model, get_experiment, per_point_mse, predict, sample_windows, summed_loss,
)
from sinelib.data import NYQUIST
from sinelib.evaluation import loss_by_frequency
from sinelib.tools.explorer import FREQUENCY_RANGE, Explorer, explore
from benchmarks.explorer import benchmark_latency, latency_markdown, main
from sinelib.tools.probe import (
    STRIP_FREQUENCIES, STRIP_SIZE, Probe, alias_frequency, error_strip, noise_pattern,
    panel_limits, probe_notes, probe_window, readout_html, measure_probe, shipped_model,
)

EXP = "exp3"  # the quickest shipped network to load: 25 -> 50


def _text(html):
    """The readout's words, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def explorer():
    return Explorer(EXP)


@pytest.fixture
def fresh(explorer):
    """The module's explorer, back at its first setting after each test."""
    yield explorer
    for name, value in (("experiment", EXP), ("frequency", 1.0), ("shift", 0.0),
                        ("amplitude", 1.0), ("offset", 0.0), ("noise", 0.0)):
        explorer.inputs[name].value = value


# --- sinelib.tools.probe: the pure layer ---------------------------------------------------------

def test_the_window_is_the_package_window_scaled_shifted_and_noisy():
    exp = get_experiment(EXP)
    probe = Probe(frequency=2.5, shift=0.3, amplitude=0.5, offset=0.2, noise=0.1, noise_seed=4)
    x, y = probe_window(exp, probe)
    clean_x, clean_y = sample_windows(1, exp.n_in, exp.n_out, frequency=2.5, shift=0.3)
    np.testing.assert_allclose(x, 0.5 * clean_x[0, :, 0] + 0.2 + 0.1 * noise_pattern(25, 4),
                               atol=1e-6)
    np.testing.assert_allclose(y, 0.5 * clean_y[0] + 0.2, atol=1e-6)
    assert x.shape == (25,) and y.shape == (50,) and x.dtype == y.dtype == np.float32
    # The noise pattern is fixed: the noise slider scales it, it does not redraw it.
    np.testing.assert_array_equal(noise_pattern(25, 4), noise_pattern(25, 4))
    assert not np.array_equal(noise_pattern(25, 4), noise_pattern(25, 5))


@pytest.mark.shipped
def test_run_probe_predicts_with_the_model_and_measures_the_summed_loss():
    exp, model = get_experiment(EXP), shipped_model(EXP)
    probe = Probe(frequency=3.0, shift=1.0)
    result = measure_probe(model, exp, probe)
    x, y = sample_windows(1, exp.n_in, exp.n_out, frequency=3.0, shift=1.0)
    y_pred = predict(model, x)
    np.testing.assert_array_equal(result.y_pred, y_pred[0])
    assert result.loss == pytest.approx(summed_loss(y, y_pred))
    assert result.mse == pytest.approx(per_point_mse(y, y_pred))
    assert result.loss == pytest.approx(result.mse * exp.n_out)


@pytest.mark.shipped
def test_a_baseline_is_predicted_beside_the_network():
    model = shipped_model(EXP)
    last = lambda x, n_out: np.repeat(x[:, -1:, 0], n_out, axis=1)  # noqa: E731
    result = measure_probe(model, EXP, Probe(frequency=2.0), last, "last sample")
    np.testing.assert_array_equal(result.baseline_pred, np.full(50, result.x[-1]))
    assert result.baseline_loss == pytest.approx(summed_loss(result.y[None],
                                                           result.baseline_pred[None]))
    assert "baseline last sample: summed loss" in _text(readout_html(result))


@pytest.mark.shipped
def test_at_or_above_nyquist_nothing_is_predicted_and_the_alias_is_named():
    result = measure_probe(shipped_model(EXP), EXP, Probe(frequency=60.0))
    assert not result.predicted and result.x is None and np.isnan(result.loss)
    assert "samples are those of a 40 Hz sine" in result.notes[0]
    assert "nothing to predict" in _text(readout_html(result))
    assert not measure_probe(shipped_model(EXP), EXP, Probe(frequency=NYQUIST)).predicted


def test_the_alias_of_a_frequency_folds_at_multiples_of_the_sampling_rate():
    assert [alias_frequency(f) for f in (1.0, 49.0, 50.0, 60.0, 100.0, 130.0)] == \
        [1.0, 49.0, 50.0, 40.0, 0.0, 30.0]


@pytest.mark.parametrize("exp,probe,expected", [
    ("exp3", Probe(frequency=2.0), ["2 Hz lies inside the training band [0.5, 4) Hz."]),
    ("exp3", Probe(frequency=6.0), ["6 Hz lies outside the training band", "never saw it"]),
    ("exp1", Probe(frequency=1.0), ["1 Hz is its training frequency, 1 Hz only."]),
    ("exp1", Probe(frequency=2.0), ["this network only ever saw 1 Hz"]),
    ("exp3", Probe(frequency=30.0), ["Only 3.3 samples per period"]),
    ("exp3", Probe(amplitude=0.0), ["Amplitude 0: the window is a flat line"]),
    ("exp3", Probe(amplitude=2.0), ["Amplitude 2: the network trained on amplitude 1."]),
    ("exp3", Probe(offset=-2.5), ["Offset -2.5: the network trained on sines centred on 0."]),
    ("exp3", Probe(noise=0.3), ["Input noise σ = 0.3", "clean continuation"]),
])
def test_notes_say_what_is_unusual(exp, probe, expected):
    notes = " ".join(probe_notes(exp, probe))
    for fragment in expected:
        assert fragment in notes, (fragment, notes)


def test_a_plain_in_band_setting_has_a_single_note():
    assert len(probe_notes("exp2", Probe(frequency=1.5))) == 1


def test_panel_limits_follow_the_setting_not_the_prediction():
    assert panel_limits(Probe()) == (-1.5, 1.5)
    assert panel_limits(Probe(frequency=3.0, shift=2.0)) == (-1.5, 1.5)
    assert panel_limits(Probe(amplitude=0.0)) == (-1.5, 1.5)
    low, high = panel_limits(Probe(offset=3.0, amplitude=2.0))
    assert low <= -1.0 and high >= 5.0 and low % 0.5 == 0 and high % 0.5 == 0
    low, high = panel_limits(Probe(noise=1.0))
    assert low <= -4.0 and high >= 4.0


@pytest.mark.shipped
def test_readout_names_the_numbers_of_the_result():
    result = measure_probe(shipped_model(EXP), EXP, Probe(frequency=1.7, shift=0.5))
    text = _text(readout_html(result))
    assert f"summed loss {result.loss:.4g}" in text
    assert f"per-point MSE {result.mse:.3g}" in text
    assert "exp3 (25 → 50 samples) at 1.7 Hz" in text
    # A prediction beyond the panel is reported, with its range.
    squeezed = readout_html(result, limits=(-0.01, 0.01))
    assert "The prediction leaves the panel" in squeezed


@pytest.mark.shipped
def test_the_error_strip_is_loss_by_frequency(explorer):
    curve = error_strip(explorer.model, EXP)
    direct = loss_by_frequency(explorer.model, EXP, STRIP_FREQUENCIES, size=STRIP_SIZE)
    np.testing.assert_allclose(curve["mse"], direct["mse"])
    assert error_strip(explorer.model, EXP) is curve  # computed once per model
    drawn = [line for line in explorer.strip.get_lines()
             if line.get_label().startswith("held-out error")]
    np.testing.assert_allclose(drawn[0].get_ydata(), curve["mse"])
    assert min(STRIP_FREQUENCIES) >= FREQUENCY_RANGE[0] and max(STRIP_FREQUENCIES) < NYQUIST


# --- sinelib.tools.explorer: the widget, headless ------------------------------------------------

@pytest.mark.shipped
def test_moving_the_frequency_slider_redraws_the_prediction(fresh):
    exp, model = get_experiment(EXP), shipped_model(EXP)
    before = fresh.updates
    fresh.inputs["frequency"].value = 2.5
    assert fresh.updates == before + 1 and fresh.error is None
    x, y = sample_windows(1, exp.n_in, exp.n_out, frequency=2.5, shift=0.0)
    y_pred = predict(model, x)
    t = np.arange(exp.n_in + exp.n_out) / 100
    np.testing.assert_allclose(fresh.lines["input"].get_xdata(), t[:25])
    np.testing.assert_allclose(fresh.lines["input"].get_ydata(), x[0, :, 0])
    np.testing.assert_allclose(fresh.lines["truth"].get_ydata(), y[0])
    np.testing.assert_allclose(fresh.lines["prediction"].get_xdata(), t[25:])
    np.testing.assert_allclose(fresh.lines["prediction"].get_ydata(), y_pred[0])
    loss, mse = summed_loss(y, y_pred), per_point_mse(y, y_pred)
    text = _text(fresh.readout.value)
    assert f"summed loss {loss:.4g}" in text and f"per-point MSE {mse:.3g}" in text
    assert fresh.lines["title"].get_text() == f"2.5 Hz: summed loss {loss:.3g}"
    assert list(fresh.lines["marker"].get_xdata()) == [2.5, 2.5]
    assert fresh.lines["marker_point"].get_xdata()[0] == 2.5
    assert fresh.lines["marker_point"].get_ydata()[0] == pytest.approx(mse, rel=1e-6)


@pytest.mark.shipped
def test_every_slider_feeds_the_window(fresh):
    for name, value in (("shift", 1.25), ("amplitude", 0.5), ("offset", -0.4),
                        ("noise", 0.2)):
        fresh.inputs[name].value = value
    probe = Probe(frequency=1.0, shift=1.25, amplitude=0.5, offset=-0.4, noise=0.2)
    assert fresh.probe == probe
    x, y = probe_window(EXP, probe)
    np.testing.assert_allclose(fresh.lines["input"].get_ydata(), x)
    np.testing.assert_allclose(fresh.lines["truth"].get_ydata(), y)
    np.testing.assert_allclose(fresh.lines["prediction"].get_ydata(),
                               predict(shipped_model(EXP), x[None, :, None])[0])
    assert fresh.ax.get_ylim() == panel_limits(probe)


@pytest.mark.shipped
def test_input_length_and_horizon_follow_the_selected_network(fresh):
    fresh.inputs["experiment"].value = "exp3-1"
    exp = get_experiment("exp3-1")
    assert fresh.error is None and fresh.experiment is exp
    assert len(fresh.lines["input"].get_xdata()) == 25
    assert len(fresh.lines["prediction"].get_xdata()) == 100
    np.testing.assert_allclose(fresh.lines["prediction"].get_ydata(),
                               measure_probe(shipped_model("exp3-1"), exp, fresh.probe).y_pred)
    assert fresh.ax.get_xlim()[1] == pytest.approx(124 / 100)
    assert "exp3-1 (25 → 100 samples)" in _text(fresh.readout.value)


@pytest.mark.shipped
@pytest.mark.parametrize("name,value,fragment", [
    ("frequency", 49.5, "Only 2 samples per period"),
    ("frequency", 60.0, "at or above the Nyquist limit"),
    ("frequency", 0.1, "outside the training band"),
    ("amplitude", 0.0, "Amplitude 0"),
    ("offset", 3.0, "Offset +3"),
    ("noise", 1.0, "Input noise σ = 1"),
])
def test_edge_cases_give_a_picture_and_a_message_not_an_error(fresh, name, value, fragment):
    fresh.inputs[name].value = value
    assert fresh.error is None, fresh.error
    assert fragment in _text(fresh.readout.value)
    if name == "frequency" and value >= NYQUIST:
        assert len(fresh.lines["prediction"].get_ydata()) == 0
        assert "40 Hz sine" in fresh.lines["message"].get_text()
        assert len(fresh.lines["marker_point"].get_xdata()) == 0
    else:
        assert np.all(np.isfinite(fresh.lines["prediction"].get_ydata()))
        assert fresh.lines["message"].get_text() == ""


@pytest.mark.shipped
def test_frequency_moves_blit_and_setting_changes_redraw_in_full(fresh):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fresh.canvas
    canvas.syncing_data_url = False
    canvas.draw()  # what the front end asks for first: the background is kept
    assert not fresh.needs_full_redraw
    blits = fresh.blits
    fresh.inputs["frequency"].value = 2.0
    fresh.inputs["shift"].value = 0.5
    assert fresh.blits == blits + 2 and not fresh.needs_full_redraw
    fresh.inputs["amplitude"].value = 2.0  # new y-limits: the ticks change
    assert fresh.needs_full_redraw
    # A full draw leaves animated artists out of the background, then draws them on top:
    # the red prediction is in the frame.
    FigureCanvasAgg.draw(canvas)
    pixels = np.asarray(canvas.buffer_rgba())
    assert np.any((pixels[..., 0] == 255) & (pixels[..., 1] == 0) & (pixels[..., 2] == 0))


@pytest.mark.shipped
def test_the_baseline_toggle_overlays_a_sinelib_baseline(fresh):
    from sinelib.baselines import BASELINES, baseline_for

    assert fresh.inputs["baseline_name"].options == tuple(BASELINES)
    assert fresh.inputs["baseline_name"].value == "analytic"
    assert len(fresh.lines["baseline"].get_xdata()) == 0  # off at first
    fresh.inputs["frequency"].value = 6.0
    fresh.inputs["baseline"].value = True
    x, y = probe_window(EXP, Probe(frequency=6.0))
    expected = baseline_for("analytic", EXP)(x[None, :, None], 50)[0]
    np.testing.assert_allclose(fresh.lines["baseline"].get_ydata(), expected)
    assert fresh.result.baseline_loss == pytest.approx(summed_loss(y[None], expected[None]))
    assert f"baseline analytic: summed loss {fresh.result.baseline_loss:.4g}" in \
        _text(fresh.readout.value)
    fresh.inputs["baseline_name"].value = "linear"  # fitted on the experiment's own band
    np.testing.assert_allclose(fresh.lines["baseline"].get_ydata(),
                               baseline_for("linear", EXP)(x[None, :, None], 50)[0])
    fresh.inputs["baseline"].value = False
    assert len(fresh.lines["baseline"].get_xdata()) == 0
    assert "baseline" not in _text(fresh.readout.value)
    fresh.inputs["baseline_name"].value = "analytic"


@pytest.mark.shipped
def test_every_registered_network_can_be_explored(fresh):
    from sinelib import EXPERIMENTS

    assert [value for _, value in fresh.inputs["experiment"].options] == list(EXPERIMENTS)


def test_a_given_model_is_explored_instead_of_the_shipped_one():
    model = build_model(EXP, seed=5)  # untrained
    explorer = explore(EXP, model=model, frequency=2.0)
    x, _ = sample_windows(1, 25, 50, frequency=2.0, shift=0.0)
    np.testing.assert_allclose(explorer.lines["prediction"].get_ydata(), predict(model, x)[0])
    assert explorer.model is model
    assert repr(explorer) == ("Explorer('exp3', frequency=2, shift=0, amplitude=1, offset=0, "
                              "noise=0)")


@pytest.mark.shipped
def test_display_shows_the_widget():
    explorer = Explorer(EXP, frequency=1.5)
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == \
        explorer.widget.model_id
    assert bundle["text/plain"].startswith("Explorer('exp3', frequency=1.5")


# --- benchmarks.explorer: what it reports, not how fast ---------------------------------

@pytest.mark.shipped
def test_the_benchmark_times_slider_moves_and_writes_its_tables(tmp_path, capsys):
    report = benchmark_latency([EXP], moves=3, warmup=1)
    entry = report["models"][EXP]
    assert entry["moves"] == 3 and entry["full_redraws"] == 0
    assert entry["move_ms"] > 0 and entry["predict_ms"] > 0 and entry["full_redraw_ms"] > 0
    table = latency_markdown(report)
    assert "| 3 (exp3) |" in table and "slider move, median [ms]" in table
    assert main([EXP, "--moves", "2", "--json", str(tmp_path / "e.json"),
                 "--markdown", str(tmp_path / "e.md")]) == 0
    assert set(json.loads((tmp_path / "e.json").read_text())["models"]) == {EXP}
    assert "# Explorer latency" in (tmp_path / "e.md").read_text()
    assert main([EXP, "--moves", "0"]) == 2
    assert "--moves must be at least 1, got 0" in capsys.readouterr().err
    assert main(["exp42"]) == 2


def test_a_typed_frequency_is_measured_as_typed(fresh):
    # The browser sends 10 ** log10(typed) (6.000000000000001 for 6); a step grid on the
    # log-scale slider would have moved it (6 to 6.03, 4.5 to 4.52).
    assert fresh.inputs["frequency"].step is None
    for typed in (6.0, 4.5, 0.25, 12.5):
        fresh.inputs["frequency"].value = 10 ** np.log10(typed)
        assert fresh.probe.frequency == typed
        assert f"<b>{typed:g} Hz</b>" in fresh.readout.value
