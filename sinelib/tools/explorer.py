"""The generalisation explorer: sliders that probe where a trained network holds and where it
breaks.

Two layers:

* **Pure functions** compute what the explorer shows for one setting, a ``Probe`` (frequency,
  shift, amplitude, offset, input noise): the input window as the network sees it, the true
  continuation, the prediction, the seed loss and per-point MSE, and notes on what is unusual
  about the setting (``run_probe``, ``probe_notes``, ``panel_limits``, ``readout_html``). They
  use the package's own windows, losses and compiled ``predict``, and are tested against
  direct calls of them.
* **``Explorer``** puts ipywidgets sliders and an ipympl figure on top of them: a slider move
  runs ``run_probe`` once, moves the lines with ``set_data`` and draws only them onto the kept
  background (blitting); a change of axes asks the front end for a full redraw. The figure is the seed's picture (``plots.draw_prediction``) above a strip of the
  held-out error against frequency, with a marker where the current frequency sits.

``explore("exp2")`` builds one; ``python -m sinelib.tools.explorer bench`` measures how long a slider
move takes for every shipped model (``make bench-explorer``).
"""

from __future__ import annotations

import argparse
import functools
import html
import statistics
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sinelib.baselines import BASELINES, baseline_for
from sinelib.checks import check_bool, check_non_negative_int, check_number, shown
from sinelib.data import MAX_SHIFT, NYQUIST, SAMPLING_RATE, SHIFT_RANGE, sample_windows
from sinelib.evaluation import NOISE_KEY, check_model_fits, loss_by_frequency
from sinelib.experiments import EXPERIMENTS, RANDOM_BAND, Experiment, get_experiment
from sinelib.losses import per_point_mse, summed_loss
from sinelib.models import predict
from sinelib.plots import draw_prediction, mark_training_band
from sinelib.storage import atomic_write_json, atomic_write_text

#: The frequency slider's range in Hz, on a log scale (fine steps at low frequencies, where
#: the training band is); it reaches past the 50 Hz Nyquist limit on purpose.
FREQUENCY_RANGE: tuple[float, float] = (0.1, 60.0)
#: Steps of the log-scale frequency slider, in decades: one step is a factor 10**0.005 (1.2%).
FREQUENCY_STEP = 0.005
#: Slider ranges of the other settings: amplitude, offset and input noise σ, in signal units.
AMPLITUDE_RANGE: tuple[float, float] = (0.0, 3.0)
OFFSET_RANGE: tuple[float, float] = (-3.0, 3.0)
NOISE_RANGE: tuple[float, float] = (0.0, 1.0)
#: Largest frequency a ``Probe`` accepts (10x the sampling rate; beyond it the alias is all
#: there is to say).
MAX_FREQUENCY = 10 * SAMPLING_RATE
#: Largest amplitude, |offset| and noise σ a ``Probe`` accepts: far beyond anything a network
#: trained on unit sines has seen, and small enough for float32 windows.
MAX_LEVEL = 1000.0
#: Below this many samples per period a window no longer looks like a sine when its samples
#: are joined by lines.
FEW_SAMPLES_PER_PERIOD = 8
#: Test frequencies of the error strip: log-spaced over the slider's range below Nyquist.
STRIP_FREQUENCIES: tuple[float, ...] = tuple(float(f) for f in np.geomspace(0.1, 48.0, 28)
                                             .round(4))
#: Held-out windows per strip frequency (fixed and seeded, as ``loss_by_frequency`` draws them).
STRIP_SIZE = 100
#: The window panel's y-limits are multiples of this.
PANEL_STEP = 0.5
#: Colours beyond the seed's three (input black, truth green, prediction red).
BASELINE_COLOR = "0.45"
MARKER_COLOR = "tab:red"
CURVE_COLOR = "C0"


