"""The generalisation atlas: every shipped network and every baseline, measured three ways.

For each experiment it measures, on fixed seeded held-out sets:

* the summed loss against test frequency, 0.1 to 8 Hz in steps of 0.1 Hz (the training band,
  or experiment 1's single frequency, marked in the figures);
* the per-point MSE at each step of the horizon, on the experiment's training distribution;
* the summed loss against Gaussian noise added to the input (``evaluation.NOISE_LEVELS``).

The networks and the four baselines (``sinelib.BASELINES``; the linear one fitted on the
experiment's own training distribution) go through the same evaluation functions. Beside
the experiment whose study says so (experiment 3) the autoregressive network
(``sinelib.study.autoregressive``) is measured too.

Measuring everything takes minutes, so ``python -m sinelib atlas`` (part of ``make figures``)
writes the numbers to ``sinelib/pretrained/atlas.json``; the figures and the atlas notebook
read that file, and a test re-measures a slice of it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sinelib.baselines import BASELINES, baseline_for
from sinelib.evaluation import NOISE_LEVELS, loss_by_frequency, loss_by_horizon, loss_by_noise
from sinelib.data import RANDOM_BAND
from sinelib.experiments import EXPERIMENTS, get_experiment
from sinelib.plumbing.pretrained import PRETRAINED_DIR, load_pretrained
from sinelib.plumbing.storage import atomic_write_json
from sinelib.study.autoregressive import as_predictor, load_autoregressive
from sinelib.study.declarations import get_study

#: The shipped measurements: ``sinelib/pretrained/atlas.json`` in the installed package.
#:
#: :meta hide-value:
ATLAS_PATH = PRETRAINED_DIR / "atlas.json"
#: Bumped whenever the layout of the file changes.
ATLAS_FORMAT = 1
#: Test frequencies of the atlas: 0.1 to 8 Hz in 0.1 Hz steps.
ATLAS_FREQUENCIES: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(1, 81))
#: Windows per test frequency (fixed, seeded shifts).
FREQUENCY_SIZE = 200
#: Label of the network's curves.
NETWORK = "network"
#: Label of the rolled-forward one-step network's curves (experiment 3's panel only).
AUTOREGRESSIVE = "autoregressive"


def measure(predictor, exp, frequencies=ATLAS_FREQUENCIES, size: int = FREQUENCY_SIZE) -> dict:
    """One curve set of the atlas for a network or a baseline.

    Args:
        predictor: A model built for ``exp`` or a baseline ``predict(x, n_out)``.
        exp: The experiment (or its name).
        frequencies: Test frequencies in Hz.
        size: Windows per test frequency (the horizon and noise curves use the full
            held-out set).

    Returns:
        ``{"frequency_loss", "horizon_mse", "noise_loss"}`` as lists of floats.
    """
    return {
        "frequency_loss": loss_by_frequency(predictor, exp, frequencies, size)["loss"].tolist(),
        "horizon_mse": loss_by_horizon(predictor, exp).tolist(),
        "noise_loss": loss_by_noise(predictor, exp)["loss"].tolist(),
    }


def build_atlas(predictors: dict, progress: bool = False) -> dict:
    """Measure named predictors per experiment into the atlas layout (plain JSON data).

    Args:
        predictors: Experiment slug to a mapping of curve name to a network or baseline,
            e.g. ``{"exp3": {"network": model, "analytic": sinelib.BASELINES["analytic"]}}``.
        progress: Print one line per experiment.
    """
    atlas = {
        "format": ATLAS_FORMAT,
        "command": "python -m sinelib atlas",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "frequencies": list(ATLAS_FREQUENCIES),
        "frequency_size": FREQUENCY_SIZE,
        "sigmas": list(NOISE_LEVELS),
        "experiments": {},
    }
    for slug, named in predictors.items():
        exp = get_experiment(slug)
        atlas["experiments"][exp.slug] = {
            "n_in": exp.n_in, "n_out": exp.n_out,
            "band": [exp.frequency, exp.frequency] if exp.frequency else list(RANDOM_BAND),
            "curves": {name: measure(predictor, exp) for name, predictor in named.items()},
        }
        if progress:
            print(f"atlas: {exp.slug} measured", flush=True)
    return atlas


def compute_atlas(experiments=None, progress: bool = True) -> dict:
    """Measure every shipped network and every baseline (see the module docstring).

    Args:
        experiments: Slugs to measure (default: every experiment).
        progress: Print one line per experiment.

    Returns:
        The atlas as plain JSON data.
    """
    slugs = list(EXPERIMENTS) if experiments is None else \
        [get_experiment(name).slug for name in experiments]
    predictors = {}
    for slug in slugs:
        predictors[slug] = {NETWORK: load_pretrained(slug)}
        predictors[slug].update({name: baseline_for(name, slug) for name in BASELINES})
        if get_study(slug).autoregressive:
            predictors[slug][AUTOREGRESSIVE] = as_predictor(load_autoregressive())
    return build_atlas(predictors, progress)


def write_atlas(path: str | Path = ATLAS_PATH, experiments=None, progress: bool = True) -> Path:
    """Measure the atlas and write it as JSON (atomically)."""
    return atomic_write_json(Path(path), compute_atlas(experiments, progress))


def load_atlas(path: str | Path = ATLAS_PATH) -> dict:
    """Read the shipped atlas.

    Raises:
        FileNotFoundError: no atlas at ``path`` (make it with ``python -m sinelib atlas``).
        ValueError: a file of another format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no atlas at {path}; measure it with: python -m sinelib atlas")
    atlas = json.loads(path.read_text(encoding="utf-8"))
    if atlas.get("format") != ATLAS_FORMAT:
        raise ValueError(f"{path} has atlas format {atlas.get('format')!r}, expected "
                         f"{ATLAS_FORMAT}; remeasure with python -m sinelib atlas")
    return atlas


