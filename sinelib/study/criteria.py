"""The criteria the study applies to a run: small frozen records, one class per kind.

A criterion carries its thresholds as parameters and produces both a verdict on a run (a
``Claim``) and, where the verdict needs one, the explanation of the numbers behind it, so each
threshold lives in one place. Which criteria apply to which experiment is declared in
``sinelib.study.declarations``; ``claims.judge_claims`` and ``explanations.explain`` run them.

Losses are summed losses (squared error summed over the horizon, mean over the batch: the
original's unit). The original quoted single minibatch values; a quoted number is checked
twice, on the held-out set (the stricter test) and on the displayed minibatch loss (the
original's own measure):

* ``holds``: the held-out loss reaches the original's number within the original's examples;
* ``holds on the minibatch only``: only some displayed minibatch loss does;
* ``does not hold``: neither does.

A criterion that compares with other runs (another experiment's shipped run, a control, the other
seeds of the spread) finds them through a ``Sources`` record, so the criteria judge as well on
made-up runs as on the shipped files.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

from sinelib.plumbing.history import learning_rate_changes
from sinelib.schedules import STOP_TARGET
from sinelib.training import Run
from sinelib.study.analysis import (
    best_train_loss, train_losses, first_at_or_below, heldout_losses, loss_spread,
    seed_spread, spread_text, stall_ratio,
)

#: How a claim judged on the original's TF1 graph names its experiment: "exp3 (TF1 graph)".
TF1_LABEL = " (TF1 graph)"
HOLDS = "holds"
MINIBATCH_ONLY = "holds on the minibatch only"
DOES_NOT_HOLD = "does not hold"


@dataclass(frozen=True)
class Claim:
    """One claim of the original, made testable, with our verdict.

    ``str(claim)`` is the statement and verdict only (no raw numbers), so a notebook's checked
    cell prints text that does not change with the last digits of a float.

    Attributes:
        experiment: Slug of the experiment (or control) the claim was judged on.
        statement: The claim with its threshold, in words.
        verdict: ``HOLDS``, ``MINIBATCH_ONLY`` or ``DOES_NOT_HOLD``.
        measured: The numbers behind the verdict (they drift in the last digits; never
            compare them in a checked cell).
        quoted: The original's number the claim tests, if it tests one (for the quote table).
        basis: What a verdict over several seeds rests on ("at 1 of 4 seeds"); empty for a
            claim on one run.
    """

    experiment: str
    statement: str
    verdict: str
    measured: str
    quoted: float | None = None
    basis: str = ""

    @property
    def shown_verdict(self) -> str:
        """The verdict with what it rests on: "holds at 1 of 4 seeds"."""
        return f"{self.verdict} {self.basis}" if self.basis else self.verdict

    @property
    def holds(self) -> bool:
        """True unless the verdict is ``DOES_NOT_HOLD``."""
        return self.verdict != DOES_NOT_HOLD

    def __str__(self) -> str:
        return f"{self.experiment}: {self.statement}: {self.shown_verdict}"


def seeds_basis(verdict: str, verdicts: list[str]) -> str:
    """What a verdict over several seeds rests on, from each seed's verdict: "at 1 of 4 seeds"
    (the seeds at which it holds at least as well), "at any of 5 seeds" for a miss everywhere,
    or "(holds at 2 of 5 seeds)" for a claim that had to hold at every seed."""
    rank = [HOLDS, MINIBATCH_ONLY, DOES_NOT_HOLD].index
    if verdict != DOES_NOT_HOLD:
        return f"at {sum(rank(v) <= rank(verdict) for v in verdicts)} of {len(verdicts)} seeds"
    holding = verdicts.count(HOLDS)
    if holding == 0:
        return f"at any of {len(verdicts)} seeds"
    return f"(holds at {holding} of {len(verdicts)} seeds)"


@dataclass(frozen=True)
class Sources:
    """Where a criterion finds the runs it compares with.

    Attributes:
        shipped: Experiment slug to its shipped run (``records.shipped_run``).
        control: Control name to its run (``records.control_run``).
        spread: Experiment slug to the runs of its seed spread beyond seed 0 that exist
            (``records.spread_runs``).
        label: Control name to the words that say how it differs ("without clipping");
            default the name itself.
        tf1: Experiment slug to the original's TF1 graph trained on its protocol, one run per
            seed found (``records.tf1_runs``); default none.
    """

    shipped: Callable[[str], Run]
    control: Callable[[str], Run]
    spread: Callable[[str], list]
    label: Callable[[str], str] = str
    tf1: Callable[[str], list] = lambda name: []


def verdict_of(holds: bool) -> str:
    """``HOLDS`` or ``DOES_NOT_HOLD``."""
    return HOLDS if holds else DOES_NOT_HOLD


def quoted_loss_verdict(quoted: float, heldout: float, best_minibatch: float) -> str:
    """The three-way verdict on a loss the original quoted (see the module docstring)."""
    if heldout <= quoted:
        return HOLDS
    if best_minibatch <= quoted:
        return MINIBATCH_ONLY
    return DOES_NOT_HOLD


def best_verdict(verdicts) -> str:
    """The most favourable of several verdicts (``DOES_NOT_HOLD`` for none)."""
    verdicts = list(verdicts)
    for verdict in (HOLDS, MINIBATCH_ONLY):
        if verdict in verdicts:
            return verdict
    return DOES_NOT_HOLD


def heldout_at(run: Run, examples: int) -> tuple[float, int]:
    """The held-out loss of the run at ``examples``: its final metrics when it ended there or
    earlier, else the last held-out measurement before (recorded every 1000 steps).

    Returns:
        ``(loss, examples at which it was measured)``.

    Raises:
        ValueError: the history has no held-out loss at or before ``examples``.
    """
    if run.examples <= examples:
        return run.metrics["loss"], run.examples
    at, losses = heldout_losses(run.history)
    keep = at <= examples
    if not keep.any():
        raise ValueError(f"the run has no held-out loss at or before {examples} examples")
    return float(losses[keep][-1]), int(at[keep][-1])


def quoted_loss_claim(run: Run, quoted: float | None = None,
                      examples: int | None = None) -> Claim:
    """Is the original's quoted loss reached within the original's examples?

    Args:
        run: Our run of the experiment.
        quoted: The original's number; default the experiment's ``reported.loss``.
        examples: Within how many examples; default where the original quoted it, else the
            budget.
    """
    exp = run.experiment
    quoted = exp.reported.loss if quoted is None else quoted
    if quoted is None:
        raise ValueError(f"{exp.slug} quotes no loss; give the number to judge")
    examples = examples or exp.reported.examples or exp.budget_examples
    heldout, heldout_examples = heldout_at(run, examples)
    best, best_examples = best_train_loss(run.history, max_examples=examples)
    return Claim(
        exp.slug, f"loss {quoted:g} reached within {examples} examples",
        quoted_loss_verdict(quoted, heldout, best),
        f"held-out {heldout:.4g} at {heldout_examples} examples; lowest displayed minibatch "
        f"loss {best:.4g} at {best_examples} examples", quoted,
    )


def _by_frequency(run: Run) -> dict[float, float]:
    """Held-out summed loss by test frequency."""
    return {entry["frequency"]: entry["loss"] for entry in run.metrics["by_frequency"]}


def _hz(frequencies) -> str:
    """"2 and 3 Hz", "1, 2 and 3 Hz"."""
    names = [f"{f:g}" for f in frequencies]
    return (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]) + " Hz"


def _and(items) -> str:
    """"a, b and c"."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _times(factor: float) -> str:
    """"twice", "three times"-style wording of a ratio of budgets."""
    return "twice" if factor == 2 else f"{factor:g} times"


