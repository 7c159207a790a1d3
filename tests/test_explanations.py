"""The explanations: each criterion's words on made-up runs, every conditional sentence present
and absent; a made-up experiment added with one study entry; the shipped runs' paragraphs."""

import pytest

from made_up_runs import made_up_run, made_up_sources
from sinelib.experiments import EXPERIMENTS, OriginalReport, get_experiment
from sinelib.schedules import STOP_CAP, STOP_TARGET
from sinelib.study.claims import judge_claims
from sinelib.study.criteria import (
    BelowTarget, ClippingCalms, FitsFrequency, LongerBudget, NeverBelow, OriginalGraph,
    OtherSeeds, QuotedLoss,
    StallsNear, StallStops, StoppedByTarget,
)
from sinelib.study.declarations import STUDIES, Control, Study, all_controls
from sinelib.study.explanations import as_bullet, explain

NONE = made_up_sources()


def _seed(seed, final, last=1.0):
    """A run of exp3 (budget 500000 = 100 rows) with held-out ``final`` at the end."""
    return made_up_run("exp3", [1.0] * 99 + [last], {99: final}, seed=seed)


def test_checks_without_words_explain_nothing():
    run = _seed(0, 0.1)
    assert QuotedLoss().explain(run, NONE) is None
    assert FitsFrequency().explain(run, NONE) is None
    assert StallStops().explain(run, NONE) is None  # no longer control to compare with
    assert BelowTarget().explain(run, NONE) is None  # seed 0 only


def test_other_seeds_say_where_each_seed_ends():
    sources = made_up_sources(spread={"exp3": [_seed(1, 0.3), _seed(2, 0.25)]})
    text = OtherSeeds().explain(_seed(0, 0.5), sources)
    assert text == ("At seed 0 the held-out loss at the end of the budget is 0.5, above the "
                    "original's 0.177742; at seeds 1 and 2 it is 0.3 and 0.25.")
    assert "0.1, at or below the original's" in OtherSeeds().explain(_seed(0, 0.1), sources)


def test_longer_budget_says_what_twice_the_budget_does():
    long_exp = get_experiment("exp3").replace(slug="exp3-long", budget_examples=1_000_000,
                                              cap_examples=1_000_000)
    run = _seed(0, 0.5)
    # Repeats the run for its first 100 rows, then gets low.
    reaches = made_up_run(long_exp, [1.0] * 99 + [1.0] + [0.1] * 100, {199: 0.1})
    misses = made_up_run(long_exp, [1.0] * 200, {199: 0.3})
    criterion = LongerBudget("exp3-long")
    text = criterion.explain(run, made_up_sources(controls={"exp3-long": reaches},
                                              spread={"exp3": [_seed(1, 0.3)]}))
    assert text == ("With twice the budget the same run (identical for its first 500000 "
                    "examples) ends at 0.1, and its displayed loss first reaches 0.177742 at "
                    "505000 examples. No seed reaches it held-out within the budget; at seed 0, "
                    "twice the budget does.")
    # A seed within the budget: no such sentence.
    text = criterion.explain(run, made_up_sources(controls={"exp3-long": reaches},
                                              spread={"exp3": [_seed(1, 0.1)]}))
    assert "No seed" not in text
    text = criterion.explain(run, made_up_sources(controls={"exp3-long": misses}))
    assert text.endswith("ends at 0.3 and its displayed loss never reaches 0.177742.")
    assert "No seed" not in text


def _clipping(clipped_displayed, clipped_heldout, unclipped_displayed, unclipped_heldout):
    exp = get_experiment("exp4").replace(budget_examples=50_000, cap_examples=50_000)
    run = made_up_run(exp, clipped_displayed, clipped_heldout)
    control = made_up_run(exp.replace(slug="noclip", clip_value=None), unclipped_displayed,
                          unclipped_heldout)
    return run, made_up_sources(controls={"noclip": control})


def test_clipping_explains_the_held_out_loss_at_each_seed_and_draws_no_cause():
    heldout_low, heldout_high = {4: 0.2, 9: 0.1}, {4: 0.5, 9: 0.4}
    run, sources = _clipping([0.3, 0.4] * 5, heldout_high, [0.05, 0.6] * 5, heldout_low)
    text = ClippingCalms("noclip", fraction=0.5).explain(run, sources)
    assert text == ("The held-out loss at the end of the budget (seed 0: 0.4 with, 0.1 "
                    "without) is lower without clipping at 1 of 1 seeds.")
    assert "slows" not in text


