"""The seed's claims: verdict rules on hand-made runs, and the shipped runs' claims."""

import pytest

from sinelib.study.claims import (
    DOES_NOT_HOLD, HOLDS, MINIBATCH_ONLY, Claim, check_claims, claim_rows, heldout_at,
    quoted_loss_claim, quoted_loss_verdict, startup_claims,
)
from sinelib.experiments import EXPERIMENTS, get_experiment
from sinelib.study.records import RunRecord


def _run(slug, displayed, heldout_rows, final_loss, stop_reason="budget"):
    """A run of ``slug`` with displayed losses every 100 steps and held-out rows given."""
    exp = get_experiment(slug)
    history = [{"step": 100 * (i + 1), "examples": 5000 * (i + 1), "learning_rate": 0.001,
                "train_loss": loss, "heldout_loss": heldout_rows.get(5000 * (i + 1))}
               for i, loss in enumerate(displayed)]
    steps = history[-1]["step"]
    return RunRecord(exp, 0, steps, steps * 50, stop_reason,
                     {"loss": final_loss, "mse": final_loss / exp.n_out, "size": 10,
                      "by_frequency": []}, history)


def test_quoted_loss_verdicts():
    assert quoted_loss_verdict(0.2, heldout=0.19, best_minibatch=0.1) == HOLDS
    assert quoted_loss_verdict(0.2, heldout=0.3, best_minibatch=0.2) == MINIBATCH_ONLY
    assert quoted_loss_verdict(0.2, heldout=0.3, best_minibatch=0.25) == DOES_NOT_HOLD


def test_quoted_loss_claim_looks_within_the_seed_examples():
    # exp5-1: the seed quotes 0.180995 at 510000 examples. This run goes on to 600000 and
    # only gets low after 510000: the claim must not count that.
    displayed = [1.0] * 110 + [0.1] * 10
    run = _run("exp5-1", displayed, {500000: 0.5, 600000: 0.05}, final_loss=0.05,
               stop_reason="target")
    claim = quoted_loss_claim(run)
    assert claim.verdict == DOES_NOT_HOLD
    assert "510000 examples" in claim.statement
    assert heldout_at(run, 510000) == (0.5, 500000)
    assert heldout_at(run, 600000) == (0.05, 600000)
    early = _run("exp5-1", [1.0] * 101 + [0.15], {500000: 0.3}, final_loss=0.17,
                 stop_reason="target")
    assert quoted_loss_claim(early).verdict == HOLDS
    with pytest.raises(ValueError, match="no held-out loss"):
        heldout_at(run, 1000)


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


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_every_shipped_experiment_has_checked_claims(slug):
    claims = check_claims(slug)
    assert claims and all(c.experiment.startswith(slug) for c in claims)  # or its control
    assert all(c.verdict in (HOLDS, MINIBATCH_ONLY, DOES_NOT_HOLD) for c in claims)
    assert all(c.measured for c in claims)


def test_the_memorisation_claims_hold_on_the_shipped_weights():
    assert [c.verdict for c in check_claims("exp1")] == [HOLDS, HOLDS]
    assert [c.verdict for c in check_claims("exp2")][:2] == [HOLDS, HOLDS]


def test_unknown_experiment_has_no_claims():
    run = _run("exp3", [1.0], {}, 1.0)
    other = RunRecord(run.experiment.replace(slug="other"), 0, 100, 5000, "steps",
                      run.metrics, run.history)
    with pytest.raises(ValueError, match="no claims"):
        check_claims(other)