def _same_start(run: Run, longer: Run) -> str:
    """" (identical for its first N examples)" when ``longer`` repeats ``run`` step for step
    (same code, same machine), else "" (e.g. after retraining one of them)."""
    start = [row for row in longer.history if row["examples"] <= run.examples]
    same = len(start) == len(run.history) and all(
        a.get("train_loss") == b.get("train_loss") for a, b in zip(start, run.history))
    return f" (identical for its first {run.examples} examples)" if same else ""


def _target_facts(run: Run) -> str:
    """How a run with a target rule ended, in words."""
    reached = first_at_or_below(run.history, run.experiment.target_loss)
    when = "never" if reached is None else f"at {reached} examples"
    return (f"stopped by '{run.stop_reason}' at {run.examples} examples, first displayed loss "
            f"<= {run.experiment.target_loss:g} {when}, held-out {run.metrics['loss']:.3g} at "
            f"the end")


def _rate_rule(exp) -> str:
    """"lr 0.001 without decay" or "lr 0.005 with decay"."""
    return f"lr {exp.learning_rate:g} " + ("with decay" if exp.decay_every_examples
                                            else "without decay")


@dataclass(frozen=True)
class Criterion(ABC):
    """How one claim of the original is judged: ``claim`` gives the verdict, ``explain`` the
    words behind it."""

    @abstractmethod
    def claim(self, run: Run, sources: Sources) -> Claim:
        """The verdict on ``run``."""

    def explain(self, run: Run, sources: Sources) -> str | None:
        """Why the numbers are what they are, or ``None`` when the claim needs no words."""
        return None


