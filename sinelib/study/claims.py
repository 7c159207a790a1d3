"""The seed's claims, each made testable and checked against our measurements.

``SPEC.md`` lists what the seed claims. Every claim here is a statement with an explicit
threshold, a verdict, and the numbers behind the verdict. ``str(claim)`` is the statement and
verdict only (no raw numbers), so a notebook's checked cell prints text that does not change
with the last digits of a float; ``claim.measured`` holds the numbers for the reader.

Losses are seed units (squared error summed over the horizon, mean over the batch). The seed
quoted single minibatch values; we check each quoted number twice, on the held-out set (the
stricter test) and on the displayed minibatch loss (the seed's own measure):

* ``holds``: the held-out loss reaches the seed's number within the seed's examples;
* ``holds on the minibatch only``: only some displayed minibatch loss does;
* ``does not hold``: neither does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sinelib.study.analysis import (
    best_displayed, first_at_or_below, heldout_losses, loss_spread, stall_ratio,
)
from sinelib.study.records import RunRecord, control_run, shipped_run

HOLDS = "holds"
MINIBATCH_ONLY = "holds on the minibatch only"
DOES_NOT_HOLD = "does not hold"

#: "Fits 1 Hz": per-point RMS error below 5% of the sine's amplitude.
FIT_RMS = 0.05
#: "Fails at 2 and 3 Hz": error more than this many times the 1 Hz error.
FAIL_FACTOR = 100
#: "Generalises": error at 2 and 3 Hz within this factor of the model's own 1 Hz error.
GENERALISE_FACTOR = 3
#: "Varies wildly": largest displayed loss over the last window above this many times the
#: smallest (the seed printed one minibatch value every 100 steps).
WILD_FACTOR = 5
#: Window at the end of a run for the spread of the displayed loss, in steps (20 values).
SPREAD_STEPS = 2000
#: "Clipping calms the loss": the clipped run's interquartile range of the displayed loss
#: below this fraction of the unclipped control's (our question, not a seed claim).
CALM_FRACTION = 0.5
#: "Stalls near 0.5": held-out loss at the end within this factor of 0.5.
NEAR_FACTOR = 2
#: "Effectively stops": the median displayed loss over the last quarter of the run is at least
#: this fraction of the median over the quarter before (falls by less than 20%).
STALL_FRACTION = 0.8
#: "Drastically improves start-up": the unrolled graph's start-up more than this many times
#: the loop's.
DRASTIC_FACTOR = 3


@dataclass(frozen=True)
class Claim:
    """One claim of the seed, made testable, with our verdict.

    Attributes:
        experiment: Slug of the experiment the claim belongs to.
        statement: The claim with its threshold, in words.
        verdict: ``HOLDS``, ``MINIBATCH_ONLY`` or ``DOES_NOT_HOLD``.
        measured: The numbers behind the verdict (they drift in the last digits; never
            compare them in a checked cell).
        quoted: The seed's number the claim tests, if it tests one (for the ledger).
    """

    experiment: str
    statement: str
    verdict: str
    measured: str
    quoted: float | None = None

    @property
    def holds(self) -> bool:
        """True unless the verdict is ``DOES_NOT_HOLD``."""
        return self.verdict != DOES_NOT_HOLD

    def __str__(self) -> str:
        return f"{self.experiment}: {self.statement}: {self.verdict}"


def _by_frequency(run: RunRecord) -> dict[float, float]:
    return {entry["frequency"]: entry["loss"] for entry in run.metrics["by_frequency"]}


def heldout_at(run: RunRecord, examples: int) -> tuple[float, int]:
    """The held-out loss of the run at ``examples``: its final metrics when it ended there or
    earlier, else the last held-out measurement before (recorded every 1000 steps).

    Returns:
        ``(loss, examples at which it was measured)``.
    """
    if run.examples <= examples:
        return run.metrics["loss"], run.examples
    at, losses = heldout_losses(run.history)
    keep = at <= examples
    if not keep.any():
        raise ValueError(f"the run has no held-out loss at or before {examples} examples")
    return float(losses[keep][-1]), int(at[keep][-1])


def quoted_loss_verdict(quoted: float, heldout: float, best_minibatch: float) -> str:
    """The three-way verdict on a loss the seed quoted (see the module docstring)."""
    if heldout <= quoted:
        return HOLDS
    if best_minibatch <= quoted:
        return MINIBATCH_ONLY
    return DOES_NOT_HOLD


def quoted_loss_claim(run: RunRecord, quoted: float | None = None,
                      examples: int | None = None) -> Claim:
    """Is the seed's quoted loss reached within the seed's examples?

    Args:
        run: Our run of the experiment.
        quoted: The seed's number; default the experiment's ``seed.loss``.
        examples: Within how many examples; default where the seed quoted it, else the budget.
    """
    exp = run.experiment
    quoted = exp.reported.loss if quoted is None else quoted
    examples = examples or exp.reported.examples or exp.budget_examples
    heldout, heldout_examples = heldout_at(run, examples)
    best, best_examples = best_displayed(run.history, max_examples=examples)
    return Claim(
        exp.slug, f"loss {quoted:g} reached within {examples} examples",
        quoted_loss_verdict(quoted, heldout, best),
        f"held-out {heldout:.4g} at {heldout_examples} examples; lowest displayed minibatch "
        f"loss {best:.4g} at {best_examples} examples", quoted,
    )


def _exp1(run: RunRecord) -> list[Claim]:
    losses = _by_frequency(run)
    rms = math.sqrt(losses[1.0] / run.experiment.n_out)
    worst = min(losses[2.0], losses[3.0]) / losses[1.0]
    return [
        Claim(run.experiment.slug,
              f"fits 1 Hz: per-point RMS error at 1 Hz below {FIT_RMS:g} (5% of the amplitude)",
              HOLDS if rms < FIT_RMS else DOES_NOT_HOLD, f"RMS error {rms:.3g} at 1 Hz"),
        Claim(run.experiment.slug,
              f"fails at 2 and 3 Hz: error at each more than {FAIL_FACTOR}x the 1 Hz error",
              HOLDS if worst > FAIL_FACTOR else DOES_NOT_HOLD,
              f"2 Hz: {losses[2.0] / losses[1.0]:.3g}x, 3 Hz: {losses[3.0] / losses[1.0]:.3g}x "
              f"the 1 Hz error"),
    ]


def _exp2(run: RunRecord) -> list[Claim]:
    losses = _by_frequency(run)
    reference = _by_frequency(shipped_run("exp1"))
    spread = max(losses[2.0], losses[3.0], losses[1.0]) / min(losses[2.0], losses[3.0],
                                                              losses[1.0])
    return [
        Claim(run.experiment.slug,
              "worse than the 1 Hz model at 1 Hz: error at 1 Hz above experiment 1's",
              HOLDS if losses[1.0] > reference[1.0] else DOES_NOT_HOLD,
              f"{losses[1.0]:.3g} against {reference[1.0]:.3g} (seed loss at 1 Hz)"),
        Claim(run.experiment.slug,
              f"generalises to 2 and 3 Hz: errors at 1, 2 and 3 Hz within "
              f"{GENERALISE_FACTOR}x of each other",
              HOLDS if spread < GENERALISE_FACTOR else DOES_NOT_HOLD,
              f"1 Hz {losses[1.0]:.3g}, 2 Hz {losses[2.0]:.3g}, 3 Hz {losses[3.0]:.3g}"),
        quoted_loss_claim(run),
    ]


def spread_controls(slug: str) -> tuple[str, ...]:
    """The seed-spread control runs of an experiment (seeds 1-4)."""
    from sinelib.study.controls import SPREAD_SEEDS

    return tuple(f"{slug}-seed{seed}" for seed in SPREAD_SEEDS[slug])


def _other_seeds(run: RunRecord, controls: tuple[str, ...]) -> Claim:
    """Does another seed reach the seed's number? From the shipped seed controls."""
    exp = run.experiment
    examples = exp.reported.examples or exp.budget_examples
    parts, verdicts = [], []
    for name in controls:
        other = control_run(name)
        claim = quoted_loss_claim(other, exp.reported.loss, examples)
        verdicts.append(claim.verdict)
        parts.append(f"seed {other.seed}: {claim.measured} ({claim.verdict})")
    best = HOLDS if HOLDS in verdicts else MINIBATCH_ONLY if MINIBATCH_ONLY in verdicts \
        else DOES_NOT_HOLD
    seeds = ", ".join(str(control_run(name).seed) for name in controls)
    return Claim(exp.slug, f"loss {exp.reported.loss:g} reached within {examples} examples at "
                           f"any of seeds {seeds}", best, "; ".join(parts))