def curve(atlas: dict, slug: str, name: str, view: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` arrays of one curve: ``view`` is "frequency", "horizon" or "noise"."""
    entry = atlas["experiments"][slug]
    if view == "frequency":
        return np.array(atlas["frequencies"]), np.array(entry["curves"][name]["frequency_loss"])
    if view == "horizon":
        y = np.array(entry["curves"][name]["horizon_mse"])
        return np.arange(1, len(y) + 1), y
    if view == "noise":
        return np.array(atlas["sigmas"]), np.array(entry["curves"][name]["noise_loss"])
    raise ValueError(f"view must be 'frequency', 'horizon' or 'noise', got {view!r}")


def heldout(atlas: dict, slug: str, name: str) -> float:
    """The held-out summed loss of one predictor on its experiment's own held-out set: the sum
    of its per-step errors over the horizon."""
    return float(sum(atlas["experiments"][slug]["curves"][name]["horizon_mse"]))


def generalisation_band(atlas: dict, slug: str, name: str = NETWORK,
                        factor: float = 10.0) -> dict:
    """How far beyond its training band a predictor's error stays near its in-band level.

    Returns:
        ``{"median", "low", "high"}``: the median loss over the training band (experiment 1:
        at its training frequency), and the ends of the contiguous run of test frequencies
        around the band where the loss is within ``factor`` times that median.
    """
    frequencies, loss = curve(atlas, slug, name, "frequency")
    low, high = atlas["experiments"][slug]["band"]
    inside = np.isclose(frequencies, low) if low == high else \
        (frequencies >= low) & (frequencies <= high)
    median = float(np.median(loss[inside]))
    good = loss <= factor * median
    first = last = int(np.flatnonzero(inside)[0])
    while first > 0 and good[first - 1]:
        first -= 1
    while last < len(frequencies) - 1 and good[last + 1]:
        last += 1
    return {"median": median, "low": float(frequencies[first]),
            "high": float(frequencies[last])}


def noise_crossing(atlas: dict, slug: str, name: str = NETWORK,
                   against: str = "analytic") -> tuple[float | None, bool]:
    """The smallest input noise σ at which ``name`` beats ``against``.

    Returns:
        ``(sigma, throughout)``: ``sigma`` is ``None`` when it never does; ``throughout``
        says whether it also does at every larger σ measured.
    """
    sigmas, mine = curve(atlas, slug, name, "noise")
    _, theirs = curve(atlas, slug, against, "noise")
    better = mine < theirs
    if not better.any():
        return None, False
    first = int(np.argmax(better))
    return float(sigmas[first]), bool(better[first:].all())
