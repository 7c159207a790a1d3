"""TensorFlow loads without its start-up lines; Python's own stderr is untouched."""

import os
import subprocess
import sys


def test_tensorflow_loads_quietly_and_stderr_comes_back():
    code = ("import sys; from sinelib.plumbing import backend; tf = backend.tensorflow(); "
            "keras = backend.keras(); assert backend.tensorflow() is tf; "
            "print(float(tf.constant(2.0) * 3.0)); print(keras.__name__); "
            "print('after', file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout.split() == ["6.0", "keras"]
    assert done.stderr == "after\n"


def test_one_compiled_call_per_model_logs_no_retracing_warning(caplog):
    """Seven networks, each asked for a prediction: TensorFlow's warning about many traced
    functions from one line (models.predict makes one per model on purpose; without the filter
    it is logged from the fifth on) is dropped."""
    import logging

    import numpy as np

    import sinelib

    tiny = sinelib.get_experiment("exp3").replace(n_hidden=2)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(7):
            sinelib.predict(sinelib.build_model(tiny, seed=seed), np.zeros((2, 25, 1), np.float32))
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
