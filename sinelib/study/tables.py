"""Tables of the registry and of measurements, as rows, plain text or Markdown."""

from __future__ import annotations

from collections import Counter

from sinelib.baselines import BASELINES
from sinelib.plumbing.arguments import shown
from sinelib.experiments import EXPERIMENTS, Experiment, get_experiment
from sinelib.study.analysis import best_train_loss, seed_spread, spread_text
from sinelib.study.atlas import NETWORK, curve, generalisation_band, heldout, noise_crossing
from sinelib.study.claims import judge_claims
from sinelib.study.criteria import DOES_NOT_HOLD, HOLDS, MINIBATCH_ONLY, heldout_at
from sinelib.study.declarations import get_study
from sinelib.study.records import shipped_run


def _frequency_rule(exp: Experiment) -> str:
    return f"{exp.frequency:g} Hz" if exp.frequency is not None else "U[0.5, 4) Hz"


def _learning_rate(exp: Experiment) -> str:
    rate = f"{exp.learning_rate:g}"
    if exp.decay_every_examples:
        rate += f", x{exp.decay_factor:g} every {exp.decay_every_examples} examples"
    return rate


def experiment_rows(experiments=None) -> list[list[str]]:
    """The registry in the original's units: a header row, then one row per experiment."""
    experiments = (list(EXPERIMENTS.values()) if experiments is None
                   else [get_experiment(exp) for exp in experiments])
    rows = [["slug", "id", "cells", "n_in -> n_out", "frequency", "lr",
             "budget (examples / steps)", "extra", "target", "original's loss"]]
    for exp in experiments:
        extra = ["static_rnn" if exp.static_rnn else "dynamic_rnn"]
        if exp.kind == "gru":
            extra.append("GRU")
        if exp.batch_size != 50:
            extra.append(f"batch {exp.batch_size}")
        if exp.target_loss is not None and exp.cap_examples != exp.budget_examples:
            extra.append(f"cap {exp.cap_examples} examples")
        if exp.clip_value is not None:
            extra.append(f"clip +-{exp.clip_value:g}")
        rows.append([
            exp.slug, exp.original_id, f"{exp.n_layers} x {exp.n_hidden}",
            f"{exp.n_in} -> {exp.n_out}", _frequency_rule(exp), _learning_rate(exp),
            f"{exp.budget_examples} / {exp.budget_steps}", ", ".join(extra),
            "-" if exp.target_loss is None else f"<= {exp.target_loss:g}",
            "-" if exp.reported.loss is None else f"{exp.reported.loss:g}",
        ])
    return rows


def metrics_rows(metrics: dict) -> list[list[str]]:
    """``evaluate`` output: a header row, the training distribution, then each frequency."""
    if not isinstance(metrics, dict) or not {"loss", "mse", "by_frequency"} <= set(metrics):
        raise ValueError(f"metrics must be the dict evaluate() returns (loss, mse, "
                         f"by_frequency), got {shown(metrics)}")
    rows = [["held-out set", "summed loss", "per-point MSE"],
            ["training distribution", f"{metrics['loss']:.6f}", f"{metrics['mse']:.3e}"]]
    for entry in metrics["by_frequency"]:
        rows.append([f"{entry['frequency']:g} Hz", f"{entry['loss']:.6f}", f"{entry['mse']:.3e}"])
    return rows


def ledger_rows(manifests: dict, spreads: dict | None = None,
                tf1_spreads: dict | None = None) -> list[list[str]]:
    """The original's numbers beside ours, from pretrained manifests.

    Args:
        manifests: Experiment slug to manifest (``sinelib.load_manifest``); experiments
            without one are left out.
        spreads: Experiment slug to ``analysis.seed_spread`` of the held-out loss over seeds;
            adds a column when given.
        tf1_spreads: The same for the original's TF1 graph trained on the same protocol
            (``records.all_tf1_spreads``); adds a column when given.

    Returns:
        A header row, then one row per experiment: the original's quoted (minibatch) loss, our
        held-out summed loss and per-point MSE, the summed loss at 1, 2 and 3 Hz, the examples and
        steps trained, the rule that stopped the run, and the training time.
    """
    if not hasattr(manifests, "get"):
        raise ValueError(f"manifests must map experiment slugs to manifests, got "
                         f"{shown(manifests)}")
    rows = [["experiment", "original's loss", "held-out loss", "per-point MSE", "1 Hz", "2 Hz",
             "3 Hz", "examples / steps", "stopped by", "train time"]]
    extra = []
    if spreads is not None:
        extra.append("held-out over seeds: mean ± std (min–max)")
    if tf1_spreads is not None:
        extra.append("TF1 graph, held-out over seeds")
    rows[0][3:3] = extra
    for slug, exp in EXPERIMENTS.items():
        manifest = manifests.get(slug)
        if manifest is None:
            continue
        metrics, run = manifest.get("metrics") or {}, manifest.get("run") or {}
        by_frequency = {entry["frequency"]: entry["loss"]
                        for entry in metrics.get("by_frequency", [])}
        number = lambda value, spec: "-" if value is None else format(value, spec)
        rows.append([
            f"{exp.original_id} ({slug})",
            "-" if exp.reported.loss is None else f"{exp.reported.loss:g}",
            number(metrics.get("loss"), ".4f"), number(metrics.get("mse"), ".2e"),
            *(number(by_frequency.get(f), ".4g") for f in (1.0, 2.0, 3.0)),
            f"{run.get('examples', '-')} / {run.get('steps', '-')}", run.get("stop_reason", "-"),
            "-" if run.get("elapsed_s") is None else f"{run['elapsed_s'] / 60:.1f} min",
        ])
        rows[-1][3:3] = [spread_text(table.get(slug)) for table in (spreads, tf1_spreads)
                         if table is not None]
    return rows