# --- One setting, computed ------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One setting of the explorer: a window of ``amplitude * sin(2π f (t + shift)) + offset``
    at 100 Hz, with Gaussian noise of standard deviation ``noise`` added to the input only.

    Attributes:
        frequency: Hz, positive, at most ``MAX_FREQUENCY`` (at or above the 50 Hz Nyquist
            limit nothing is predicted: ``run_probe`` says why).
        shift: The shift t0 in seconds, as ``data.sample_windows`` takes it.
        amplitude: Peak value of the sine (the networks trained on 1).
        offset: Constant added to every sample (the networks trained on 0).
        noise: Standard deviation of the noise added to the input window.
        noise_seed: Seed of the noise pattern; the pattern is fixed, only scaled by ``noise``,
            so moving the noise slider changes the noise's size, not its shape.
    """

    frequency: float = 1.0
    shift: float = 0.0
    amplitude: float = 1.0
    offset: float = 0.0
    noise: float = 0.0
    noise_seed: int = 0

    def __post_init__(self) -> None:
        checked = {
            "frequency": check_number("frequency", self.frequency, 0.0, MAX_FREQUENCY,
                                      low_open=True, unit=" Hz"),
            "shift": check_number("shift", self.shift, -MAX_SHIFT, MAX_SHIFT, high_open=True,
                                  unit=" s"),
            "amplitude": check_number("amplitude", self.amplitude, 0.0, MAX_LEVEL),
            "offset": check_number("offset", self.offset, -MAX_LEVEL, MAX_LEVEL),
            "noise": check_number("noise", self.noise, 0.0, MAX_LEVEL),
            "noise_seed": check_non_negative_int("noise_seed", self.noise_seed),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def representable(self) -> bool:
        """Whether the frequency is below the Nyquist limit, so that a window can show it."""
        return self.frequency < NYQUIST


def noise_pattern(n_in: int, noise_seed: int = 0) -> np.ndarray:
    """The fixed standard-normal pattern that ``noise`` scales, shape ``(n_in,)`` (float64).

    Drawn from the input-noise entropy of ``evaluation.loss_by_noise`` with a key of another
    length, so it never repeats that function's noise.
    """
    noise_seed = check_non_negative_int("noise_seed", noise_seed)
    return np.random.default_rng([NOISE_KEY, n_in, 4, noise_seed]).standard_normal(n_in)


def _check_probe(probe) -> Probe:
    if not isinstance(probe, Probe):
        raise ValueError(f"probe must be a sinelib.tools.explorer.Probe, got {type(probe).__name__} "
                         f"{shown(probe)}")
    return probe


def probe_window(exp: Experiment | str, probe: Probe) -> tuple[np.ndarray, np.ndarray]:
    """The window a probe describes, for an experiment's input length and horizon.

    Args:
        exp: The experiment (or its name): fixes the input length and the horizon.
        probe: The setting.

    Returns:
        ``(x, y)``: float32 arrays of shapes ``(n_in,)`` (the input as the network sees it,
        noise included) and ``(n_out,)`` (the true, noise-free continuation).

    Raises:
        ValueError: unknown experiment, or a frequency at or above the Nyquist limit.
    """
    exp, probe = get_experiment(exp), _check_probe(probe)
    x, y = sample_windows(1, exp.n_in, exp.n_out, frequency=probe.frequency, shift=probe.shift)
    x = probe.amplitude * x[0, :, 0].astype(np.float64) + probe.offset
    y = probe.amplitude * y[0].astype(np.float64) + probe.offset
    if probe.noise:
        x = x + probe.noise * noise_pattern(exp.n_in, probe.noise_seed)
    return x.astype(np.float32), y.astype(np.float32)


def alias_frequency(frequency: float) -> float:
    """The frequency in [0, 50] Hz whose 100 Hz samples match those of ``frequency``."""
    frequency = check_number("frequency", frequency, 0.0, low_open=True, unit=" Hz")
    return abs(frequency - SAMPLING_RATE * round(frequency / SAMPLING_RATE))


def training_band(exp: Experiment | str) -> str:
    """The frequencies an experiment trained on, in words."""
    exp = get_experiment(exp)
    if exp.frequency is None:
        return f"the training band [{RANDOM_BAND[0]:g}, {RANDOM_BAND[1]:g}) Hz"
    return f"its training frequency, {exp.frequency:g} Hz only"


def probe_notes(exp: Experiment | str, probe: Probe) -> tuple[str, ...]:
    """What is unusual about a setting, for the network of ``exp``, in plain sentences.

    Returns:
        One sentence per remark: where the frequency sits against the training band and the
        Nyquist limit, and each way the window differs from the clean unit sines the network
        trained on (amplitude, offset, noise).
    """
    exp, probe = get_experiment(exp), _check_probe(probe)
    frequency = probe.frequency
    notes = []
    if not probe.representable:
        notes.append(
            f"{frequency:.3g} Hz is at or above the Nyquist limit ({NYQUIST:g} Hz at "
            f"{SAMPLING_RATE:g} Hz sampling): its samples are those of a "
            f"{alias_frequency(frequency):.3g} Hz sine, so no window can show it and nothing "
            f"is predicted."
        )
    else:
        if exp.frequency is None:
            inside = RANDOM_BAND[0] <= frequency < RANDOM_BAND[1]
            notes.append(f"{frequency:.3g} Hz lies {'inside' if inside else 'outside'} "
                         f"{training_band(exp)}"
                         + ("." if inside else ": the network never saw it."))
        elif abs(frequency - exp.frequency) < 1e-9:
            notes.append(f"{frequency:.3g} Hz is {training_band(exp)}.")
        else:
            notes.append(f"{frequency:.3g} Hz: this network only ever saw "
                         f"{exp.frequency:g} Hz.")
        samples = SAMPLING_RATE / frequency
        if samples < FEW_SAMPLES_PER_PERIOD:
            notes.append(f"Only {samples:.2g} samples per period: joined by lines, the window no "
                         f"longer looks like a sine.")
    if probe.amplitude == 0:
        notes.append("Amplitude 0: the window is a flat line, a signal the network never saw.")
    elif probe.amplitude != 1:
        notes.append(f"Amplitude {probe.amplitude:g}: the network trained on amplitude 1.")
    if probe.offset != 0:
        notes.append(f"Offset {probe.offset:+g}: the network trained on sines centred on 0.")
    if probe.noise > 0:
        notes.append(f"Input noise σ = {probe.noise:g}: the network trained on clean windows; "
                     f"the loss compares the prediction with the clean continuation.")
    return tuple(notes)


@dataclass(frozen=True)
class ProbeResult:
    """What the explorer shows for one setting (``run_probe``).

    Attributes:
        experiment: The experiment whose network predicted.
        probe: The setting.
        x: Input window as the network sees it, shape ``(n_in,)``; ``None`` at or above
            the Nyquist limit.
        y: True continuation, shape ``(n_out,)``, or ``None``.
        y_pred: The network's prediction, shape ``(n_out,)``, or ``None``.
        loss: Seed loss of the prediction (squared error summed over the horizon); NaN when
            nothing was predicted.
        mse: Per-point MSE (``loss / n_out``); NaN when nothing was predicted.
        baseline_name: Name of the baseline predicted beside the network, or ``None``.
        baseline_pred: Its prediction, shape ``(n_out,)``, or ``None``.
        baseline_loss: Its seed loss (NaN without a baseline).
        baseline_mse: Its per-point MSE (NaN without a baseline).
        notes: ``probe_notes`` and remarks on the prediction itself.
    """

    experiment: Experiment
    probe: Probe
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    loss: float = float("nan")
    mse: float = float("nan")
    baseline_name: str | None = None
    baseline_pred: np.ndarray | None = None
    baseline_loss: float = float("nan")
    baseline_mse: float = float("nan")
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def predicted(self) -> bool:
        """Whether there is a window and a prediction (the frequency is below Nyquist)."""
        return self.y_pred is not None


def run_probe(model, exp: Experiment | str, probe: Probe, baseline=None,
              baseline_name: str | None = None) -> ProbeResult:
    """Predict one setting's window with a network (and a baseline) and measure the error.

    Args:
        model: A model for ``exp`` (``load_pretrained`` or ``build_model``); predicted with the
            compiled ``models.predict``.
        exp: The experiment (or its name).
        probe: The setting.
        baseline: Optional ``predict(x, n_out) -> y_pred`` on windows ``(batch, n_in, 1)``
            (a ``sinelib.baselines`` entry), drawn beside the network.
        baseline_name: The baseline's name, for the readout.

    Returns:
        A ``ProbeResult``. At or above the Nyquist limit it holds no window, no prediction,
        NaN losses and a note that says why.

    Raises:
        ValueError: unknown experiment, a model of another shape, a probe of the wrong kind,
            or a baseline that is not callable.
    """
    exp, probe = get_experiment(exp), _check_probe(probe)
    check_model_fits(model, exp)
    if baseline is not None and not callable(baseline):
        raise ValueError(f"baseline must be a function predict(x, n_out) or None, got "
                         f"{shown(baseline)}")
    notes = probe_notes(exp, probe)
    if not probe.representable:
        return ProbeResult(exp, probe, baseline_name=baseline_name, notes=notes)
    x, y = probe_window(exp, probe)
    y_pred = predict(model, x[None, :, None])[0]
    loss, mse = summed_loss(y[None], y_pred[None]), per_point_mse(y[None], y_pred[None])
    if not np.all(np.isfinite(y_pred)):
        notes += ("The network's prediction is not finite (NaN or infinity): its weights have "
                  "diverged.",)
    extra = {}
    if baseline is not None:
        baseline_pred = np.asarray(baseline(x[None, :, None], exp.n_out), dtype=np.float32)[0]
        extra = dict(baseline_pred=baseline_pred,
                     baseline_loss=summed_loss(y[None], baseline_pred[None]),
                     baseline_mse=per_point_mse(y[None], baseline_pred[None]))
    return ProbeResult(exp, probe, x=x, y=y, y_pred=y_pred, loss=loss, mse=mse,
                       baseline_name=baseline_name, notes=notes, **extra)


def panel_limits(probe: Probe) -> tuple[float, float]:
    """y-limits of the window panel for a setting: the span the window can reach (offset ±
    (amplitude + 3 noise σ), and at least the seed's [-1, 1]) with a quarter of it as headroom
    on each side for a prediction that overshoots, rounded outward to ``PANEL_STEP``.

    The limits depend on the setting alone, not on the prediction: moving the frequency or the
    shift never changes them, so those moves redraw only the lines. A prediction beyond them
    is clipped, and the readout says how far it goes (``outside_panel``).
    """
    probe = _check_probe(probe)
    reach = probe.amplitude + 3 * probe.noise
    low, high = min(-1.0, probe.offset - reach), max(1.0, probe.offset + reach)
    headroom = 0.25 * (high - low)
    return (float(np.floor((low - headroom) / PANEL_STEP) * PANEL_STEP),
            float(np.ceil((high + headroom) / PANEL_STEP) * PANEL_STEP))


def outside_panel(result: ProbeResult, limits: tuple[float, float]) -> str | None:
    """A sentence when the prediction leaves the panel, else ``None``."""
    if not result.predicted:
        return None
    finite = result.y_pred[np.isfinite(result.y_pred)]
    if finite.size and (finite.min() < limits[0] or finite.max() > limits[1]):
        return (f"The prediction leaves the panel: it spans {finite.min():.3g} to "
                f"{finite.max():.3g}.")
    return None


def readout_html(result: ProbeResult, limits: tuple[float, float] | None = None) -> str:
    """The explorer's live readout: the experiment, the setting, the seed loss and per-point
    MSE (and the baseline's), and the notes, as a small HTML block.

    Args:
        result: ``run_probe`` output.
        limits: The panel's y-limits; with them, a note says when the prediction leaves it.
    """
    exp, probe = result.experiment, result.probe
    head = (f"<b>{html.escape(exp.slug)}</b> ({exp.n_in} → {exp.n_out} samples) at "
            f"<b>{probe.frequency:.3g} Hz</b>, shift {probe.shift:.2f} s, amplitude "
            f"{probe.amplitude:g}, offset {probe.offset:+g}, noise σ {probe.noise:g}")
    if result.predicted:
        losses = (f"network: seed loss <b class='sinelib-loss'>{result.loss:.4g}</b>, "
                  f"per-point MSE <b class='sinelib-mse'>{result.mse:.3g}</b>")
    else:
        losses = "network: nothing to predict"
    if result.baseline_name is not None and result.predicted:
        losses += (f" &nbsp;|&nbsp; baseline {html.escape(result.baseline_name)}: seed loss "
                   f"<b>{result.baseline_loss:.4g}</b>, per-point MSE "
                   f"<b>{result.baseline_mse:.3g}</b>")
    notes = list(result.notes)
    if limits is not None and (leaving := outside_panel(result, limits)):
        notes.append(leaving)
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return (f"<div class='sinelib-readout-text'>{head}<br>{losses}"
            f"<ul style='margin:2px 0 0 0'>{items}</ul></div>")


# --- Models and error strips, cached ------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def shipped_model(slug: str):
    """The shipped model of an experiment, loaded once per process (``load_pretrained``)."""
    from sinelib.pretrained import load_pretrained

    return load_pretrained(get_experiment(slug))


_STRIPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def error_strip(model, exp: Experiment | str) -> dict:
    """Held-out per-point MSE of ``model`` at every ``STRIP_FREQUENCIES`` entry, computed once
    per model (``evaluation.loss_by_frequency`` with ``STRIP_SIZE`` windows each)."""
    exp = get_experiment(exp)
    key = (exp.slug, STRIP_FREQUENCIES, STRIP_SIZE)
    cached = _STRIPS.get(model)
    if cached is None or cached[0] != key:
        cached = (key, loss_by_frequency(model, exp, STRIP_FREQUENCIES, size=STRIP_SIZE))
        _STRIPS[model] = cached
    return cached[1]


# --- The widget -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _ipympl():
    """ipympl's canvas and manager classes. Importing the ipympl package switches Matplotlib's
    backend to ipympl (its ``__init__`` calls ``matplotlib.use``); the explorer only needs the
    classes, so the backend in use before is put back."""
    import matplotlib

    before = matplotlib.rcParams._get_backend_or_none()
    from ipympl.backend_nbagg import Canvas, FigureManager

    if before is not None and matplotlib.rcParams._get_backend_or_none() != before:
        matplotlib.use(before)
    return Canvas, FigureManager


def _experiment_label(exp: Experiment) -> str:
    return f"{exp.original_id}: {exp.title} ({exp.n_in} → {exp.n_out})"


def _check_in(name: str, value, bounds: tuple[float, float], unit: str = "") -> float:
    return check_number(name, value, *bounds, unit=f"{unit} (the explorer's slider range)")


class Explorer:
    """Sliders over one shipped (or given) network: the seed's picture of one window, a live
    readout of its error, and where the frequency sits on the network's error curve.

    Controls (``controls[name]``, ipywidgets): ``experiment`` (every registered experiment;
    input length and horizon follow it), ``frequency`` (log scale, 0.1 to 60 Hz), ``shift``,
    ``amplitude``, ``offset``, ``noise``, ``baseline`` (a toggle) and ``baseline_name`` (one of
    ``sinelib.BASELINES``, as ``baselines.baseline_for`` fits it to the experiment). Setting a control's ``value`` runs the update
    at once, in the browser or in a test.

    Args:
        experiment: The experiment shown first (or its name).
        models: Optional mapping of experiment (or name) to model, used instead of the shipped
            weights (e.g. a model a notebook has just trained).
        frequency, shift, amplitude, offset, noise, noise_seed: The first setting (see
            ``Probe``); each within its slider's range.
        baseline: Show a baseline beside the network.
        baseline_name: Which baseline (a ``sinelib.baselines.BASELINES`` name).

    Attributes:
        widget: The ipywidgets box to display (``display(explorer)`` shows it).
        figure: The Matplotlib figure; ``lines`` its artists by role.
        readout: The HTML widget under the figure.
        result: The last ``ProbeResult``.
        error: The last error an update ran into (shown in the readout), or ``None``.
        updates: How many updates ran.
    """

    def __init__(self, experiment: Experiment | str = "exp2", *, models=None,
                 frequency: float = 1.0, shift: float = 0.0, amplitude: float = 1.0,
                 offset: float = 0.0, noise: float = 0.0, noise_seed: int = 0,
                 baseline: bool = False, baseline_name: str = "analytic"):
        import ipywidgets as widgets

        exp = get_experiment(experiment)
        if EXPERIMENTS.get(exp.slug) != exp:
            raise ValueError(f"experiment must be a registered experiment (the menu offers "
                             f"those), got {shown(exp.slug)}, which is not the registry's")
        if models is not None and not hasattr(models, "items"):
            raise ValueError(f"models must map experiments to models, got {shown(models)}")
        self._models = {}
        for name, model in (models or {}).items():
            given = get_experiment(name)
            check_model_fits(model, given)
            self._models[given.slug] = model
        self._noise_seed = Probe(noise_seed=noise_seed).noise_seed
        values = {
            "frequency": _check_in("frequency", frequency, FREQUENCY_RANGE, " Hz"),
            "shift": _check_in("shift", shift, (0.0, SHIFT_RANGE), " s"),
            "amplitude": _check_in("amplitude", amplitude, AMPLITUDE_RANGE),
            "offset": _check_in("offset", offset, OFFSET_RANGE),
            "noise": _check_in("noise", noise, NOISE_RANGE),
        }
        baseline = check_bool("baseline", baseline)
        if baseline_name not in BASELINES:
            raise ValueError(f"baseline_name must be one of {', '.join(BASELINES)}, got "
                             f"{shown(baseline_name)}")
        style = {"description_width": "100px"}
        slider = dict(continuous_update=True, style=style,
                      layout=widgets.Layout(width="360px"))
        self.controls = {
            "experiment": widgets.Dropdown(
                options=[(_experiment_label(e), e.slug) for e in EXPERIMENTS.values()],
                value=exp.slug, description="network", style=style,
                layout=widgets.Layout(width="460px")),
            "frequency": widgets.FloatLogSlider(
                value=values["frequency"], base=10, min=np.log10(FREQUENCY_RANGE[0]),
                max=np.log10(FREQUENCY_RANGE[1]), step=FREQUENCY_STEP, readout_format=".3g",
                description="frequency [Hz]", **slider),
            "shift": widgets.FloatSlider(value=values["shift"], min=0.0, max=SHIFT_RANGE,
                                         step=0.01, readout_format=".2f",
                                         description="shift [s]", **slider),
            "amplitude": widgets.FloatSlider(value=values["amplitude"],
                                             min=AMPLITUDE_RANGE[0], max=AMPLITUDE_RANGE[1],
                                             step=0.05, description="amplitude", **slider),
            "offset": widgets.FloatSlider(value=values["offset"], min=OFFSET_RANGE[0],
                                          max=OFFSET_RANGE[1], step=0.05,
                                          description="offset", **slider),
            "noise": widgets.FloatSlider(value=values["noise"], min=NOISE_RANGE[0],
                                         max=NOISE_RANGE[1], step=0.01,
                                         description="noise σ", **slider),
        }
        self.controls["baseline"] = widgets.Checkbox(
            value=baseline, description="baseline", indent=False,
            layout=widgets.Layout(width="90px", margin="0 0 0 20px"))
        self.controls["baseline_name"] = widgets.Dropdown(
            options=list(BASELINES), value=baseline_name, layout=widgets.Layout(width="150px"))
        for name, control in self.controls.items():
            control.add_class(f"sinelib-{name.replace('_', '-')}")
        self.readout = widgets.HTML(layout=widgets.Layout(width="720px", min_height="90px"))
        self.readout.add_class("sinelib-readout")
        self.result: ProbeResult | None = None
        self.error: Exception | None = None
        self.updates = 0
        self._build_figure()
        self._select(exp)
        for name, control in self.controls.items():
            control.observe(self._on_experiment if name == "experiment" else self._on_change,
                            names="value")
        top = [self.controls[name] for name in ("experiment", "baseline", "baseline_name")]
        sliders = [self.controls[name] for name in ("frequency", "shift", "amplitude", "offset",
                                                    "noise")]
        self.widget = widgets.VBox([
            widgets.HBox(top),
            widgets.HBox([widgets.VBox(sliders[:3]), widgets.VBox(sliders[3:])]),
            self.canvas, self.readout,
        ])
        self.widget.add_class("sinelib-explorer")

    # The figure: the seed's picture above an error-against-frequency strip. What a slider
    # moves (the lines, the marker, the panel title) is animated: a move restores the static
    # background and draws only those artists (blitting), about a tenth of a full redraw.
    # A change of y-limits or of network needs the full redraw, which the front end asks for.
    def _build_figure(self) -> None:
        from matplotlib.figure import Figure

        Canvas, FigureManager = _ipympl()
        # Fixed margins rather than a layout engine: a layout pass on every full redraw
        # would double its time.
        self.figure = Figure(figsize=(8.0, 5.0), dpi=90)
        self.canvas = Canvas(self.figure)
        self._manager = FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.toolbar_visible = False
        self.canvas.resizable = False
        self.canvas.add_class("sinelib-figure")
        grid = self.figure.add_gridspec(2, 1, height_ratios=(3.0, 1.2), left=0.1,
                                        right=0.985, top=0.9, bottom=0.1, hspace=0.55)
        self.ax = self.figure.add_subplot(grid[0])
        self.strip = self.figure.add_subplot(grid[1])
        self.lines = {}
        self._animated = []
        self._background = None
        self.blits = self.full_redraws = 0
        self.canvas.mpl_connect("draw_event", self._on_full_draw)

    def _layout_for(self, exp: Experiment) -> None:
        """Lines and strip for ``exp``'s input length, horizon and training band."""
        self.ax.clear()
        # The seed's picture, drawn by the plots module, on placeholder data; updates then
        # move its lines with set_data.
        drawn = draw_prediction(self.ax, 1.0, np.zeros(exp.n_in), np.zeros(exp.n_out),
                                np.zeros(exp.n_out))
        self.ax.set_title("", loc="left")
        (line_baseline,) = self.ax.plot([], [], color=BASELINE_COLOR, linestyle="--",
                                        linewidth=1.2, label="baseline")
        self.ax.set_xlim(0, (exp.n_in + exp.n_out - 1) / SAMPLING_RATE)
        self.ax.set_xlabel("time [t]", labelpad=1)
        self.ax.set_ylabel("signal")
        self.ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncols=4,
                       frameon=False, borderaxespad=0.2)
        title = self.ax.text(0.0, 1.03, "", transform=self.ax.transAxes, fontsize=9)
        message = self.ax.text(0.5, 0.5, "", transform=self.ax.transAxes, ha="center",
                               va="center", fontsize=9, color="0.3")

        strip, curve = self.strip, error_strip(self.model, exp)
        strip.clear()
        mark_training_band(strip, exp.frequency, color="0.9")
        strip.axvspan(NYQUIST, FREQUENCY_RANGE[1], color="0.6", hatch="///", fill=False,
                      linewidth=0, zorder=0, label="above Nyquist")
        strip.plot(curve["frequency"], curve["mse"], color=CURVE_COLOR, linewidth=1.2,
                   label="held-out error (clean unit sines)")
        strip.set_xscale("log")
        strip.set_yscale("log")
        strip.set_xlim(*FREQUENCY_RANGE)
        finite = curve["mse"][np.isfinite(curve["mse"]) & (curve["mse"] > 0)]
        if finite.size:
            strip.set_ylim(finite.min() / 10, finite.max() * 10)
        strip.set_ylabel("per-point MSE", fontsize=8)
        strip.set_xlabel("frequency [Hz]", fontsize=8, labelpad=1)
        strip.tick_params(labelsize=7)
        strip.grid(True, which="major", alpha=0.3)
        marker = strip.axvline(1.0, color=MARKER_COLOR, linewidth=1.2)
        (marker_point,) = strip.plot([], [], "o", color=MARKER_COLOR, markersize=5,
                                     label="this window")
        strip.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=7, ncols=4,
                     frameon=False, borderaxespad=0.2)
        self.lines = {**drawn, "baseline": line_baseline, "marker": marker,
                      "marker_point": marker_point, "title": title, "message": message}
        self._animated = list(self.lines.values())
        for artist in self._animated:
            artist.set_animated(True)
        self._background = None

    def _on_full_draw(self, event) -> None:
        """After a full draw (which leaves animated artists out): keep the background for
        blitting, then draw the animated artists on top."""
        if event.renderer is getattr(self.canvas, "renderer", None):
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self._animated:
            artist.draw(event.renderer)
        self.full_redraws += 1

    def _select(self, exp: Experiment) -> None:
        self.experiment = exp
        model = self._models.get(exp.slug)
        self.model = shipped_model(exp.slug) if model is None else model
        self._layout_for(exp)
        self.update()

    def _on_experiment(self, change) -> None:
        try:
            self._select(get_experiment(change["new"]))
        except Exception as error:  # shown in the readout: a widget callback has no caller
            self._show_error(error)

    def _on_change(self, change) -> None:
        self.update()

    @property
    def probe(self) -> Probe:
        """The setting the sliders describe."""
        values = {name: self.controls[name].value
                  for name in ("frequency", "shift", "amplitude", "offset", "noise")}
        return Probe(noise_seed=self._noise_seed, **values)

    @property
    def baseline(self):
        """``(name, predict)`` of the baseline shown, or ``(None, None)``."""
        if not self.controls["baseline"].value:
            return None, None
        name = self.controls["baseline_name"].value
        return name, baseline_for(name, self.experiment)

    def update(self) -> None:
        """Recompute the window, the prediction and the readout, and redraw."""
        try:
            name, baseline = self.baseline
            result = run_probe(self.model, self.experiment, self.probe, baseline, name)
            limits = panel_limits(result.probe)
            self._draw(result, limits)
            self.readout.value = readout_html(result, limits)
            self.result, self.error = result, None
        except Exception as error:  # shown in the readout: a widget callback has no caller
            self._show_error(error)
        self.updates += 1
        self._redraw()

    def _redraw(self) -> None:
        """Blit the animated artists onto the kept background, or ask for a full redraw."""
        if self._background is None:
            self.canvas.draw_idle()
            return
        self.canvas.restore_region(self._background)
        for artist in self._animated:
            self.figure.draw_artist(artist)
        self.canvas.blit(self.figure.bbox)
        self.blits += 1

    def _show_error(self, error: Exception) -> None:
        self.error = error
        self.readout.value = (f"<div class='sinelib-readout-text' style='color:#b00'>"
                              f"{html.escape(type(error).__name__)}: "
                              f"{html.escape(str(error))}</div>")

    def _draw(self, result: ProbeResult, limits: tuple[float, float]) -> None:
        exp, probe, lines = result.experiment, result.probe, self.lines
        t = np.arange(exp.n_in + exp.n_out) / SAMPLING_RATE
        t_in, t_out = t[:exp.n_in], t[exp.n_in:]
        if result.predicted:
            lines["input"].set_data(t_in, result.x)
            lines["truth"].set_data(t_out, result.y)
            lines["prediction"].set_data(t_out, result.y_pred)
            lines["title"].set_text(f"{probe.frequency:.3g} Hz: seed loss {result.loss:.3g}")
            lines["message"].set_text("")
            # A point beyond the strip's range sits on its edge rather than vanishing.
            low, high = self.strip.get_ylim()
            lines["marker_point"].set_data([probe.frequency],
                                           [min(max(result.mse, low), high)])
        else:
            for role in ("input", "truth", "prediction", "marker_point"):
                lines[role].set_data([], [])
            lines["title"].set_text(f"{probe.frequency:.3g} Hz: at or above the Nyquist limit")
            lines["message"].set_text(f"{probe.frequency:.3g} Hz cannot be sampled at "
                                      f"{SAMPLING_RATE:g} Hz:\nits samples are those of a "
                                      f"{alias_frequency(probe.frequency):.3g} Hz sine")
        if result.baseline_pred is not None:
            lines["baseline"].set_data(t_out, result.baseline_pred)
        else:
            lines["baseline"].set_data([], [])
        lines["marker"].set_xdata([probe.frequency, probe.frequency])
        if tuple(self.ax.get_ylim()) != limits:
            self.ax.set_ylim(*limits)
            self._background = None  # the ticks change: a full redraw

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        probe = self.probe
        return (f"Explorer({self.experiment.slug!r}, frequency={probe.frequency:.3g}, "
                f"shift={probe.shift:g}, amplitude={probe.amplitude:g}, "
                f"offset={probe.offset:g}, noise={probe.noise:g})")


