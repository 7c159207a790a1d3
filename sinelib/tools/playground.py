"""The training playground: change the network, press Train, watch it learn.

Three layers, each usable without the one above it:

* ``PlaygroundSettings``: one setting of the network and its training (cell, units, layers,
  input length, horizon, training band, learning rate, clipping, batch size, input noise,
  seed, steps), checked on construction: a bad value raises ``ValueError`` naming the value
  and its range. ``presets()`` turns every registered experiment into one, its budget scaled
  to train in about a minute where the original's takes longer, and labelled so.
* ``Trainer``: the network of one setting and its training, a step at a time, with the
  library's pieces (``models.build_model``, ``training.make_optimizer`` and
  ``make_train_step``, the minibatches of ``data.training_batches``). Every
  ``display_every`` steps it records a history row (the displayed minibatch loss after the
  update, as the original displayed it, and the held-out loss). A loss or weight that is no
  longer finite stops it with "diverged at step N"; the weights and history stay those of the
  last good row.
* ``Playground``: ipywidgets on top. Training runs on a background thread in short chunks
  (at most ``CHUNK_S`` seconds), so the kernel answers the widgets while it trains; after a
  chunk the thread redraws a Matplotlib figure (Agg, no pyplot) into a PNG image widget at
  most every ``REDRAW_S`` seconds. A control change is checked at once on the kernel's main
  thread: a bad value is refused in the page; a rate or noise change applies at the next
  chunk; a change that needs a new network says so and waits for Reset. Pause, Reset,
  ``Playground.close``, stopping the kernel (the thread is a daemon) and closing the page (its
  heartbeat stops: ``HEARTBEAT_TIMEOUT_S``) stop the training. Nothing raises into the page:
  errors are shown under the buttons.

``benchmarks.playground`` measures steps per second, the time to experiment 3's loss, and the
redraw and control latencies.
"""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from sinelib.baselines import BASELINES
from sinelib.data import (
    HELDOUT_KEY, NYQUIST, NYQUIST_NOTE, RANDOM_BAND, SAMPLING_RATE, heldout_windows,
    sample_windows, training_batches,
)
from sinelib.evaluation import loss_by_frequency
from sinelib.experiments import EXPERIMENTS, PLAYGROUND_EXPERIMENT, Experiment, get_experiment
from sinelib.losses import summed_loss
from sinelib.models import build_model, predict, weights_finite
from sinelib.plots import draw_prediction, mark_training_band
from sinelib.plumbing.arguments import require_int_in, require_number, require_seed, shown
from sinelib.plumbing.steps import chosen_variant
from sinelib.training import make_optimizer, make_train_step

#: The cells offered, by this package's word for their kind, and the TF1 cell each stands for.
CELL_OF_KIND = {"rnn": "BasicRNNCell", "lstm": "BasicLSTMCell", "gru": "GRUCell"}
#: The menu's name of each kind.
KIND_LABELS = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
#: Clipping modes: none, element-wise by value (the original's), by the gradients' global norm.
CLIPPING = ("none", "value", "norm")

#: Ranges of the settings (inclusive). Units reach past experiment 4's 500; inputs and horizons
#: past the original's 100; the rate spans the log slider's four decades.
UNITS_RANGE = (1, 512)
LAYERS_RANGE = (1, 4)
INPUT_RANGE = (1, 200)
HORIZON_RANGE = (1, 200)
RATE_RANGE = (1e-5, 1e-1)
#: The learning-rate slider's step, in decades.
RATE_SLIDER_STEP = 0.05
CLIP_RANGE = (1e-3, 100.0)
BATCH_RANGE = (1, 1000)
NOISE_RANGE = (0.0, 1.0)
STEPS_RANGE = (1, 1_000_000)

#: Steps between history rows (the original displayed every 100; half that gives the loss
#: curve a new point often enough to watch).
DISPLAY_EVERY = 50
#: Windows of the held-out set measured at every row, and per frequency of the strip.
HELDOUT_SIZE = 500
STRIP_SIZE = 20
#: Frequencies of the error-by-frequency strip, in Hz.
STRIP_FREQUENCIES: tuple[float, ...] = tuple(np.round(np.geomspace(0.25, 12.0, 16), 3))
#: The training thread trains in chunks of this many seconds, then checks pause and stop and
#: redraws (if the last redraw is at least ``REDRAW_S`` old): with a redraw of about 0.1 s,
#: about 2.5 redraws a second while three quarters of the time goes to training
#: (benchmarks/playground.md measures both).
CHUNK_S = 0.3
REDRAW_S = 0.3
#: The error strip is measured again at most this often (it costs 16 small held-out sets).
STRIP_S = 2.0
#: While it trains, the page sends a heartbeat every ``HEARTBEAT_MS`` (a hidden Play widget's
#: timer); with none for ``HEARTBEAT_TIMEOUT_S`` the training pauses: the page was closed (a
#: kernel outlives its page in Voila and JupyterLab). Browsers slow the timers of a hidden
#: tab down to one a minute at worst, hence the long timeout.
HEARTBEAT_MS = 1000
HEARTBEAT_TIMEOUT_S = 150.0
#: The fixed probe window's shift, in seconds.
PROBE_SHIFT = 0.3
#: The registered experiment whose read-out initialisation a setting uses unless told, whose
#: preset the playground opens on, and whose quoted loss the loss curve marks.
BASE_EXPERIMENT = PLAYGROUND_EXPERIMENT
#: Seconds a scaled preset is meant to train for on two cores, and the cost model behind the
#: scaling: a step takes about ``STEP_OVERHEAD_MS`` plus ``MS_PER_MILLION_MACS`` per million
#: multiply-adds of its recurrence, forward and backward (about three times the forward's).
#: The model gives 3.2, 9.8, 5.2 and 78 ms for the 4 x 10 stack, 1 x 150 on 25 samples, 4 x 32
#: and 1 x 500, where benchmarks/results.md measured 3.2, 10.3, 7.1 and 67 ms on a quiet machine.
PRESET_SECONDS = 50.0
STEP_OVERHEAD_MS = 3.0
MS_PER_MILLION_MACS = 0.02