def quote_rows(runs=None) -> list[list[str]]:
    """Every number the original quotes beside ours, with the verdict of its claim.

    Losses as summed losses (the original's unit) and as per-point MSE (summed loss / horizon);
    budgets in examples and steps. "ours" is the held-out loss at the example count where the
    original quoted its number (or at the end of the run, when it ended earlier; a number
    quoted of the whole run, such as "never below 0.3", over the whole run up to its cap), and
    the lowest displayed minibatch loss up to there (the original's own measure).

    Args:
        runs: Mapping of slug to ``Run``; defaults to the shipped runs.

    Returns:
        A header row, then one row per quoted number (experiment 1 quotes none: its row
        carries the verdict of its picture's claims).
    """
    runs = dict(runs) if runs is not None else {slug: shipped_run(slug) for slug in EXPERIMENTS}
    rows = [["experiment", "the original quotes", "original\'s loss", "original\'s per-point MSE",
             "original\'s examples / steps", "our held-out loss", "our per-point MSE",
             "our lowest displayed loss", "our examples / steps (stopped by)", "verdict"]]
    rank = {HOLDS: 0, MINIBATCH_ONLY: 1, DOES_NOT_HOLD: 2}
    for slug, exp in EXPERIMENTS.items():
        run = runs.get(slug)
        if run is None:
            continue
        claims = judge_claims(run)
        quotes = [("picture: " + exp.reported.claim, None, claims)]
        if exp.reported.loss is not None:
            quotes = [(f"{get_study(slug).quote_label} {exp.reported.loss:g}", exp.reported.loss,
                       [c for c in claims
                        if c.quoted == exp.reported.loss and c.experiment == slug])]
        if exp.reported.best_loss is not None:
            quotes.append((f"lowest loss {exp.reported.best_loss:g}", exp.reported.best_loss,
                           [c for c in claims if c.quoted == exp.reported.best_loss]))
        # Where the original quoted its number; a claim about the whole run ("never below
        # 0.3") is measured over the whole run, up to the cap of a run with a target rule.
        examples = _quoted_within(exp)
        seed_when = (f"{examples} / {examples // exp.batch_size}" if exp.reported.examples
                     else f"<= {examples} / {examples // exp.batch_size}")
        heldout, _ = heldout_at(run, examples)
        best, _ = best_train_loss(run.history, max_examples=examples)
        for what, quoted, verdict_claims in quotes:
            verdict = max((claim.verdict for claim in verdict_claims), key=rank.get)
            rows.append([
                f"{exp.original_id} ({slug})", what,
                "-" if quoted is None else f"{quoted:g}",
                "-" if quoted is None else f"{quoted / exp.n_out:.2e}",
                seed_when, f"{heldout:.4f}", f"{heldout / exp.n_out:.2e}", f"{best:.4f}",
                f"{run.examples} / {run.steps} ({run.stop_reason})", verdict,
            ])
    return rows


#: The two implementations the spread table puts side by side.
PORT, TF1_GRAPH = "port (Keras 3)", "TF1 graph"


def _quoted_within(exp: Experiment) -> int:
    """The examples within which the spread table looks: where the original quoted its number,
    else the whole run (the budget, or the cap of a run with a target rule)."""
    return exp.reported.examples or exp.cap_examples


def _reaches(exp: Experiment, runs: list) -> str:
    """"held-out k/n · displayed m/n": how many runs reach the original's quoted loss within
    its examples on the held-out set, and on some displayed minibatch."""
    if exp.reported.loss is None:
        return "-"
    examples = _quoted_within(exp)
    heldout = sum(heldout_at(run, examples)[0] <= exp.reported.loss for run in runs)
    displayed = sum(best_train_loss(run.history, max_examples=examples)[0] <= exp.reported.loss
                    for run in runs)
    return f"{heldout}/{len(runs)} · {displayed}/{len(runs)}"


