import numpy as np
import pytest

from sinelib import get_experiment, train
from sinelib.models import build_model
from sinelib.plumbing.history import history_from_csv, history_to_csv
from sinelib.plumbing.steps import chosen_variant, step_plan
from sinelib.training import make_optimizer


def _lstm_bias(model):
    return model.get_layer("lstm_0").cell.bias


def test_value_clipping_matches_numpy_clip():
    """exp4's optimizer clips each gradient element like TF1's tf.clip_by_value(g, -.5, .5)."""
    exp = get_experiment("exp4").replace(n_hidden=3, n_out=2)
    assert exp.clip_value == 0.5
    unclipped_exp = exp.replace(clip_value=None)
    models = [build_model(exp) for _ in range(3)]
    clipped, reference, unclipped = (make_optimizer(e, m) for e, m in
                                     zip((exp, unclipped_exp, unclipped_exp), models))
    # The LSTM bias of 3 units has 12 elements: a known gradient with some beyond +-0.5.
    gradient = np.array([-2.0, -0.5, -0.2, 0.0, 0.3, 0.5, 0.9, 7.0, -0.7, 0.49, -0.51, 1e3],
                        dtype=np.float32)
    for _ in range(3):
        clipped.apply_gradients([(gradient, _lstm_bias(models[0]))])
        reference.apply_gradients([(np.clip(gradient, -0.5, 0.5), _lstm_bias(models[1]))])
        unclipped.apply_gradients([(gradient, _lstm_bias(models[2]))])
    after = [np.asarray(_lstm_bias(m).numpy()) for m in models]
    np.testing.assert_array_equal(after[0], after[1])
    assert not np.array_equal(after[0], after[2])


def test_short_run_reduces_heldout_loss():
    result = train("exp3", steps=300, eval_every=300, progress=False, heldout_size=200)
    assert result.stop_reason == "steps" and result.steps == 300 and result.examples == 15_000
    first, last = result.history[0]["heldout_loss"], result.history[-1]["heldout_loss"]
    assert np.isfinite(first) and last < 0.5 * first
    assert [row["step"] for row in result.history] == [0, 100, 200, 300]
    assert result.metrics["loss"] == pytest.approx(last, rel=1e-5)


def test_same_seed_same_losses(tiny):
    a = train(tiny, seed=5, steps=200, progress=False, heldout_size=50, eval_every=100)
    b = train(tiny, seed=5, steps=200, progress=False, heldout_size=50, eval_every=100)
    c = train(tiny, seed=6, steps=200, progress=False, heldout_size=50, eval_every=100)
    losses = lambda r: [(row["train_loss"], row["heldout_loss"]) for row in r.history]
    assert losses(a) == losses(b)
    assert losses(a) != losses(c)


