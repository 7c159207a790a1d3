"""The one update the port takes beyond the original's loop, measured.

The original counts steps from 1 and trains while ``step * batch_size < training_iters``, so it
takes ``ceil(budget / batch) - 1`` updates (3999 for experiment 1's 200000 examples); the port
takes ``budget / batch`` (4000), and experiment 6's cap likewise allows 15625 where the
original's loop stops at 15624. This trains each experiment named at seed 0 to the original's
count, takes the port's one more update from the checkpoint, and writes the held-out loss after
each: what the extra update changes.

``make extra-update`` (``python benchmarks/extra_update.py exp1 exp6 --markdown
benchmarks/extra_update.md``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sinelib.experiments import get_experiment
from sinelib.plumbing.pretrained import environment
from sinelib.plumbing.storage import atomic_write_text
from sinelib.training import train


def original_updates(exp) -> int:
    """Updates the original's loop takes: step 1, 2, ... while ``step * batch < limit``, the
    limit being the budget, or the cap where the run goes on past the budget."""
    limit = exp.budget_examples if exp.target_loss is None else exp.cap_examples
    return -(-limit // exp.batch_size) - 1


def measure(exp, seed: int = 0) -> dict:
    """Held-out loss after the original's number of updates and after the port's one more."""
    count = original_updates(exp)
    with tempfile.TemporaryDirectory() as folder:
        theirs = train(exp, seed=seed, steps=count, out_dir=folder, progress=False)
        ours = train(exp, seed=seed, steps=count + 1, out_dir=folder, resume=True,
                     progress=False)
    before, after = theirs.metrics["loss"], ours.metrics["loss"]
    return {"experiment": exp.slug, "original_updates": count, "port_updates": count + 1,
            "heldout_original": before, "heldout_port": after,
            "relative_change": (after - before) / before}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--markdown", required=True)
    args = parser.parse_args(argv)
    rows = []
    for name in args.names:
        exp = get_experiment(name)
        row = measure(exp)
        rows.append(row)
        print(row, flush=True)
    machine = environment()
    lines = [
        "# The port's one extra update",
        "",
        f"`make extra-update` ({machine['cpu_count']} cores, {machine['processor']}, TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}), seed 0: the held-out summed loss "
        "(1000 windows of the training distribution) after the original's number of updates and "
        "after the port's one more, taken from the same checkpoint.",
        "",
        "| experiment | the original's updates | held-out after them | the port's updates | "
        "held-out after them | change |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['experiment']} | {row['original_updates']} | "
                     f"{row['heldout_original']:.6g} | {row['port_updates']} | "
                     f"{row['heldout_port']:.6g} | {100 * row['relative_change']:+.2g} % |")
    lines.append("")
    atomic_write_text(Path(args.markdown), "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
