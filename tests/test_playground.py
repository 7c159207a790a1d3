"""The training playground without a browser: its settings, its trainer, its presets and its
widgets (the browser test is tests/test_browser_playground.py)."""

import math

import numpy as np
import pytest

from sinelib import EXPERIMENTS, get_experiment, train
from sinelib.data import RANDOM_BAND
from sinelib.tools import playground as pg
from sinelib.tools.playground import (
    DEFAULT_SETTINGS, Playground, PlaygroundSettings, Trainer, presets,
)

#: A network that trains in a blink.
TINY = PlaygroundSettings(units=6, n_in=10, n_out=5, steps=200, label="tiny")


@pytest.mark.parametrize("changes,message", [
    ({"n_out": 0}, "horizon must be a whole number in [1, 200] samples, got 0"),
    ({"n_in": 0}, "input length must be a whole number in [1, 200] samples, got 0"),
    ({"learning_rate": 0}, "learning rate must be in [1e-05, 0.1], got 0.0"),
    ({"learning_rate": 1e3}, "learning rate must be in [1e-05, 0.1], got 1000.0"),
    ({"band": (1.0, 60.0)}, "band high must be in (0, 50) Hz (50 Hz is the Nyquist limit at "
                            "100 Hz sampling), got 60.0"),
    ({"band": (3.0, 2.0)}, "band high must be at least band low (3 Hz), got 2 Hz"),
    ({"band": 2.0}, "band must be two frequencies (low, high) in Hz, got 2.0"),
    ({"units": 513}, "units must be a whole number in [1, 512], got 513"),
    ({"layers": 5}, "layers must be a whole number in [1, 4], got 5"),
    ({"units": 2.5}, "units must be a whole number in [1, 512], got 2.5"),
    ({"cell": "tanh"}, "cell must be one of 'rnn', 'lstm', 'gru', got 'tanh'"),
    ({"clipping": "both"}, "clipping must be one of 'none', 'value', 'norm', got 'both'"),
    ({"clip_threshold": 0.0}, "clipping threshold must be in [0.001, 100], got 0.0"),
    ({"noise": -0.1}, "input noise σ must be in [0, 1], got -0.1"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"base": "exp9"}, "base must be a registered experiment"),
])
def test_bad_settings_are_refused_with_the_value_and_the_range(changes, message):
    with pytest.raises(ValueError) as caught:
        DEFAULT_SETTINGS.replace(**changes)
    assert message in str(caught.value)


def test_a_setting_is_a_variant_of_its_base_experiment():
    exp = TINY.replace(cell="rnn", band=(2.0, 2.0), clipping="value").experiment()
    assert (exp.kind, exp.n_hidden, exp.n_in, exp.n_out, exp.frequency, exp.clip_value) == \
        ("rnn", 6, 10, 5, 2.0, 0.5)
    assert exp.readout_kernel_init == get_experiment("exp3").readout_kernel_init
    assert TINY.replace(clipping="norm").experiment().clip_value is None
    assert TINY.replace(learning_rate=0.01, noise=0.2).network_differs(TINY) == []
    assert TINY.replace(units=7, seed=1).network_differs(TINY) == ["units", "seed"]


def test_the_trainer_takes_the_library_training_steps_and_records_rows():
    """On the random band, the trainer sees train()'s minibatches and takes its steps: the
    displayed losses agree; a row every display_every steps, held-out loss in each."""
    trainer = Trainer(TINY, display_every=100)
    assert trainer.history[0]["step"] == 0 and trainer.history[0]["train_loss"] is None
    rows = trainer.train()
    assert [row["step"] for row in rows] == [100, 200] and trainer.done
    assert [row["examples"] for row in rows] == [5000, 10000]
    run = train(TINY.experiment(), steps=200, progress=False, heldout_size=20)
    reference = [row["train_loss"] for row in run.history if row["train_loss"] is not None]
    np.testing.assert_allclose([row["train_loss"] for row in rows], reference, rtol=1e-5)
    assert all(math.isfinite(row["heldout_loss"]) for row in trainer.history)
    assert trainer.history[-1]["heldout_loss"] < trainer.history[0]["heldout_loss"]
    assert trainer.train() == [] and trainer.step == 200  # its steps are taken


def test_train_stops_after_the_steps_or_the_seconds_asked():
    trainer = Trainer(TINY.replace(steps=1000), display_every=50)
    assert [row["step"] for row in trainer.train(steps=120)] == [50, 100]
    assert trainer.step == 120
    trainer.train(seconds=0.0)
    assert trainer.step == 121  # at least one step, then the time is up
    # The time counts from the call, not from the last row: with a row at every step, a
    # chunk of 0.05 s still ends long before 5000 steps.
    quick = Trainer(TINY.replace(steps=5000), display_every=1)
    quick.train(seconds=0.05)
    assert 1 <= quick.step < 5000


def test_a_band_and_a_plain_rnn_train_and_the_baselines_are_the_bands():
    settings = TINY.replace(cell="rnn", band=(8.0, 12.0), noise=0.1, steps=100)
    trainer = Trainer(settings, display_every=50)
    x, y = trainer.heldout
    # Zero's summed loss is about n_out / 2 on any band; persistence's grows with frequency.
    assert trainer.baselines["zero"] == pytest.approx(settings.n_out / 2, rel=0.15)
    low_band = Trainer(settings.replace(band=(0.5, 1.0)), display_every=50)
    assert low_band.baselines["persistence"] < trainer.baselines["persistence"]
    assert trainer.probe_frequency == pytest.approx(math.sqrt(8 * 12))
    assert [row["step"] for row in trainer.train()] == [50, 100]
    curve = trainer.error_by_frequency(size=5)
    assert curve["mse"].shape == (len(pg.STRIP_FREQUENCIES),)