def test_resume_continues_the_same_run(tiny, tmp_path):
    whole = train(tiny, seed=2, steps=400, out_dir=tmp_path / "whole", progress=False,
                  heldout_size=50, eval_every=200, checkpoint_every=200)
    part = train(tiny, seed=2, steps=200, out_dir=tmp_path / "part", progress=False,
                 heldout_size=50, eval_every=200, checkpoint_every=200)
    assert part.steps == 200
    resumed = train(tiny, seed=2, steps=400, out_dir=tmp_path / "part", resume=True,
                    progress=False, heldout_size=50, eval_every=200, checkpoint_every=200)
    assert resumed.steps == 400
    strip = lambda r: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in r.history]
    assert strip(resumed) == strip(whole)
    for a, b in zip(whole.model.weights, resumed.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    history_lines = (tmp_path / "part" / "history.csv").read_text().splitlines()
    assert len(history_lines) == 1 + 5  # the header, then steps 0, 100, ..., 400


def test_interrupt_keeps_a_usable_checkpoint(tiny, tmp_path):
    """A kernel interrupt (KeyboardInterrupt) ends the run cleanly and loses no steps."""
    def interrupt_at_300(row):
        if row["step"] == 300:
            raise KeyboardInterrupt

    kwargs = dict(seed=4, progress=False, heldout_size=50, checkpoint_every=1000)
    interrupted = train(tiny, steps=500, out_dir=tmp_path / "a", callback=interrupt_at_300,
                        **kwargs)
    assert (interrupted.stop_reason, interrupted.steps) == ("interrupted", 300)
    assert np.isfinite(interrupted.metrics["loss"])
    resumed = train(tiny, steps=500, out_dir=tmp_path / "a", resume=True, **kwargs)
    whole = train(tiny, steps=500, **kwargs)
    for a, b in zip(whole.model.weights, resumed.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_resume_refuses_another_seed_or_config(tiny, tmp_path):
    train(tiny, seed=2, steps=100, out_dir=tmp_path, progress=False, heldout_size=20)
    with pytest.raises(ValueError, match="seed 2"):
        train(tiny, seed=3, steps=200, out_dir=tmp_path, resume=True, progress=False)
    with pytest.raises(ValueError, match="different configuration"):
        train(tiny.replace(n_hidden=9), seed=2, steps=200, out_dir=tmp_path, resume=True,
              progress=False)


def test_a_new_run_never_overwrites_a_checkpoint(tiny, tmp_path):
    train(tiny, steps=100, out_dir=tmp_path, progress=False, heldout_size=20)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError, match="already holds a checkpoint.*resume=True"):
        train(tiny, steps=100, out_dir=tmp_path, progress=False, heldout_size=20)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before


def test_stop_rules_fire_and_are_recorded(tiny):
    kwargs = dict(progress=False, heldout_size=20, eval_every=100)
    budget = train(tiny.replace(budget_examples=500, cap_examples=500), **kwargs)
    assert (budget.stop_reason, budget.steps) == ("budget", 10)
    # The target is checked on the loss displayed every 100 steps.
    easy = tiny.replace(budget_examples=500, target_loss=1e9, cap_examples=50_000)
    target = train(easy, **kwargs)
    assert (target.stop_reason, target.steps) == ("target", 100)
    hopeless = tiny.replace(budget_examples=500, target_loss=1e-12, cap_examples=10_000)
    capped = train(hopeless, **kwargs)
    assert (capped.stop_reason, capped.steps) == ("cap", 200)


def test_learning_rate_steps_are_applied(tiny):
    decayed = tiny.replace(learning_rate=0.01, decay_every_examples=5_000, decay_factor=0.1)
    result = train(decayed, steps=300, progress=False, heldout_size=20)
    rates = [row["learning_rate"] for row in result.history]
    # Rows 0-300 show the rate of their last update: update 100 reaches 5000 examples and is
    # already the first at the lower rate, as in the original.
    assert rates == pytest.approx([0.01, 0.001, 0.0001, 0.00001])


def test_divergence_stops_with_a_message(tiny):
    exploding = tiny.replace(learning_rate=1e30)
    with pytest.warns(RuntimeWarning, match="loss became"):
        result = train(exploding, steps=500, progress=False, heldout_size=20)
    assert result.stop_reason == "diverged"


def test_history_csv_round_trip(tiny):
    result = train(tiny, steps=100, progress=False, heldout_size=20, eval_every=100)
    assert history_from_csv(history_to_csv(result.history)) == result.history


@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=0), "steps"), (dict(steps=-3), "steps"), (dict(eval_every=150), "eval_every"),
    (dict(checkpoint_every=0), "checkpoint_every"), (dict(heldout_size=0), "heldout_size"),
    (dict(callback=3), "callback"), (dict(resume=True), "out_dir"), (dict(seed=-1), "seed"),
])
def test_bad_training_arguments(tiny, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(tiny, progress=False, **kwargs)


def test_the_xla_step_of_the_small_stacks_is_deterministic():
    from sinelib.plumbing.steps import STEP_VARIANTS, step_plan

    exp = get_experiment("exp5-small")
    assert step_plan(exp) == STEP_VARIANTS["loop-xla"]
    first = train(exp, seed=4, steps=200, progress=False)
    second = train(exp, seed=4, steps=200, progress=False)
    assert [row["train_loss"] for row in first.history] == \
        [row["train_loss"] for row in second.history]
    assert first.history[-1]["train_loss"] < first.history[1]["train_loss"]


def test_a_checkpoint_reads_only_what_the_run_needs(tiny, tmp_path):
    """A state record far larger than a run's history can be, or an extra member, is refused
    before its data is read."""
    from sinelib.plumbing.storage import load_arrays, save_arrays

    train(tiny, steps=100, out_dir=tmp_path, progress=False, heldout_size=20)
    path = tmp_path / "checkpoint.npz"
    arrays = load_arrays(path)
    save_arrays(path, {**arrays, "state": np.array(str(arrays["state"]) + " " * 5_000_000)})
    with pytest.raises(ValueError, match="member 'state' is 2[0-9]{7} bytes uncompressed; the "
                                         "architecture needs at most"):
        train(tiny, steps=200, out_dir=tmp_path, resume=True, progress=False)
    save_arrays(path, {**arrays, "optimizer/extra": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="unexpected arrays 1 \\(optimizer/extra\\)"):
        train(tiny, steps=200, out_dir=tmp_path, resume=True, progress=False)
    save_arrays(path, arrays)
    assert train(tiny, steps=200, out_dir=tmp_path, resume=True, progress=False).steps == 200


def test_progress_bar_ends_at_the_last_step_between_displays(tiny, capsys):
    """The bar moves at displayed steps (every 100); a run of 150 steps still closes it at
    150/150, not at the 100 it last displayed."""
    train(tiny, seed=1, steps=150, progress=True, heldout_size=20, eval_every=100)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "150/150" in bar, bar


def test_an_unroll_override_runs_without_xla_unless_asked(tiny):
    """step_plan compiles the 4 x 10 stacks with XLA; unroll=True must not inherit that."""
    stack = get_experiment("exp5-small")
    assert step_plan(stack) == {"unroll": False, "jit_compile": True}
    assert chosen_variant(stack, True, None) == {"unroll": True, "jit_compile": False}
    assert chosen_variant(stack, None, None) == {"unroll": False, "jit_compile": True}
    assert chosen_variant(stack, False, True) == {"unroll": False, "jit_compile": True}
    result = train(tiny, steps=100, progress=False, heldout_size=20, unroll=True)
    assert result.summary()["step_variant"] == {"unroll": True, "jit_compile": False}
    assert train(tiny, steps=100, progress=False, heldout_size=20).summary()["step_variant"] \
        == step_plan(tiny)


def test_norm_clipping_scales_all_gradients_by_their_global_norm():
    """clip_norm scales the whole gradient down to that global norm (TF1's
    tf.clip_by_global_norm); a gradient already shorter passes unchanged; it and clip_value
    are refused together, and a clip_norm that is not positive is refused by name."""
    exp = get_experiment("exp3").replace(n_hidden=3, n_out=2)
    models = [build_model(exp) for _ in range(3)]
    clipped = make_optimizer(exp, models[0], clip_norm=1.0)
    reference, unclipped = make_optimizer(exp, models[1]), make_optimizer(exp, models[2])
    variables = [_lstm_bias(m) for m in models]
    long = np.array([3.0, -4.0] + [0.0] * 10, dtype=np.float32)  # norm 5: scaled to norm 1
    short = np.array([0.3, 0.4] + [0.0] * 10, dtype=np.float32)  # norm 0.5: kept
    # Adam divides by the gradients' running size, so one step alone hides a scale: two steps
    # of different sizes show it.
    for optimizer, variable, first in ((clipped, variables[0], long),
                                       (reference, variables[1], long / 5.0),
                                       (unclipped, variables[2], long)):
        optimizer.apply_gradients([(first, variable)])
        optimizer.apply_gradients([(short, variable)])
    after = [np.asarray(v.numpy()) for v in variables]
    np.testing.assert_allclose(after[0], after[1], rtol=1e-6)
    assert np.abs(after[0] - after[2]).max() > 1e-5
    with pytest.raises(ValueError, match="clip_norm=1 and exp4's clip_value=0.5 cannot both"):
        make_optimizer(get_experiment("exp4"), build_model(exp), clip_norm=1.0)
    with pytest.raises(ValueError, match="clip_norm must be positive, got 0"):
        make_optimizer(exp, build_model(exp), clip_norm=0)
