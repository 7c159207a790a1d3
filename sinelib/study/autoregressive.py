"""Autoregressive prediction: one step at a time, each prediction fed back as input.

The original's networks read the whole horizon out of the last hidden state at once (the *direct*
read-out). The classic alternative predicts one sample, appends it to the input window, and
predicts again. Here that network is experiment 3's (150 units, 25 input samples, the random
band, Adam at 0.0005) with a horizon of one sample, trained on the same number of windows
(500000 examples, 10000 steps) as experiment 3; rolled forward 50 times it predicts the same
50 samples, so the two are compared by error at each horizon step (``loss_by_horizon``).

Its weights ship in ``sinelib/pretrained/autoregressive/`` (``python -m sinelib
autoregressive`` trains them), apart from the registry's experiments.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sinelib.plumbing.arguments import require_positive_int
from sinelib.experiments import Experiment, OriginalReport, get_experiment
from sinelib.models import predict
from sinelib.plumbing.pretrained import PRETRAINED_DIR, load_pretrained
from sinelib.study.declarations import STUDIES

#: The direct experiment the autoregressive network is compared with: the one whose study
#: says so (``Study.autoregressive``; experiment 3).
AR_BASE = next(slug for slug, study in STUDIES.items() if study.autoregressive)
#: Where the autoregressive network's weights, manifest and history ship:
#: ``sinelib/pretrained/autoregressive/`` in the installed package.
#:
#: :meta hide-value:
AR_DIR = PRETRAINED_DIR / "autoregressive"


def ar_experiment(base: Experiment | str = AR_BASE) -> Experiment:
    """``base`` with a one-sample horizon: the network that is rolled forward."""
    base = get_experiment(base)
    return base.replace(
        slug=f"{base.slug}-ar", original_id=f"{base.original_id} (AR)",
        title=f"{base.title}, one step at a time",
        reported=OriginalReport(loss=None, examples=None, best_loss=None,
                        claim="beyond the original: autoregressive against direct read-out"),
    ).replace(n_out=1)


def rollout(model, x, horizon: int) -> np.ndarray:
    """Predict ``horizon`` samples by feeding each one-step prediction back.

    Args:
        model: A one-step model (``n_out = 1``) with input length ``n_in``.
        x: Input windows, shape ``(batch, n_in, 1)``.
        horizon: Samples to predict.

    Returns:
        float32 array of shape ``(batch, horizon)``.
    """
    horizon = require_positive_int("horizon", horizon)
    if model.output_shape[-1] != 1:
        raise ValueError(f"rollout needs a one-step model (n_out 1), got one predicting "
                         f"{model.output_shape[-1]} samples")
    window = np.array(x, dtype=np.float32, copy=True)
    predictions = np.empty((len(window), horizon), dtype=np.float32)
    for step in range(horizon):
        predictions[:, step] = predict(model, window)[:, 0]
        window = np.concatenate([window[:, 1:], predictions[:, step, None, None]], axis=1)
    return predictions


def as_predictor(model) -> Callable[[np.ndarray, int], np.ndarray]:
    """The rolled-forward network as ``predict(x, n_out)``, measured like a baseline."""
    def autoregressive(x, n_out: int) -> np.ndarray:
        return rollout(model, x, n_out)

    return autoregressive


def load_autoregressive(directory=None):
    """The shipped autoregressive network (``ar_experiment()``'s weights)."""
    return load_pretrained(ar_experiment(), AR_DIR if directory is None else directory)