@dataclass(frozen=True)
class QuotedLoss(Criterion):
    """The original's quoted loss is reached within its examples (``quoted_loss_claim``).

    Attributes:
        value: The quoted loss; default the experiment's ``reported.loss``.
        examples: Within how many examples; default ``reported.examples``, else the budget.
    """

    value: float | None = None
    examples: int | None = None

    def claim(self, run, sources):
        return quoted_loss_claim(run, self.value, self.examples)


@dataclass(frozen=True)
class FitsFrequency(Criterion):
    """"Fits F Hz": per-point RMS error at ``frequency`` below ``rms`` (sine amplitude 1)."""

    frequency: float = 1.0
    rms: float = 0.05

    def claim(self, run, sources):
        rms = math.sqrt(_by_frequency(run)[self.frequency] / run.experiment.n_out)
        return Claim(run.experiment.slug,
                     f"fits {self.frequency:g} Hz: per-point RMS error at {self.frequency:g} Hz "
                     f"below {self.rms:g} ({self.rms:.0%} of the amplitude)",
                     verdict_of(rms < self.rms), f"RMS error {rms:.3g} at {self.frequency:g} Hz")


@dataclass(frozen=True)
class FailsElsewhere(Criterion):
    """"Fails at other frequencies": the error at each of ``others`` more than ``factor``
    times the error at ``at``."""

    at: float = 1.0
    others: tuple[float, ...] = (2.0, 3.0)
    factor: float = 100

    def claim(self, run, sources):
        losses = _by_frequency(run)
        ratios = [losses[f] / losses[self.at] for f in self.others]
        return Claim(run.experiment.slug,
                     f"fails at {_hz(self.others)}: error at each more than {self.factor:g}x the "
                     f"{self.at:g} Hz error",
                     verdict_of(min(ratios) > self.factor),
                     ", ".join(f"{f:g} Hz: {ratio:.3g}x" for f, ratio in zip(self.others, ratios))
                     + f" the {self.at:g} Hz error")


@dataclass(frozen=True)
class WorseThan(Criterion):
    """Worse than experiment ``other`` (trained at ``frequency`` only) at that frequency."""

    other: str
    frequency: float = 1.0

    def claim(self, run, sources):
        mine = _by_frequency(run)[self.frequency]
        reference = sources.shipped(self.other)
        theirs = _by_frequency(reference)[self.frequency]
        return Claim(run.experiment.slug,
                     f"worse than the {self.frequency:g} Hz model at {self.frequency:g} Hz: "
                     f"error at {self.frequency:g} Hz above experiment "
                     f"{reference.experiment.original_id}'s",
                     verdict_of(mine > theirs),
                     f"{mine:.3g} against {theirs:.3g} (summed loss at {self.frequency:g} Hz)")


@dataclass(frozen=True)
class Generalises(Criterion):
    """"Generalises": the errors at ``frequencies`` within ``factor`` of each other."""

    frequencies: tuple[float, ...] = (1.0, 2.0, 3.0)
    factor: float = 3

    def claim(self, run, sources):
        losses = _by_frequency(run)
        values = [losses[f] for f in self.frequencies]
        return Claim(run.experiment.slug,
                     f"generalises to {_hz(self.frequencies[1:])}: errors at "
                     f"{_hz(self.frequencies)} within {self.factor:g}x of each other",
                     verdict_of(max(values) / min(values) < self.factor),
                     ", ".join(f"{f:g} Hz {loss:.3g}"
                               for f, loss in zip(self.frequencies, values)))


@dataclass(frozen=True)
class OtherSeeds(Criterion):
    """The other seeds of the spread: does any reach the original's quoted loss in time?"""

    def _others(self, run, sources) -> list:
        others = sources.spread(run.experiment.slug)
        if not others:
            raise ValueError(f"no seed-spread runs of {run.experiment.slug} to compare with; "
                             f"train them with: make seeds")
        return others

    def claim(self, run, sources):
        exp = run.experiment
        examples = exp.reported.examples or exp.budget_examples
        others = self._others(run, sources)
        claims = [quoted_loss_claim(other, exp.reported.loss, examples) for other in others]
        return Claim(exp.slug,
                     f"loss {exp.reported.loss:g} reached within {examples} examples at any of "
                     f"seeds {', '.join(str(other.seed) for other in others)}",
                     best_verdict(claim.verdict for claim in claims),
                     "; ".join(f"seed {other.seed}: {claim.measured} ({claim.verdict})"
                               for other, claim in zip(others, claims)),
                     basis=seeds_basis(best_verdict(claim.verdict for claim in claims),
                                       [claim.verdict for claim in claims]))

    def explain(self, run, sources):
        exp = run.experiment
        quoted, budget = exp.reported.loss, exp.budget_examples
        heldout, _ = heldout_at(run, budget)
        others = self._others(run, sources)
        where = "above" if heldout > quoted else "at or below"
        return (f"At seed {run.seed} the held-out loss at the end of the budget is "
                f"{heldout:.3g}, {where} the original's {quoted:g}; at seeds "
                f"{_and(str(other.seed) for other in others)} it is "
                f"{_and(f'{heldout_at(other, budget)[0]:.3g}' for other in others)}.")


