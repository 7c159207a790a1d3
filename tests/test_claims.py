"""The original's claims: every criterion on made-up runs (both verdicts, and the
minibatch-only one where it applies), the study's declarations, and the shipped runs' claims."""

import pytest
from made_up_runs import made_up_run, made_up_sources

from sinelib.experiments import EXPERIMENTS, get_experiment
from sinelib.schedules import STOP_BUDGET, STOP_CAP, STOP_TARGET
from sinelib.study.claims import judge_claims, claim_rows, startup_claims
from sinelib.study.criteria import (
    DOES_NOT_HOLD, HOLDS, MINIBATCH_ONLY, BelowTarget, Claim, ClippingCalms, FailsElsewhere,
    FitsFrequency, Generalises, LongerBudget, LowestDisplayed, NeverBelow, NeverBelowTarget,
    OnControl, OriginalGraph, OtherSeeds, QuotedLoss, StallsNear, StallStops, StoppedByTarget,
    VariesWildly, WorseThan, heldout_at, quoted_loss_claim, quoted_loss_verdict,
)
from sinelib.training import Run

NONE = made_up_sources()


def _exp(name, **changes):
    """A registered experiment with a small budget: 5000 examples per history row."""
    return get_experiment(name).replace(**changes)


def test_quoted_loss_verdicts():
    assert quoted_loss_verdict(0.2, heldout=0.19, best_minibatch=0.1) == HOLDS
    assert quoted_loss_verdict(0.2, heldout=0.3, best_minibatch=0.2) == MINIBATCH_ONLY
    assert quoted_loss_verdict(0.2, heldout=0.3, best_minibatch=0.25) == DOES_NOT_HOLD


def test_quoted_loss_looks_within_the_original_examples():
    # exp5-1: the original quotes 0.180995 at 510000 examples. This run goes on to 600000 and
    # only gets low after 510000: the claim must not count that.
    run = made_up_run("exp5-1", [1.0] * 110 + [0.1] * 10, {99: 0.5, 119: 0.05},
                      stop_reason=STOP_TARGET)
    claim = QuotedLoss().claim(run, NONE)
    assert claim.verdict == DOES_NOT_HOLD and claim.quoted == 0.180995
    assert "510000 examples" in claim.statement
    assert heldout_at(run, 510000) == (0.5, 500000)
    assert heldout_at(run, 600000) == (0.05, 600000)
    minibatch = made_up_run("exp5-1", [1.0] * 101 + [0.15], {99: 0.3}, final_loss=0.3)
    assert QuotedLoss().claim(minibatch, NONE).verdict == MINIBATCH_ONLY
    early = made_up_run("exp5-1", [1.0] * 101 + [0.15], {99: 0.3}, final_loss=0.17)
    assert QuotedLoss().claim(early, NONE).verdict == HOLDS
    with pytest.raises(ValueError, match="no held-out loss"):
        heldout_at(run, 1000)


def test_quoted_loss_parameters_override_the_report():
    run = made_up_run("exp3", [1.0, 0.4, 0.3], {1: 0.5}, final_loss=0.35)
    assert QuotedLoss(value=0.45, examples=10000).claim(run, NONE).verdict == MINIBATCH_ONLY
    assert QuotedLoss(value=0.5, examples=10000).claim(run, NONE).verdict == HOLDS
    assert quoted_loss_claim(run, 0.2).verdict == DOES_NOT_HOLD
    with pytest.raises(ValueError, match="quotes no loss"):
        quoted_loss_claim(made_up_run("exp1", [1.0]))


def test_fits_a_frequency_and_fails_at_others():
    # exp1 predicts 50 samples: RMS = sqrt(summed loss / 50).
    good = made_up_run("exp1", [1.0], by_frequency={1.0: 0.05, 2.0: 10.0, 3.0: 6.0})
    bad = made_up_run("exp1", [1.0], by_frequency={1.0: 0.5, 2.0: 10.0, 3.0: 60.0})
    fits = FitsFrequency(frequency=1.0, rms=0.05)
    assert fits.claim(good, NONE).verdict == HOLDS
    assert fits.claim(bad, NONE).verdict == DOES_NOT_HOLD
    assert "(5% of the amplitude)" in fits.claim(good, NONE).statement
    fails = FailsElsewhere(at=1.0, others=(2.0, 3.0), factor=100)
    assert fails.claim(good, NONE).verdict == HOLDS  # 200x and 120x
    assert fails.claim(bad, NONE).verdict == DOES_NOT_HOLD  # 20x at 2 Hz
    assert fails.claim(good, NONE).measured == "2 Hz: 200x, 3 Hz: 120x the 1 Hz error"