def test_stopped_by_target_explains_the_lucky_minibatch_or_the_other_rule():
    on_time = made_up_run("exp5", [1.0] * 69 + [0.1], final_loss=0.16, stop_reason=STOP_TARGET)
    text = StoppedByTarget().explain(on_time, NONE)
    assert text.startswith("The run stopped by the same rule as the original's, on a "
                           "displayed minibatch loss of 0.1 at 350000 examples")
    assert "the held-out loss at that moment, 0.16, sits near the target" in text
    capped = made_up_run("exp5", [1.0] * 70, final_loss=0.9, stop_reason=STOP_CAP)
    assert StoppedByTarget().explain(capped, NONE) == (
        "The run was not stopped by its target rule: it stopped by the cap at 350000 "
        "examples, with a held-out loss of 0.9.")


def test_stall_explanation_says_whether_the_level_and_the_stall_match():
    small = get_experiment("exp5-small").replace(budget_examples=100_000,
                                                 cap_examples=100_000)
    long_exp = small.replace(slug="long", budget_examples=200_000, cap_examples=200_000)
    falling = made_up_run(small, [1.0] * 15 + [0.5] * 5, final_loss=0.6)
    longer = made_up_run(long_exp, [1.0] * 15 + [0.5] * 5 + [0.4] * 20, final_loss=0.3)
    criterion = StallStops(fraction=0.8, longer="long", level=StallsNear(factor=2))
    text = criterion.explain(falling, made_up_sources(controls={"long": longer}))
    assert text.startswith("At the original's 100000 examples the held-out loss is 0.6, near "
                           "the original's 'about 0.5', but the median displayed loss of the "
                           "last quarter of the run is 50% of the quarter before's. With twice "
                           "the examples the same run (identical for its first 100000 "
                           "examples) ends at 0.3 held-out, the last quarter at 100% of the "
                           "one before.")
    assert text.endswith("the level matches, the stall does not.")
    # Far from the level: the sentence that says it matches is left out.
    far = made_up_run(small, [1.0] * 15 + [0.5] * 5, final_loss=5.0)
    text = criterion.explain(far, made_up_sources(controls={"long": longer}))
    assert "far from the original's" in text and "the level matches" not in text
    # The run stalls itself: no sentence either.
    flat = made_up_run(small, [1.0] * 20, final_loss=0.6)
    assert "the level matches" not in criterion.explain(flat, made_up_sources(
        controls={"long": longer}))


def test_target_at_any_seed_explains_the_schedule():
    exp = get_experiment("exp5-1")
    # Row i is step 100 (i + 1) and shows its last update's rate: update 5000 (row 49) is the
    # first at the lower rate, as the original's loop took it.
    rates = [exp.learning_rate] * 49 + [exp.learning_rate * 0.1] * 50 + \
        [exp.learning_rate * 0.01] * 21
    heldout = {49: 0.9, 99: 0.5}
    seed0 = made_up_run(exp, [1.0] * 120, heldout, final_loss=0.4, stop_reason=STOP_CAP,
                        rates=rates)
    met = made_up_run(exp, [1.0] * 119 + [0.1], heldout, final_loss=0.19, seed=1,
                      stop_reason=STOP_TARGET, rates=rates)
    small = made_up_run("exp5-small", [1.0] * 10, final_loss=0.4)
    criterion = BelowTarget(any_seed=True, beside="exp5-small")
    text = criterion.explain(seed0, made_up_sources(shipped={"exp5-small": small},
                                                spread={"exp5-1": [met]}))
    assert text.startswith("The rate steps down on a fixed schedule (5e-04 from 250000, "
                           "5e-05 from 500000 examples). seed 0: held-out 0.9 at 250000, 0.5 "
                           "at 500000 examples; never below 0.2, stopped by the cap at "
                           "600000 examples; seed 1: held-out 0.9 at 250000, 0.5 at 500000 "
                           "examples; target met at 600000 examples.")
    assert "cuts the rate tenfold" in text
    assert text.endswith("For comparison, lr 0.001 without decay (5 small) is at 0.4 "
                         "held-out after 50000 examples.")
    # Every seed misses: no sentence on what decides it.
    text = criterion.explain(seed0, made_up_sources(shipped={"exp5-small": small}))
    assert "Whether a run meets the target" not in text


