"""Exercises of the notebooks, with the ``check_...`` helpers a learner calls on their own code.

One module per notebook (``sinelib.exercises.concepts`` for notebook 01, and so on). A check
never raises on a wrong answer: it returns a ``Feedback`` that says what is wrong (which input,
what was expected, what came back), so a learner's first, unfinished attempt still runs. The
worked answers are the notebooks in ``notebooks/solutions/``, each of which asserts what it
states.
``build_it_yourself`` (notebook 02) also holds the worked pieces its benchmark trains.
"""

from sinelib.exercises.feedback import Feedback, compare_arrays

__all__ = ["Feedback", "compare_arrays"]
