"""The feedback for a learner's function that gave nothing to compare: it raised (with advice
for the usual errors, such as a shape mismatch), ran out of time, returned None (a forgotten
`return`), called a helper of the learner's that is still a stub, or gave a different result
on the same inputs (random numbers of its own).
"""

from __future__ import annotations

import re

import numpy as np

from genai_lessons.exercises import answers, safe
from genai_lessons.exercises.diagnosis import describe_inputs
from genai_lessons.exercises.result import Result, Verdict


def error_result(exercise: str, run: safe.Call, args: tuple, arg_names=None) -> Result:
    """The feedback for a call that raised or ran out of time."""
    inputs = describe_inputs(args, arg_names)
    if run.timed_out:
        return Result(
            exercise,
            Verdict.ERROR,
            f"your function did not finish within "
            f"{safe.TIME_LIMIT_S if not run.seconds else round(run.seconds, 1)} s on "
            f"{inputs}: an endless loop (a while loop whose condition never changes?) "
            "or far too much work.",
        )
    error = run.error
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    where = f" at `{run.error_line}`" if run.error_line else ""
    advice = ""
    if isinstance(error, SystemExit):
        advice = " Do not call exit() inside an exercise."
    elif isinstance(error, NameError):
        advice = (
            " Use only the function's arguments and NumPy inside it, and run the cell that "
            "defines anything else first."
        )
    elif isinstance(error, ValueError) and (
        "matmul" in text or "shapes" in text or "broadcast" in text
    ):
        advice = _shape_advice(text)
    return Result(
        exercise,
        Verdict.ERROR,
        f"your function raised {type(error).__name__}: {text}{where}, on {inputs}.{advice}",
    )


def _shape_advice(text: str) -> str:
    """Advice for a shape error: `.T` only when a matrix is involved."""
    shapes = [
        tuple(int(d) for d in re.findall(r"\d+", found))
        for found in re.findall(r"\(([\d, ]*)\)", text.split("signature")[0])
    ]
    if "matmul" not in text and shapes and all(len(shape) <= 1 for shape in shapes):
        return (
            " These are 1-D arrays of different lengths: print the length of each array on that "
            "line and check that each one is the array you meant (a slice or index off by one?)."
        )
    return " Print the shapes of the arrays on that line: one of them probably needs .T."


def unfinished_result(exercise: str, helper: str) -> Result:
    """The feedback for a function that calls one of the learner's helpers still left a stub."""
    return Result(
        exercise,
        Verdict.ERROR,
        f"your function calls {helper}(), which is still unfinished (it raises "
        f"NotImplementedError). Finish {helper} first (its own check tells you when it is "
        "right), or write its formula here instead of calling it.",
    )


RANDOM_NOTE = (
    "your function gives a different result each time it is called with the same inputs: it "
    "draws random numbers of its own. The exercise passes in the randomness it needs as an "
    "argument: use that."
)


def same_output(a, b) -> bool:
    """Whether two returned values are identical (NaN equal to NaN); True when unreadable."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        if any(isinstance(item, (tuple, list, np.ndarray)) for item in (*a, *b)):
            return all(same_output(x, y) for x, y in zip(a, b))
    x, _ = answers.to_array(a)
    y, _ = answers.to_array(b)
    if x is None or y is None:
        return True
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def none_result(exercise: str, run: safe.Call) -> Result:
    """The feedback for a function that returned None: usually a forgotten `return`."""
    printed = run.printed.strip()
    if printed:
        first = printed.splitlines()[0][:60]
        return Result(
            exercise,
            Verdict.WRONG,
            f"your function printed {first!r} but returned None: "
            "print shows a value, return hands it back. Did you forget `return`?",
        )
    return Result(exercise, Verdict.WRONG, "your function returned None: did you forget `return`?")
