"""The original's training graph in TensorFlow 1 style: the benchmark's reference contender.

A graph and a session, placeholders fed from NumPy every step, the TF1 cells
(``BasicLSTMCell`` + ``static_rnn`` for experiments 1-4, ``LSTMCell`` + ``MultiRNNCell`` +
``dynamic_rnn`` for experiment 5, ``GRUCell`` in that stack for experiment 6), the read-out
drawn from ``N(0, 1)``, Adam on the summed loss,
and ``clip_by_value`` on every gradient for experiment 4: the original code's structure.

The TF1 cells exist only with the ``tf-keras`` package (``pip install -e ".[bench]"``) and
``TF_USE_LEGACY_KERAS=1`` set before TensorFlow is imported, which changes ``tf.keras`` for
the whole process. So this module refuses to load otherwise, and ``sinelib.tools.benchmark``
runs it in a process of its own. It feeds the same minibatches as ``sinelib.training`` (from
``sinelib.data.training_batch``) and follows the same learning-rate schedule.
"""

from __future__ import annotations

import os

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "sinelib.tools.reference_tf1 needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is "
        "imported "
        "(and the tf-keras package: pip install -e '.[bench]'); run it through "
        "`python -m sinelib.tools.benchmark`, which starts it in a process of its own"
    )

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from sinelib import schedules  # noqa: E402
from sinelib.data import training_batch  # noqa: E402
from sinelib.experiments import Experiment  # noqa: E402

v1 = tf.compat.v1


class ReferenceGraph:
    """One experiment's TF1 training graph and its session.

    ``step(x, y, learning_rate)`` runs one Adam step and returns the minibatch summed loss
    before the update, as the original's ``sess.run(optimizer, feed_dict=...)`` did.
    """

    def __init__(self, exp: Experiment, seed: int = 0, threads: int | None = None):
        self.exp = exp
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.x = v1.placeholder(tf.float32, [None, exp.n_in, 1], name="x")
            self.y = v1.placeholder(tf.float32, [None, exp.n_out], name="y")
            self.learning_rate = v1.placeholder(tf.float32, [], name="learning_rate")
            weights = tf.Variable(v1.random_normal([exp.n_hidden, exp.n_out]), name="weights")
            biases = tf.Variable(v1.random_normal([exp.n_out]), name="biases")
            if exp.static_rnn:
                cell = v1.nn.rnn_cell.BasicLSTMCell(exp.n_hidden, forget_bias=1.0)
                inputs = tf.unstack(self.x, exp.n_in, axis=1)
                outputs, _ = v1.nn.static_rnn(cell, inputs, dtype=tf.float32)
                last = outputs[-1]
            else:
                if exp.cell == "GRUCell":
                    cells = [v1.nn.rnn_cell.GRUCell(exp.n_hidden) for _ in range(exp.n_layers)]
                else:
                    cells = [v1.nn.rnn_cell.LSTMCell(exp.n_hidden, forget_bias=1.0)
                             for _ in range(exp.n_layers)]
                stack = v1.nn.rnn_cell.MultiRNNCell(cells)
                outputs, _ = v1.nn.dynamic_rnn(stack, self.x, dtype=tf.float32)
                last = outputs[:, -1, :]
            pred = tf.matmul(last, weights) + biases
            self.loss = tf.reduce_mean(tf.reduce_sum(tf.square(pred - self.y), axis=1))
            optimizer = v1.train.AdamOptimizer(learning_rate=self.learning_rate, epsilon=1e-8)
            grads_and_vars = optimizer.compute_gradients(self.loss)
            if exp.clip_value is not None:
                grads_and_vars = [(tf.clip_by_value(g, -exp.clip_value, exp.clip_value), v)
                                  for g, v in grads_and_vars]
            self.train_op = optimizer.apply_gradients(grads_and_vars)
            init = v1.global_variables_initializer()
        config = v1.ConfigProto()
        if threads is not None:
            config.intra_op_parallelism_threads = threads
            config.inter_op_parallelism_threads = threads
        self.session = v1.Session(graph=self.graph, config=config)
        self.session.run(init)

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        loss, _ = self.session.run(
            [self.loss, self.train_op],
            feed_dict={self.x: x, self.y: y, self.learning_rate: learning_rate},
        )
        return float(loss)

    def minibatch(self, seed: int, step: int):
        """The training batch of ``step``: the same one ``sinelib.train`` uses."""
        exp = self.exp
        return training_batch(seed, step, exp.batch_size, exp.n_in, exp.n_out, exp.frequency)

    def rate(self, step: int) -> float:
        return schedules.learning_rate(self.exp, step * self.exp.batch_size)

    def heldout_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(self.session.run(self.loss, feed_dict={self.x: x, self.y: y}))

    def close(self) -> None:
        self.session.close()
