"""Notebook 07 (experiment 4, gradient clipping): what clipping does to the gradient, and the
exercise's checks.

Experiment 4 clips every gradient element to [-0.5, 0.5] before Adam (``tf.clip_by_value``;
Keras' ``clipvalue``). This module measures what that clip changes on real minibatches:

* ``gradient_rows`` and ``clipping_during_training``: the size of the gradient's elements,
  the share the clip changes (overall and per weight matrix), and how far the clipped
  gradient's direction, and the direction of the Adam update made from it, turn away from the
  unclipped one (cosines);
* ``adam_directions``: Adam's update written out in NumPy, to see why a clip that scales the
  whole gradient hardly changes Adam's step while one that cuts single elements can;
* ``adam_cosines``: along experiment 4's own first steps, how far Adam's update turns under
  any clipping function, for the exercise that sets clipping by norm beside clipping by value;
* ``check_clip_by_global_norm``: the check of the learner's norm clipping.
"""

from __future__ import annotations

import numpy as np

from sinelib.plumbing import backend
from sinelib.data import training_batch
from sinelib.exercises.feedback import Feedback, compare_arrays
from sinelib.experiments import Experiment, get_experiment
from sinelib.losses import summed_loss_tensor
from sinelib.models import build_model
from sinelib.training import ADAM_EPSILON, make_optimizer

#: Adam's decay rates (TF1's and Keras' defaults).
ADAM_BETAS = (0.9, 0.999)


def clip_by_value(gradients, limit: float = 0.5) -> list[np.ndarray]:
    """Experiment 4's clip: every element of every gradient into ``[-limit, limit]``."""
    return [np.clip(np.asarray(g, dtype=float), -limit, limit) for g in gradients]


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])


def cosine(a, b) -> float:
    """The cosine of the angle between two lists of arrays, each taken as one long vector."""
    a, b = _flat(a), _flat(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _gradient_function(model):
    tf = backend.tensorflow()
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def gradients(x, y):
        with tf.GradientTape() as tape:
            loss = summed_loss_tensor(y, model(x, training=True))
        return loss, tape.gradient(loss, variables)

    return gradients


def _short_name(variable) -> str:
    """``exp4/lstm_0/lstm_cell/recurrent_kernel`` -> ``lstm_0 recurrent_kernel``,
    ``exp4/readout/bias`` -> ``readout bias``."""
    parts = variable.path.split("/")[1:] or [variable.path]
    return " ".join(part for part in parts if not part.endswith("_cell"))


def gradient_row(gradients, names, limit: float = 0.5) -> dict:
    """What clipping at ``limit`` does to one minibatch's gradient.

    Returns:
        ``{"norm", "median", "p99", "max"}`` of the elements' sizes ``|g|``, ``"clipped"``
        (the share of elements the clip changes), ``"clipped_by"`` (that share per weight
        matrix, by name) and ``"cosine"`` (between the clipped and the unclipped gradient).
    """
    gradients = [np.asarray(g, dtype=float) for g in gradients]
    sizes = np.abs(_flat(gradients))
    return {"norm": float(np.linalg.norm(sizes)), "median": float(np.median(sizes)),
            "p99": float(np.quantile(sizes, 0.99)), "max": float(sizes.max()),
            "clipped": float((sizes > limit).mean()),
            "clipped_by": {name: float((np.abs(g) > limit).mean())
                           for name, g in zip(names, gradients)},
            "cosine": cosine(clip_by_value(gradients, limit), gradients)}


def gradient_rows(model, exp: Experiment | str, steps, seed: int = 0,
                  limit: float | None = None) -> list[dict]:
    """``gradient_row`` on the training minibatches of the given steps, weights unchanged.

    Args:
        model: A model of ``exp`` (e.g. the shipped, trained one).
        exp: The experiment; its ``clip_value`` is the clip unless ``limit`` is given.
        steps: Steps of a run seeded ``seed`` whose minibatches to use.
        seed: The run's seed.
        limit: The clip (default: ``exp.clip_value``).

    Returns:
        One ``gradient_row`` per step, with ``"step"`` and ``"loss"`` (the summed loss).
    """
    exp = get_experiment(exp)
    limit = exp.clip_value if limit is None else limit
    gradients = _gradient_function(model)
    names = [_short_name(v) for v in model.trainable_variables]
    rows = []
    for step in steps:
        x, y = training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)
        loss, g = gradients(x, y)
        rows.append({"step": step, "loss": float(loss),
                     **gradient_row([t.numpy() for t in g], names, limit)})
    return rows