def test_the_original_graph_says_whose_miss_it_is():
    port = [_seed(0, 0.5), _seed(1, 0.4)]  # exp3 quotes 0.177742; neither reaches it
    sources = lambda graph: made_up_sources(spread={"exp3": port[1:]}, tf1={"exp3": graph})
    text = OriginalGraph().explain(port[0], sources([_seed(0, 0.3), _seed(1, 0.5)]))
    assert text == (
        "The original's TF1 graph (its own cells and initialisation) trained today on the same "
        "protocol and minibatches ends at a held-out 0.4 ± 0.14 (0.3–0.5) over 2 seeds, the "
        "port at 0.45 ± 0.071 (0.4–0.5) over 2. Seed for seed (the same minibatches), the "
        "graph's held-out loss is below the port's at 1 of the 2 evaluations after the start. "
        "\"Loss 0.177742 reached within 500000 "
        "examples\" holds on the graph at 0 of 2 seeds; on the port at 0 of 2. Trained today "
        "on the same protocol, the original's graph misses it as the port does: the miss is "
        "not the port's network's. The graph shares the port's data, schedule and stopping "
        "rule, so it cannot speak for the original's own machine, draws or protocol.")
    # Only the seeds both have are compared, evaluation for evaluation.
    text = OriginalGraph().explain(port[0], sources([_seed(1, 0.3), _seed(7, 0.1)]))
    assert "is below the port's at 1 of the 1 evaluations" in text
    text = OriginalGraph().explain(port[0], sources([_seed(7, 0.1)]))
    assert "Seed for seed" not in text
    # A displayed minibatch that reaches it is counted on both sides.
    lucky = made_up_run("exp3", [1.0] * 99 + [0.1], {99: 0.3}, seed=1)
    text = OriginalGraph().explain(port[0], sources([_seed(0, 0.3), lucky]))
    assert ("holds on the graph at 0 of 2 seeds and on a displayed minibatch only at 1 of 2; "
            "on the port at 0 of 2 and 0 of 2.") in text
    # The conclusion says it is the held-out loss that misses, as the table's "on the
    # minibatch only" says.
    assert ("the original's graph misses it held-out as the port does: the miss is not the "
            "port's network's.") in text
    text = OriginalGraph().explain(port[0], sources([_seed(0, 0.1), _seed(1, 0.5)]))
    assert text.endswith("The original's graph meets it at a larger share of seeds than the "
                         "port.")
    ahead = [_seed(0, 0.1), _seed(1, 0.1)]
    text = OriginalGraph().explain(ahead[0], made_up_sources(
        spread={"exp3": ahead[1:]}, tf1={"exp3": [_seed(0, 0.1), _seed(1, 0.5)]}))
    assert text.endswith("The port meets it at a larger share of seeds than the original's "
                         "graph.")
    text = OriginalGraph(summary=False).explain(ahead[0], made_up_sources(
        spread={"exp3": ahead[1:]}, tf1={"exp3": ahead}))
    assert text.startswith("\"Loss 0.177742") and text.endswith("on the port at 2 of 2.")
    # A floor kept at every seed: the counts, no conclusion.
    above = made_up_run("exp6", [1.0, 0.35])
    text = OriginalGraph(NeverBelow(), every_seed=True, summary=False).explain(
        above, made_up_sources(tf1={"exp6": [above]}))
    assert text == ("\"Never goes below 0.3: no displayed minibatch loss below it\" holds on "
                    "the graph at 1 of 1 seeds; on the port at 1 of 1.")


@pytest.mark.shipped
def test_explain_can_keep_one_kind_of_check():
    graph_only = explain("exp4", kind=OriginalGraph)
    assert graph_only.startswith("The original's TF1 graph") and graph_only in explain("exp4")
    assert "clipping" not in graph_only
    assert explain("exp4", kind=StallsNear) == ""


