"""The original's claims, each made testable and judged against our measurements.

Every claim is a statement with an explicit threshold, a verdict, and the numbers behind the
verdict (``criteria.Claim``). Which claims belong to which experiment is declared in
``sinelib.study.declarations`` (each experiment's ``Study.criteria``); the criteria, their
thresholds and the verdict rules live in ``sinelib.study.criteria``. This module runs them.
"""

from __future__ import annotations

from sinelib.experiments import EXPERIMENTS
from sinelib.study.criteria import TF1_LABEL, Claim, Sources, verdict_of
from sinelib.study.declarations import get_study
from sinelib.training import Run
from sinelib.study.records import shipped_run, shipped_sources

#: "Drastically improves start-up": the unrolled graph's start-up more than this many times
#: the loop's.
DRASTIC_FACTOR = 3


def judge_claims(run: Run | str, sources: Sources | None = None) -> list[Claim]:
    """Every claim of the original that belongs to one experiment, judged on a run.

    Args:
        run: A ``Run`` (e.g. ``shipped_run("exp3")`` or a live run's
            ``result_run(result)``), or an experiment name for its shipped run.
        sources: Where claims that compare with other runs (experiment 1, the controls, the
            other seeds) find them; default the shipped files.

    Returns:
        The claims, in the order its study declares them.

    Raises:
        ValueError: no study is declared for the run's experiment.
    """
    if not isinstance(run, Run):
        run = shipped_run(run)
    sources = shipped_sources() if sources is None else sources
    return [criterion.claim(run, sources) for criterion in get_study(run.experiment.slug).criteria]


def all_claims() -> list[Claim]:
    """``judge_claims`` on every shipped run, in registry order."""
    return [claim for slug in EXPERIMENTS for claim in judge_claims(slug)]


def startup_claims(timings: list[dict]) -> list[Claim]:
    """The original's claim that the symbolic loop (``dynamic_rnn``, experiment 5 on) starts
    up "drastically" faster than the unrolled graph.

    Args:
        timings: ``timing.compare_unroll`` output.

    Returns:
        One claim per input length timed.

    Raises:
        ValueError: an input length lacks the loop's or the unrolled network's timing.
    """
    # The claim belongs to the first experiment the original built with dynamic_rnn.
    first_dynamic = next(slug for slug, exp in EXPERIMENTS.items() if not exp.static_rnn)
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
            first_dynamic, f"the loop starts up drastically faster than unroll=True at input length "
                    f"{n_in}: unrolled start-up more than {DRASTIC_FACTOR}x the loop's",
            verdict_of(ratio > DRASTIC_FACTOR),
            f"start-up {pair[True]['startup_s']:.2g} s unrolled, {pair[False]['startup_s']:.2g}"
            f" s loop ({ratio:.2g}x); steady step {step_ratio:.2g}x the loop's"))
    return claims


def claim_rows(claims: list[Claim]) -> list[list[str]]:
    """A header row, then one row per claim: experiment, statement, measured, verdict.

    A measurement over several seeds is one line per seed (``<br>`` in a Markdown table), and
    the verdict says what it rests on ("holds at 1 of 4 seeds").
    """
    return [["experiment", "claim", "measured", "verdict"]] + [
        [claim.experiment, claim.statement, claim.measured.replace("; seed ", "<br>seed "),
         claim.shown_verdict] for claim in claims
    ]


def lesson_claim_rows(claims: list[Claim]) -> list[list[str]]:
    """The claims a lesson shows, compactly: a header row, then one row per claim judged on
    the port (the TF1 graph's claims, with their per-seed detail, are the reference part's):
    the claim, the verdict with what it rests on, and the numbers it rests on. A claim judged
    on another run than the first claim's (a control) names that run. Where the numbers of
    several seeds run past ``LESSON_MEASURED_WORDS`` words, the first seed's stand for them and
    the rest are left to the reference part (notebook 11)."""
    shown = [claim for claim in claims if not claim.experiment.endswith(TF1_LABEL)]
    first = shown[0].experiment if shown else ""
    return [["claim", "verdict", "measured"]] + [
        [claim.statement + (f" (on {claim.experiment})" if claim.experiment != first else ""),
         claim.shown_verdict, _lesson_measured(claim.measured)]
        for claim in shown
    ]


#: Longest per-seed measurement a lesson's claims table shows whole.
LESSON_MEASURED_WORDS = 40


def _lesson_measured(measured: str) -> str:
    seeds = measured.split("; seed ")
    if len(seeds) == 1 or len(measured.split()) <= LESSON_MEASURED_WORDS:
        return "<br>seed ".join(seeds)
    return f"{seeds[0]}<br>other seeds: notebook 11"