class AdamState:
    """Adam's two running averages in NumPy, to compute the update a gradient would make."""

    def __init__(self, shapes):
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.t = 0

    def update(self, gradients, learning_rate: float = 1.0) -> list[np.ndarray]:
        """Fold in one gradient; return the step Adam takes (to subtract from the weights)."""
        beta1, beta2 = ADAM_BETAS
        self.t += 1
        steps = []
        for i, g in enumerate(gradients):
            g = np.asarray(g, dtype=float)
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g ** 2
            m_hat = self.m[i] / (1 - beta1 ** self.t)
            v_hat = self.v[i] / (1 - beta2 ** self.t)
            steps.append(learning_rate * m_hat / (np.sqrt(v_hat) + ADAM_EPSILON))
        return steps


def adam_directions(gradient_sequence, transform) -> list[float]:
    """The cosine, step by step, between Adam's update fed the gradients as they are and Adam's
    update fed ``transform(gradients)``, along the same sequence of gradients.

    Args:
        gradient_sequence: Gradients (each a list of arrays), one per step.
        transform: A function list of arrays -> list of arrays (a clip).
    """
    sequence = [[np.asarray(g, dtype=float) for g in gradients]
                for gradients in gradient_sequence]
    plain = AdamState([g.shape for g in sequence[0]])
    changed = AdamState([g.shape for g in sequence[0]])
    return [cosine(plain.update(g), changed.update(transform(g))) for g in sequence]


def _start_of_training(exp: Experiment, steps: int, seed: int):
    """The first ``steps + 1`` gradients of ``exp``'s run at ``seed``, as that run began: its
    seeded initial weights, its minibatches and its own optimizer (its clipping included).

    Returns:
        ``(names, shapes, gradients)``: the weight matrices' short names and shapes, and an
        iterator of ``(step, summed loss, unclipped gradient as float64 arrays)``; each step's
        update is applied once the next item is asked for.
    """
    tf = backend.tensorflow()
    model = build_model(exp, seed=seed, unroll=True)
    optimizer = make_optimizer(exp, model)
    variables = model.trainable_variables
    gradients = _gradient_function(model)

    def steps_taken():
        for step in range(steps + 1):
            x, y = training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out,
                                  exp.frequency)
            loss, g = gradients(x, y)
            g = [t.numpy().astype(float) for t in g]
            yield step, float(loss), g
            optimizer.apply_gradients(zip([tf.constant(t, tf.float32) for t in g], variables))

    return ([_short_name(v) for v in variables], [tuple(v.shape) for v in variables],
            steps_taken())


def clipping_during_training(exp: Experiment | str = "exp4", steps: int = 50,
                             record=(0, 1, 2, 5, 10, 20, 50), seed: int = 0) -> list[dict]:
    """Train ``exp`` (with its own clipping) for ``steps`` steps from its seeded initial
    weights, measuring at the steps in ``record`` what the clip does.

    Besides ``gradient_rows``' columns, each row has ``"adam_cosine"``: along the same
    trajectory, Adam's update computed from the clipped gradients against Adam's update from
    the unclipped ones (two sets of running averages in NumPy). 1 means the clip leaves the
    direction of the step Adam takes unchanged.
    """
    exp = get_experiment(exp)
    limit = exp.clip_value if exp.clip_value is not None else 0.5
    steps = max(record) if steps is None else steps
    names, shapes, trajectory = _start_of_training(exp, steps, seed)
    plain, clipped = AdamState(shapes), AdamState(shapes)
    rows = []
    for step, loss, g in trajectory:
        adam = cosine(plain.update(g), clipped.update(clip_by_value(g, limit)))
        if step in record:
            rows.append({"step": step, "loss": loss, **gradient_row(g, names, limit),
                         "adam_cosine": adam})
    return rows


def adam_cosines(clips, exp: Experiment | str = "exp4", steps: int = 50, seed: int = 0,
                 n_hidden: int | None = None) -> dict[str, np.ndarray]:
    """How far each clip turns Adam's update, step by step, along the start of ``exp``'s run.

    The run trains as it began (``clipping_during_training``'s trajectory: its own optimizer
    and clipping). At every step, each clip's gradients feed Adam's running averages of their
    own (``AdamState``), the unclipped gradients another; the cosine between the two updates
    is 1 where the clip leaves the direction of Adam's step unchanged.

    Args:
        clips: Mapping of a name to a function list of arrays -> list of arrays (e.g.
            ``clip_by_value``, or the learner's ``clip_by_global_norm`` with a norm).
        exp: The experiment.
        steps: Steps to train; the cosines are measured at steps 0 to ``steps``.
        seed: Seed of the initial weights and the minibatches.
        n_hidden: Units, to run a smaller variant (default: the experiment's own).

    Returns:
        Name to ``(steps + 1,)`` array of cosines, step 0 first.
    """
    exp = get_experiment(exp)
    if n_hidden is not None:
        exp = exp.replace(n_hidden=n_hidden)
    clips = dict(clips)
    if not clips or not all(callable(clip) for clip in clips.values()):
        raise ValueError("clips must map names to functions list of arrays -> list of arrays")
    _, shapes, trajectory = _start_of_training(exp, steps, seed)
    plain = AdamState(shapes)
    states = {name: AdamState(shapes) for name in clips}
    cosines = {name: [] for name in clips}
    for _, _, g in trajectory:
        update = plain.update(g)
        for name, clip in clips.items():
            cosines[name].append(cosine(update, states[name].update(clip(g))))
    return {name: np.array(values) for name, values in cosines.items()}


