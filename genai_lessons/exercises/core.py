"""The feedback machinery every exercise checker uses.

A checker compares a learner's answer with an expected one computed independently, recognises
typical mistakes (a forgotten bias, a transposed matrix) to give a specific diagnosis, and
otherwise shows the smallest case that fails: its input, the expected and the received values.
It never raises, whatever the answer does (see `genai_lessons.exercises.safe`; a check's
`Result` is defined in `genai_lessons.exercises.result`), and its default output never contains
the solution: hints and solutions are given on request by `genai_lessons.exercises.lesson`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from genai_lessons.exercises import answers, safe
from genai_lessons.exercises.diagnosis import (
    case_size,
    diagnose,
    matches,
    tolerance_text,
    value_problem,
)
from genai_lessons.exercises.failures import (  # noqa: F401 (checkers import them from here)
    RANDOM_NOTE,
    error_result,
    none_result,
    same_output,
    unfinished_result,
)
from genai_lessons.exercises.result import Result, Verdict, never_raises, not_attempted

Mistake = tuple[Callable[..., object], str]
"""A typical wrong answer: a function computing it from the same inputs, and the diagnosis."""


def check_value(
    exercise: str,
    answer,
    expected,
    *,
    mistakes: Sequence[tuple[object, str]] = (),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    hint: str = "",
) -> Result:
    """Compare a learner's value (a number or array) with the expected one.

    Args:
        exercise: the exercise's name, shown in the feedback.
        answer: the learner's value; `None` or `...` means not attempted.
        expected: the right value.
        mistakes: `(wrong_value, diagnosis)` pairs for typical mistakes.
        rtol, atol: tolerances of the comparison (stated in the feedback).
        hint: general advice when the answer is wrong and matches no known mistake; it must
            not give the answer away.
    """
    return _check_value(exercise, answer, expected, mistakes, rtol, atol, hint)


@never_raises
def _check_value(exercise, answer, expected, mistakes, rtol, atol, hint) -> Result:
    if answer is None or answer is Ellipsis:
        return not_attempted(exercise)
    if callable(answer) and not hasattr(answer, "__array__"):
        return Result(
            exercise,
            Verdict.WRONG,
            "this is a function, but the exercise asks for a "
            "value: compute it (call your function) and pass the result.",
        )
    if matches(answer, expected, rtol, atol):
        return Result(exercise, Verdict.CORRECT, "correct, well done.")
    for wrong, message in mistakes:
        if matches(answer, wrong, rtol, atol):
            return Result(exercise, Verdict.WRONG, message)
    problem = value_problem(answer, expected, "your answer")
    if problem:
        return Result(exercise, Verdict.WRONG, problem)
    text = (
        f"your answer {answers.short(answer)} is not the expected value "
        f"(compared {tolerance_text(rtol, atol)})."
    )
    return Result(exercise, Verdict.WRONG, f"{text} {hint}".strip())


# --------------------------------------------------------------------------- checking a function


def precheck_function(
    exercise: str, function, n_args: int, arg_names: Sequence[str] | None = None
) -> Result | None:
    """The checks before calling: a placeholder, a value where a function is expected, the
    number of arguments. Returns a Result to stop with, or None to go on."""
    if function is None or function is Ellipsis:
        return not_attempted(exercise)
    if not callable(function):
        return Result(
            exercise,
            Verdict.WRONG,
            f"this is {answers.kind(function)}, not a function: "
            "pass the function itself, by its name and without parentheses, e.g. "
            "check(my_function), not check(my_function(...)).",
        )
    if safe.is_placeholder(function):
        return not_attempted(exercise)
    arity = safe.positional_arity(function)
    if arity and (n_args < arity[0] or (arity[1] != -1 and n_args > arity[1])):
        takes = arity[0] if arity[0] == arity[1] else f"{arity[0]} to {arity[1]}"
        wanted = f" ({', '.join(arg_names)})" if arg_names else ""
        return Result(
            exercise,
            Verdict.WRONG,
            f"your function takes {takes} argument(s), but the "
            f"exercise calls it with {n_args}{wanted}.",
        )
    return None


def check_function(
    exercise: str,
    function: Callable,
    cases: Sequence[tuple],
    reference: Callable,
    *,
    mistakes: Sequence[Mistake] = (),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    hint: str = "",
    arg_names: Sequence[str] | None = None,
    part_names: Sequence[str] | None = None,
    time_limit: float | None = None,
    random_note: str = RANDOM_NOTE,
) -> Result:
    """Call a learner's function on each case and compare it with a reference implementation.

    Args:
        exercise: the exercise's name, shown in the feedback.
        function: the learner's function. A placeholder body (`raise NotImplementedError`,
            `pass`) or `None` means not attempted; anything else it does is reported.
        cases: argument tuples to call both functions with.
        reference: a correct implementation, written independently of the lesson's text. When
            it returns a tuple, the learner's function must return one too (named by
            `part_names`), and mistakes are recognised part by part.
        mistakes: `(wrong_function, diagnosis)` pairs for typical mistakes.
        rtol, atol: tolerances of the comparison (stated in the feedback).
        hint: general advice when no known mistake matches; it must not give the answer away.
        arg_names: the arguments' names, to show the failing case.
        time_limit: seconds allowed for one call (default `safe.TIME_LIMIT_S`).
        random_note: the feedback when the function gives different results on the same inputs.
    """
    return _check_function(
        exercise,
        function,
        cases,
        reference,
        mistakes,
        rtol,
        atol,
        hint,
        arg_names,
        part_names,
        time_limit,
        random_note,
    )


@never_raises
def _check_function(
    exercise,
    function,
    cases,
    reference,
    mistakes,
    rtol,
    atol,
    hint,
    arg_names,
    part_names,
    time_limit,
    random_note,
) -> Result:
    stop = precheck_function(exercise, function, len(cases[0]), arg_names)
    if stop is not None:
        return stop
    runs, changed = [None] * len(cases), []
    # From the smallest case up: the first one that fails is the smallest failing case.
    for index in sorted(range(len(cases)), key=lambda i: case_size(cases[i])):
        args = cases[index]
        given = safe.copies(args)
        run = safe.call(function, given, time_limit)
        if isinstance(run.error, NotImplementedError):
            if run.unfinished:
                return unfinished_result(exercise, run.unfinished)
            return not_attempted(exercise)
        if run.timed_out or run.error is not None:
            return error_result(exercise, run, args, arg_names)
        runs[index] = run
        changed += [i for i, (a, b) in enumerate(zip(args, given)) if not safe.same(a, b)]
    for run in runs:
        if run.value is None:
            return none_result(exercise, run)
    expecteds = [reference(*safe.copies(args)) for args in cases]
    if isinstance(expecteds[0], tuple):
        part_names = list(part_names or [f"part {i + 1}" for i in range(len(expecteds[0]))])
    answers = [run.value for run in runs]
    mutation = ""
    if changed:
        names = list(arg_names or [])
        which = sorted(set(changed))
        shown = ", ".join(names[i] if i < len(names) else f"argument {i + 1}" for i in which)
        mutation = (
            f"Your function changed its input ({shown}) in place (e.g. with -=, *=, /=, del "
            "or item assignment), so the caller's value changes too."
        )
    wrong = [i for i in range(len(cases)) if not matches(answers[i], expecteds[i], rtol, atol)]
    if not wrong:
        text = f"correct on all {len(cases)} test cases, well done."
        if mutation:
            text += (
                f" A note: {mutation[0].lower()}{mutation[1:]} That is allowed here; when the "
                "caller still needs the original, work on a copy (x = x.copy()) or build a new "
                "value."
            )
        return Result(exercise, Verdict.CORRECT, text)
    smallest = min(wrong, key=lambda i: case_size(cases[i]))
    again = safe.call(function, safe.copies(cases[smallest]), time_limit)
    if (
        again.error is None
        and not again.timed_out
        and not same_output(again.value, answers[smallest])
    ):
        return Result(exercise, Verdict.WRONG, random_note)
    message = diagnose(
        answers, expecteds, cases, wrong, mistakes, rtol, atol, hint, arg_names, part_names
    )
    if mutation:
        mutation += " Work on a copy or build a new value."
    return Result(exercise, Verdict.WRONG, f"{message} {mutation}".strip())
