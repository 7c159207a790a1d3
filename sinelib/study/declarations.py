"""What the study does with each experiment, declared as data: one ``Study`` per experiment.

A study record says which claims of the original are checked on the experiment (parameterised
criteria from ``sinelib.study.criteria``), which control runs answer the questions those
claims raise, the seeds of its seed spread, how the quote table words its quoted number, which
controls its training figure overlays, and whether the autoregressive network is measured
beside it. Everything else is derived from these records: the list of control runs
(``CONTROLS``), the seed spread's runs, the runs without clipping, the figures' overlays.
Adding an experiment to the study takes one entry in ``sinelib.experiments.EXPERIMENTS`` and
one in ``STUDIES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sinelib.experiments import Experiment, get_experiment
from sinelib.study.criteria import (
    BelowTarget, Criterion, ClippingCalms, FailsElsewhere, FitsFrequency, Generalises,
    LongerBudget, LowestDisplayed, NeverBelow, NeverBelowTarget, OnControl, OriginalGraph,
    OtherSeeds, QuotedLoss, StallsNear, StallStops, StoppedByTarget, VariesWildly, WorseThan,
)

#: Seeds beyond the shipped seed 0 that an experiment's seed spread trains by default.
SPREAD = (1, 2, 3, 4)


@dataclass(frozen=True)
class Control:
    """One control run: a registered experiment with some fields changed.

    Attributes:
        name: Stable identifier (file names, command line); also the experiment's slug.
        base: Slug of the registered experiment it varies.
        changes: Fields of ``Experiment`` that differ from ``base``.
        question: What the control is for, in one sentence.
        seed: Seed of the initial weights and minibatches (the shipped weights use 0).
        label: How it differs from ``base``, in a few words for legends and measurements
            ("without clipping"); default the name.
    """

    name: str
    base: str
    changes: dict
    question: str
    seed: int = 0
    label: str = ""

    def experiment(self) -> Experiment:
        """The base experiment with ``changes`` applied, under this control's name."""
        return get_experiment(self.base).replace(slug=self.name, **self.changes)

    def at_seed(self, seed: int) -> Control:
        """The same control at another seed, named ``<name>-seed<seed>``."""
        return Control(f"{self.name}-seed{seed}", self.base, self.changes,
                       f"{self.question} (seed {seed})", seed,
                       f"{self.label or self.name}, seed {seed}")


def spread_control(slug: str, seed: int) -> Control:
    """The run of experiment ``slug`` at ``seed`` for its seed spread, ``<slug>-seed<seed>``."""
    return Control(f"{slug}-seed{seed}", slug, {},
                   f"How much of {slug}'s result is the draw of initial weights and "
                   f"minibatches? (seed {seed} of the spread)", seed, f"seed {seed}")


@dataclass(frozen=True)
class Study:
    """What the study does with one experiment.

    Attributes:
        slug: The registered experiment.
        criteria: How the original's claims on it are judged, in the order they are reported.
        spread_seeds: Seeds beyond 0 trained for its seed spread.
        controls: Control runs at seed 0 that its claims compare with.
        spread_controls: Names of ``controls`` also trained at every seed of the spread.
        quote_label: How the quote table words the quoted number ("loss", "never below").
        overlays: Control names its training figure draws beside the shipped run.
        autoregressive: The atlas measures the autoregressive network beside it.
        figures: The README's figures of what is inside networks that draw this one:
            ``"state"`` (its hidden state), ``"gates"`` (its gates' saturation),
            ``"gradient"`` (the gradient carried back through time).
    """

    slug: str
    criteria: tuple[Criterion, ...]
    spread_seeds: tuple[int, ...] = SPREAD
    controls: tuple[Control, ...] = ()
    spread_controls: tuple[str, ...] = ()
    quote_label: str = "loss"
    overlays: tuple[str, ...] = ()
    autoregressive: bool = False
    figures: tuple[str, ...] = ()

    def all_controls(self) -> tuple[Control, ...]:
        """Every control run of the study: ``controls``, the seed spread, then the spread of
        each name in ``spread_controls``."""
        by_name = {control.name: control for control in self.controls}
        unknown = sorted(set(self.spread_controls) - set(by_name))
        if unknown:
            raise ValueError(f"spread_controls of {self.slug} name {unknown}, which are not "
                             f"among its controls {sorted(by_name)}")
        return (*self.controls,
                *(spread_control(self.slug, seed) for seed in self.spread_seeds),
                *(by_name[name].at_seed(seed) for name in self.spread_controls
                  for seed in self.spread_seeds))

    def spread_names(self) -> tuple[str, ...]:
        """Names of the seed spread's control runs, in seed order."""
        return tuple(spread_control(self.slug, seed).name for seed in self.spread_seeds)

    def clipping_off(self) -> tuple[str, ...]:
        """Names of the runs of this experiment without its value clipping: the seed-0
        control, then its spread (none when no control turns the clipping off)."""
        names = []
        for control in self.controls:
            if "clip_value" in control.changes and control.changes["clip_value"] is None:
                names.append(control.name)
                if control.name in self.spread_controls:
                    names += [control.at_seed(seed).name for seed in self.spread_seeds]
        return tuple(names)


