"""What the generalisation explorer shows for one setting, computed without widgets or figures.

A ``Probe`` is one setting (frequency, shift, amplitude, offset, input noise).
``probe_window`` builds the window it describes, ``measure_probe`` predicts it with a network (and
a baseline) and measures the error in the original's units (summed loss) and as per-point MSE,
``probe_notes`` says in sentences what is unusual about the setting, ``panel_limits`` and
``readout_html`` give the window panel's y-limits and the readout's text, and ``error_strip``
the network's held-out error against frequency. Everything uses the package's own windows,
losses and compiled ``predict``; the widget (``sinelib.tools.explorer``) only draws it.
"""

from __future__ import annotations

import functools
import html
import weakref
from dataclasses import dataclass, field

import numpy as np

from sinelib.plumbing.arguments import require_non_negative_int, require_number, shown
from sinelib.data import MAX_SHIFT, NYQUIST, RANDOM_BAND, SAMPLING_RATE, sample_windows
from sinelib.evaluation import NOISE_KEY, require_model_fits, loss_by_frequency
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import per_point_mse, summed_loss
from sinelib.models import predict
from sinelib.plumbing.pretrained import load_pretrained

#: Largest frequency a ``Probe`` accepts (10x the sampling rate; beyond it the alias is all
#: there is to say).
MAX_FREQUENCY = 10 * SAMPLING_RATE
#: Largest amplitude, size of offset and noise σ a ``Probe`` accepts: far beyond anything a network
#: trained on unit sines has seen, and small enough for float32 windows.
MAX_LEVEL = 1000.0
#: Below this many samples per period a window no longer looks like a sine when its samples
#: are joined by lines.
FEW_SAMPLES_PER_PERIOD = 8
#: Test frequencies of the error strip: log-spaced from 0.1 Hz (the frequency slider's low
#: end) to just below the 50 Hz Nyquist limit.
STRIP_FREQUENCIES: tuple[float, ...] = tuple(float(f) for f in np.geomspace(0.1, 48.0, 28)
                                             .round(4))
#: Held-out windows per strip frequency (fixed and seeded, as ``loss_by_frequency`` draws them).
STRIP_SIZE = 100
#: The window panel's y-limits are multiples of this.
PANEL_STEP = 0.5


# --- One setting, computed ------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One setting of the explorer: a window of ``amplitude * sin(2π f (t + shift)) + offset``
    at 100 Hz, with Gaussian noise of standard deviation ``noise`` added to the input only.

    Attributes:
        frequency: Hz, positive, at most ``MAX_FREQUENCY`` (at or above the 50 Hz Nyquist
            limit nothing is predicted: ``measure_probe`` says why).
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
            "frequency": require_number("frequency", self.frequency, 0.0, MAX_FREQUENCY,
                                      low_open=True, unit=" Hz"),
            "shift": require_number("shift", self.shift, -MAX_SHIFT, MAX_SHIFT, high_open=True,
                                  unit=" s"),
            "amplitude": require_number("amplitude", self.amplitude, 0.0, MAX_LEVEL),
            "offset": require_number("offset", self.offset, -MAX_LEVEL, MAX_LEVEL),
            "noise": require_number("noise", self.noise, 0.0, MAX_LEVEL),
            "noise_seed": require_non_negative_int("noise_seed", self.noise_seed),
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
    noise_seed = require_non_negative_int("noise_seed", noise_seed)
    return np.random.default_rng([NOISE_KEY, n_in, 4, noise_seed]).standard_normal(n_in)


def _check_probe(probe) -> Probe:
    """``probe`` itself, or a ``ValueError`` naming what was passed instead."""
    if not isinstance(probe, Probe):
        raise ValueError(f"probe must be a sinelib.tools.probe.Probe, got "
                         f"{type(probe).__name__} {shown(probe)}")
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
    frequency = require_number("frequency", frequency, 0.0, low_open=True, unit=" Hz")
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
    """What the explorer shows for one setting (``measure_probe``).

    Attributes:
        experiment: The experiment whose network predicted.
        probe: The setting.
        x: Input window as the network sees it, shape ``(n_in,)``; ``None`` at or above
            the Nyquist limit.
        y: True continuation, shape ``(n_out,)``, or ``None``.
        y_pred: The network's prediction, shape ``(n_out,)``, or ``None``.
        loss: Summed loss of the prediction (squared error summed over the horizon); NaN when
            nothing was predicted.
        mse: Per-point MSE (``loss / n_out``); NaN when nothing was predicted.
        baseline_name: Name of the baseline predicted beside the network, or ``None``.
        baseline_pred: Its prediction, shape ``(n_out,)``, or ``None``.
        baseline_loss: Its summed loss (NaN without a baseline).
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


def measure_probe(model, exp: Experiment | str, probe: Probe, baseline=None,
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
    require_model_fits(model, exp)
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
    (amplitude + 3 noise σ), and at least the original's [-1, 1]) with a quarter of it as headroom
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
    """The explorer's live readout: the experiment, the setting, the summed loss and per-point
    MSE (and the baseline's), and the notes, as a small HTML block.

    Args:
        result: ``measure_probe`` output.
        limits: The panel's y-limits; with them, a note says when the prediction leaves it.
    """
    exp, probe = result.experiment, result.probe
    head = (f"<b>{html.escape(exp.slug)}</b> ({exp.n_in} → {exp.n_out} samples) at "
            f"<b>{probe.frequency:.3g} Hz</b>, shift {probe.shift:.2f} s, amplitude "
            f"{probe.amplitude:g}, offset {probe.offset:+g}, noise σ {probe.noise:g}")
    if result.predicted:
        losses = (f"network: summed loss <b class='sinelib-loss'>{result.loss:.4g}</b>, "
                  f"per-point MSE <b class='sinelib-mse'>{result.mse:.3g}</b>")
    else:
        losses = "network: nothing to predict"
    if result.baseline_name is not None and result.predicted:
        losses += (f" &nbsp;|&nbsp; baseline {html.escape(result.baseline_name)}: summed loss "
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
