"""The feedback machinery every exercise checker uses.

A checker compares a learner's answer with an expected one computed independently, and
recognises typical mistakes (a forgotten bias, a transposed matrix) to give a specific hint.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


class Verdict(enum.Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not attempted"
    ERROR = "raised an error"


_ICONS = {Verdict.CORRECT: "✅", Verdict.WRONG: "❌", Verdict.NOT_ATTEMPTED: "📝",
          Verdict.ERROR: "⚠️"}


@dataclass(frozen=True)
class Result:
    """The outcome of a check. Its repr is the feedback, so a notebook cell ending in a
    check shows the message; `bool(result)` tells whether the answer was right."""

    exercise: str
    verdict: Verdict
    message: str

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"{_ICONS[self.verdict]} {self.exercise}: {self.message}"


Mistake = tuple[Callable[..., object], str]
"""A typical wrong answer: a function computing it from the same inputs, and the hint to give."""


def _not_attempted(exercise: str) -> Result:
    return Result(exercise, Verdict.NOT_ATTEMPTED,
                  "not attempted yet: replace the placeholder with your answer and run the cell again.")


def _matches(answer, expected, rtol: float, atol: float) -> bool:
    try:
        answer = np.asarray(answer, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return answer.shape == expected.shape and bool(np.allclose(answer, expected, rtol=rtol, atol=atol))


def check_value(exercise: str, answer, expected, *, mistakes: Sequence[tuple[object, str]] = (),
                rtol: float = 1e-5, atol: float = 1e-6, hint: str = "") -> Result:
    """Compare a learner's value (a number or array) with the expected one.

    Args:
        exercise: the exercise's name, shown in the feedback.
        answer: the learner's value; `None` or `...` means not attempted.
        expected: the right value.
        mistakes: `(wrong_value, hint)` pairs for typical mistakes.
        rtol, atol: tolerances of the comparison.
        hint: general advice when the answer is wrong and matches no known mistake.
    """
    if answer is None or answer is Ellipsis:
        return _not_attempted(exercise)
    if _matches(answer, expected, rtol, atol):
        return Result(exercise, Verdict.CORRECT, "correct, well done.")
    for wrong, message in mistakes:
        if _matches(answer, wrong, rtol, atol):
            return Result(exercise, Verdict.WRONG, message)
    got, want = np.shape(answer), np.shape(expected)
    if got != want:
        return Result(exercise, Verdict.WRONG, f"expected shape {want}, got shape {got}. {hint}".strip())
    return Result(exercise, Verdict.WRONG, f"the shape is right but the values differ. {hint}".strip())


def check_function(exercise: str, function: Callable, cases: Sequence[tuple], reference: Callable,
                   *, mistakes: Sequence[Mistake] = (), rtol: float = 1e-5, atol: float = 1e-6,
                   hint: str = "") -> Result:
    """Call a learner's function on each case and compare it with a reference implementation.

    Args:
        exercise: the exercise's name, shown in the feedback.
        function: the learner's function. Raising `NotImplementedError` or returning `None`
            means not attempted; any other exception is reported, never propagated.
        cases: argument tuples to call both functions with.
        reference: a correct implementation, written independently of the lesson's text.
        mistakes: `(wrong_function, hint)` pairs for typical mistakes.
        rtol, atol: tolerances of the comparison.
        hint: general advice when no known mistake matches.
    """
    if not callable(function):
        return _not_attempted(exercise)
    for args in cases:
        copies = [np.array(arg, copy=True) if isinstance(arg, np.ndarray) else arg for arg in args]
        try:
            answer = function(*copies)
        except NotImplementedError:
            return _not_attempted(exercise)
        except Exception as error:  # the learner's code may fail in any way; report, don't raise
            return Result(exercise, Verdict.ERROR, f"your function raised {type(error).__name__}: {error}")
        if answer is None:
            return _not_attempted(exercise)
        expected = reference(*args)
        wrongs = [(wrong(*args), message) for wrong, message in mistakes]
        result = check_value(exercise, answer, expected, mistakes=wrongs, rtol=rtol, atol=atol,
                             hint=hint)
        if not result.correct:
            return result
    return Result(exercise, Verdict.CORRECT, f"correct on all {len(cases)} test cases, well done.")