def test_worse_than_another_experiment_and_generalises():
    exp1 = made_up_run("exp1", [1.0], by_frequency={1.0: 0.01})
    sources = made_up_sources(shipped={"exp1": exp1})
    even = made_up_run("exp2", [1.0], by_frequency={1.0: 0.05, 2.0: 0.1, 3.0: 0.07})
    uneven = made_up_run("exp2", [1.0], by_frequency={1.0: 0.005, 2.0: 0.1, 3.0: 0.07})
    worse = WorseThan("exp1", frequency=1.0)
    assert worse.claim(even, sources).verdict == HOLDS
    assert worse.claim(uneven, sources).verdict == DOES_NOT_HOLD
    assert "above experiment 1's" in worse.claim(even, sources).statement
    generalises = Generalises(frequencies=(1.0, 2.0, 3.0), factor=3)
    assert generalises.claim(even, NONE).verdict == HOLDS  # 2x
    assert generalises.claim(uneven, NONE).verdict == DOES_NOT_HOLD  # 20x


def _seed(seed, last, final):
    """A run of exp3 (budget 500000 = 100 rows) whose last displayed loss is ``last``."""
    return made_up_run("exp3", [1.0] * 99 + [last], {99: final}, seed=seed)


def test_other_seeds_reach_the_quoted_loss():
    run = _seed(0, 0.5, 0.5)  # exp3 quotes 0.177742
    criterion = OtherSeeds()
    for others, verdict in (([_seed(1, 0.5, 0.5), _seed(2, 0.1, 0.15)], HOLDS),
                            ([_seed(1, 0.5, 0.5), _seed(2, 0.1, 0.3)], MINIBATCH_ONLY),
                            ([_seed(1, 0.5, 0.5), _seed(2, 0.3, 0.3)], DOES_NOT_HOLD)):
        claim = criterion.claim(run, made_up_sources(spread={"exp3": others}))
        assert claim.verdict == verdict and "any of seeds 1, 2" in claim.statement
    with pytest.raises(ValueError, match="make seeds"):
        criterion.claim(run, NONE)


def test_longer_budget():
    run = _seed(0, 0.5, 0.5)
    longer_exp = _exp("exp3", slug="exp3-long", budget_examples=1_000_000,
                      cap_examples=1_000_000)
    reaches = made_up_run(longer_exp, [1.0] * 199 + [0.1], {199: 0.1})
    misses = made_up_run(longer_exp, [1.0] * 199 + [0.1], {199: 0.3})
    criterion = LongerBudget("exp3-long")
    assert criterion.claim(run, made_up_sources(controls={"exp3-long": reaches})).verdict == HOLDS
    claim = criterion.claim(run, made_up_sources(controls={"exp3-long": misses}))
    assert claim.verdict == MINIBATCH_ONLY and claim.experiment == "exp3-long"
    assert "within 1000000 examples" in claim.statement


def test_lowest_displayed_loss():
    exp = _exp("exp4", budget_examples=50_000, cap_examples=50_000)  # quotes 0.069027
    control = made_up_run(exp.replace(slug="noclip", clip_value=None), [1.0] * 9 + [0.05])
    sources = made_up_sources(controls={"noclip": control}, labels={"noclip": "without it"})
    low = made_up_run(exp, [1.0] * 9 + [0.06])
    high = made_up_run(exp, [1.0] * 9 + [0.07])
    assert LowestDisplayed().claim(low, NONE).verdict == HOLDS
    claim = LowestDisplayed(beside="noclip").claim(high, sources)
    assert claim.verdict == DOES_NOT_HOLD and claim.quoted == 0.069027
    assert claim.measured.endswith("; without it (control) 0.05 at 50000 examples")


