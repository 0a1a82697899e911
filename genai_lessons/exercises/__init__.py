"""Exercises with automatic feedback, one module per lesson.

A learner writes a small function (or computes a value) in the notebook and passes it to a
checker, e.g. `exercises.nn.check_dense_forward(dense_forward)`. A checker never raises: it
returns a `Result` whose text is the feedback (a diagnosis and a nudge when wrong), so an
unattempted or wrong exercise never stops the notebook. More help comes only on request, from
the lesson's module: `hint("dense_forward")` gives the next hint of a ladder,
`solution("dense_forward")` a full solution, `progress()` the lesson's done / attempted / not
attempted list, and `exercises.progress()` that of every lesson of the course. Progress is saved
between sessions in a small file in the user's data folder (see `saved`).

Three kinds of module:
- a lesson module (`start`, `nn`, `cnn`, `gan`, `vae`, `transformer`, `language_models`,
  `diffusion`, `music`) is what the learner meets: its `Lesson`, each exercise's title, hints and
  solution, and the documented `check_<exercise>` that the notebook calls as `ex.check_...`;
- a judging module, by topic (`pixels`, `dense`, `derivatives`, `loop`, `convolution`,
  `stopping`, `adversarial`, `variational`, `attention`, `sampling`, `bpe`, `diffusion_steps`,
  and for the exercises written in Keras `residual`, `gan_step`, `sampling_layer`, `multihead`,
  `masked_loss`, `noise_loss`; and for lesson 8 `notes`), holds how an answer is judged: the cases, a reference
  written independently of the lesson's code, and the usual mistakes with their diagnosis;
- the shared machinery: `core` (comparison with a reference), `diagnosis` (what a wrong
  answer's feedback says), `answers` (reading any returned value), `result` (what a check
  returns), `safe` (running the learner's code), `lesson` (help and progress), `saved`
  (progress kept between sessions) and `keras_answers` (running a learner's Keras code).
"""

from genai_lessons.exercises.core import check_function, check_value
from genai_lessons.exercises.result import Result, Verdict


def progress():
    """The progress of every lesson's exercises: saved between sessions inside a notebook
    kernel (see `saved`), in the order of the course's lessons (`core.syllabus`). Every module
    of this package is imported first, so that a new lesson's exercises are listed without
    being named here."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    from genai_lessons.exercises import lesson

    return lesson.progress()


__all__ = ["Result", "Verdict", "check_function", "check_value", "progress"]