@dataclass(frozen=True)
class PlaygroundSettings:
    """One setting of the playground, checked on construction.

    Attributes:
        cell: "rnn" (plain tanh cells, ``keras.layers.SimpleRNN``), "lstm" or "gru".
        units: Hidden units per layer, 1 to 512.
        layers: Stacked recurrent layers, 1 to 4.
        n_in: Input length in samples, 1 to 200.
        n_out: Horizon in samples, 1 to 200.
        band: ``(low, high)`` training frequencies in Hz, uniform; ``low == high`` trains on
            that one frequency. Both in (0, 50) Hz, the Nyquist limit.
        learning_rate: Adam's rate, 1e-5 to 0.1.
        clipping: "none", "value" (each gradient element to ±threshold, the original's) or
            "norm" (all gradients scaled to a global norm of at most threshold).
        clip_threshold: The clipping threshold, 0.001 to 100 (ignored without clipping).
        batch_size: Windows per Adam step, 1 to 1000.
        noise: Standard deviation of Gaussian noise added to the training inputs, 0 to 1
            (the held-out set stays clean).
        seed: Seeds the initial weights, the minibatches and the noise.
        steps: Adam steps a run trains for before it stops by itself.
        base: The registered experiment whose read-out initialisation the network uses.
        label: What the setting is called in the page ("" for none).
    """

    cell: str = "lstm"
    units: int = 150
    layers: int = 1
    n_in: int = 25
    n_out: int = 50
    band: tuple[float, float] = RANDOM_BAND
    learning_rate: float = 0.0005
    clipping: str = "none"
    clip_threshold: float = 0.5
    batch_size: int = 50
    noise: float = 0.0
    seed: int = 0
    steps: int = 10_000
    base: str = BASE_EXPERIMENT
    label: str = ""

    def __post_init__(self) -> None:
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        if self.cell not in CELL_OF_KIND:
            raise ValueError(f"cell must be one of {', '.join(map(repr, CELL_OF_KIND))}, got "
                             f"{shown(self.cell)}")
        put("units", require_int_in("units", self.units, *UNITS_RANGE))
        put("layers", require_int_in("layers", self.layers, *LAYERS_RANGE))
        put("n_in", require_int_in("input length", self.n_in, *INPUT_RANGE, " samples"))
        put("n_out", require_int_in("horizon", self.n_out, *HORIZON_RANGE, " samples"))
        band = self.band
        if isinstance(band, (str, bytes)) or not hasattr(band, "__len__") or len(band) != 2:
            raise ValueError(f"band must be two frequencies (low, high) in Hz, got "
                             f"{shown(band)}")
        low = require_number("band low", band[0], 0.0, NYQUIST, low_open=True, high_open=True,
                             unit=NYQUIST_NOTE)
        high = require_number("band high", band[1], 0.0, NYQUIST, low_open=True,
                              high_open=True, unit=NYQUIST_NOTE)
        if high < low:
            raise ValueError(f"band high must be at least band low ({low:g} Hz), got "
                             f"{high:g} Hz")
        put("band", (low, high))
        put("learning_rate", require_number("learning rate", self.learning_rate, *RATE_RANGE))
        if self.clipping not in CLIPPING:
            raise ValueError(f"clipping must be one of {', '.join(map(repr, CLIPPING))}, got "
                             f"{shown(self.clipping)}")
        put("clip_threshold", require_number("clipping threshold", self.clip_threshold,
                                              *CLIP_RANGE))
        put("batch_size", require_int_in("batch size", self.batch_size, *BATCH_RANGE))
        put("noise", require_number("input noise σ", self.noise, *NOISE_RANGE))
        put("seed", require_seed(self.seed))
        put("steps", require_int_in("steps", self.steps, *STEPS_RANGE))
        if self.base not in EXPERIMENTS:
            raise ValueError(f"base must be a registered experiment ({', '.join(EXPERIMENTS)})"
                             f", got {shown(self.base)}")
        if not isinstance(self.label, str):
            raise ValueError(f"label must be a string, got {shown(self.label)}")

    def replace(self, **changes) -> "PlaygroundSettings":
        """A copy with some fields changed, checked again."""
        return dataclasses.replace(self, **changes)

    @property
    def fixed_frequency(self) -> float | None:
        """The one training frequency, or ``None`` for a band."""
        return self.band[0] if self.band[0] == self.band[1] else None

    def experiment(self) -> Experiment:
        """The setting as an experiment record (a variant of ``base``): what ``build_model``
        and ``make_optimizer`` take. A band other than the random band is not in the record
        (``Experiment.frequency`` is one frequency or the random band); ``Trainer`` draws it."""
        base = get_experiment(self.base)
        return base.replace(
            slug="playground", original_id="playground", title=self.label or "playground",
            cell=CELL_OF_KIND[self.cell], n_layers=self.layers, n_hidden=self.units,
            n_in=self.n_in, n_out=self.n_out, frequency=self.fixed_frequency,
            learning_rate=self.learning_rate, decay_every_examples=None, decay_factor=1.0,
            clip_value=self.clip_threshold if self.clipping == "value" else None,
            batch_size=self.batch_size, budget_examples=self.steps * self.batch_size,
            target_loss=None, cap_examples=self.steps * self.batch_size)

    def network_differs(self, other: "PlaygroundSettings") -> list[str]:
        """The fields that differ from ``other`` and need a new network (Reset) to apply."""
        live = {"learning_rate", "noise", "label"}
        return [f.name for f in dataclasses.fields(self)
                if f.name not in live and getattr(self, f.name) != getattr(other, f.name)]


