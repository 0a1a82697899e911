"""Running a learner's Keras code for the exercises that practise Keras itself (a residual block,
a GAN's training step, a sampling layer, multi-head attention, masked and noise-prediction
losses): a longer time limit than NumPy answers get, the random state of the notebook left as it
was (building a layer draws its initial weights from Python's random module), and the usual
answers (a stub, an error, a missing `return`) turned into feedback.
"""

from __future__ import annotations

import contextlib
import random

import keras
import numpy as np

from genai_lessons.exercises import answers, safe
from genai_lessons.exercises.failures import error_result, none_result, unfinished_result
from genai_lessons.exercises.result import Result, Verdict, not_attempted

TIME_LIMIT_S = 30.0
"""Limit for one call of a learner's Keras code (the first call of a backend is the slowest)."""


@contextlib.contextmanager
def keeping_random_state():
    """Leave Python's and NumPy's global random states as they were, so that checking an answer
    does not change the numbers of the notebook's later cells."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def call(function, args: tuple, time_limit: float | None = None) -> safe.Call:
    """`safe.call` under Keras's time limit, keeping the random state."""
    with keeping_random_state():
        return safe.call(function, args, TIME_LIMIT_S if time_limit is None else time_limit)


def stop(exercise: str, run: safe.Call, inputs: str, *, none_ok: bool = False) -> Result | None:
    """The feedback for a call that did not give a value to judge, or None to go on."""
    if isinstance(run.error, NotImplementedError):
        return (
            unfinished_result(exercise, run.unfinished)
            if run.unfinished
            else not_attempted(exercise)
        )
    if run.timed_out or run.error is not None:
        return error_result(exercise, run, (inputs,), ["on"])
    if run.value is None and not none_ok:
        return none_result(exercise, run)
    return None


def to_numpy(value, what: str = "your result") -> tuple[np.ndarray | None, str]:
    """A returned tensor (any backend) or array as float64 NumPy, or (None, why not)."""
    if isinstance(value, keras.KerasTensor):
        return None, (
            f"{what} is a symbolic Keras tensor: call your code on real arrays (eagerly), not "
            "inside keras.Input."
        )
    return answers.to_array(value, what=what)


def wrong(exercise: str, message: str) -> Result:
    return Result(exercise, Verdict.WRONG, message)


def seeded(shape, seed: int, scale: float = 1.0) -> np.ndarray:
    """Fixed float32 test values."""
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")