@dataclass(frozen=True)
class LongerBudget(Criterion):
    """Does the control ``control`` (the same run with a longer budget) reach the original's
    quoted loss within its budget?"""

    control: str

    def claim(self, run, sources):
        longer = sources.control(self.control)
        return quoted_loss_claim(longer, run.experiment.reported.loss,
                                 longer.experiment.budget_examples)

    def explain(self, run, sources):
        exp = run.experiment
        quoted, budget = exp.reported.loss, exp.budget_examples
        longer = sources.control(self.control)
        first = first_at_or_below(longer.history, quoted)
        text = (f"With {_times(longer.experiment.budget_examples / budget)} the budget the same "
                f"run{_same_start(run, longer)} ends at {longer.metrics['loss']:.3g}")
        text += (f", and its displayed loss first reaches {quoted:g} at {first} examples."
                 if first is not None else f" and its displayed loss never reaches {quoted:g}.")
        seeds = [run] + sources.spread(exp.slug)
        if (min(heldout_at(other, budget)[0] for other in seeds) > quoted
                and longer.metrics["loss"] <= quoted):
            text += (f" No seed reaches it held-out within the budget; at seed {longer.seed}, "
                     f"{_times(longer.experiment.budget_examples / budget)} the budget does.")
        return text


@dataclass(frozen=True)
class LowestDisplayed(Criterion):
    """The original's lowest quoted loss (``reported.best_loss``) is displayed within the
    budget; ``beside`` names a control whose lowest displayed loss the numbers show too."""

    beside: str | None = None

    def claim(self, run, sources):
        exp = run.experiment
        best, at = best_train_loss(run.history, max_examples=exp.budget_examples)
        measured = f"lowest displayed loss {best:.4g} at {at} examples"
        if self.beside is not None:
            other = sources.control(self.beside)
            other_best, other_at = best_train_loss(other.history,
                                                  max_examples=exp.budget_examples)
            measured += (f"; {sources.label(self.beside)} (control) {other_best:.4g} at "
                         f"{other_at} examples")
        return Claim(exp.slug, f"displayed minibatch loss as low as {exp.reported.best_loss:g} "
                               f"within {exp.budget_examples} examples",
                     verdict_of(best <= exp.reported.best_loss), measured, exp.reported.best_loss)


#: The one measure of how much the displayed loss varies, declared before any run was judged
#: with it and used by every claim about it ("varies wildly", "clipping calms"): the
#: interquartile range of the displayed losses over a window at the end of the run, divided
#: by their median (``analysis.value_spread``'s ``iqr_over_median``). Unitless, so runs at
#: different levels compare; blind to one outlying value, unlike max / min.
SPREAD_MEASURE = "iqr_over_median"
SPREAD_WORDS = "the displayed loss's interquartile range over median"


def _spread(run, window: int) -> float:
    return loss_spread(run.history, window)[SPREAD_MEASURE]


def _at_every_seed(run, sources) -> list:
    """The run, then its spread's runs at other seeds, in seed order."""
    return [run] + [other for other in sources.spread(run.experiment.slug)
                    if other.seed != run.seed]


def _over_seeds(verdicts: list[str]) -> tuple[str, str]:
    """A claim about a training setting holds when it holds at every seed: the verdict and
    what it rests on."""
    verdict = HOLDS if all(v == HOLDS for v in verdicts) else DOES_NOT_HOLD
    return verdict, seeds_basis(verdict, verdicts) if len(verdicts) > 1 else ""


@dataclass(frozen=True)
class VariesWildly(Criterion):
    """"The loss varies wildly": over the last ``window`` steps the spread of the displayed
    loss (``SPREAD_MEASURE``) is above ``threshold``, at every seed of the spread; ``beside``
    names a control shown for scale (at each seed, ``<beside>-seed<N>`` beyond seed 0)."""

    threshold: float = 0.5
    window: int = 2000
    beside: str | None = None

    def claim(self, run, sources):
        exp = run.experiment
        verdicts, parts = [], []
        for seeded in _at_every_seed(run, sources):
            spread = _spread(seeded, self.window)
            verdicts.append(verdict_of(spread > self.threshold))
            part = f"seed {seeded.seed}: {spread:.3g}"
            if self.beside is not None:
                name = (self.beside if seeded.seed == run.seed
                        else f"{self.beside}-seed{seeded.seed}")
                part += f" ({_spread(sources.control(name), self.window):.3g} without clipping)"
            parts.append(part)
        verdict, basis = _over_seeds(verdicts)
        prefix = "with clipping " if exp.clip_value is not None else ""
        return Claim(exp.slug, f"{prefix}the loss varies wildly: {SPREAD_WORDS} above "
                               f"{self.threshold:g} over the last {self.window} steps",
                     verdict, "; ".join(parts), basis=basis)


