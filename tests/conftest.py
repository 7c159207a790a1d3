import os

# Quieten TensorFlow's start-up lines; must happen before the first import of tensorflow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from sinelib import get_experiment  # noqa: E402


@pytest.fixture
def tiny():
    """A shrunk copy of a real experiment: same code paths, seconds to train."""
    return get_experiment("exp3").replace(slug="tiny", n_hidden=8, n_in=10, n_out=5,
                                          budget_examples=10_000, cap_examples=10_000)