def _exp3_1(run: RunRecord) -> list[Claim]:
    longer = control_run("exp3-1-long")
    return [quoted_loss_claim(run), _other_seeds(run, spread_controls("exp3-1")),
            quoted_loss_claim(longer, run.experiment.reported.loss, longer.experiment.budget_examples)]


def _exp4(run: RunRecord) -> list[Claim]:
    exp = run.experiment
    best, at = best_displayed(run.history, max_examples=exp.budget_examples)
    control = control_run("exp4-noclip")
    control_best, control_at = best_displayed(control.history, max_examples=exp.budget_examples)
    clipped = loss_spread(run.history, SPREAD_STEPS)
    unclipped = loss_spread(control.history, SPREAD_STEPS)
    return [
        quoted_loss_claim(run),
        Claim(exp.slug, f"displayed minibatch loss as low as {exp.reported.best_loss:g} within "
                        f"{exp.budget_examples} examples",
              HOLDS if best <= exp.reported.best_loss else DOES_NOT_HOLD,
              f"lowest displayed loss {best:.4g} at {at} examples; without clipping (control) "
              f"{control_best:.4g} at {control_at} examples", exp.reported.best_loss),
        Claim(exp.slug, f"with clipping the loss varies wildly: over the last {SPREAD_STEPS} "
                        f"steps the largest displayed loss is more than {WILD_FACTOR}x the "
                        f"smallest",
              HOLDS if clipped["max_over_min"] > WILD_FACTOR else DOES_NOT_HOLD,
              f"{clipped['min']:.3g} to {clipped['max']:.3g} ({clipped['max_over_min']:.3g}x), "
              f"median {clipped['median']:.3g}; without clipping {unclipped['min']:.3g} to "
              f"{unclipped['max']:.3g} ({unclipped['max_over_min']:.3g}x), median "
              f"{unclipped['median']:.3g}"),
        Claim(exp.slug, f"value clipping calms the loss: over the last {SPREAD_STEPS} steps the "
                        f"interquartile range of the displayed loss is less than half the "
                        f"control run's without clipping (same seed and budget)",
              HOLDS if clipped["iqr"] < CALM_FRACTION * unclipped["iqr"] else DOES_NOT_HOLD,
              f"interquartile range {clipped['iqr']:.3g} with clipping, {unclipped['iqr']:.3g} "
              f"without; held-out loss at the end {run.metrics['loss']:.3g} with, "
              f"{control.metrics['loss']:.3g} without"),
    ]


