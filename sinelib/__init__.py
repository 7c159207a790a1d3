"""sinelib: the original's TF1 LSTM sine experiments, reproduced in TensorFlow 2 / Keras 3.

The package has four parts (the README's Layout section lists every module):

* the core, ``sinelib`` itself, is what a learner reads, in the course's order: the registry
  (``experiments``), the sine windows (``data``), the loss (``losses``), the networks
  (``models``), the learning-rate and stopping rules (``schedules``), the training loop and
  its ``Run`` (``training``), ``evaluation``, ``baselines``, the cells written out and what is
  inside a trained network (``cells``, ``internals``) and the plots of one experiment
  (``plots``). What the core stands on and a learner need not open (argument checks, files,
  the run folder, the shipped weights, how the step runs) is ``sinelib.plumbing``.
  ``import sinelib`` loads the core only, and the core imports none of the parts below;
* ``sinelib.exercises`` holds the ``check_...`` helpers of the notebooks' exercises;
* ``sinelib.study`` judges the original's claims and goes beyond them (claims, controls, the
  seed spread, the atlas, the README's tables and figures), declared per experiment as data;
* ``sinelib.tools`` holds the command line (``python -m sinelib``), live training, the
  explorer and the start-up timing.

Units follow the original (``docs/original.md``): budgets in **examples** (its "iterations";
an Adam step uses ``batch_size`` of them), and the **summed loss**, the squared error summed
over the predicted samples and averaged over the batch (per-point MSE = summed loss / horizon).
"""

from sinelib.baselines import BASELINES
from sinelib.data import NYQUIST, SAMPLING_RATE, heldout_windows, sample_windows
from sinelib.evaluation import evaluate
from sinelib.experiments import EXPERIMENTS, Experiment, OriginalReport, get_experiment
from sinelib.losses import per_point_mse, summed_loss
from sinelib.models import build_model, count_parameters, predict
from sinelib.plots import plot_predictions, plot_windows
from sinelib.plumbing.pretrained import load_manifest, load_pretrained, save_pretrained
from sinelib.plumbing.tables import to_markdown
from sinelib.training import Run, train

__version__ = "0.1.0"

__all__ = [
    "BASELINES", "EXPERIMENTS", "Experiment", "NYQUIST", "OriginalReport", "Run", "SAMPLING_RATE",
    "build_model", "count_parameters", "evaluate", "get_experiment",
    "heldout_windows", "load_manifest", "load_pretrained", "per_point_mse", "plot_predictions",
    "plot_windows", "predict", "sample_windows", "save_pretrained", "summed_loss",
    "to_markdown", "train",
]
