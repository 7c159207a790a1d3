"""Made-up runs for the study's tests: histories written in the test, no shipped files."""

from sinelib.experiments import get_experiment
from sinelib.schedules import STOP_BUDGET
from sinelib.study.criteria import Sources
from sinelib.training import Run


def made_up_run(exp, displayed, heldout=None, final_loss=None, stop_reason=STOP_BUDGET,
                seed=0, by_frequency=None, rates=None):
    """A run of ``exp`` with one displayed loss every 100 steps.

    Args:
        exp: An experiment or its slug.
        displayed: The displayed minibatch losses, one per row.
        heldout: Row index (0-based) to held-out loss.
        final_loss: The held-out loss at the end (default the last held-out value, else 1.0).
        stop_reason: The run's stop reason.
        seed: The run's seed.
        by_frequency: Test frequency to held-out summed loss (``metrics["by_frequency"]``).
        rates: One learning rate per row (default the experiment's).
    """
    exp = get_experiment(exp) if isinstance(exp, str) else exp
    heldout = heldout or {}
    per_row = 100 * exp.batch_size
    history = [{"step": 100 * (i + 1), "examples": per_row * (i + 1),
                "learning_rate": exp.learning_rate if rates is None else rates[i],
                "train_loss": loss, "heldout_loss": heldout.get(i)}
               for i, loss in enumerate(displayed)]
    if final_loss is None:
        final_loss = heldout[max(heldout)] if heldout else 1.0
    steps = history[-1]["step"]
    metrics = {"loss": final_loss, "mse": final_loss / exp.n_out, "size": 10,
               "by_frequency": [{"frequency": f, "loss": loss, "mse": loss / exp.n_out}
                                for f, loss in (by_frequency or {}).items()]}
    return Run(exp, seed, steps, stop_reason, metrics, history, source="made up")


def made_up_sources(shipped=None, controls=None, spread=None, labels=None, tf1=None):
    """``Sources`` that look runs up in the dicts given (a missing name is a KeyError; a
    missing spread or TF1 graph is an empty list)."""
    shipped, controls, spread, labels, tf1 = (shipped or {}, controls or {}, spread or {},
                                              labels or {}, tf1 or {})
    return Sources(shipped=shipped.__getitem__, control=controls.__getitem__,
                   spread=lambda slug: list(spread.get(slug, [])),
                   label=lambda name: labels.get(name, name),
                   tf1=lambda slug: list(tf1.get(slug, [])))