def _exp5(run: RunRecord) -> list[Claim]:
    exp = run.experiment
    reached = first_at_or_below(run.history, exp.target_loss)
    return [
        quoted_loss_claim(run),
        Claim(exp.slug, f"stopped by its target (displayed loss <= {exp.target_loss:g} after "
                        f"at least {exp.budget_examples} examples) within "
                        f"{exp.reported.examples} examples",
              HOLDS if run.stop_reason == "target" and run.examples <= exp.reported.examples
              else DOES_NOT_HOLD,
              f"stopped by '{run.stop_reason}' at {run.examples} examples; first displayed "
              f"loss <= {exp.target_loss:g} at {reached} examples"),
    ]


def _stall_claims(run: RunRecord) -> list[Claim]:
    exp = run.experiment
    quarter = run.examples // 4
    ratio = stall_ratio(run.history, quarter)
    loss = run.metrics["loss"]
    return [
        Claim(exp.slug, f"stalls near {exp.reported.loss:g}: held-out loss at the end within "
                        f"{NEAR_FACTOR}x of it",
              HOLDS if exp.reported.loss / NEAR_FACTOR <= loss <= exp.reported.loss * NEAR_FACTOR
              else DOES_NOT_HOLD, f"held-out {loss:.3g} at {run.examples} examples",
              exp.reported.loss),
        Claim(exp.slug, "convergence effectively stops: the median displayed loss of the last "
                        "quarter of the run is less than 20% below the quarter before's",
              HOLDS if ratio >= STALL_FRACTION else DOES_NOT_HOLD,
              f"last quarter / quarter before: {ratio:.2f} (quarters of {quarter} examples)"),
    ]


def _exp5_small(run: RunRecord) -> list[Claim]:
    return _stall_claims(run) + _stall_claims(control_run("exp5-small-long"))


def _target_facts(run: RunRecord) -> str:
    reached = first_at_or_below(run.history, run.experiment.target_loss)
    when = "never" if reached is None else f"at {reached} examples"
    return (f"stopped by '{run.stop_reason}' at {run.examples} examples, first displayed loss "
            f"<= {run.experiment.target_loss:g} {when}, held-out {run.metrics['loss']:.3g} at "
            f"the end")


