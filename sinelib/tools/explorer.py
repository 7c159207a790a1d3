"""The generalisation explorer: sliders that probe where a trained network holds and where it
breaks.

``Explorer`` puts ipywidgets sliders and an ipympl figure on top of ``sinelib.tools.probe``:
a slider move runs ``measure_probe`` once, moves the lines with ``set_data`` and draws only them
onto the kept background (blitting); a change of axes asks the front end for a full redraw.
The figure is the original's picture of one window (``plots.draw_prediction``) above a strip
of the held-out error against frequency (``probe.error_strip``), with a marker where the
current frequency sits. ``explore("exp2")`` builds one; ``benchmarks.explorer``
measures how long a slider move takes.

Matplotlib and ipympl are imported when the first explorer is built, not with the module:
Matplotlib is slow to import, and importing ipympl switches Matplotlib's backend.
"""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets
import numpy as np

from sinelib.baselines import BASELINES, baseline_for
from sinelib.plumbing.arguments import require_bool, require_number, shown
from sinelib.data import NYQUIST, SAMPLING_RATE, SHIFT_RANGE
from sinelib.evaluation import require_model_fits
from sinelib.experiments import EXPERIMENTS, Experiment, get_experiment
from sinelib.plots import draw_prediction, mark_training_band
from sinelib.tools.probe import (
    Probe, ProbeResult, alias_frequency, error_strip, panel_limits, readout_html, measure_probe,
    shipped_model,
)

#: The frequency slider's range in Hz, on a log scale (fine steps at low frequencies, where
#: the training band is); it reaches past the 50 Hz Nyquist limit on purpose.
FREQUENCY_RANGE: tuple[float, float] = (0.1, 60.0)
#: Significant digits of the frequency the explorer measures at: what its readout shows. The
#: log-scale slider has no step grid (a grid of equal log steps cannot hold round numbers: with
#: steps of 0.005 decades a typed 6 became 6.03), so a typed value reaches the kernel as typed,
#: up to floating-point rounding of its logarithm, and a dragged one is rounded to these digits.
FREQUENCY_DIGITS = 3
#: Slider ranges of the other settings: amplitude, offset and input noise σ, in signal units.
AMPLITUDE_RANGE: tuple[float, float] = (0.0, 3.0)
OFFSET_RANGE: tuple[float, float] = (-3.0, 3.0)
NOISE_RANGE: tuple[float, float] = (0.0, 1.0)
#: Colours beyond the original's three (input black, truth green, prediction red).
BASELINE_COLOR = "0.45"
MARKER_COLOR = "tab:red"
CURVE_COLOR = "C0"
#: The smallest text in the figure, in points: 11 pixels at its 90 dpi (7 points were 8.75).
SMALL_TEXT = 9

#: The network the explorer opens on: the first one trained on the whole band of frequencies.
DEFAULT_EXPERIMENT = next(slug for slug, exp in EXPERIMENTS.items() if exp.frequency is None)


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
    """The network menu's entry for ``exp``."""
    return f"{exp.original_id}: {exp.title} ({exp.n_in} → {exp.n_out})"


def _check_in(name: str, value, bounds: tuple[float, float], unit: str = "") -> float:
    """``value`` as a float within a slider's range, or a ``ValueError`` that names both."""
    return require_number(name, value, *bounds, unit=f"{unit} (the explorer's slider range)")


def rounded_frequency(value: float) -> float:
    """``value`` to ``FREQUENCY_DIGITS`` significant digits: the frequency slider's setting
    as the explorer measures and shows it (6.000000000000001 from the slider is 6.0)."""
    return float(f"{value:.{FREQUENCY_DIGITS}g}")


#: The explorer's own style: its rows wrap and its figure shrinks to the page's width, so that
#: it is usable on a phone (a 720-pixel figure on a 390-pixel screen is otherwise cut). The
#: figure takes no mouse input, so ipympl's top canvas (absolutely placed over the figure, for
#: zoom rectangles and the resize handle) is not shown: ipympl's front end turns ``resizable``
#: back on whenever its connection to the kernel comes up, and draws the handle there.
RESPONSIVE_CSS = """<style>
.sinelib-explorer { max-width: 100%; }
.sinelib-explorer .widget-hbox { flex-wrap: wrap; }
.sinelib-explorer .sinelib-figure,
.sinelib-explorer .sinelib-figure .jupyter-matplotlib-figure,
.sinelib-explorer .sinelib-figure .jupyter-matplotlib-canvas-container { max-width: 100%; }
.sinelib-explorer .sinelib-figure .jupyter-matplotlib-canvas-div {
  max-width: 100%; height: auto !important; aspect-ratio: 8 / 5; }
.sinelib-explorer .sinelib-figure canvas { max-width: 100% !important; height: auto !important; }
.sinelib-explorer .sinelib-figure canvas[style*="z-index: 1"] { display: none !important; }
</style>"""