def test_varies_wildly_and_clipping_calms_use_one_measure():
    """Interquartile range over median, for both claims: wild [0.1, 0.6] * 10 has IQR 0.5 over
    median 0.35 (1.43); calm [0.3, 0.4] * 10 has 0.1 over 0.35 (0.286)."""
    exp = _exp("exp4", budget_examples=50_000, cap_examples=50_000)
    wild = made_up_run(exp, [0.1, 0.6] * 10)
    calm = made_up_run(exp, [0.3, 0.4] * 10)
    assert VariesWildly(threshold=0.5).claim(wild, NONE).verdict == HOLDS
    assert VariesWildly(threshold=0.5).claim(calm, NONE).verdict == DOES_NOT_HOLD
    assert "seed 0: 1.43" in VariesWildly().claim(wild, NONE).measured
    # One outlying value moves max / min, not this measure.
    spike = made_up_run(exp, [0.01] + [0.3, 0.31] * 9 + [0.3])
    assert VariesWildly(threshold=0.5).claim(spike, NONE).verdict == DOES_NOT_HOLD
    sources = made_up_sources(controls={"noclip": wild})
    assert ClippingCalms("noclip", fraction=0.5).claim(calm, sources).verdict == HOLDS
    assert ClippingCalms("noclip", fraction=0.5).claim(wild, sources).verdict == DOES_NOT_HOLD
    assert ClippingCalms("noclip", fraction=0.1).claim(calm, sources).verdict == DOES_NOT_HOLD
    assert "below half the unclipped run's (same seed)" in ClippingCalms("noclip").claim(
        calm, sources).statement


def test_both_clipping_claims_are_judged_at_every_seed():
    """Seed 0 calm and seed 1 wild: clipping calms at 1 of 2 seeds, which is not "calms"."""
    exp = _exp("exp4", budget_examples=50_000, cap_examples=50_000)
    calm0 = made_up_run(exp, [0.3, 0.4] * 10, seed=0)
    wild1 = made_up_run(exp, [0.1, 0.6] * 10, seed=1)
    wild = made_up_run(exp.replace(slug="noclip", clip_value=None), [0.1, 0.6] * 10)
    sources = made_up_sources(controls={"noclip": wild, "noclip-seed1": wild},
                              spread={"exp4": [wild1]})
    calms = ClippingCalms("noclip").claim(calm0, sources)
    assert calms.verdict == DOES_NOT_HOLD and calms.basis == "(holds at 1 of 2 seeds)"
    assert calms.measured == ("seed 0: 0.286 with clipping, 1.43 without; "
                              "seed 1: 1.43 with clipping, 1.43 without")
    varies = VariesWildly(beside="noclip").claim(calm0, sources)
    assert varies.verdict == DOES_NOT_HOLD and varies.basis == "(holds at 1 of 2 seeds)"
    assert varies.measured == ("seed 0: 0.286 (1.43 without clipping); "
                               "seed 1: 1.43 (1.43 without clipping)")


def test_stopped_by_target_within_the_quoted_examples():
    # exp5: target 0.15 after 300000 examples, quoted at 375000.
    on_time = made_up_run("exp5", [1.0] * 69 + [0.1], stop_reason=STOP_TARGET)
    late = made_up_run("exp5", [1.0] * 79 + [0.1], stop_reason=STOP_TARGET)
    capped = made_up_run("exp5", [1.0] * 70, stop_reason=STOP_CAP)
    assert StoppedByTarget().claim(on_time, NONE).verdict == HOLDS
    assert StoppedByTarget().claim(late, NONE).verdict == DOES_NOT_HOLD
    assert StoppedByTarget().claim(capped, NONE).verdict == DOES_NOT_HOLD