def test_a_diverging_run_stops_and_keeps_its_last_good_curve(monkeypatch):
    """A minibatch that overflows the loss at step 61 stops the run: "diverged at step 61";
    the history ends at step 50 and the network is step 50's."""
    trainer = Trainer(TINY, display_every=50)
    batches = trainer._batches

    def overflowing():
        for step, (x, y) in enumerate(batches):
            yield (x, y * np.float32(1e30)) if step >= 60 else (x, y)

    trainer._batches = overflowing()
    trainer.train()
    assert trainer.diverged_at == 61 and trainer.done
    assert trainer.message.startswith("diverged at step 61")
    assert [row["step"] for row in trainer.history] == [0, 50]
    assert trainer.heldout_loss() == pytest.approx(trainer.history[-1]["heldout_loss"])
    assert trainer.train() == []


def test_presets_keep_each_experiments_setting_and_label_the_scaled_budget():
    table = presets()
    assert set(EXPERIMENTS) <= set(table)
    for slug, entry in table.items():
        exp = get_experiment(entry.settings.base)
        s = entry.settings
        assert (s.units, s.layers, s.n_in, s.n_out, s.learning_rate, s.batch_size) == \
            (exp.n_hidden, exp.n_layers, exp.n_in, exp.n_out, exp.learning_rate,
             exp.batch_size) or slug == "exp3-rnn10"
        assert s.steps <= exp.budget_steps
        assert entry.scaled == (s.steps < exp.budget_steps)
        assert (f"scaled: {s.steps} steps instead of {exp.budget_steps}" in entry.label) \
            == entry.scaled
    assert table["exp1"].settings.band == (1.0, 1.0)
    assert table["exp3"].settings.band == RANDOM_BAND
    assert (table["exp4"].settings.clipping, table["exp4"].settings.clip_threshold) == \
        ("value", 0.5)
    assert table["exp6"].settings.cell == "gru" and not table["exp6"].scaled
    what_if = table["exp3-rnn10"].settings
    assert (what_if.cell, what_if.units) == ("rnn", 10)
    assert what_if.network_differs(table["exp3"].settings) == ["cell", "units"]
    assert DEFAULT_SETTINGS == table["exp3"].settings


def test_the_widgets_refuse_bad_values_wait_for_reset_and_train_in_the_background():
    app = Playground(TINY.replace(steps=400), display_every=50)
    try:
        assert app.trainer.step == 0 and app.image.value[:4] == b"\x89PNG"
        app.rate_slider.value = 10 ** -3.3  # the front end snapping 0.0005 to its grid
        assert app.inputs["learning_rate"].value == 0.0005
        app.rate_slider.value = 10 ** -2.5  # the learner moving the slider
        assert app.inputs["learning_rate"].value == 0.00316
        app.inputs["n_out"].value = 0
        assert "horizon must be a whole number in [1, 200] samples, got 0" in app.notice.value
        app.inputs["n_out"].value = 5
        app.inputs["learning_rate"].value = 1000.0
        assert "learning rate must be in [1e-05, 0.1], got 1000.0" in app.notice.value
        app.inputs["learning_rate"].value = 0.01
        assert app.trainer.settings.learning_rate == 0.01  # applies to the running network
        assert app.rate_slider.value == pytest.approx(0.01)
        app.buttons["step"].click()
        app.wait()
        assert app.trainer.step == 50 and not app.running
        assert "step <span class='sinelib-step-count'>50</span>" in app.status.value
        app.buttons["train"].click()
        assert app.running and app.buttons["train"].description == "Pause"
        app.buttons["train"].click()  # Pause: the thread stops after its chunk
        app.wait()
        assert not app.running and app.buttons["train"].description == "Train"
        app.inputs["units"].value = 9
        assert app.pending == ["units"] and "press Reset" in app.notice.value
        assert app.trainer.settings.units == 6
        app.buttons["train"].click()
        assert not app.running and "press Reset first" in app.notice.value
        app.buttons["reset"].click()
        assert app.trainer.settings.units == 9 and app.trainer.step == 0
        assert app.pending == [] and app.error == ""
        app.preset_buttons["exp3-rnn10"].click()
        assert (app.trainer.settings.cell, app.trainer.settings.units) == ("rnn", 10)
        assert app.inputs["cell"].value == "rnn" and app.inputs["units"].value == 10
        assert max(app.control_s) < 0.1
    finally:
        app.close()
    assert app.closed and not app.running
    app.buttons["train"].click()  # a closed playground does not train again
    assert not app.running


def test_an_error_in_the_training_thread_becomes_a_message(monkeypatch):
    app = Playground(TINY, display_every=50)
    try:
        def broken(*args, **kwargs):
            raise RuntimeError("out of memory")

        monkeypatch.setattr(app.trainer, "train", broken)
        app.buttons["train"].click()
        app.wait()
        assert "training stopped: RuntimeError: out of memory" in app.notice.value
        assert app.buttons["train"].description == "Train"
    finally:
        app.close()


def test_training_pauses_when_the_page_stops_sending_heartbeats():
    """Without a page (no heartbeat at all) training goes on; once the page has sent one and
    then falls silent for heartbeat_timeout, training pauses and says why."""
    app = Playground(TINY.replace(steps=10**5), display_every=50)
    app.heartbeat_timeout = 0.5
    try:
        app.buttons["train"].click()
        assert app.heartbeat.playing  # the page's timer runs while training
        app.wait(1.5)
        assert app.running  # no page ever answered: nothing to wait for
        app.heartbeat.value += 1  # the page ticks once, then is closed
        app.wait(30)
        assert not app.running and not app.heartbeat.playing
        assert "paused: no word from the page for 0.5 s" in app.notice.value
    finally:
        app.close()