def spread_rows(runs_by_experiment: dict, tf1_by_experiment: dict | None = None
                ) -> list[list[str]]:
    """Each experiment's held-out loss over seeds, beside the original's single number; with
    ``tf1_by_experiment``, the original's TF1 graph trained on the same protocol beside it.

    Args:
        runs_by_experiment: Slug to the port's runs, seed 0 first (``records.seed_runs``).
        tf1_by_experiment: Slug to the TF1 graph's runs (``records.tf1_runs``); experiments
            without any get no graph row.

    Returns:
        A header row, then one row per experiment and implementation: the original's number,
        the seeds trained, mean ± sample standard deviation, min–max, every seed's held-out
        loss, the lowest displayed minibatch loss of any seed, how many seeds reach the
        original's number (held-out, and on a displayed minibatch), and how many runs stopped by
        which rule. "Lowest" and "reach" look within the examples where the original quoted its
        number, else over the whole run.
    """
    rows = [["experiment", "implementation", "original's loss", "seeds", "held-out mean ± std",
             "min–max", "per seed (0, 1, ...)", "lowest displayed",
             "reach the original's loss: held-out · displayed", "stopped by"]]
    tf1_by_experiment = tf1_by_experiment or {}
    for slug, port_runs in runs_by_experiment.items():
        exp = get_experiment(slug)
        examples = _quoted_within(exp)
        for implementation, runs in ((PORT, port_runs), (TF1_GRAPH, tf1_by_experiment.get(slug))):
            if not runs:
                continue
            losses = [run.metrics["loss"] for run in runs]
            spread = seed_spread(losses)
            std = "-" if spread["n"] == 1 else f"{spread['std']:.2g}"
            reasons = Counter(run.stop_reason for run in runs)
            lowest = min(best_train_loss(run.history, max_examples=examples)[0] for run in runs)
            rows.append([
                f"{exp.original_id} ({slug})", implementation,
                "-" if exp.reported.loss is None else f"{exp.reported.loss:g}",
                ", ".join(str(run.seed) for run in runs), f"{spread['mean']:.3g} ± {std}",
                f"{spread['min']:.3g}–{spread['max']:.3g}",
                ", ".join(f"{loss:.3g}" for loss in losses), f"{lowest:.3g}",
                _reaches(exp, runs),
                ", ".join(f"{reason} x{count}" for reason, count in reasons.items()),
            ])
    return rows


def baseline_rows(atlas: dict) -> list[list[str]]:
    """Every network beside the baselines on its own held-out set, from the atlas.

    The held-out summed loss is the sum of the atlas' per-step errors over the horizon (the
    same 1000 windows as the ledger's).

    Returns:
        A header row, then one row per experiment: the network, each baseline, and the
        network's loss over the linear map's.
    """
    names = ["network", *BASELINES]
    rows = [["experiment", *names, "network / linear"]]
    for slug in atlas["experiments"]:
        losses = {name: heldout(atlas, slug, name) for name in names}
        rows.append([f"{get_experiment(slug).original_id} ({slug})",
                     *(f"{losses[name]:.3g}" for name in names),
                     f"{losses['network'] / losses['linear']:.2g}"])
    return rows


def horizon_rows(atlas: dict, slug: str, names, steps=(1, 5, 10, 25, 50)) -> list[list[str]]:
    """Per-point MSE of named curves at chosen horizon steps, and their sum (the summed loss)."""
    steps = [step for step in steps if step <= atlas["experiments"][slug]["n_out"]]
    rows = [["predictor", *(f"step {step}" for step in steps), "summed loss (sum)"]]
    for name in names:
        _, mse = curve(atlas, slug, name, "horizon")
        rows.append([name, *(f"{mse[step - 1]:.3g}" for step in steps), f"{mse.sum():.3g}"])
    return rows


def generalisation_rows(atlas: dict) -> list[list[str]]:
    """Each network's reach beyond its training band, and where it beats the analytic rule
    under input noise (``atlas.generalisation_band``, ``atlas.noise_crossing``)."""
    rows = [["experiment", "band [Hz]", "median in band", "within 10x of it [Hz]",
             "at 0.1 Hz", "at 8 Hz", "beats the analytic rule from noise σ"]]
    for slug, entry in atlas["experiments"].items():
        low, high = entry["band"]
        reach = generalisation_band(atlas, slug)
        _, loss = curve(atlas, slug, NETWORK, "frequency")
        sigma, throughout = noise_crossing(atlas, slug)
        rows.append([
            f"{get_experiment(slug).original_id} ({slug})",
            f"{low:g}" if low == high else f"{low:g}-{high:g}", f"{reach['median']:.3g}",
            f"{reach['low']:.1f}-{reach['high']:.1f}", f"{loss[0]:.3g}", f"{loss[-1]:.3g}",
            "never" if sigma is None else
            f"{sigma:g}" + ("" if throughout else " (not at every level above)"),
        ])
    return rows