def _fraction(value: float) -> str:
    """"half" for 0.5, else "0.3 times"."""
    return "half" if value == 0.5 else f"{value:g} times"


@dataclass(frozen=True)
class ClippingCalms(Criterion):
    """"Value clipping calms the loss" (our question, not a claim of the original): over the
    last ``window`` steps the spread of the displayed loss (``SPREAD_MEASURE``) is below
    ``fraction`` of the control's without clipping (same seed and budget), at every seed of the
    spread (the control at seed N is ``<control>-seed<N>``)."""

    control: str
    fraction: float = 0.5
    window: int = 2000

    def _pairs(self, run, sources) -> list[tuple]:
        """``(clipped run, control run)`` at each seed."""
        return [(seeded, sources.control(self.control if seeded.seed == run.seed
                                         else f"{self.control}-seed{seeded.seed}"))
                for seeded in _at_every_seed(run, sources)]

    def claim(self, run, sources):
        verdicts, parts = [], []
        for clipped, unclipped in self._pairs(run, sources):
            with_clip, without = _spread(clipped, self.window), _spread(unclipped, self.window)
            verdicts.append(verdict_of(with_clip < self.fraction * without))
            parts.append(f"seed {clipped.seed}: {with_clip:.3g} with clipping, {without:.3g} "
                         f"without")
        verdict, basis = _over_seeds(verdicts)
        return Claim(run.experiment.slug,
                     f"value clipping calms the loss: {SPREAD_WORDS} below "
                     f"{_fraction(self.fraction)} the unclipped run's (same seed) over the last "
                     f"{self.window} steps", verdict, "; ".join(parts), basis=basis)

    def explain(self, run, sources):
        pairs = self._pairs(run, sources)
        lower = sum(unclipped.metrics["loss"] < clipped.metrics["loss"]
                    for clipped, unclipped in pairs)
        ends = "; ".join(f"seed {clipped.seed}: {clipped.metrics['loss']:.3g} with, "
                         f"{unclipped.metrics['loss']:.3g} without"
                         for clipped, unclipped in pairs)
        return (f"The held-out loss at the end of the budget ({ends}) is lower without clipping "
                f"at {lower} of {len(pairs)} seeds.")


@dataclass(frozen=True)
class StoppedByTarget(Criterion):
    """The target rule stops the run within the examples where the original quoted its loss."""

    def claim(self, run, sources):
        exp = run.experiment
        reached = first_at_or_below(run.history, exp.target_loss)
        return Claim(exp.slug, f"stopped by its target (displayed loss <= {exp.target_loss:g} "
                               f"after at least {exp.budget_examples} examples) within "
                               f"{exp.reported.examples} examples",
                     verdict_of(run.stop_reason == STOP_TARGET
                                and run.examples <= exp.reported.examples),
                     f"stopped by '{run.stop_reason}' at {run.examples} examples; first "
                     f"displayed loss <= {exp.target_loss:g} at {reached} examples")

    def explain(self, run, sources):
        exp = run.experiment
        if run.stop_reason != STOP_TARGET:
            return (f"The run was not stopped by its target rule: it stopped by the "
                    f"{run.stop_reason} at {run.examples} examples, with a held-out loss of "
                    f"{run.metrics['loss']:.3g}.")
        examples, losses = train_losses(run.history)
        return (f"The run stopped by the same rule as the original's, on a displayed minibatch "
                f"loss of {float(losses[-1]):.3g} at {int(examples[-1])} examples (the "
                f"original: {exp.reported.loss:g} at {exp.reported.examples}). The rule fires "
                f"on the first lucky minibatch below {exp.target_loss:g}, so the held-out loss "
                f"at that moment, {run.metrics['loss']:.3g}, sits near the target rather than at "
                f"the minibatch value; the original's quoted number is a minibatch value of the "
                f"same kind.")


