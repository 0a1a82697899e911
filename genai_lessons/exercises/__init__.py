"""Exercises with automatic feedback, one module per lesson topic.

A learner writes a small function (or computes a value) in the notebook and passes it to a
checker, e.g. `exercises.nn.check_dense_forward(dense_forward)`. A checker never raises: it
returns a `Result` whose text is the feedback (a diagnosis and a nudge when wrong), so an
unattempted or wrong exercise never stops the notebook. More help comes only on request, from
the lesson's module: `hint("dense_forward")` gives the next hint of a ladder,
`solution("dense_forward")` a full solution, `progress()` the lesson's done / attempted / not
attempted list. The shared machinery lives in `core` (comparison and diagnosis), `result` (what a check
returns), `safe` (running the learner's code) and `lesson` (help and progress).
"""

from genai_lessons.exercises.core import check_function, check_value
from genai_lessons.exercises.result import Result, Verdict


def progress():
    """The progress of every lesson's exercises in this session."""
    from genai_lessons.exercises import (  # noqa: F401
        cnn,
        diffusion,
        gan,
        language_models,
        lesson,
        nn,
        start,
        transformer,
        vae,
    )

    return lesson.progress()


__all__ = ["Result", "Verdict", "check_function", "check_value", "progress"]