def _exp5_1(run: RunRecord) -> list[Claim]:
    exp = run.experiment
    small = shipped_run("exp5-small")
    others = [control_run(name) for name in spread_controls("exp5-1")]
    met = [other for other in others if other.stop_reason == "target"]
    return [
        quoted_loss_claim(run),
        Claim(exp.slug, f"gets below {exp.target_loss:g}: stopped by its target rule before the "
                        f"{exp.cap_examples}-example cap",
              HOLDS if run.stop_reason == "target" else DOES_NOT_HOLD,
              f"seed {run.seed}: {_target_facts(run)} (lr 0.001 without decay, exp5-small: "
              f"held-out {small.metrics['loss']:.3g} at {small.examples} examples)"),
        Claim(exp.slug, f"gets below {exp.target_loss:g} at any of seeds "
                        f"{', '.join(str(other.seed) for other in others)}: stopped by its target "
                        f"rule before the cap",
              HOLDS if met else DOES_NOT_HOLD,
              "; ".join(f"seed {other.seed}: {_target_facts(other)}" for other in others)),
    ]


def _exp6(run: RunRecord) -> list[Claim]:
    from sinelib.study.records import seed_runs

    exp = run.experiment
    floor = exp.reported.loss
    best, best_examples = best_displayed(run.history)
    others = [other for other in seed_runs(exp.slug) if other.seed != run.seed]
    met = [other for other in [run] + others if other.stop_reason == "target"]
    return [
        Claim(exp.slug, f"never goes below {floor:g}: no displayed minibatch loss below it",
              HOLDS if best >= floor else DOES_NOT_HOLD,
              f"seed {run.seed}: lowest displayed loss {best:.4g} at {best_examples} examples; "
              f"held-out {run.metrics['loss']:.3g} at the end", floor),
        Claim(exp.slug, f"never gets below {exp.target_loss:g} at any seed trained: no run "
                        f"stopped by its target rule before the {exp.cap_examples}-example cap",
              HOLDS if not met else DOES_NOT_HOLD,
              "; ".join(f"seed {other.seed}: {_target_facts(other)}"
                        for other in [run] + others)),
    ]


_CHECKS = {
    "exp1": _exp1, "exp2": _exp2, "exp3": lambda run: [quoted_loss_claim(run)],
    "exp3-1": _exp3_1, "exp4": _exp4, "exp5": _exp5, "exp5-small": _exp5_small,
    "exp5-1": _exp5_1, "exp6": _exp6,
}


def check_claims(run: RunRecord | str) -> list[Claim]:
    """Every SPEC claim that belongs to one experiment, checked on a run.

    Args:
        run: A ``RunRecord`` (e.g. ``shipped_run("exp3")`` or a live run's
            ``result_run(result)``), or an experiment name for its shipped run. Claims that
            compare with other runs (experiment 1, the controls) read their shipped files.

    Returns:
        The claims, in the SPEC's order.
    """
    if not isinstance(run, RunRecord):
        run = shipped_run(run)
    slug = run.experiment.slug
    if slug not in _CHECKS:
        raise ValueError(f"no claims are defined for {slug!r}; known: {', '.join(_CHECKS)}")
    return _CHECKS[slug](run)


def all_claims() -> list[Claim]:
    """``check_claims`` on every shipped run, in registry order."""
    from sinelib.experiments import EXPERIMENTS

    return [claim for slug in EXPERIMENTS for claim in check_claims(slug)]


def startup_claims(timings: list[dict]) -> list[Claim]:
    """Claim 5: the symbolic loop starts up "drastically" faster than the unrolled graph.

    Args:
        timings: ``timing.compare_unroll`` output.

    Returns:
        One claim per input length timed.
    """
    claims = []
    by_length: dict[int, dict[bool, dict]] = {}
    for entry in timings:
        by_length.setdefault(entry["n_in"], {})[entry["unroll"]] = entry
    for n_in, pair in sorted(by_length.items()):
        if False not in pair or True not in pair:
            raise ValueError(f"timings at input length {n_in} lack the loop or the unrolled "
                             f"network")
        ratio = pair[True]["startup_s"] / pair[False]["startup_s"]
        step_ratio = pair[True]["step_ms"] / pair[False]["step_ms"]
        claims.append(Claim(
            "exp5", f"the loop starts up drastically faster than unroll=True at input length "
                    f"{n_in}: unrolled start-up more than {DRASTIC_FACTOR}x the loop's",
            HOLDS if ratio > DRASTIC_FACTOR else DOES_NOT_HOLD,
            f"start-up {pair[True]['startup_s']:.2g} s unrolled, {pair[False]['startup_s']:.2g}"
            f" s loop ({ratio:.2g}x); steady step {step_ratio:.2g}x the loop's"))
    return claims


def claim_rows(claims: list[Claim]) -> list[list[str]]:
    """A header row, then one row per claim: experiment, statement, measured, verdict."""
    return [["experiment", "claim", "measured", "verdict"]] + [
        [claim.experiment, claim.statement, claim.measured, claim.verdict] for claim in claims
    ]