class Explorer:
    """Sliders over one shipped (or given) network: the original's picture of one window, a live
    readout of its error, and where the frequency sits on the network's error curve.

    Inputs (``inputs[name]``, ipywidgets): ``experiment`` (every registered experiment;
    input length and horizon follow it), ``frequency`` (log scale, 0.1 to 60 Hz), ``shift``,
    ``amplitude``, ``offset``, ``noise``, ``baseline`` (a toggle) and ``baseline_name`` (one of
    ``sinelib.BASELINES``, as ``baselines.baseline_for`` fits it to the experiment). Setting an
    input's ``value`` runs the update at once, in the browser or in a test.

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
        blits: How many updates were drawn by blitting onto the kept background.
        full_redraws: How many full draws of the figure were made.
    """

    def __init__(self, experiment: Experiment | str = DEFAULT_EXPERIMENT, *, models=None,
                 frequency: float = 1.0, shift: float = 0.0, amplitude: float = 1.0,
                 offset: float = 0.0, noise: float = 0.0, noise_seed: int = 0,
                 baseline: bool = False, baseline_name: str = "analytic"):
        exp = get_experiment(experiment)
        if EXPERIMENTS.get(exp.slug) != exp:
            raise ValueError(f"experiment must be a registered experiment (the menu offers "
                             f"those), got {shown(exp.slug)}, which is not the registry's")
        if models is not None and not hasattr(models, "items"):
            raise ValueError(f"models must map experiments to models, got {shown(models)}")
        self._models = {}
        for name, model in (models or {}).items():
            given = get_experiment(name)
            require_model_fits(model, given)
            self._models[given.slug] = model
        self._noise_seed = Probe(noise_seed=noise_seed).noise_seed
        values = {
            "frequency": _check_in("frequency", frequency, FREQUENCY_RANGE, " Hz"),
            "shift": _check_in("shift", shift, (0.0, SHIFT_RANGE), " s"),
            "amplitude": _check_in("amplitude", amplitude, AMPLITUDE_RANGE),
            "offset": _check_in("offset", offset, OFFSET_RANGE),
            "noise": _check_in("noise", noise, NOISE_RANGE),
        }
        baseline = require_bool("baseline", baseline)
        if baseline_name not in BASELINES:
            raise ValueError(f"baseline_name must be one of {', '.join(BASELINES)}, got "
                             f"{shown(baseline_name)}")
        style = {"description_width": "100px"}
        slider = dict(continuous_update=True, style=style,
                      layout=widgets.Layout(width="360px", max_width="100%"))
        self.inputs = {
            "experiment": widgets.Dropdown(
                options=[(_experiment_label(e), e.slug) for e in EXPERIMENTS.values()],
                value=exp.slug, description="network", style=style,
                layout=widgets.Layout(width="460px", max_width="100%")),
            "frequency": widgets.FloatLogSlider(
                value=values["frequency"], base=10, min=np.log10(FREQUENCY_RANGE[0]),
                max=np.log10(FREQUENCY_RANGE[1]), step=None,
                readout_format=f".{FREQUENCY_DIGITS}g", description="frequency [Hz]",
                **slider),
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
        self.inputs["baseline"] = widgets.Checkbox(
            value=baseline, description="baseline", indent=False,
            layout=widgets.Layout(width="90px", margin="0 0 0 20px"))
        self.inputs["baseline_name"] = widgets.Dropdown(
            options=list(BASELINES), value=baseline_name, layout=widgets.Layout(width="150px"))
        for name, widget in self.inputs.items():
            widget.add_class(f"sinelib-{name.replace('_', '-')}")
        self.readout = widgets.HTML(layout=widgets.Layout(width="720px", max_width="100%",
                                                          min_height="90px"))
        self.readout.add_class("sinelib-readout")
        self.result: ProbeResult | None = None
        self.error: Exception | None = None
        self.updates = 0
        self._build_figure()
        self._select(exp)
        for name, widget in self.inputs.items():
            widget.observe(self._on_experiment if name == "experiment" else self._on_change,
                            names="value")
        top = [self.inputs[name] for name in ("experiment", "baseline", "baseline_name")]
        sliders = [self.inputs[name] for name in ("frequency", "shift", "amplitude", "offset",
                                                    "noise")]
        self.widget = widgets.VBox([
            widgets.HTML(RESPONSIVE_CSS, layout=widgets.Layout(display="none")),
            widgets.HBox(top),
            widgets.HBox([widgets.VBox(sliders[:3]), widgets.VBox(sliders[3:])]),
            self.canvas, self.readout,
        ])
        self.widget.add_class("sinelib-explorer")

    # The figure: the original's picture above an error-against-frequency strip. What a slider
    # moves (the lines, the marker, the panel title) is animated: a move restores the static
    # background and draws only those artists (blitting), about a tenth of a full redraw.
    # A change of y-limits or of network needs the full redraw, which the front end asks for.
    def _build_figure(self) -> None:
        from matplotlib.figure import Figure

        Canvas, FigureManager = _ipympl()
        # Fixed margins rather than a layout engine: a layout pass on every full redraw
        # would double its time.
        self.figure = Figure(figsize=(8.0, 5.0), dpi=90)  # RESPONSIVE_CSS keeps its 8 / 5
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
        # The original's picture, drawn by the plots module on placeholder data; updates
        # then move its lines (returned by role) with set_data.
        drawn = draw_prediction(self.ax, 1.0, np.zeros(exp.n_in), np.zeros(exp.n_out),
                                np.zeros(exp.n_out))
        self.ax.set_title("", loc="left")
        (line_baseline,) = self.ax.plot([], [], color=BASELINE_COLOR, linestyle="--",
                                        linewidth=1.2, label="baseline")
        self.ax.set_xlim(0, (exp.n_in + exp.n_out - 1) / SAMPLING_RATE)
        self.ax.set_xlabel("time [t]", labelpad=1)
        self.ax.set_ylabel("signal")
        self.ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=SMALL_TEXT,
                       ncols=4, frameon=False, borderaxespad=0.2)
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
        strip.set_ylabel("per-point MSE", fontsize=SMALL_TEXT)
        strip.set_xlabel("frequency [Hz]", fontsize=SMALL_TEXT, labelpad=1)
        strip.tick_params(labelsize=SMALL_TEXT)
        strip.grid(True, which="major", alpha=0.3)
        marker = strip.axvline(1.0, color=MARKER_COLOR, linewidth=1.2)
        (marker_point,) = strip.plot([], [], "o", color=MARKER_COLOR, markersize=5,
                                     label="this window")
        strip.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=SMALL_TEXT,
                     ncols=4, frameon=False, borderaxespad=0.2)
        self.lines = {**drawn, "baseline": line_baseline, "marker": marker,
                      "marker_point": marker_point, "title": title, "message": message}
        self._animated = list(self.lines.values())
        for artist in self._animated:
            artist.set_animated(True)
        self._background = None

    @property
    def needs_full_redraw(self) -> bool:
        """Whether the next frame needs a full draw (no background is kept for blitting: the
        figure was never drawn, or the axes changed since)."""
        return self._background is None

    def _on_full_draw(self, event) -> None:
        """After a full draw (which leaves animated artists out): keep the background for
        blitting, then draw the animated artists on top."""
        if event.renderer is getattr(self.canvas, "renderer", None):
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self._animated:
            artist.draw(event.renderer)
        self.full_redraws += 1

    def _select(self, exp: Experiment) -> None:
        """Show ``exp``'s network: its model, its figure layout and a fresh update."""
        self.experiment = exp
        model = self._models.get(exp.slug)
        self.model = shipped_model(exp.slug) if model is None else model
        self._layout_for(exp)
        self.update()

    def _on_experiment(self, change) -> None:
        """Observer of the network menu."""
        try:
            self._select(get_experiment(change["new"]))
        except Exception as error:  # shown in the readout: a widget callback has no caller
            self._show_error(error)

    def _on_change(self, change) -> None:
        """Observer of every other input."""
        self.update()

    @property
    def probe(self) -> Probe:
        """The setting the sliders describe."""
        values = {name: self.inputs[name].value
                  for name in ("frequency", "shift", "amplitude", "offset", "noise")}
        values["frequency"] = rounded_frequency(values["frequency"])
        return Probe(noise_seed=self._noise_seed, **values)

    @property
    def baseline(self):
        """``(name, predict)`` of the baseline shown, or ``(None, None)``."""
        if not self.inputs["baseline"].value:
            return None, None
        name = self.inputs["baseline_name"].value
        return name, baseline_for(name, self.experiment)

    def update(self) -> None:
        """Recompute the window, the prediction and the readout, and redraw."""
        try:
            name, baseline = self.baseline
            result = measure_probe(self.model, self.experiment, self.probe, baseline, name)
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
        """Keep ``error`` and show it in the readout."""
        self.error = error
        self.readout.value = (f"<div class='sinelib-readout-text' style='color:#b00'>"
                              f"{html.escape(type(error).__name__)}: "
                              f"{html.escape(str(error))}</div>")

    def _draw(self, result: ProbeResult, limits: tuple[float, float]) -> None:
        """Move the animated artists to ``result``; set new y-limits (and drop the background)."""
        exp, probe, lines = result.experiment, result.probe, self.lines
        t = np.arange(exp.n_in + exp.n_out) / SAMPLING_RATE
        t_in, t_out = t[:exp.n_in], t[exp.n_in:]
        if result.predicted:
            lines["input"].set_data(t_in, result.x)
            lines["truth"].set_data(t_out, result.y)
            lines["prediction"].set_data(t_out, result.y_pred)
            lines["title"].set_text(f"{probe.frequency:.3g} Hz: summed loss {result.loss:.3g}")
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


def explore(experiment: Experiment | str = DEFAULT_EXPERIMENT, model=None,
            **settings) -> Explorer:
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
