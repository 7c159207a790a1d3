"""sinelib: the seed's TensorFlow 1 LSTM sine experiments, reproduced in TensorFlow 2 / Keras 3.

Units follow the seed: budgets in **examples** (its "iterations"; one Adam step uses 50), and
the **seed loss**, the squared error summed over the predicted samples and averaged over the
batch (per-point MSE = seed loss / horizon).
"""

from sinelib.baselines import BASELINES
from sinelib.data import NYQUIST, SAMPLING_RATE, heldout_windows, sample_windows
from sinelib.evaluation import evaluate
from sinelib.experiments import EXPERIMENTS, Experiment, OriginalReport, get_experiment
from sinelib.losses import per_point_mse, summed_loss
from sinelib.models import build_model, count_parameters, predict
from sinelib.plots import plot_predictions, plot_windows
from sinelib.pretrained import load_manifest, load_pretrained, save_pretrained
from sinelib.training import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "BASELINES", "EXPERIMENTS", "Experiment", "NYQUIST", "SAMPLING_RATE", "OriginalReport", "TrainResult",
    "build_model", "count_parameters", "evaluate", "get_experiment", "heldout_windows",
    "load_manifest", "load_pretrained", "per_point_mse", "plot_predictions", "plot_windows",
    "predict",
    "sample_windows", "save_pretrained", "summed_loss", "train",
]