def _longer(slug: str, examples: int, question: str) -> Control:
    """``slug`` with budget and cap at ``examples``, named ``<slug>-long``."""
    return Control(f"{slug}-long", slug, {"budget_examples": examples,
                                          "cap_examples": examples},
                   question, label="twice the budget")


_NOCLIP = Control("exp4-noclip", "exp4", {"clip_value": None},
                  "How wildly does experiment 4's minibatch loss vary without value clipping, "
                  "at the same seed and budget?", label="without clipping")
_LONG_3_1 = _longer("exp3-1", 1_000_000,
                    "Does experiment 3.1 reach the original's number with twice the budget? "
                    "(Same seed: it repeats the shipped run before going on.)")
_LONG_5_SMALL = _longer("exp5-small", 2_400_000,
                        "Where does the 4 x 10 network at lr 0.001 stall, given twice the "
                        "original's examples? (Same seed: it repeats the shipped run before "
                        "going on.)")

#: Every experiment's study, in registry order.
STUDIES: Mapping[str, Study] = {study.slug: study for study in (
    Study("exp1", (FitsFrequency(frequency=1.0, rms=0.05),
                   FailsElsewhere(at=1.0, others=(2.0, 3.0), factor=100),
                   OriginalGraph(FitsFrequency(frequency=1.0, rms=0.05), every_seed=True),
                   OriginalGraph(FailsElsewhere(at=1.0, others=(2.0, 3.0), factor=100),
                                 every_seed=True, summary=False)),
          figures=("state",)),
    Study("exp2", (WorseThan("exp1", frequency=1.0),
                   Generalises(frequencies=(1.0, 2.0, 3.0), factor=3),
                   QuotedLoss(), OriginalGraph()),
          figures=("state", "gates")),
    Study("exp3", (QuotedLoss(), OriginalGraph()), autoregressive=True, figures=("gradient",)),
    Study("exp3-1", (QuotedLoss(), OtherSeeds(), LongerBudget(_LONG_3_1.name),
                     OriginalGraph()),
          controls=(_LONG_3_1,),
          overlays=("exp3-1-seed1", "exp3-1-seed2", _LONG_3_1.name)),
    # The 500-unit network is the slowest to train: three seeds in all.
    Study("exp4", (QuotedLoss(),
                   LowestDisplayed(beside=_NOCLIP.name),
                   VariesWildly(threshold=0.5, window=2000, beside=_NOCLIP.name),
                   ClippingCalms(_NOCLIP.name, fraction=0.5, window=2000),
                   OriginalGraph(), OriginalGraph(LowestDisplayed(), summary=False)),
          spread_seeds=(1, 2), controls=(_NOCLIP,), spread_controls=(_NOCLIP.name,),
          overlays=(_NOCLIP.name,)),
    Study("exp5", (QuotedLoss(), StoppedByTarget(), OriginalGraph())),
    Study("exp5-small", (StallsNear(factor=2),
                         StallStops(fraction=0.8, longer=_LONG_5_SMALL.name,
                                    level=StallsNear(factor=2)),
                         OnControl(_LONG_5_SMALL.name, StallsNear(factor=2)),
                         OnControl(_LONG_5_SMALL.name, StallStops(fraction=0.8)),
                         OriginalGraph(StallsNear(factor=2)),
                         OriginalGraph(StallStops(fraction=0.8), summary=False)),
          controls=(_LONG_5_SMALL,), quote_label="loss about",
          overlays=(_LONG_5_SMALL.name,)),
    Study("exp5-1", (QuotedLoss(),
                     BelowTarget(beside="exp5-small"),
                     BelowTarget(any_seed=True, beside="exp5-small",
                                 beside_longer=_LONG_5_SMALL.name),
                     OriginalGraph(), OriginalGraph(BelowTarget(), summary=False)),
          overlays=("exp5-1-seed1", "exp5-1-seed2"), figures=("gates",)),
    Study("exp6", (NeverBelow(), NeverBelowTarget(), OriginalGraph(NeverBelow(), every_seed=True)),
          quote_label="never below", figures=("gates",)),
)}


def get_study(name: str) -> Study:
    """The study of experiment ``name``.

    Raises:
        ValueError: no study is declared for it; the message lists the known ones.
    """
    if name not in STUDIES:
        raise ValueError(f"no study is declared for {name!r}; known: {', '.join(STUDIES)}")
    return STUDIES[name]


def all_controls(studies: Mapping[str, Study] | None = None) -> dict[str, Control]:
    """Every control run of every study, by name (controls at seed 0, then seed spreads).

    Raises:
        ValueError: two studies declare controls of the same name.
    """
    controls: dict[str, Control] = {}
    for study in (STUDIES if studies is None else studies).values():
        for control in study.all_controls():
            if control.name in controls:
                raise ValueError(f"control {control.name!r} is declared twice")
            controls[control.name] = control
    return controls


#: Every control run, by name (``all_controls()`` of ``STUDIES``).
CONTROLS: dict[str, Control] = all_controls()
