"""What a check returns: a `Result` (the exercise, a `Verdict` and the feedback text) and the
guard that turns any failure of a checker into one.

A checker never raises: whatever a learner's answer does, or a bug of ours, the notebook gets a
Result whose repr is the feedback, and runs on.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass


class Verdict(enum.Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not attempted"
    ERROR = "raised an error"


_ICONS = {
    Verdict.CORRECT: "✅",
    Verdict.WRONG: "❌",
    Verdict.NOT_ATTEMPTED: "📝",
    Verdict.ERROR: "⚠️",
}


@dataclass(frozen=True)
class Result:
    """The outcome of a check. Its repr is the feedback, so a notebook cell ending in a
    check shows the message; `bool(result)` tells whether the answer was right.

    `nudge` is the line of encouragement and help pointers a lesson adds (see `lesson.py`).
    """

    exercise: str
    verdict: Verdict
    message: str
    nudge: str = ""
    printed: str = ""  # what the learner's code printed while it was checked

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        text = f"{_ICONS[self.verdict]} {self.exercise}: {self.message}"
        text += f"\n   {self.nudge}" if self.nudge else ""
        if self.printed:
            lines = self.printed.rstrip("\n").splitlines()
            shown = [
                line if len(line) <= 120 else line[:117] + "..." for line in lines[:PRINT_LINES]
            ]
            if len(lines) > PRINT_LINES:
                shown.append(f"... ({len(lines) - PRINT_LINES} more lines)")
            text += "\n   Your code printed, while it was checked:\n" + "\n".join(
                f"   | {line}" for line in shown
            )
        return text


PRINT_LINES = 12
"""How many lines of the learner's own prints a Result shows."""

NOT_ATTEMPTED = (
    "not attempted yet: replace the placeholder with your answer and run the cell "
    "again (the exercise is optional: the notebook runs on without it)."
)


def not_attempted(exercise: str) -> Result:
    """The Result of an answer that is still the notebook's placeholder."""
    return Result(exercise, Verdict.NOT_ATTEMPTED, NOT_ATTEMPTED)


def never_raises(checker):
    """Decorator: whatever goes wrong inside a checker becomes a Result, never an exception."""

    @functools.wraps(checker)
    def guarded(*args, **kwargs):
        try:
            return checker(*args, **kwargs)
        except Exception as error:  # a bug of ours, or an answer we did not foresee
            name = kwargs.get("exercise") or (
                args[0] if args and isinstance(args[0], str) else "exercise"
            )
            return Result(
                name,
                Verdict.ERROR,
                "the checker could not read this answer "
                f"({type(error).__name__}); check that it has the form the exercise asks for.",
            )

    return guarded