@dataclass(frozen=True)
class StallsNear(Criterion):
    """"Stalls near L" (L the quoted ``reported.loss``): the held-out loss at the end within
    ``factor`` of L."""

    factor: float = 2

    def near(self, run: Run) -> bool:
        """Whether the held-out loss at the end is within ``factor`` of the quoted level."""
        level = run.experiment.reported.loss
        return level / self.factor <= run.metrics["loss"] <= level * self.factor

    def claim(self, run, sources):
        exp = run.experiment
        return Claim(exp.slug, f"stalls near {exp.reported.loss:g}: held-out loss at the end "
                               f"within {self.factor:g}x of it",
                     verdict_of(self.near(run)),
                     f"held-out {run.metrics['loss']:.3g} at {run.examples} examples",
                     exp.reported.loss)


@dataclass(frozen=True)
class StallStops(Criterion):
    """"Convergence effectively stops": the median displayed loss of the last quarter of the
    run is at least ``fraction`` of the quarter before's.

    Attributes:
        fraction: See above (0.8: falls by less than 20%).
        longer: A control with a longer budget the explanation compares with (no
            explanation without one).
        level: The criterion of the level the run stalls near, for the explanation's wording.
    """

    fraction: float = 0.8
    longer: str | None = None
    level: StallsNear = StallsNear()

    def claim(self, run, sources):
        quarter = run.examples // 4
        ratio = stall_ratio(run.history, quarter)
        return Claim(run.experiment.slug,
                     f"convergence effectively stops: the last quarter's median displayed loss "
                     f"is less than {1 - self.fraction:.0%} below the quarter before's",
                     verdict_of(ratio >= self.fraction),
                     f"last quarter / quarter before: {ratio:.2f} (quarters of {quarter} "
                     f"examples)")

    def explain(self, run, sources):
        if self.longer is None:
            return None
        exp = run.experiment
        ratio = stall_ratio(run.history, run.examples // 4)
        longer = sources.control(self.longer)
        long_ratio = stall_ratio(longer.history, longer.examples // 4)
        near = self.level.near(run)
        text = (f"At the original's {exp.budget_examples} examples the held-out loss is "
                f"{run.metrics['loss']:.3g}, {'near' if near else 'far from'} the original's "
                f"'about {exp.reported.loss:g}', but the median displayed loss of the last "
                f"quarter of the run is {ratio:.0%} of the quarter before's. With "
                f"{_times(longer.experiment.budget_examples / exp.budget_examples)} the examples "
                f"the same run{_same_start(run, longer)} ends at {longer.metrics['loss']:.3g} "
                f"held-out, the last quarter at {long_ratio:.0%} of the one before.")
        if near and ratio < self.fraction and longer.metrics["loss"] < run.metrics["loss"]:
            text += (f" Trained here, the {exp.n_layers} x {exp.n_hidden} network at lr "
                     f"{exp.learning_rate:g} is still learning where the original saw "
                     f"convergence stop: the level matches, the stall does not.")
        return text


@dataclass(frozen=True)
class BelowTarget(Criterion):
    """"Gets below the target": the run (or, with ``any_seed``, any other seed of the
    spread) is stopped by its target rule before the cap.

    Attributes:
        any_seed: Judge the spread's other seeds instead of the run.
        beside: An experiment whose shipped run the numbers (and the explanation) show for
            comparison.
        beside_longer: A control (``beside`` with a longer budget) the explanation shows too.
    """

    any_seed: bool = False
    beside: str | None = None
    beside_longer: str | None = None

    def claim(self, run, sources):
        exp = run.experiment
        if not self.any_seed:
            measured = f"seed {run.seed}: {_target_facts(run)}"
            if self.beside is not None:
                other = sources.shipped(self.beside)
                measured += (f" ({_rate_rule(other.experiment)}, {other.experiment.slug}: "
                             f"held-out {other.metrics['loss']:.3g} at {other.examples} "
                             f"examples)")
            return Claim(exp.slug, f"gets below {exp.target_loss:g}: stopped by its target rule "
                                   f"before the {exp.cap_examples}-example cap",
                         verdict_of(run.stop_reason == STOP_TARGET), measured)
        others = sources.spread(exp.slug)
        return Claim(exp.slug, f"gets below {exp.target_loss:g} at any of seeds "
                               f"{', '.join(str(other.seed) for other in others)}: stopped by "
                               f"its target rule before the cap",
                     verdict_of(any(other.stop_reason == STOP_TARGET for other in others)),
                     "; ".join(f"seed {other.seed}: {_target_facts(other)}" for other in others),
                     basis=seeds_basis(
                         verdict_of(any(other.stop_reason == STOP_TARGET for other in others)),
                         [verdict_of(other.stop_reason == STOP_TARGET) for other in others]))

    def explain(self, run, sources):
        if not self.any_seed:
            return None
        exp = run.experiment
        steps = learning_rate_changes(run.history)
        parts, met = [], []
        for other in [run] + sources.spread(exp.slug):
            met.append(other.stop_reason == STOP_TARGET)
            reached = first_at_or_below(other.history, exp.target_loss)
            at_decay = {examples: heldout_at(other, examples)[0] for examples, _ in steps[:2]
                        if examples <= other.examples}
            decay_text = ", ".join(f"{loss:.3g} at {examples}"
                                   for examples, loss in at_decay.items())
            parts.append(f"seed {other.seed}: held-out {decay_text} examples; "
                         + (f"target met at {reached} examples" if reached is not None and
                            met[-1] else
                            f"never below {exp.target_loss:g}, stopped by the "
                            f"{other.stop_reason} at {other.examples} examples"))
        rates = ", ".join(f"{rate:.0e} from {examples}" for examples, rate in steps[:2])
        text = ("The rate steps down on a fixed schedule (" + rates + " examples). "
                if steps else "") + "; ".join(parts) + "."
        if any(met) and not all(met) and len(steps) >= 2:
            fold = 1 / exp.decay_factor
            fold = "tenfold" if round(fold, 9) == 10 else f"{fold:g}-fold"
            text += (f" Whether a run meets the target depends on how close its loss is when "
                     f"the second step cuts the rate {fold}: the schedule does not wait for the "
                     f"loss.")
        if self.beside is not None:
            other = sources.shipped(self.beside)
            text += (f" For comparison, {_rate_rule(other.experiment)} "
                     f"({other.experiment.original_id.replace('(', '').replace(')', '')}) is at "
                     f"{other.metrics['loss']:.3g} held-out after {other.examples} examples")
            if self.beside_longer is not None:
                longer = sources.control(self.beside_longer)
                text += f" and {longer.metrics['loss']:.3g} after {longer.examples}"
            text += "."
        return text


@dataclass(frozen=True)
class NeverBelow(Criterion):
    """"Never goes below F": no displayed minibatch loss below ``floor`` (default the quoted
    ``reported.loss``)."""

    floor: float | None = None

    def claim(self, run, sources):
        exp = run.experiment
        floor = exp.reported.loss if self.floor is None else self.floor
        best, best_examples = best_train_loss(run.history)
        return Claim(exp.slug, f"never goes below {floor:g}: no displayed minibatch loss below "
                               f"it", verdict_of(best >= floor),
                     f"seed {run.seed}: lowest displayed loss {best:.4g} ({best / floor:.1f}x "
                     f"the {floor:g}) at {best_examples} examples; held-out "
                     f"{run.metrics['loss']:.3g} ({run.metrics['loss'] / floor:.1f}x) at the end",
                     floor)


@dataclass(frozen=True)
class NeverBelowTarget(Criterion):
    """"Never gets below the target": no seed trained (the run and the spread's other seeds)
    is stopped by its target rule before the cap."""

    def claim(self, run, sources):
        exp = run.experiment
        runs = [run] + [other for other in sources.spread(exp.slug) if other.seed != run.seed]
        return Claim(exp.slug, f"never gets below {exp.target_loss:g} at any seed trained: no "
                               f"run stopped by its target rule before the "
                               f"{exp.cap_examples}-example cap",
                     verdict_of(not any(other.stop_reason == STOP_TARGET for other in runs)),
                     "; ".join(f"seed {other.seed}: {_target_facts(other)}" for other in runs),
                     basis=seeds_basis(
                         verdict_of(not any(other.stop_reason == STOP_TARGET for other in runs)),
                         [verdict_of(other.stop_reason != STOP_TARGET) for other in runs]))


@dataclass(frozen=True)
class OnControl(Criterion):
    """Another criterion applied to a control run instead of the experiment's own run (the
    claim is then the control's); it explains nothing."""

    control: str
    criterion: Criterion

    def claim(self, run, sources):
        return self.criterion.claim(sources.control(self.control), sources)


def _count(verdicts: list[str], verdict: str) -> str:
    """"2 of 5"."""
    return f"{verdicts.count(verdict)} of {len(verdicts)}"


def _spread_words(runs: list) -> str:
    """"0.66 ± 0.20 (0.42–0.95)" of the runs' final held-out losses."""
    return spread_text(seed_spread([run.metrics["loss"] for run in runs]), seeds=False)


def _seed_for_seed(graph: list, port: list) -> tuple[int, int]:
    """``(lower, compared)``: of the held-out evaluations after the start that a graph run and
    the port's run at the same seed (so the same minibatches) both made at the same example
    count, how many have the graph's loss below the port's."""
    by_seed = {run.seed: run for run in port}
    lower = compared = 0
    for run in graph:
        if run.seed not in by_seed:
            continue
        ours = dict(zip(*heldout_losses(by_seed[run.seed].history)))
        for examples, loss in zip(*heldout_losses(run.history)):
            if examples > 0 and examples in ours:
                compared += 1
                lower += bool(loss < ours[examples])
    return lower, compared


@dataclass(frozen=True)
class OriginalGraph(Criterion):
    """Another criterion applied to the original's own TF1 graph, trained today with the same
    protocol on the same minibatches at each of its seeds (``sources.tf1``), and to the port at
    its seeds (the run and its spread) for comparison: is a number the port misses the port's
    or the original's?

    Attributes:
        criterion: The criterion to apply to each run (a ``QuotedLoss``, a ``NeverBelow``, ...).
        every_seed: The claim holds on the graph when ``criterion`` holds at every seed (a claim
            that something never happens); otherwise at any seed (a number reached).
        summary: The explanation starts by saying what the graph is and gives both
            implementations' held-out loss over seeds (once per experiment: the first such
            criterion).
    """

    criterion: Criterion = QuotedLoss()
    every_seed: bool = False
    summary: bool = True

    def _runs(self, run, sources) -> tuple[list, list]:
        graph = sources.tf1(run.experiment.slug)
        if not graph:
            raise ValueError(f"no TF1-graph runs of {run.experiment.slug} to compare with; "
                             f"train them with: make tf1-runs")
        return graph, [run] + [other for other in sources.spread(run.experiment.slug)
                               if other.seed != run.seed]

    def claim(self, run, sources):
        graph, _ = self._runs(run, sources)
        claims = [self.criterion.claim(other, sources) for other in graph]
        verdicts = [claim.verdict for claim in claims]
        if self.every_seed:
            verdict = max(verdicts, key=[HOLDS, MINIBATCH_ONLY, DOES_NOT_HOLD].index)
            which = "at every one of"
        else:
            verdict = best_verdict(verdicts)
            which = "at any of"
        measured = [claim.measured if claim.measured.startswith(f"seed {other.seed}:")
                    else f"seed {other.seed}: {claim.measured}"
                    for other, claim in zip(graph, claims)]
        return Claim(f"{run.experiment.slug}{TF1_LABEL}",
                     f"{claims[0].statement}, on the original's TF1 graph {which} seeds "
                     f"{', '.join(str(other.seed) for other in graph)}", verdict,
                     "; ".join(f"{words} ({claim.verdict})"
                               for words, claim in zip(measured, claims)),
                     basis=seeds_basis(verdict, [claim.verdict for claim in claims]))

    def explain(self, run, sources):
        graph, port = self._runs(run, sources)
        statement = self.criterion.claim(run, sources).statement
        ours = [self.criterion.claim(other, sources).verdict for other in port]
        theirs = [self.criterion.claim(other, sources).verdict for other in graph]
        text = ""
        if self.summary:
            text = (f"The original's TF1 graph (its own cells and initialisation) trained today "
                    f"on the same protocol and minibatches ends at a held-out "
                    f"{_spread_words(graph)} over {len(graph)} seeds, the port at "
                    f"{_spread_words(port)} over {len(port)}. ")
            lower, compared = _seed_for_seed(graph, port)
            if compared:
                text += (f"Seed for seed (the same minibatches), the graph's held-out loss is "
                         f"below the port's at {lower} of the {compared} evaluations after the "
                         f"start. ")
        sentence = statement[:1].upper() + statement[1:]
        text += f"\"{sentence}\" holds on the graph at {_count(theirs, HOLDS)} seeds"
        if MINIBATCH_ONLY in theirs + ours:
            text += f" and on a displayed minibatch only at {_count(theirs, MINIBATCH_ONLY)}"
        text += f"; on the port at {_count(ours, HOLDS)}"
        if MINIBATCH_ONLY in theirs + ours:
            text += f" and {_count(ours, MINIBATCH_ONLY)}"
        text += "."
        share = lambda verdicts: verdicts.count(HOLDS) / len(verdicts)
        if self.every_seed:
            return text
        if share(theirs) == 0 and share(ours) == 0:
            # A displayed minibatch may reach it (the table's "on the minibatch only"): the
            # miss is of the held-out loss.
            held_out = " held-out" if MINIBATCH_ONLY in theirs + ours else ""
            text += (f" Trained today on the same protocol, the original's graph misses it"
                     f"{held_out} as the port does: the miss is not the port's network's. The "
                     f"graph shares the port's data, schedule and stopping rule, so it cannot "
                     f"speak for the original's own machine, draws or protocol.")
        elif share(theirs) > share(ours):
            text += " The original's graph meets it at a larger share of seeds than the port."
        elif share(theirs) < share(ours):
            text += " The port meets it at a larger share of seeds than the original's graph."
        return text
