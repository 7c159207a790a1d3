"""TensorFlow and Keras, imported on first use, without TensorFlow's start-up lines.

TensorFlow's C++ runtime writes start-up lines to the process's stderr as it loads and runs its
first operation (oneDNN, CUDA probing, ``absl`` logging); ``TF_CPP_MIN_LOG_LEVEL`` does not
silence them all. In a notebook they appear as a pink block that reads like a failure ("CUDA
error") on every machine without a GPU. ``tensorflow()`` points file descriptor 2 at the null
device while TensorFlow loads and runs one operation, then restores it: nothing is lost but
those lines, and Python exceptions still propagate. Every module of the package that needs
TensorFlow or Keras gets it from here, on first use, so that ``import sinelib`` stays fast.
"""

from __future__ import annotations

import functools
import logging
import os

#: What TensorFlow logs when more than a few ``tf.function``s made by one line of code are
#: traced: ``models.predict`` makes one per model on purpose (a notebook that loads nine shipped
#: networks would otherwise store a warning that reads like a bug).
RETRACING = "triggered tf.function retracing"


def _not_retracing(record: logging.LogRecord) -> bool:
    return RETRACING not in record.getMessage()


@functools.cache
def tensorflow():
    """The ``tensorflow`` module, imported (once) with its start-up lines discarded."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow as tf

        tf.constant(1.0) + 1.0  # the first operation probes the devices, and logs
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    tf.get_logger().addFilter(_not_retracing)
    return tf


@functools.cache
def keras():
    """The ``keras`` module (Keras 3 on TensorFlow), after ``tensorflow()``."""
    tensorflow()
    import keras

    return keras