def test_stalls_near_a_level_and_stops():
    # exp5-small quotes "about 0.5"; quarters of 5 rows.
    flat = made_up_run("exp5-small", [1.0] * 10 + [0.6] * 10, final_loss=0.6)
    falling = made_up_run("exp5-small", [1.0] * 15 + [0.5] * 5, final_loss=0.2)
    assert StallsNear(factor=2).claim(flat, NONE).verdict == HOLDS
    assert StallsNear(factor=2).claim(falling, NONE).verdict == DOES_NOT_HOLD
    assert StallsNear(factor=3).claim(falling, NONE).verdict == HOLDS
    assert StallStops(fraction=0.8).claim(flat, NONE).verdict == HOLDS
    stops = StallStops(fraction=0.8).claim(falling, NONE)
    assert stops.verdict == DOES_NOT_HOLD and "less than 20% below" in stops.statement
    sources = made_up_sources(controls={"long": flat})
    assert OnControl("long", StallStops()).claim(falling, sources) == StallStops().claim(
        flat, sources)


def test_below_target_at_seed_zero_and_at_any_seed():
    # exp5-1: target 0.2.
    met = made_up_run("exp5-1", [1.0] * 99 + [0.1], seed=1, stop_reason=STOP_TARGET)
    missed = made_up_run("exp5-1", [1.0] * 100, seed=2, stop_reason=STOP_CAP)
    small = made_up_run("exp5-small", [1.0] * 10, final_loss=0.4)
    sources = made_up_sources(shipped={"exp5-small": small}, spread={"exp5-1": [met, missed]})
    assert BelowTarget().claim(met, NONE).verdict == HOLDS
    claim = BelowTarget(beside="exp5-small").claim(missed, sources)
    assert claim.verdict == DOES_NOT_HOLD
    assert claim.measured.endswith("(lr 0.001 without decay, exp5-small: held-out 0.4 at "
                                   "50000 examples)")
    anyone = BelowTarget(any_seed=True)
    assert anyone.claim(missed, sources).verdict == HOLDS
    assert anyone.claim(met, made_up_sources(spread={"exp5-1": [missed]})).verdict == \
        DOES_NOT_HOLD


def test_never_below_a_floor_and_never_below_the_target():
    # exp6: floor 0.3 (quoted), target 0.2.
    above = made_up_run("exp6", [1.0, 0.35], stop_reason=STOP_CAP)
    below = made_up_run("exp6", [1.0, 0.25], seed=1, stop_reason=STOP_TARGET)
    assert NeverBelow().claim(above, NONE).verdict == HOLDS
    assert NeverBelow().claim(below, NONE).verdict == DOES_NOT_HOLD
    assert NeverBelow(floor=0.2).claim(below, NONE).verdict == HOLDS
    assert NeverBelowTarget().claim(above, NONE).verdict == HOLDS
    assert NeverBelowTarget().claim(above, made_up_sources(
        spread={"exp6": [below]})).verdict == DOES_NOT_HOLD


def test_the_original_graph_reaches_a_number_at_any_seed_or_keeps_a_floor_at_every_seed():
    run = _seed(0, 0.5, 0.5)  # the port's run; exp3 quotes 0.177742
    criterion = OriginalGraph()
    for graph, verdict in (([_seed(0, 0.5, 0.5), _seed(1, 0.1, 0.15)], HOLDS),
                           ([_seed(0, 0.5, 0.5), _seed(1, 0.1, 0.3)], MINIBATCH_ONLY),
                           ([_seed(0, 0.5, 0.5), _seed(1, 0.3, 0.3)], DOES_NOT_HOLD)):
        claim = criterion.claim(run, made_up_sources(tf1={"exp3": graph}))
        assert claim.verdict == verdict and claim.experiment == "exp3 (TF1 graph)"
        assert "on the original's TF1 graph at any of seeds 0, 1" in claim.statement
        assert claim.quoted is None  # the quote table's verdicts are the port's
    # A floor is kept only when every seed keeps it.
    above = made_up_run("exp6", [1.0, 0.35], stop_reason=STOP_CAP)
    below = made_up_run("exp6", [1.0, 0.25], seed=1, stop_reason=STOP_TARGET)
    floor = OriginalGraph(NeverBelow(), every_seed=True)
    assert floor.claim(above, made_up_sources(tf1={"exp6": [above]})).verdict == HOLDS
    claim = floor.claim(above, made_up_sources(tf1={"exp6": [above, below]}))
    assert claim.verdict == DOES_NOT_HOLD and "every one of seeds 0, 1" in claim.statement
    assert claim.measured.startswith("seed 0: lowest")  # the seed is named once
    with pytest.raises(ValueError, match="make tf1-runs"):
        criterion.claim(run, NONE)


