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