def explore(experiment: Experiment | str = "exp2", model=None, **settings) -> Explorer:
    """Open the explorer on an experiment's network.

    Args:
        experiment: The experiment (or its name) shown first.
        model: Its model, if not the shipped weights (e.g. one a notebook just trained).
        **settings: ``Explorer`` arguments: ``frequency``, ``shift``, ``amplitude``,
            ``offset``, ``noise``, ``baseline``, ``models``, ...

    Returns:
        The ``Explorer``; a notebook cell that ends with it displays it.
    """
    if model is not None:
        settings["models"] = {**(settings.get("models") or {}), experiment: model}
    return Explorer(experiment, **settings)


# --- Latency -------------------------------------------------------------------------------------

def benchmark_latency(slugs=None, moves: int = 40, warmup: int = 5) -> dict:
    """Time slider moves of the explorer for shipped models, in-process.

    Each model's explorer is set up as a connected browser leaves it: ipympl's data-URL copy
    of every frame is off and a first full draw has been made (the blitting background). Then
    the frequency slider is moved ``moves`` times across 0.5-4 Hz. One move is timed from
    setting the slider's value until the observers have returned (window, prediction, readout,
    the blitted frame and its diff image, ready to send) plus, where the y-limits changed, the
    full redraw the front end then asks for.

    Args:
        slugs: Experiments to measure; default every registered one.
        moves: Timed slider moves per model.
        warmup: Untimed moves first (compiles the prediction).

    Returns:
        ``{"machine": {...}, "models": {slug: {"move_ms", "move_p90_ms", "predict_ms",
        "full_redraw_ms", "full_redraws", "moves"}}}``: medians in milliseconds.
    """
    import os

    from sinelib.pretrained import environment

    slugs = list(EXPERIMENTS) if slugs is None else [get_experiment(s).slug for s in slugs]
    found = environment()
    report = {"machine": {name: found[name] for name in ("processor", "cpu_count", "python")},
              "moves": moves, "models": {}}
    sweep = np.geomspace(0.5, 3.9, moves + warmup)
    for slug in slugs:
        explorer = Explorer(slug)
        canvas = explorer.canvas
        canvas.syncing_data_url = False  # ipympl stops it when a front end connects
        canvas.draw()
        slider, move_times = explorer.controls["frequency"], []
        for index, frequency in enumerate(sweep):
            start = time.perf_counter()
            slider.value = float(frequency)
            if explorer._background is None:
                canvas.draw()  # the full redraw the front end asks for after draw_idle
            if index >= warmup:
                move_times.append(time.perf_counter() - start)
        full_redraws = explorer.full_redraws - 1  # the first draw above is not a move
        predict_times, redraw_times = [], []
        x = np.zeros((1, explorer.experiment.n_in, 1), np.float32)
        for _ in range(20):
            start = time.perf_counter()
            predict(explorer.model, x)
            predict_times.append(time.perf_counter() - start)
        for _ in range(5):
            start = time.perf_counter()
            canvas.draw()
            redraw_times.append(time.perf_counter() - start)
        move_times.sort()
        report["models"][slug] = {
            "move_ms": 1000 * statistics.median(move_times),
            "move_p90_ms": 1000 * move_times[int(0.9 * (len(move_times) - 1))],
            "predict_ms": 1000 * statistics.median(predict_times),
            "full_redraw_ms": 1000 * statistics.median(redraw_times),
            "full_redraws": full_redraws,
            "moves": len(move_times),
        }
    try:
        report["machine"]["load_average"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
    return report


def latency_markdown(report: dict) -> str:
    """``benchmark_latency`` output as a Markdown table."""
    from sinelib.study.tables import to_markdown

    rows = [["network", "slider move, median [ms]", "90th percentile [ms]",
             "prediction alone [ms]", "full redraw [ms]", "moves needing a full redraw"]]
    for slug, entry in report["models"].items():
        exp = get_experiment(slug)
        rows.append([f"{exp.original_id} ({slug})", f"{entry['move_ms']:.1f}",
                     f"{entry['move_p90_ms']:.1f}", f"{entry['predict_ms']:.1f}",
                     f"{entry['full_redraw_ms']:.0f}",
                     f"{entry['full_redraws']} of {entry['moves']}"])
    machine = report["machine"]
    load = machine.get("load_average")
    return (f"{machine['cpu_count']} cores ({machine['processor']}), Python "
            f"{machine['python']}" + (f", load average {load[0]:g} while measuring" if load
                                       else "") + f"; {report['moves']} moves per network.\n\n"
            + to_markdown(rows) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sinelib.tools.explorer",
                                     description="The generalisation explorer's latency.")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="time slider moves for every shipped network")
    bench.add_argument("experiments", nargs="*", help="experiments (default: all)")
    bench.add_argument("--moves", type=int, default=40, help="timed moves per network")
    bench.add_argument("--json", type=Path, help="write the results here")
    bench.add_argument("--markdown", type=Path, help="write the table here")
    args = parser.parse_args(argv)
    try:
        if args.moves < 1:
            raise ValueError(f"--moves must be at least 1, got {args.moves}")
        report = benchmark_latency(args.experiments or None, moves=args.moves)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = latency_markdown(report)
    print(table, end="")
    if args.json:
        atomic_write_json(args.json, report)
    if args.markdown:
        atomic_write_text(args.markdown, "# Explorer latency\n\n`make bench-explorer` "
                                         "(`python -m sinelib.tools.explorer bench`): " + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