def test_claim_text_has_the_verdict_but_not_the_measurement():
    claim = Claim("exp3", "loss 0.177742 reached within 500000 examples", HOLDS,
                  "held-out 0.1277")
    assert str(claim) == "exp3: loss 0.177742 reached within 500000 examples: holds"
    assert claim.holds and not Claim("x", "y", DOES_NOT_HOLD, "").holds
    assert claim_rows([claim])[1] == ["exp3", claim.statement, "held-out 0.1277", HOLDS]


def test_startup_claims():
    timings = [{"n_in": 25, "unroll": False, "startup_s": 2.0, "step_ms": 20.0},
               {"n_in": 25, "unroll": True, "startup_s": 3.0, "step_ms": 15.0},
               {"n_in": 100, "unroll": False, "startup_s": 2.0, "step_ms": 60.0},
               {"n_in": 100, "unroll": True, "startup_s": 12.0, "step_ms": 50.0}]
    claims = startup_claims(timings)
    assert [c.verdict for c in claims] == [DOES_NOT_HOLD, HOLDS]
    assert "input length 100" in claims[1].statement and "6x" in claims[1].measured
    with pytest.raises(ValueError, match="lack"):
        startup_claims(timings[:1])


def test_unknown_experiment_has_no_claims():
    run = made_up_run("exp3", [1.0])
    other = Run(run.experiment.replace(slug="other"), 0, 100, STOP_BUDGET, run.metrics,
                run.history)
    with pytest.raises(ValueError, match="no study is declared for 'other'"):
        judge_claims(other, NONE)


@pytest.mark.shipped
@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_every_shipped_experiment_has_checked_claims(slug):
    claims = judge_claims(slug)
    assert claims and all(c.experiment.startswith(slug) for c in claims)  # or its control
    assert all(c.measured for c in claims)
    # What a reader sees says the verdict judged, not another.
    assert all(c.shown_verdict.startswith(c.verdict) for c in claims)


@pytest.mark.shipped
def test_the_memorisation_claims_hold_on_the_shipped_weights():
    assert [c.verdict for c in judge_claims("exp1")][:2] == [HOLDS, HOLDS]
    assert [c.verdict for c in judge_claims("exp2")][:2] == [HOLDS, HOLDS]


def test_a_lesson_shows_the_ports_claims_and_names_a_controls():
    from sinelib.study.claims import lesson_claim_rows

    claims = [Claim("exp5-small", "stalls near 0.4", HOLDS, "a"),
              Claim("exp5-small-long", "stalls near 0.4", DOES_NOT_HOLD, "b"),
              Claim("exp5-small (TF1 graph)", "stalls near 0.4", HOLDS, "seed 0: c; seed 1: d")]
    assert lesson_claim_rows(claims) == [
        ["claim", "verdict", "measured"], ["stalls near 0.4", HOLDS, "a"],
        ["stalls near 0.4 (on exp5-small-long)", DOES_NOT_HOLD, "b"]]


def test_a_lesson_shows_one_seed_of_a_long_per_seed_measurement():
    from sinelib.study.claims import LESSON_MEASURED_WORDS, lesson_claim_rows

    long = "; ".join(f"seed {s}: " + "word " * 12 for s in range(4))
    short = "seed 0: 0.7; seed 1: 0.9"
    assert len(long.split()) > LESSON_MEASURED_WORDS
    rows = lesson_claim_rows([Claim("exp4", "a", HOLDS, short), Claim("exp4", "b", HOLDS, long)])
    assert rows[1][2] == "seed 0: 0.7<br>seed 1: 0.9"
    assert rows[2][2] == long.split("; seed ")[0] + "<br>other seeds: notebook 11"