# --- Presets -----------------------------------------------------------------------------

def estimated_step_ms(settings: PlaygroundSettings) -> float:
    """A rough time of one Adam step on two cores, from the cost model above."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[settings.cell]
    macs = 0.0
    for layer in range(settings.layers):
        inputs = 1 if layer == 0 else settings.units
        macs += gates * settings.units * (inputs + settings.units)
    millions = 3 * macs * settings.n_in * settings.batch_size / 1e6  # forward and backward
    return STEP_OVERHEAD_MS + MS_PER_MILLION_MACS * millions


@dataclass(frozen=True)
class Preset:
    """A registered experiment as a playground setting.

    Attributes:
        slug: The experiment's slug.
        settings: Its setting (cell, units, layers, input, horizon, band, rate, clipping,
            batch size), with ``steps`` scaled where the original's budget is longer.
        original_steps: The original's budget in Adam steps.
        scaled: Whether ``steps`` is fewer than ``original_steps``.
        note: What else differs from the original ("" for nothing).
    """

    slug: str
    settings: PlaygroundSettings
    original_steps: int
    scaled: bool
    note: str = ""

    @property
    def label(self) -> str:
        """The button's tooltip: what the preset is and how it is scaled."""
        text = f"{self.settings.label}: {self.settings.steps} steps"
        if self.scaled:
            text += f" (scaled: {self.settings.steps} steps instead of {self.original_steps})"
        return text + (f"; {self.note}" if self.note else "")