def clipping_table(rows: list[dict]) -> list[list[str]]:
    """``gradient_rows`` / ``clipping_during_training`` as a table (header row first); rows of
    both may be mixed, a row without Adam's cosine shows "-" in that column."""
    adam = any("adam_cosine" in row for row in rows)
    header = ["step", "loss", "gradient norm", "median abs(g)", "99th percentile", "largest",
              "share clipped", "cosine clipped / unclipped gradient"]
    table = [header + (["cosine of Adam's updates"] if adam else [])]
    for row in rows:
        line = [str(row["step"]), f"{row['loss']:.3g}", f"{row['norm']:.3g}",
                f"{row['median']:.2g}", f"{row['p99']:.2g}", f"{row['max']:.3g}",
                f"{row['clipped']:.2%}", f"{row['cosine']:.2f}"]
        if adam:
            line.append(f"{row['adam_cosine']:.4f}" if "adam_cosine" in row else "-")
        table.append(line)
    return table


def clipped_by_table(rows: list[dict]) -> list[list[str]]:
    """The share of each weight matrix's gradient elements that the clip changes, one row per
    weight matrix, one column per measured step."""
    names = list(rows[0]["clipped_by"])
    table = [["weight matrix"] + [f"step {row['step']}" for row in rows]]
    for name in names:
        table.append([name] + [f"{row['clipped_by'][name]:.1%}" for row in rows])
    return table


def reference_clip_by_global_norm(gradients, max_norm: float) -> list[np.ndarray]:
    """The right answer: ``tf.clip_by_global_norm`` in NumPy."""
    gradients = [np.asarray(g, dtype=float) for g in gradients]
    norm = np.sqrt(sum(float((g ** 2).sum()) for g in gradients))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in gradients]


def _cases():
    rng = np.random.default_rng(4)
    big = [rng.normal(size=(3, 4)) * 5, rng.normal(size=(4,)) * 0.1]
    return [
        ("two arrays whose norm together is about 17, max_norm 1", big, 1.0),
        ("one large and one small array, max_norm 2 (a per-array clip would leave the small "
         "one alone)", [np.array([[3.0, 4.0]]), np.array([0.3, 0.4])], 2.0),
        ("arrays whose norm together (about 0.5) is below max_norm 1: nothing to clip",
         [np.array([0.3, -0.2]), np.array([[0.1], [0.3]])], 1.0),
        ("a single element of 10 among small ones, max_norm 5",
         [np.array([10.0, 0.1, -0.1])], 5.0),
    ]


def check_clip_by_global_norm(fn) -> Feedback:
    """Check a learner's ``fn(gradients, max_norm) -> list of arrays``: when the norm of all
    gradients together is above ``max_norm``, every array is scaled by the same factor
    ``max_norm / norm``; otherwise they come back unchanged. The direction is kept."""
    for label, gradients, max_norm in _cases():
        copies = [g.copy() for g in gradients]
        try:
            got = fn(copies, max_norm)
        except Exception as error:  # a learner's unfinished code may raise anything
            return Feedback(False, f"on {label} your function raised "
                                   f"{type(error).__name__}: {error}")
        if any(not np.array_equal(c, g) for c, g in zip(copies, gradients)):
            return Feedback(False, f"on {label} your function changed the gradients it was "
                                   f"given; return new arrays instead")
        expected = reference_clip_by_global_norm(gradients, max_norm)
        try:
            got = list(got)
        except TypeError:
            return Feedback(False, f"on {label} your function should return a list of arrays, "
                                   f"got {type(got).__name__}")
        if len(got) != len(expected):
            return Feedback(False, f"on {label} your function should return {len(expected)} "
                                   f"arrays, one per gradient, got {len(got)}")
        for index, (g, e) in enumerate(zip(got, expected)):
            result = compare_arrays(f"array {index}", g, e, rtol=1e-6, atol=1e-9)
            if not result:
                hint = ""
                try:
                    if np.allclose(np.asarray(g, float), clip_by_value([gradients[index]],
                                                                       max_norm)[0]):
                        hint = " (that is clipping by value: clip by the norm instead)"
                    elif np.allclose(np.asarray(g, float), reference_clip_by_global_norm(
                            [gradients[index]], max_norm)[0]):
                        hint = (" (each array was scaled by its own norm: scale all of them by "
                                "the norm of all the gradients together)")
                except (TypeError, ValueError):
                    pass
                return Feedback(False, f"on {label}: {result.message}{hint}")
    return Feedback(True, "clip_by_global_norm scales all gradients by one factor, "
                          "max_norm / norm, only when their norm together is above max_norm")
