"""How long a slider move of the generalisation explorer takes, for every shipped network.

``benchmark_latency`` times frequency-slider moves of an in-process ``Explorer`` (the window,
the prediction, the readout and the blitted frame, plus any full redraw the front end would
ask for), ``latency_markdown`` writes the result as a table, and ``python -m
benchmarks.explorer`` (``make bench-explorer``) runs both and writes
benchmarks/explorer.json and benchmarks/explorer.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from sinelib.experiments import EXPERIMENTS, get_experiment
from sinelib.models import predict
from sinelib.plumbing.pretrained import environment
from sinelib.plumbing.storage import atomic_write_json, atomic_write_text
from sinelib.plumbing.tables import to_markdown
from sinelib.tools.explorer import Explorer


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
        ``{"machine": {...}, "models": {slug: timings}}``, where ``timings`` has the keys
        ``move_ms``, ``move_p90_ms``, ``predict_ms``, ``full_redraw_ms``, ``full_redraws``
        and ``moves``: medians in milliseconds.
    """
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
        slider, move_times = explorer.inputs["frequency"], []
        for index, frequency in enumerate(sweep):
            start = time.perf_counter()
            slider.value = float(frequency)
            if explorer.needs_full_redraw:
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
    """The command line: ``[EXPERIMENT ...] [--moves N] [--json PATH] [--markdown PATH]``.

    Returns:
        The exit status: 0, or 2 after a one-line error on stderr for a bad argument.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.explorer",
        description="Time slider moves of the generalisation explorer for shipped networks.")
    parser.add_argument("experiments", nargs="*", help="experiments (default: all)")
    parser.add_argument("--moves", type=int, default=40, help="timed moves per network")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
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
                                         "(`python -m benchmarks.explorer`): " + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
