"""Exercises with automatic feedback, one module per lesson topic.

A learner writes a small function (or computes a value) in the notebook and passes it to a
checker, e.g. `exercises.nn.check_dense_forward(dense_forward)`. A checker never raises: it
returns a `Result` whose text is the feedback, so an unattempted or wrong exercise never stops
the notebook. The shared machinery lives in `genai_lessons.exercises.core`.
"""

from genai_lessons.exercises.core import Result, Verdict, check_function, check_value

__all__ = ["Result", "Verdict", "check_function", "check_value"]
