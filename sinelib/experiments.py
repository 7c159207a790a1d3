"""The experiment registry: every experiment of the original declared once, as frozen data.

Everything else is derived from these records: the model (``models.build_model``), the
training run (``training.train``), the weights file name, the notebooks' tables and the
tests' parametrisation. Units follow the original (see ``docs/original.md`` and the README):

* budgets count **examples** (the original's "iterations"), not optimizer steps;
* losses are the **summed loss**: squared error summed over the horizon, averaged over the batch.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Mapping

from sinelib.data import NYQUIST, NYQUIST_NOTE
from sinelib.plumbing.arguments import require_bool, require_number, require_positive_int, shown

#: The original displayed (and tested its stopping rule on) the minibatch loss every 100 steps.
DISPLAY_EVERY_STEPS = 100

#: The TF1 cells an experiment may name: the original's three, and the plain recurrent cell
#: (``BasicRNNCell``) that none of its experiments used but a variant may (the playground's).
CELLS: tuple[str, ...] = ("BasicLSTMCell", "LSTMCell", "GRUCell", "BasicRNNCell")
#: The kind of each TF1 cell (``Experiment.kind``): the network this package builds for it.
CELL_KINDS = {"BasicLSTMCell": "lstm", "LSTMCell": "lstm", "GRUCell": "gru",
              "BasicRNNCell": "rnn"}
_SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


#: The distributions a read-out initialiser can draw from: TF1's ``tf.random_normal`` and
#: ``tf.truncated_normal`` (values beyond two standard deviations drawn again).
DISTRIBUTIONS: tuple[str, ...] = ("normal", "truncated_normal")


@dataclass(frozen=True)
class Initializer:
    """How one read-out variable starts: a zero-mean distribution and its standard deviation.

    Attributes:
        distribution: "normal" (TF1's ``tf.random_normal``) or "truncated_normal"
            (``tf.truncated_normal``: a draw beyond two standard deviations is drawn again, so
            the values' own standard deviation is about 0.88 of ``stddev``).
        stddev: The standard deviation of the normal distribution drawn from.
    """

    distribution: str
    stddev: float

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {', '.join(map(repr, DISTRIBUTIONS))}"
                             f", got {shown(self.distribution)}")
        require_number("stddev", self.stddev, 0.0, low_open=True)


#: ``tf.random_normal(shape)``: the read-out of every script but experiment 6's.
STANDARD_NORMAL = Initializer("normal", 1.0)


@dataclass(frozen=True)
class OriginalReport:
    """What the original's text quotes for one experiment (minibatch values, the original's units).

    Attributes:
        loss: The loss number quoted with the original's picture, or ``None``.
        examples: The example count at which that number was quoted, when the original gives it.
        best_loss: The lowest loss the original mentions, when it differs from ``loss``.
        claim: The original's qualitative claim, in its own words where possible.
    """

    loss: float | None
    examples: int | None
    best_loss: float | None
    claim: str


@dataclass(frozen=True)
class Experiment:
    """One experiment: an experiment of the original (experiments 1-5.1 are the rows of its
    table, experiment 6 its last section), or a variant of one.

    Attributes:
        slug: Stable identifier, used for file names and on the command line.
        original_id: The original's name for it ("1", "3.1", "5 (small)", ...), as in the table of
            ``docs/original.md``.
        title: Short human title.
        cell: The TF1 cell the original used: "BasicLSTMCell" or "LSTMCell" (both become
            ``keras.layers.LSTM`` here), or "GRUCell" (``keras.layers.GRU``); a variant may
            name "BasicRNNCell" (``keras.layers.SimpleRNN``, tanh).
        n_layers: Number of stacked recurrent layers (LSTM or GRU, per ``cell``).
        n_hidden: Hidden units per layer.
        n_in: Input length (samples seen).
        n_out: Horizon (samples predicted at once by the linear read-out).
        frequency: Fixed training frequency in Hz, or ``None`` for uniform on ``data.RANDOM_BAND``.
        learning_rate: Base Adam learning rate.
        decay_every_examples: Step decay period in examples (``None``: constant rate).
        decay_factor: Factor applied to the rate every ``decay_every_examples``.
        clip_value: Element-wise gradient clip (``None``: no clipping).
        batch_size: Windows per Adam step.
        budget_examples: Examples to train for (the original's "iterations").
        target_loss: Keep training past the budget until the displayed minibatch loss is at or
            below this (``None``: stop at the budget).
        cap_examples: Safety cap for the target rule, which could otherwise run forever.
        static_rnn: The original built a fully unrolled graph (``static_rnn``, experiments 1-4)
            rather than a symbolic loop (``dynamic_rnn``, experiment 5 on).
        readout_kernel_init: How the read-out's weights ``W`` start (``Initializer``).
        readout_bias_init: How the read-out's bias ``b`` starts.
        reported: What the original reported.
    """

    slug: str
    original_id: str
    title: str
    cell: str
    n_layers: int
    n_hidden: int
    n_in: int
    n_out: int
    frequency: float | None
    learning_rate: float
    decay_every_examples: int | None
    decay_factor: float
    clip_value: float | None
    batch_size: int
    budget_examples: int
    target_loss: float | None
    cap_examples: int
    static_rnn: bool
    readout_kernel_init: Initializer
    readout_bias_init: Initializer
    reported: OriginalReport

    def __post_init__(self) -> None:
        for name in ("slug", "original_id", "title", "cell"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {shown(getattr(self, name))}")
        if not _SLUG_PATTERN.match(self.slug):
            raise ValueError(
                f"experiment slug {shown(self.slug)} must be 1-40 lowercase letters, digits "
                f"or '-', starting with a letter or digit"
            )
        for name in ("n_layers", "n_hidden", "n_in", "n_out", "batch_size", "budget_examples",
                     "cap_examples"):
            require_positive_int(name, getattr(self, name))
        if self.cap_examples < self.budget_examples:
            raise ValueError(
                f"cap_examples ({self.cap_examples}) must be at least budget_examples "
                f"({self.budget_examples})"
            )
        if self.cell not in CELLS:
            raise ValueError(
                f"cell must be one of {', '.join(map(repr, CELLS))}, got {shown(self.cell)}"
            )
        require_number("learning_rate", self.learning_rate, 0.0, low_open=True)
        if self.frequency is not None:
            require_number("frequency", self.frequency, 0.0, NYQUIST, low_open=True,
                           high_open=True, unit=NYQUIST_NOTE)
        if self.decay_every_examples is not None:
            require_positive_int("decay_every_examples", self.decay_every_examples)
        require_number("decay_factor", self.decay_factor, 0.0, low_open=True)
        if self.clip_value is not None:
            require_number("clip_value", self.clip_value, 0.0, low_open=True)
        if self.target_loss is not None:
            require_number("target_loss", self.target_loss, 0.0, low_open=True)
        require_bool("static_rnn", self.static_rnn)
        for name in ("readout_kernel_init", "readout_bias_init"):
            if not isinstance(getattr(self, name), Initializer):
                raise ValueError(f"{name} must be an Initializer, got "
                                 f"{shown(getattr(self, name))}")
        if not isinstance(self.reported, OriginalReport):
            raise ValueError(f"reported must be an OriginalReport, got {shown(self.reported)}")

    @property
    def kind(self) -> str:
        """The kind of recurrent cell, in this package's word for it: ``"gru"`` for the
        original's ``GRUCell``, ``"lstm"`` for both of its LSTM cells (``cells.CellWeights.kind``
        uses the same two words), ``"rnn"`` for a plain ``BasicRNNCell`` variant."""
        return CELL_KINDS[self.cell]

    @property
    def budget_steps(self) -> int:
        """The budget in Adam steps (examples / batch size, rounded up)."""
        return -(-self.budget_examples // self.batch_size)

    @property
    def cap_steps(self) -> int:
        """The safety cap in Adam steps."""
        return -(-self.cap_examples // self.batch_size)

    def config(self) -> dict:
        """The fields that define the model and its training, as plain JSON-able data.

        Pretrained manifests store this; loading refuses weights whose config differs.
        Titles and the original's quoted numbers are left out: editing them changes no weights.
        """
        fields = dataclasses.asdict(self)
        for name in ("title", "reported"):
            fields.pop(name)
        return fields

    def replace(self, **changes) -> "Experiment":
        """A copy with some fields changed (e.g. a tiny config for tests)."""
        return dataclasses.replace(self, **changes)


def _row(slug, original_id, title, *, cell="BasicLSTMCell", n_layers=1, n_hidden, n_in, n_out,
         frequency=None, learning_rate, decay_every_examples=None, decay_factor=1.0,
         clip_value=None, budget_examples, target_loss=None, cap_examples=None, static_rnn=True,
         batch_size=50, readout_kernel_init=STANDARD_NORMAL, readout_bias_init=STANDARD_NORMAL,
         reported):
    return Experiment(
        slug=slug, original_id=original_id, title=title, cell=cell, n_layers=n_layers,
        n_hidden=n_hidden, n_in=n_in, n_out=n_out, frequency=frequency,
        learning_rate=learning_rate, decay_every_examples=decay_every_examples,
        decay_factor=decay_factor, clip_value=clip_value, batch_size=batch_size,
        budget_examples=budget_examples, target_loss=target_loss,
        cap_examples=cap_examples or budget_examples, static_rnn=static_rnn,
        readout_kernel_init=readout_kernel_init, readout_bias_init=readout_bias_init,
        reported=reported,
    )


EXPERIMENTS: Mapping[str, Experiment] = {
    exp.slug: exp
    for exp in (
        _row("exp1", "1", "Memorise a 1 Hz sine",
             n_hidden=100, n_in=100, n_out=50, frequency=1.0, learning_rate=0.001,
             budget_examples=200_000,
             reported=OriginalReport(loss=None, examples=None, best_loss=None,
                             claim="fits 1 Hz, fails at 2 and 3 Hz")),
        _row("exp2", "2", "Random frequencies",
             n_hidden=150, n_in=100, n_out=50, learning_rate=0.001, budget_examples=300_000,
             reported=OriginalReport(loss=0.614914, examples=None, best_loss=None,
                             claim="worse than the 1 Hz model at 1 Hz, but generalises to "
                                   "2 and 3 Hz")),
        _row("exp3", "3", "Shorter input",
             n_hidden=150, n_in=25, n_out=50, learning_rate=0.0005, budget_examples=500_000,
             reported=OriginalReport(loss=0.177742, examples=None, best_loss=None,
                             claim="25 input samples suffice")),
        _row("exp3-1", "3.1", "Longer horizon",
             n_hidden=150, n_in=25, n_out=100, learning_rate=0.0005, budget_examples=500_000,
             reported=OriginalReport(loss=0.257725, examples=None, best_loss=None,
                             claim="predicts 100 samples from 25")),
        _row("exp4", "4", "Gradient clipping",
             n_hidden=500, n_in=25, n_out=100, learning_rate=0.001, clip_value=0.5,
             budget_examples=500_000,
             reported=OriginalReport(loss=0.422188, examples=None, best_loss=0.069027,
                             claim="losses as low as 0.069027, but vary wildly")),
        _row("exp5", "5", "dynamic_rnn, 4 stacked layers",
             cell="LSTMCell", n_layers=4, n_hidden=32, n_in=25, n_out=100,
             learning_rate=0.001, budget_examples=300_000, target_loss=0.15,
             cap_examples=1_500_000, static_rnn=False,
             reported=OriginalReport(loss=0.138701, examples=375_000, best_loss=None,
                             claim="dynamic_rnn drastically improves start-up time")),
        _row("exp5-small", "5 (small)", "10 hidden states per layer",
             cell="LSTMCell", n_layers=4, n_hidden=10, n_in=25, n_out=100,
             learning_rate=0.001, budget_examples=1_200_000, static_rnn=False,
             reported=OriginalReport(loss=0.5, examples=1_200_000, best_loss=None,
                             claim="loss about 0.5, convergence effectively stops")),
        _row("exp5-1", "5.1", "Small state with step decay",
             cell="LSTMCell", n_layers=4, n_hidden=10, n_in=25, n_out=100,
             learning_rate=0.005, decay_every_examples=250_000, decay_factor=0.1,
             budget_examples=300_000, target_loss=0.2, cap_examples=1_500_000, static_rnn=False,
             reported=OriginalReport(loss=0.180995, examples=510_000, best_loss=None,
                             claim="a higher base rate with step decay gets below 0.2")),
        # The write-up's last section and the project's last script. Its author trained 4
        # stacked GRUs of 10 units at batch 64 with 5.1's rate and step decay, to stop as soon as
        # the displayed loss was below 0.2 (checked at every display, from the first) or at
        # 1000000 examples, and reports it never went below 0.3.
        _row("exp6", "6", "4 stacked GRUs of 10 units",
             cell="GRUCell", n_layers=4, n_hidden=10, n_in=25, n_out=100,
             learning_rate=0.005, decay_every_examples=250_000, decay_factor=0.1,
             budget_examples=6_400, target_loss=0.2, cap_examples=1_000_000, static_rnn=False,
             batch_size=64,
             # The one script whose read-out starts otherwise: truncated normals, the bias ten
             # times narrower than the weights.
             readout_kernel_init=Initializer("truncated_normal", 1.0),
             readout_bias_init=Initializer("truncated_normal", 0.1),
             reported=OriginalReport(loss=0.3, examples=None, best_loss=None,
                             claim="never went below 0.3 (the write-up's author)")),
    )
}


#: The experiment the training playground (``sinelib.tools.playground``) opens on and measures
#: against: experiment 3, the original's first network to predict 50 samples of any frequency
#: of the band from 25, in about a minute of training.
PLAYGROUND_EXPERIMENT = "exp3"


def get_experiment(name: str | Experiment) -> Experiment:
    """Look up an experiment by slug ("exp3-1") or by the original's experiment number ("3.1").

    Args:
        name: A slug, an experiment number of the original ("3.1"), or an ``Experiment``
            (returned unchanged).

    Returns:
        The registered ``Experiment``.

    Raises:
        ValueError: ``name`` is not a known slug or id; the message lists the known ones.
    """
    if isinstance(name, Experiment):
        return name
    if not isinstance(name, str):
        raise ValueError(
            f"experiment name must be a string such as 'exp3', got {type(name).__name__} "
            f"{shown(name)}"
        )
    key = name.strip()
    if key.lower() in EXPERIMENTS:
        return EXPERIMENTS[key.lower()]
    for exp in EXPERIMENTS.values():
        if key.lower() in (exp.original_id.lower(), f"exp{exp.original_id}".lower()):
            return exp
    known = ", ".join(f"{exp.slug} ({exp.original_id})" for exp in EXPERIMENTS.values())
    raise ValueError(f"unknown experiment {shown(name)}; known experiments: {known}")