def test_a_made_up_experiment_needs_one_registry_and_one_study_entry(monkeypatch):
    exp = get_experiment("exp3").replace(
        slug="toy", original_id="9", target_loss=0.25, cap_examples=1_000_000,
        reported=OriginalReport(loss=0.2, examples=550_000, best_loss=None,
                                claim="its target stops it by 550000 examples"))
    monkeypatch.setitem(EXPERIMENTS, "toy", exp)
    monkeypatch.setitem(STUDIES, "toy", Study("toy", (StoppedByTarget(),)))
    run = made_up_run("toy", [1.0] * 104 + [0.2], final_loss=0.3, stop_reason=STOP_TARGET)
    assert [str(claim) for claim in judge_claims(run, NONE)] == [
        "toy: stopped by its target (displayed loss <= 0.25 after at least 500000 examples) "
        "within 550000 examples: holds"]
    assert explain(run, NONE).startswith(
        "The run stopped by the same rule as the original's, on a displayed minibatch loss of "
        "0.2 at 525000 examples (the original: 0.2 at 550000).")
    # Its seed spread becomes control runs of its own names.
    assert [control.name for control in all_controls({"toy": STUDIES["toy"]}).values()] == [
        f"toy-seed{seed}" for seed in (1, 2, 3, 4)]


def test_declared_controls_are_checked():
    noclip = Control("toy-noclip", "exp4", {"clip_value": None}, "?", label="without")
    study = Study("exp4", (), spread_seeds=(1,), controls=(noclip,),
                  spread_controls=("toy-noclip",))
    assert [c.name for c in study.all_controls()] == ["toy-noclip", "exp4-seed1",
                                                      "toy-noclip-seed1"]
    assert study.clipping_off() == ("toy-noclip", "toy-noclip-seed1")
    assert study.all_controls()[2].label == "without, seed 1"
    with pytest.raises(ValueError, match="not among its controls"):
        Study("exp4", (), spread_controls=("nope",)).all_controls()
    with pytest.raises(ValueError, match="declared twice"):
        all_controls({"a": study, "b": study})


def test_the_declared_controls_keep_the_names_of_the_shipped_files():
    names = set(all_controls())
    assert {"exp4-noclip", "exp3-1-long", "exp5-small-long", "exp4-noclip-seed1",
            "exp4-noclip-seed2"} <= names
    assert {f"{slug}-seed{seed}" for slug, study in STUDIES.items()
            for seed in study.spread_seeds} <= names
    assert list(STUDIES) == list(EXPERIMENTS)
    assert {slug: study.spread_seeds for slug, study in STUDIES.items()} == {
        **{slug: (1, 2, 3, 4) for slug in EXPERIMENTS}, "exp4": (1, 2)}
    for study in STUDIES.values():
        assert set(study.overlays) <= names


@pytest.mark.shipped
@pytest.mark.parametrize("slug", ["exp1", "exp2", "exp3"])
def test_experiments_that_hold_need_no_explanation_beyond_the_original_graph(slug):
    text = explain(slug)
    assert text == explain(slug, kind=OriginalGraph)
    assert text.startswith("The original's TF1 graph")


@pytest.mark.shipped
def test_shipped_explanations_quote_the_measurements_they_rest_on():
    from sinelib.study.records import control_run, shipped_run, tf1_runs

    text = explain("exp3-1")
    assert f"{control_run('exp3-1-long').metrics['loss']:.3g}" in text
    assert f"{shipped_run('exp3-1').metrics['loss']:.3g}" in text
    text = explain(shipped_run("exp4"))
    assert f"{control_run('exp4-noclip').metrics['loss']:.3g} without" in text
    assert f"{control_run('exp5-small-long').metrics['loss']:.3g}" in explain("exp5-small")
    text = explain("exp5-1")
    assert all(f"seed {seed}:" in text for seed in range(5))
    graph = [run.metrics["loss"] for run in tf1_runs("exp4")]
    assert f"ends at a held-out {sum(graph) / len(graph):.3g} ± " in explain("exp4")


def test_as_bullet_lists_seeds_as_sub_items():
    text = ("The rate steps down (5e-04 from 250000). seed 0: held-out 0.9; never below 0.2; "
            "seed 1: held-out 0.2; target met. Whether a run meets it depends on the seed.")
    assert as_bullet(text) == (
        "- The rate steps down (5e-04 from 250000).\n"
        "  - seed 0: held-out 0.9; never below 0.2\n"
        "  - seed 1: held-out 0.2; target met\n\n"
        "  Whether a run meets it depends on the seed.")
    assert as_bullet("No seeds here.") == "- No seeds here."
    assert explain("exp5-1", bullets=True).count("\n  - seed ") == 5