def preset(experiment: Experiment | str, seconds: float = PRESET_SECONDS) -> Preset:
    """The playground setting of a registered experiment: its cell, size, input, horizon,
    band, rate, clipping and batch size; its budget cut to about ``seconds`` of training on
    two cores (``estimated_step_ms``) and to whole display intervals, where it is longer.
    The playground trains at one rate for a fixed number of steps: an original's step decay
    and the target of its stopping rule are left out, and the preset's note says so."""
    exp = get_experiment(experiment)
    seconds = require_number("seconds", seconds, 0.0, low_open=True)
    kind = exp.kind
    band = RANDOM_BAND if exp.frequency is None else (exp.frequency, exp.frequency)
    settings = PlaygroundSettings(
        cell=kind, units=exp.n_hidden, layers=exp.n_layers, n_in=exp.n_in, n_out=exp.n_out,
        band=band, learning_rate=exp.learning_rate,
        clipping="value" if exp.clip_value is not None else "none",
        clip_threshold=exp.clip_value if exp.clip_value is not None else 0.5,
        batch_size=exp.batch_size, base=exp.slug,
        label=f"{exp.original_id}: {exp.title}")
    original = exp.budget_steps
    affordable = int(seconds * 1000 / estimated_step_ms(settings))
    steps = min(original, max(DISPLAY_EVERY, affordable // DISPLAY_EVERY * DISPLAY_EVERY))
    left_out = []
    if exp.decay_every_examples is not None:
        left_out.append(f"without its step decay (x{exp.decay_factor:g} every "
                        f"{exp.decay_every_examples} examples)")
    if exp.target_loss is not None:
        left_out.append(f"without its target loss {exp.target_loss:g}")
    return Preset(exp.slug, settings.replace(steps=steps), original, steps < original,
                  ", ".join(left_out))


def presets(seconds: float = PRESET_SECONDS) -> dict[str, Preset]:
    """``preset`` of every registered experiment, by slug, plus ``BASE_EXPERIMENT`` as a
    plain RNN of 10 units (slug "...-rnn10", the course's first "what if")."""
    table = {slug: preset(slug, seconds) for slug in EXPERIMENTS}
    base = table[BASE_EXPERIMENT]
    original_id = get_experiment(BASE_EXPERIMENT).original_id
    what_if = base.settings.replace(cell="rnn", units=10,
                                    label=f"{original_id} as a plain RNN of 10 units")
    slug = f"{BASE_EXPERIMENT}-rnn10"
    table[slug] = Preset(slug, what_if, base.original_steps, base.scaled)
    return table


#: The setting the playground opens on: ``BASE_EXPERIMENT``'s preset (experiment 3's).
DEFAULT_SETTINGS = preset(BASE_EXPERIMENT).settings


# --- Training -----------------------------------------------------------------------------

def band_windows(settings: PlaygroundSettings, size: int, key) -> tuple[np.ndarray, np.ndarray]:
    """``size`` windows of the setting's band, drawn from ``key`` (seed entropy): the random
    band's and a fixed frequency's are ``data.heldout_windows``' own sets; another band draws
    uniform frequencies in it."""
    low, high = settings.band
    if (low, high) == RANDOM_BAND:
        return heldout_windows(settings.n_in, settings.n_out, None, size)
    if low == high:
        return heldout_windows(settings.n_in, settings.n_out, low, size)
    frequencies = np.random.default_rng(key).uniform(low, high, size)
    return sample_windows(size, settings.n_in, settings.n_out, frequencies,
                          seed=list(key) + [1])


def _batches(settings: PlaygroundSettings):
    """The minibatches of a setting, one per step from step 0: ``data.training_batches`` for
    the random band and for one frequency (the very batches ``training.train`` draws), else
    uniform frequencies of the band (``Trainer`` adds the input noise)."""
    s = settings
    if s.band == RANDOM_BAND or s.fixed_frequency is not None:
        yield from training_batches(s.seed, 0, s.batch_size, s.n_in, s.n_out,
                                    s.fixed_frequency)
    for step in itertools.count():
        frequencies = np.random.default_rng([s.seed, step, 4]).uniform(*s.band, s.batch_size)
        yield sample_windows(s.batch_size, s.n_in, s.n_out, frequencies, seed=[s.seed, step, 1])


class Trainer:
    """The network of one setting and its training, a chunk of steps at a time.

    Args:
        settings: A ``PlaygroundSettings``.
        display_every: Steps between history rows.
        heldout_size: Windows of the held-out set measured at every row.

    Attributes:
        settings: The setting (its rate and noise may change between chunks:
            ``set_live``).
        experiment: ``settings.experiment()``.
        model: The Keras model being trained.
        history: Rows ``{"step", "examples", "learning_rate", "train_loss", "heldout_loss",
            "elapsed_s"}``, losses in the original's units (summed over the horizon); the
            first (step 0) has no training loss.
        step: Adam steps taken.
        baselines: Held-out loss of the "zero" and "persistence" baselines.
        diverged_at: The step by which the loss or a weight stopped being finite, or ``None``.
        message: "" or what stopped the run ("diverged at step N: ...").
    """

    def __init__(self, settings: PlaygroundSettings, *, display_every: int = DISPLAY_EVERY,
                 heldout_size: int = HELDOUT_SIZE):
        if not isinstance(settings, PlaygroundSettings):
            raise ValueError(f"settings must be PlaygroundSettings, got {shown(settings)}")
        self.display_every = require_int_in("display_every", display_every, 1, 100_000)
        heldout_size = require_int_in("heldout_size", heldout_size, 1, 100_000)
        self.settings = settings
        self.experiment = exp = settings.experiment()
        self.variant = chosen_variant(exp, None, None)
        self.model = build_model(exp, seed=settings.seed, unroll=self.variant["unroll"])
        clip_norm = settings.clip_threshold if settings.clipping == "norm" else None
        self.optimizer = make_optimizer(exp, self.model, clip_norm=clip_norm)
        self._train_step = make_train_step(self.model, self.optimizer,
                                           jit_compile=self.variant["jit_compile"])
        self._batches = _batches(settings)
        self.heldout = band_windows(settings, heldout_size, [HELDOUT_KEY, 7])
        x, y = self.heldout
        self.baselines = {name: summed_loss(y, BASELINES[name](x, settings.n_out))
                          for name in ("zero", "persistence")}
        low, high = settings.band
        self.probe_frequency = math.sqrt(low * high)
        self.probe = sample_windows(1, settings.n_in, settings.n_out, self.probe_frequency,
                                    PROBE_SHIFT)
        self.step = 0
        self.diverged_at: int | None = None
        self.message = ""
        self._elapsed = 0.0
        self._rate_set = settings.learning_rate
        self.history = [self._row(None)]
        self._good = [np.array(v) for v in self.model.get_weights()]

    @property
    def done(self) -> bool:
        """Whether the run has stopped by itself: its steps are taken, or it diverged."""
        return self.diverged_at is not None or self.step >= self.settings.steps

    def set_live(self, settings: PlaygroundSettings) -> None:
        """Take a new rate and input noise (the rest must be the same network's)."""
        changed = settings.network_differs(self.settings)
        if changed:
            raise ValueError(f"{', '.join(changed)} need a new network: reset first")
        self.settings = settings

    def heldout_loss(self) -> float:
        x, y = self.heldout
        return summed_loss(y, predict(self.model, x))

    def _row(self, train_loss: float | None) -> dict:
        return {"step": self.step, "examples": self.step * self.settings.batch_size,
                "learning_rate": self.settings.learning_rate, "train_loss": train_loss,
                "heldout_loss": self.heldout_loss(), "elapsed_s": round(self._elapsed, 3)}

    def train(self, steps: int | None = None, seconds: float | None = None) -> list[dict]:
        """Take Adam steps until ``steps`` more are taken, ``seconds`` have passed (checked
        after each step), the setting's ``steps`` are reached, or the run diverges.

        Returns:
            The history rows recorded meanwhile (one every ``display_every`` steps).
        """
        if steps is not None:
            steps = require_int_in("steps", steps, 0, STEPS_RANGE[1])
        if seconds is not None:
            seconds = require_number("seconds", seconds, 0.0)
        s, rows = self.settings, []
        start = began = time.perf_counter()
        if s.learning_rate != self._rate_set:
            self.optimizer.learning_rate.assign(s.learning_rate)
            self._rate_set = s.learning_rate
        target = s.steps if steps is None else min(s.steps, self.step + steps)
        rng = np.random.default_rng([s.seed, self.step, 5]) if s.noise else None
        while not self.done and self.step < target:
            x, y = next(self._batches)
            if rng is not None:
                x = x + rng.normal(0.0, s.noise, x.shape).astype(np.float32)
            before = float(self._train_step(x, y))  # the loss before this step's update
            self.step += 1
            if not math.isfinite(before):
                self._diverge()
                break
            if self.step % self.display_every == 0 or self.step == s.steps:
                self._elapsed += time.perf_counter() - start
                start = time.perf_counter()
                # Like the original: the displayed loss is the minibatch's after the update.
                train_loss = summed_loss(y, predict(self.model, x))
                row = self._row(train_loss)
                if not (math.isfinite(train_loss) and math.isfinite(row["heldout_loss"])
                        and weights_finite(self.model)):
                    self._diverge()
                    break
                rows.append(row)
                self.history.append(row)
                self._good = [np.array(v) for v in self.model.get_weights()]
            if seconds is not None and time.perf_counter() - began >= seconds:
                break
        self._elapsed += time.perf_counter() - start
        return rows

    def _diverge(self) -> None:
        """Stop: the loss or a weight is no longer finite. Keep the last good weights."""
        self.diverged_at = self.step
        last = self.history[-1]["step"]
        self.model.set_weights(self._good)
        self.message = (f"diverged at step {self.step}: the loss or a weight became NaN or "
                        f"infinite; the curve and the network are those of step {last}")

    def probe_prediction(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, y_pred)`` of the fixed probe window (``probe_frequency``, shift 0.3 s)."""
        x, y = self.probe
        return x[0, :, 0], y[0], predict(self.model, x)[0]

    def error_by_frequency(self, size: int = STRIP_SIZE) -> dict:
        """Held-out per-point MSE at each of ``STRIP_FREQUENCIES`` (``loss_by_frequency``)."""
        return loss_by_frequency(self.model, self.experiment, STRIP_FREQUENCIES, size=size)


# --- Drawing ------------------------------------------------------------------------------

class Figure:
    """The playground's picture, drawn with Agg and rendered to PNG: the loss curve (displayed
    minibatch loss, held-out loss, the zero and persistence baselines as lines), the probe
    window with the prediction, and the error-by-frequency strip with the training band.

    Lines are made once per network and moved with ``set_data``. What moves is animated: an
    update restores the kept background (axes, ticks, legends) and draws only those artists
    (blitting); a change of the loss axis' limits, which moves its ticks, redraws it all.

    Attributes:
        redraw_s: Seconds each ``update`` took, PNG included.
        full_draws: How many updates drew the whole figure.
    """

    def __init__(self, dpi: int = 72):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure

        self.figure = MplFigure(figsize=(10.0, 5.6), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(2, 2, height_ratios=(3.0, 1.3), left=0.07, right=0.985,
                                        top=0.92, bottom=0.09, hspace=0.5, wspace=0.22)
        self.loss_ax = self.figure.add_subplot(grid[0, 0])
        self.probe_ax = self.figure.add_subplot(grid[0, 1])
        self.strip_ax = self.figure.add_subplot(grid[1, :])
        self.lines: dict = {}
        self.redraw_s: list[float] = []
        self.full_draws = 0
        self._background = None

    def layout(self, trainer: Trainer) -> None:
        """Axes and lines for ``trainer``'s network (after a Reset)."""
        s = trainer.settings
        ax = self.loss_ax
        ax.clear()
        (minibatch,) = ax.plot([], [], color="C0", linewidth=1.0,
                               label="displayed minibatch loss")
        (heldout,) = ax.plot([], [], "o-", color="C1", markersize=2.5, linewidth=0.8,
                             label="held-out loss")
        for name, style in (("zero", (0, (1, 2))), ("persistence", "--")):
            ax.axhline(trainer.baselines[name], color="0.45", linestyle=style, linewidth=1.0,
                       label=f"{name}: {trainer.baselines[name]:.3g}")
        quoted = get_experiment(BASE_EXPERIMENT)
        ax.axhline(quoted.reported.loss, color="red", linestyle="--", linewidth=0.8,
                   label=f"original's exp {quoted.original_id}: {quoted.reported.loss:g}")
        ax.set_yscale("log")
        ax.set_xlim(0, s.steps * s.batch_size)
        ax.set_xlabel(f"examples ({s.batch_size} per step)", fontsize=8)
        ax.set_ylabel("loss (summed over the horizon)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left", frameon=False)
        self.probe_ax.clear()
        x, y, p = trainer.probe_prediction()
        drawn = draw_prediction(self.probe_ax, trainer.probe_frequency, x, y, p)
        self.probe_ax.set_xlim(0, (s.n_in + s.n_out - 1) / SAMPLING_RATE)
        self.probe_ax.set_ylim(-1.6, 1.6)
        self.probe_ax.set_xlabel("time [s]", fontsize=8)
        self.probe_ax.tick_params(labelsize=7)
        self.probe_ax.legend(fontsize=7, loc="lower left", frameon=False, ncols=3)
        strip = self.strip_ax
        strip.clear()
        if s.fixed_frequency is None:
            strip.axvspan(*s.band, color="0.88", zorder=0, label="training band")
        else:
            mark_training_band(strip, s.fixed_frequency)
        (curve,) = strip.plot([], [], "o-", color="C0", markersize=3, linewidth=1.0,
                              label="held-out per-point MSE")
        strip.set_xscale("log")
        strip.set_yscale("log")
        strip.set_xlim(STRIP_FREQUENCIES[0] * 0.9, STRIP_FREQUENCIES[-1] * 1.1)
        strip.set_ylim(1e-4, 10)
        strip.set_xlabel("frequency [Hz]", fontsize=8, labelpad=1)
        strip.tick_params(labelsize=7)
        strip.grid(True, which="major", alpha=0.3)
        strip.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False,
                     ncols=2, borderaxespad=0.2)
        title = self.figure.text(0.07, 0.965, "", fontsize=9, ha="left", va="center")
        probe_title = self.probe_ax.text(0.0, 1.03, "", transform=self.probe_ax.transAxes,
                                         fontsize=9)
        self.probe_ax.set_title("", loc="left")
        self.lines = {"minibatch": minibatch, "heldout": heldout, "curve": curve,
                      "title": title, "probe_title": probe_title, **drawn}
        for role in ("minibatch", "heldout", "curve", "title", "probe_title", "prediction"):
            self.lines[role].set_animated(True)
        self._background = None

    def update(self, trainer: Trainer, strip: dict | None) -> bytes:
        """Move the lines to ``trainer``'s state and render a PNG; ``strip`` (from
        ``Trainer.error_by_frequency``) replaces the strip's curve when given."""
        begin = time.perf_counter()
        lines, history, s = self.lines, trainer.history, trainer.settings
        rows = [row for row in history if row["train_loss"] is not None]
        lines["minibatch"].set_data([r["examples"] for r in rows],
                                    [r["train_loss"] for r in rows])
        lines["heldout"].set_data([r["examples"] for r in history],
                                  [r["heldout_loss"] for r in history])
        # The baselines and the original's number are lines of the legend: always in view.
        values = [r["heldout_loss"] for r in history] + [r["train_loss"] for r in rows] \
            + list(trainer.baselines.values()) + [get_experiment(BASE_EXPERIMENT).reported.loss]
        values = [v for v in values if v and math.isfinite(v) and v > 0]
        if values:
            # Whole decades, so the limits (and the kept background) change rarely.
            limits = (10.0 ** math.floor(math.log10(min(values))),
                      10.0 ** math.ceil(math.log10(max(values))))
            if tuple(self.loss_ax.get_ylim()) != limits:
                self.loss_ax.set_ylim(*limits)
                self._background = None
        x, y, p = trainer.probe_prediction()
        lines["prediction"].set_ydata(np.clip(p, -1e3, 1e3))
        lines["probe_title"].set_text(f"{trainer.probe_frequency:.3g} Hz probe: summed loss "
                                      f"{summed_loss(y[None], p[None]):.3g}")
        if strip is not None:
            lines["curve"].set_data(strip["frequency"], np.maximum(strip["mse"], 1e-6))
        lines["title"].set_text(f"{s.label or 'playground'}: {KIND_LABELS[s.cell]} "
                                f"{s.layers} x {s.units}, {s.n_in} → {s.n_out}, step "
                                f"{trainer.step}")
        if self._background is None:
            self.canvas.draw()  # leaves the animated artists out
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for role in ("minibatch", "heldout", "curve", "title", "probe_title", "prediction"):
            self.figure.draw_artist(lines[role])
        png = self.png()
        self.redraw_s.append(time.perf_counter() - begin)
        return png

    def png(self) -> bytes:
        """The canvas as it was last drawn, as PNG bytes."""
        from matplotlib.image import imsave

        buffer = io.BytesIO()
        imsave(buffer, np.asarray(self.canvas.buffer_rgba()), format="png",
               pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


# --- Widgets ------------------------------------------------------------------------------

class Playground:
    """The widget app: controls, buttons, presets, the live figure and a status line.

    Inputs (``inputs[name]``, ipywidgets): ``cell``, ``units``, ``layers``, ``n_in``,
    ``n_out``, ``band_low``, ``band_high``, ``learning_rate`` (a text box, linked to the log
    slider ``rate_slider``), ``clipping``, ``clip_threshold``, ``batch_size``, ``noise``,
    ``seed``, ``steps``. Buttons: ``buttons["train"]`` (Train / Pause), ``"step"`` (one display
    interval), ``"reset"``, and ``preset_buttons[slug]``.

    Args:
        settings: The first setting.
        display_every: Steps between history rows (and of the Step button).

    Attributes:
        widget: The ipywidgets box to display.
        trainer: The current ``Trainer``.
        status: The HTML status line (step, examples, rate, steps per second, messages).
        image: The PNG image widget the figure is drawn into.
        pending: Fields changed since the last Reset that need a new network.
        error: The last message of a refused value or a failure, or "".
        control_s: Seconds each control change took to answer.
        heartbeat: The hidden Play widget whose ticks say the page is open.
        heartbeat_timeout: Seconds without a tick (once one came) after which training
            pauses.
    """

    def __init__(self, settings: PlaygroundSettings = DEFAULT_SETTINGS, *,
                 display_every: int = DISPLAY_EVERY):
        import ipywidgets as widgets

        if not isinstance(settings, PlaygroundSettings):
            raise ValueError(f"settings must be PlaygroundSettings, got {shown(settings)}")
        self._display_every = display_every
        self._lock = threading.Lock()  # one thread touches the trainer at a time
        self._pause = threading.Event()
        self._thread: threading.Thread | None = None
        self._step_target: int | None = None
        self._last_redraw = self._last_strip = 0.0
        self._strip: dict | None = None
        self._rate = (0, 0.0)
        self.error = ""
        self.pending: list[str] = []
        self.control_s: list[float] = []
        self.redraws = 0
        self.closed = False
        self.heartbeat_timeout = HEARTBEAT_TIMEOUT_S
        self._last_beat: float | None = None
        style = {"description_width": "110px"}
        box = dict(style=style, layout=widgets.Layout(width="230px"))
        self.inputs = {
            "cell": widgets.Dropdown(options=[(KIND_LABELS[k], k) for k in CELL_OF_KIND],
                                     description="cell", **box),
            "units": widgets.IntText(description="units", **box),
            "layers": widgets.IntText(description="layers (1-4)", **box),
            "n_in": widgets.IntText(description="input length", **box),
            "n_out": widgets.IntText(description="horizon", **box),
            "band_low": widgets.FloatText(description="band low [Hz]", **box),
            "band_high": widgets.FloatText(description="band high [Hz]", **box),
            "learning_rate": widgets.FloatText(description="learning rate", **box),
            "clipping": widgets.Dropdown(options=[("no clipping", "none"),
                                                  ("clip by value", "value"),
                                                  ("clip by norm", "norm")],
                                         description="clipping", **box),
            "clip_threshold": widgets.FloatText(description="threshold", **box),
            "batch_size": widgets.IntText(description="batch size", **box),
            "noise": widgets.FloatText(description="input noise σ", **box),
            "seed": widgets.IntText(description="seed", **box),
            "steps": widgets.IntText(description="steps", **box),
        }
        self.rate_slider = widgets.FloatLogSlider(
            base=10, min=math.log10(RATE_RANGE[0]), max=math.log10(RATE_RANGE[1]),
            step=RATE_SLIDER_STEP,
            readout=False, description="", layout=widgets.Layout(width="230px"))
        self.buttons = {
            "train": widgets.Button(description="Train", button_style="success"),
            "step": widgets.Button(description=f"Step ({display_every})"),
            "reset": widgets.Button(description="Reset", button_style="warning"),
        }
        self.preset_buttons = {}
        for slug, entry in presets().items():
            button = widgets.Button(description=slug, tooltip=entry.label,
                                    layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, entry=entry: self._guard(self.load_preset, entry))
            button.add_class(f"sinelib-preset-{slug}")
            self.preset_buttons[slug] = button
        for name, widget in {**self.inputs, **self.buttons}.items():
            widget.add_class(f"sinelib-{name.replace('_', '-')}")
        self.rate_slider.add_class("sinelib-rate-slider")
        self.status = widgets.HTML(layout=widgets.Layout(min_height="44px"))
        self.status.add_class("sinelib-status")
        self.notice = widgets.HTML(layout=widgets.Layout(min_height="22px"))
        self.notice.add_class("sinelib-notice")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="720px"))
        self.image.add_class("sinelib-figure")
        self.heartbeat = widgets.Play(interval=HEARTBEAT_MS, max=10**9, repeat=True,
                                      layout=widgets.Layout(display="none"))
        self.heartbeat.observe(self._on_beat, names="value")
        self.figure = Figure()
        self._settings = settings
        self._set_inputs(settings)
        self._observe(True)
        self.buttons["train"].on_click(lambda _: self._guard(self.toggle))
        self.buttons["step"].on_click(lambda _: self._guard(self.step_once))
        self.buttons["reset"].on_click(lambda _: self._guard(self.reset))
        self.trainer: Trainer | None = None
        self._guard(self.reset)
        i = self.inputs
        column = lambda *names: widgets.VBox([i[n] for n in names])  # noqa: E731
        self.widget = widgets.VBox([
            widgets.HBox([widgets.HTML("<b>presets</b>&nbsp;"),
                          *self.preset_buttons.values()],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([column("cell", "units", "layers", "n_in", "n_out"),
                          widgets.VBox([i["band_low"], i["band_high"], i["learning_rate"],
                                        self.rate_slider, i["noise"]]),
                          column("clipping", "clip_threshold", "batch_size", "seed",
                                 "steps")]),
            widgets.HBox(list(self.buttons.values())),
            self.status, self.notice, self.image, self.heartbeat,
        ])
        self.widget.add_class("sinelib-playground")

    # Controls ----------------------------------------------------------------------------
    def _observe(self, on: bool) -> None:
        for widget in self.inputs.values():
            (widget.observe if on else widget.unobserve)(self._on_control, names="value")
        (self.rate_slider.observe if on else self.rate_slider.unobserve)(
            self._on_rate_slider, names="value")

    def _set_inputs(self, settings: PlaygroundSettings) -> None:
        """Show ``settings`` in the controls without reacting to the change."""
        values = {name: getattr(settings, name) for name in
                  ("cell", "units", "layers", "n_in", "n_out", "learning_rate", "clipping",
                   "clip_threshold", "batch_size", "noise", "seed", "steps")}
        values["band_low"], values["band_high"] = settings.band
        observing = hasattr(self, "trainer")
        if observing:
            self._observe(False)
        try:
            for name, value in values.items():
                self.inputs[name].value = value
            self.rate_slider.value = settings.learning_rate
        finally:
            if observing:
                self._observe(True)

    def settings_from_inputs(self) -> PlaygroundSettings:
        """The setting the controls describe (``ValueError`` naming a bad value); it keeps
        the preset's label while the network is the preset's."""
        values = {name: widget.value for name, widget in self.inputs.items()}
        band = (values.pop("band_low"), values.pop("band_high"))
        settings = self._settings.replace(band=band, **values)
        return settings.replace(label="") if settings.network_differs(self._settings) \
            else settings

    def _on_rate_slider(self, change) -> None:
        """The log slider moved: put its rate into the text box. A move of less than half a
        slider step is the front end snapping the box's rate to the slider's grid (0.0005 to
        0.000501), not the learner's: it is ignored."""
        rate, typed = float(f"{change['new']:.3g}"), self.inputs["learning_rate"].value
        if isinstance(typed, (int, float)) and typed > 0 and \
                abs(math.log10(rate) - math.log10(typed)) < RATE_SLIDER_STEP / 2 + 1e-9:
            return
        self.inputs["learning_rate"].value = rate

    def _on_control(self, change) -> None:
        begin = time.perf_counter()
        try:
            settings = self.settings_from_inputs()
        except ValueError as error:
            self._show_error(f"refused: {error}")
        else:
            self.error = ""
            if change["owner"] is self.inputs["learning_rate"]:
                self._observe(False)
                try:
                    self.rate_slider.value = settings.learning_rate
                finally:
                    self._observe(True)
            self.pending = settings.network_differs(self.trainer.settings) \
                if self.trainer is not None else []
            if self.pending:
                self.notice.value = (
                    "<span style='color:#a60'>" + html.escape(", ".join(self.pending))
                    + " changed: a new network is needed; press Reset to build it (the "
                    "current one keeps its setting)</span>")
            else:
                live = self.trainer is not None and (
                    settings.learning_rate, settings.noise) != (
                    self.trainer.settings.learning_rate, self.trainer.settings.noise)
                self._settings = settings
                if self.trainer is not None:
                    self.trainer.set_live(settings)
                self.notice.value = ("<span style='color:#060'>learning rate "
                                     f"{settings.learning_rate:g} and noise {settings.noise:g}"
                                     " apply from the next step</span>") if live else ""
        self.control_s.append(time.perf_counter() - begin)

    def load_preset(self, entry: Preset) -> None:
        """Load a preset's setting into the controls and Reset to it."""
        self.pause()
        self._set_inputs(entry.settings)
        self._settings = entry.settings
        self.pending = []
        self.reset()
        self.notice.value = html.escape(f"preset {entry.label}")

    # Buttons -----------------------------------------------------------------------------
    def _guard(self, action, *args) -> None:
        """Run a button's action; an error becomes the status line's message."""
        try:
            action(*args)
        except Exception as error:  # a widget callback has no caller: show it in the page
            self._show_error(f"{type(error).__name__}: {error}")

    def reset(self) -> None:
        """Stop, then build the network the controls describe (a bad value is refused)."""
        self.pause()
        settings = self.settings_from_inputs()
        with self._lock:
            self.trainer = Trainer(settings, display_every=self._display_every)
            self._settings, self.pending, self.error = settings, [], ""
            self._strip = self.trainer.error_by_frequency()
            self._last_strip = time.perf_counter()
            self.figure.layout(self.trainer)
            self._redraw()
        self.notice.value = ""

    def toggle(self) -> None:
        """Train, or pause a run in progress (without waiting: the thread stops after its
        chunk and puts the button back to Train)."""
        if self.running:
            self.pause(wait=False)
        else:
            self.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, steps: int | None = None) -> None:
        """Train on the background thread (``steps`` more, or until paused or done)."""
        if self.running or self.closed:
            return
        if self.pending:
            self._show_error("press Reset first: " + ", ".join(self.pending) + " changed")
            return
        if self.trainer.done:
            self._show_status(self.trainer.message or "the run has taken its steps: raise "
                              "steps and press Reset to train longer")
            return
        self._pause.clear()
        self._last_beat = None
        # Off and on again: the page's Play view starts its timer on that change.
        self.heartbeat.playing = False
        self.heartbeat.playing = True
        self._step_target = None if steps is None else self.trainer.step + steps
        self._thread = threading.Thread(target=self._work, name="sinelib-playground",
                                        daemon=True)
        self.buttons["train"].description = "Pause"
        self._rate = (self.trainer.step, time.perf_counter())
        self._thread.start()

    def step_once(self) -> None:
        """Train one display interval, then stop."""
        if not self.running:
            self.start(self._display_every - self.trainer.step % self._display_every)

    def pause(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Stop the background thread after its current chunk (and wait for it)."""
        self._pause.set()
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if not self.running:
            self.buttons["train"].description = "Train"

    def close(self) -> None:
        """Stop training and close the widgets (closing the page's kernel does the same)."""
        self.closed = True
        self.pause()
        self.widget.close()

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for the background thread to stop by itself (a Step, or the run's end)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _on_beat(self, change) -> None:
        self._last_beat = time.perf_counter()

    @property
    def page_gone(self) -> bool:
        """Whether the page has sent heartbeats since Train and then stopped."""
        return self._last_beat is not None and \
            time.perf_counter() - self._last_beat > self.heartbeat_timeout

    def _work(self) -> None:
        """The background thread: train in chunks, redraw between them."""
        try:
            while not self._pause.is_set():
                if self.page_gone:
                    self._show_error(f"paused: no word from the page for "
                                     f"{self.heartbeat_timeout:g} s (was it closed?)")
                    break
                with self._lock:
                    trainer = self.trainer
                    left = None if self._step_target is None else self._step_target - trainer.step
                    trainer.train(steps=left, seconds=CHUNK_S)
                    finished = trainer.done or (left is not None
                                                and trainer.step >= self._step_target)
                    now = time.perf_counter()
                    if finished or now - self._last_redraw >= REDRAW_S:
                        if finished or now - self._last_strip >= STRIP_S:
                            self._strip = trainer.error_by_frequency()
                            self._last_strip = now
                        self._redraw()
                if finished:
                    break
        except Exception as error:  # the thread has no caller: show it in the page
            self._show_error(f"training stopped: {type(error).__name__}: {error}")
        finally:
            self.heartbeat.playing = False
            self.buttons["train"].description = "Train"

    # Output ------------------------------------------------------------------------------
    def _redraw(self) -> None:
        trainer = self.trainer
        self.image.value = self.figure.update(trainer, self._strip)
        self.redraws += 1
        self._last_redraw = time.perf_counter()
        step0, time0 = self._rate
        now = time.perf_counter()
        speed = (trainer.step - step0) / (now - time0) if now > time0 and trainer.step > step0 \
            else 0.0
        self._show_status(trainer.message, speed)

    def _show_status(self, message: str = "", speed: float = 0.0) -> None:
        trainer = self.trainer
        if trainer is None:
            return
        row = trainer.history[-1]
        held = f"{row['heldout_loss']:.4g}"
        text = (f"step <span class='sinelib-step-count'>{trainer.step}</span> of "
                f"{trainer.settings.steps} · {trainer.step * trainer.settings.batch_size} "
                f"examples · rate {trainer.settings.learning_rate:g} · "
                f"{speed:.0f} steps/s · held-out loss <span class='sinelib-heldout-loss'>{held}"
                f"</span> (zero {trainer.baselines['zero']:.3g}, persistence "
                f"{trainer.baselines['persistence']:.3g})")
        if not message and trainer.step >= trainer.settings.steps:
            message = (f"the run has taken its {trainer.settings.steps} steps: raise steps "
                       f"and press Reset to train longer")
        if message:
            text += f"<br><span class='sinelib-message' style='color:#b00'>" \
                    f"{html.escape(message)}</span>"
        elif self.error:
            text += f"<br><span class='sinelib-message' style='color:#b00'>" \
                    f"{html.escape(self.error)}</span>"
        self.status.value = text

    def _show_error(self, message: str) -> None:
        self.error = message
        self.notice.value = (f"<span class='sinelib-error' style='color:#b00'>"
                             f"{html.escape(message)}</span>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        s = self.trainer.settings if self.trainer is not None else self._settings
        step = self.trainer.step if self.trainer is not None else 0
        return (f"Playground({KIND_LABELS[s.cell]} {s.layers} x {s.units}, {s.n_in} -> "
                f"{s.n_out}, step {step})")


def playground(preset_name: str | None = None, **changes) -> Playground:
    """Open the playground on a preset (a ``presets()`` slug; ``BASE_EXPERIMENT``'s by
    default), with some settings changed (``PlaygroundSettings`` fields)."""
    table = presets()
    name = preset_name or BASE_EXPERIMENT
    if name not in table:
        raise ValueError(f"preset must be one of {', '.join(table)}, got {shown(preset_name)}")
    return Playground(table[name].settings.replace(**changes))
