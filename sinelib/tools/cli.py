"""The command line, ``python -m sinelib``: parses arguments and calls the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sinelib.evaluation import evaluate
from sinelib.experiments import EXPERIMENTS, get_experiment
from sinelib.plumbing.history import history_to_csv
from sinelib.models import weights_finite
from sinelib.plumbing.pretrained import (
    PRETRAINED_DIR, load_manifest, load_pretrained, recorded_variant, save_pretrained,
)
from sinelib.schedules import STOP_DIVERGED, STOP_INTERRUPTED
from sinelib.study.atlas import ATLAS_PATH, write_atlas
from sinelib.study.autoregressive import AR_DIR, ar_experiment
from sinelib.study.controls import CONTROLS_DIR, control_names, get_control, train_control
from sinelib.study.figures import updated_documents, write_figures
from sinelib.study.records import all_seed_spreads, all_tf1_spreads
from sinelib.study.tables import experiment_rows, ledger_rows, metrics_rows
from sinelib.plumbing.tables import to_markdown, to_text
from sinelib.training import train


def metrics_table(metrics: dict, n_out: int) -> str:
    """Held-out metrics as a text table, with the set sizes."""
    return (to_text(metrics_rows(metrics))
            + f"\n({metrics['size']} windows per set; horizon {n_out} samples)")


#: Exit statuses of a training command, like a shell's: 130 after Ctrl-C (the checkpoint is
#: kept), 1 when the loss diverged; 0 for every other stop reason.
EXIT_CODES = {STOP_INTERRUPTED: 130, STOP_DIVERGED: 1}


def _train_and_save(exp, seed, steps, run_dir, resume, destination, progress=True,
                    checkpoint_every=1000, variant=None):
    """Train, then save weights, manifest and history; ``variant`` (a manifest's
    ``step_variant``) repeats how an earlier run was stepped, ``None`` follows the plan."""
    variant = variant or {}
    result = train(exp, seed=seed, steps=steps, out_dir=run_dir, resume=resume,
                   progress=progress, checkpoint_every=checkpoint_every,
                   unroll=variant.get("unroll"), jit_compile=variant.get("jit_compile"))
    print(f"{exp.slug}: stopped by '{result.stop_reason}' after {result.steps} steps "
          f"({result.examples} examples) in {result.elapsed_s:.1f} s")
    if not weights_finite(result.model):
        # Diverged before its first checkpoint: there are no good weights to keep.
        print(f"{exp.slug}: the weights are not finite; nothing saved", file=sys.stderr)
        return result
    path = save_pretrained(result.model, exp, destination, metrics=result.metrics,
                           run=result.summary(), history_csv=history_to_csv(result.history))
    print(metrics_table(result.metrics, exp.n_out))
    print(f"weights and manifest: {path}")
    return result


def _cmd_list(args) -> int:
    print(to_text(experiment_rows()))
    return 0


def _cmd_train(args) -> int:
    exp = get_experiment(args.name)
    out = Path(args.out) if args.out else Path("runs") / f"{exp.slug}-seed{args.seed}"
    result = _train_and_save(exp, args.seed, args.steps, out, args.resume, out,
                             progress=not args.no_progress,
                             checkpoint_every=args.checkpoint_every)
    return EXIT_CODES.get(result.stop_reason, 0)


def _cmd_evaluate(args) -> int:

    exp = get_experiment(args.name)
    manifest = load_manifest(exp, args.weights)
    model = load_pretrained(exp, args.weights)
    run = manifest.get("run") or {}
    print(f"{exp.slug}: trained {run.get('steps', '?')} steps ({run.get('examples', '?')} "
          f"examples), stopped by '{run.get('stop_reason', '?')}', seed {run.get('seed', '?')}")
    print(metrics_table(evaluate(model, exp), exp.n_out))
    return 0


def _cmd_ledger(args) -> int:

    manifests = {}
    for slug in EXPERIMENTS:
        try:
            manifests[slug] = load_manifest(slug, args.weights)
        except FileNotFoundError:
            continue
    if not manifests:
        raise FileNotFoundError("no pretrained manifests found; run python -m sinelib reproduce")
    # The spreads over seeds are the shipped runs': shown beside the shipped weights only.
    shipped = args.weights is None
    rows = ledger_rows(manifests, all_seed_spreads() if shipped else None,
                       all_tf1_spreads() if shipped else None)
    print(to_markdown(rows) if args.markdown else to_text(rows))
    return 0


def _cmd_reproduce(args) -> int:

    if args.all and args.names:
        raise ValueError("give experiment names or --all, not both")
    if not args.all and not args.names:
        raise ValueError("name the experiments to reproduce, or pass --all")
    if args.all:
        experiments = list(EXPERIMENTS.values())
    else:
        experiments = [get_experiment(name) for name in args.names]
    destination = Path(args.dest) if args.dest else PRETRAINED_DIR
    failed = []
    for exp in experiments:
        run_dir = Path(args.runs) / f"{exp.slug}-seed{args.seed}"
        # The variant the shipped run recorded: the same numbers on a machine that computes alike.
        result = _train_and_save(exp, args.seed, None, run_dir, True, destination,
                                 progress=not args.no_progress,
                                 variant=recorded_variant(exp, destination))
        if result.stop_reason in EXIT_CODES:
            failed.append(exp.slug)
    if failed:
        print(f"not reproduced: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_control(args) -> int:

    if args.all or args.spread:
        if args.names:
            print("give control names or --all / --spread, not both", file=sys.stderr)
            return 2
        names = control_names(spread=args.spread)
    elif args.names:
        names = args.names
    else:
        print("name a control, or give --all or --spread", file=sys.stderr)
        return 2
    names = [get_control(name).name for name in names]  # unknown names fail before training
    if args.list:
        print("\n".join(names))
        return 0
    for name in names:
        manifest = train_control(name, runs=args.runs,
                               directory=args.dest or CONTROLS_DIR, progress=not args.no_progress)
        run = manifest["run"]
        print(f"{name}: stopped by '{run['stop_reason']}' after {run['steps']} steps "
              f"({run['examples']} examples) in {run['elapsed_s']:.1f} s")
        print(metrics_table(manifest["metrics"], manifest["config"]["n_out"]))
        status = EXIT_CODES.get(run["stop_reason"], 0)
        if status:
            return status
    return 0


def _cmd_autoregressive(args) -> int:

    exp = ar_experiment()
    result = _train_and_save(exp, args.seed, None, Path(args.runs) / f"{exp.slug}-seed{args.seed}",
                             True, Path(args.dest) if args.dest else AR_DIR,
                             progress=not args.no_progress)
    return EXIT_CODES.get(result.stop_reason, 0)


def _cmd_atlas(args) -> int:

    print(write_atlas(args.out or ATLAS_PATH, args.names or None))
    return 0


def _cmd_figures(args) -> int:

    for path in write_figures(args.out, args.names or None):
        print(path)
    return 0


def _cmd_readme(args) -> int:
    stale = []
    for path, (text, updated) in updated_documents(Path(args.root)).items():
        if updated == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.write_text(updated, encoding="utf-8")
            print(f"{path}: generated blocks updated")
    if stale:
        print(f"{', '.join(stale)}: generated blocks are out of date; run python -m sinelib "
              f"readme", file=sys.stderr)
        return 1
    return 0


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that trains full runs shares."""
    parser.add_argument("--runs", default="runs", help="folder of checkpoints (resumed when "
                                                       "present)")
    parser.add_argument("--no-progress", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sinelib``."""
    parser = argparse.ArgumentParser(
        prog="python -m sinelib",
        description="The original's LSTM sine experiments in TensorFlow 2 / Keras 3. Budgets are "
                    "in examples (an Adam step takes one batch of the experiment's batch size: "
                    "python -m sinelib list); losses are summed losses (squared error summed "
                    "over the horizon, mean over the batch), the original's unit.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="list the experiments").set_defaults(run=_cmd_list)

    train = commands.add_parser("train", help="train one experiment")
    train.add_argument("name", help="experiment slug or id, e.g. exp3 or 3.1")
    train.add_argument("--steps", type=int, help="stop after N Adam steps instead of the "
                                                  "original's rule")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", help="run folder (default runs/<slug>-seed<S>)")
    train.add_argument("--resume", action="store_true", help="continue from the run folder's "
                                                              "checkpoint")
    train.add_argument("--checkpoint-every", type=int, default=1000, metavar="N",
                       help="write a checkpoint every N steps (on the 100-step displays; "
                            "default 1000)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="evaluate pretrained weights")
    evaluate.add_argument("name")
    evaluate.add_argument("--weights", help="folder of <slug>.json and <slug>.weights.npz "
                                            "(default: the shipped weights)")
    evaluate.set_defaults(run=_cmd_evaluate)

    ledger = commands.add_parser("ledger", help="the original's numbers beside the pretrained "
                                                "models' measured ones")
    ledger.add_argument("--weights", help="folder of manifests (default: the shipped weights)")
    ledger.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ledger.set_defaults(run=_cmd_ledger)

    reproduce = commands.add_parser(
        "reproduce", help="train experiments at their full budgets and write the "
                          "shipped weights, manifests and histories")
    reproduce.add_argument("names", nargs="*")
    reproduce.add_argument("--all", action="store_true")
    reproduce.add_argument("--seed", type=int, default=0)
    reproduce.add_argument("--dest", help="where weights go (default: the package's shipped "
                                          "weights)")
    _add_run_options(reproduce)
    reproduce.set_defaults(run=_cmd_reproduce)

    control = commands.add_parser(
        "control", help="train a control run (an experiment with one setting changed) and "
                        "write its history and manifest, without weights")
    control.add_argument("names", nargs="*", metavar="name",
                         help="control names, e.g. exp4-noclip or exp5-1-seed1")
    which = control.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true",
                       help="every declared control at the shipped seed 0 (the seed spreads "
                            "are --spread)")
    which.add_argument("--spread", action="store_true",
                       help="every run of the seed spreads each study declares (--spread --list "
                            "names them)")
    control.add_argument("--list", action="store_true",
                         help="print the names instead of training them")
    control.add_argument("--dest", help="where history and manifest go (default: "
                                        "sinelib/pretrained/controls)")
    _add_run_options(control)
    control.set_defaults(run=_cmd_control)

    autoregressive = commands.add_parser(
        "autoregressive", help="train the one-step network that is rolled forward (experiment "
                               "3's, at its budget) and write its weights")
    autoregressive.add_argument("--seed", type=int, default=0)
    autoregressive.add_argument("--dest", help="where weights go (default: "
                                               "sinelib/pretrained/autoregressive)")
    _add_run_options(autoregressive)
    autoregressive.set_defaults(run=_cmd_autoregressive)

    atlas = commands.add_parser("atlas", help="measure every shipped network and baseline "
                                              "against frequency, horizon step and input noise "
                                              "(the generalisation atlas; minutes)")
    atlas.add_argument("names", nargs="*", help="experiments (default: all)")
    atlas.add_argument("--out", help="JSON file (default: sinelib/pretrained/atlas.json)")
    atlas.set_defaults(run=_cmd_atlas)

    figures = commands.add_parser("figures", help="redraw the README's figures from the "
                                                  "shipped weights, histories and controls")
    figures.add_argument("names", nargs="*", help="file names to draw (default: all)")
    figures.add_argument("--out", default="figures", help="destination folder")
    figures.set_defaults(run=_cmd_figures)

    readme = commands.add_parser("readme", help="rewrite the generated blocks of the README and "
                                                "docs/results.md (the registry, the course, "
                                                "the ledger, the original's numbers, claims)")
    readme.add_argument("--root", default=".", help="the repository (default: here)")
    readme.add_argument("--check", action="store_true", help="exit 1 if a block is out of "
                                                             "date, change nothing")
    readme.set_defaults(run=_cmd_readme)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as error:  # OSError includes FileNotFoundError
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside the training loop, which handles its own
        print("interrupted", file=sys.stderr)
        return 130
