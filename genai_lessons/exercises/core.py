"""The feedback machinery every exercise checker uses.

A checker compares a learner's answer with an expected one computed independently, recognises
typical mistakes (a forgotten bias, a transposed matrix) to give a specific diagnosis, and
otherwise shows the smallest case that fails: its input, the expected and the received values.
It never raises, whatever the answer does (see `genai_lessons.exercises.safe`), and its default
output never contains the solution: hints and solutions are given on request by
`genai_lessons.exercises.lesson`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from genai_lessons.exercises import safe


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
    check shows the message; `bool(result)` tells whether the answer was right.

    `nudge` is the line of encouragement and help pointers a lesson adds (see `lesson.py`).
    """

    exercise: str
    verdict: Verdict
    message: str
    nudge: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        text = f"{_ICONS[self.verdict]} {self.exercise}: {self.message}"
        return text + (f"\n   {self.nudge}" if self.nudge else "")


Mistake = tuple[Callable[..., object], str]
"""A typical wrong answer: a function computing it from the same inputs, and the diagnosis."""

NOT_ATTEMPTED = ("not attempted yet: replace the placeholder with your answer and run the cell "
                 "again (the exercise is optional: the notebook runs on without it).")


def _not_attempted(exercise: str) -> Result:
    return Result(exercise, Verdict.NOT_ATTEMPTED, NOT_ATTEMPTED)


def never_raises(checker):
    """Decorator: whatever goes wrong inside a checker becomes a Result, never an exception."""
    @functools.wraps(checker)
    def guarded(*args, **kwargs):
        try:
            return checker(*args, **kwargs)
        except Exception as error:  # a bug of ours, or an answer we did not foresee
            name = kwargs.get("exercise") or (args[0] if args and isinstance(args[0], str) else "exercise")
            return Result(name, Verdict.ERROR, "the checker could not read this answer "
                          f"({type(error).__name__}); check that it has the form the exercise asks for.")
    return guarded


def tolerance_text(rtol: float, atol: float) -> str:
    if rtol == 0:
        return f"to within ±{atol:g}"
    return f"to within a relative {rtol:g} (absolute {atol:g})"


def matches(answer, expected, rtol: float, atol: float) -> bool:
    """Same shape and values within the tolerance; a tuple expected needs a tuple of matches."""
    if isinstance(expected, tuple):
        return (isinstance(answer, (tuple, list)) and len(answer) == len(expected)
                and all(matches(a, e, rtol, atol) for a, e in zip(answer, expected)))
    a, _ = safe.to_array(answer)
    e, _ = safe.to_array(expected)
    if a is None or e is None or a.shape != e.shape:
        return False
    return bool(np.allclose(a, e, rtol=rtol, atol=atol))


# --------------------------------------------------------------------------- diagnosis of one value


def shape_problem(answer: np.ndarray, expected: np.ndarray, what: str = "your result") -> str:
    """A sentence about a wrong shape, naming the likely cause."""
    got, want = answer.shape, expected.shape
    if got == want:
        return ""
    text = f"{what} has shape {got}, expected {want}"
    if got == want[::-1] and len(got) == 2:
        return text + ": it is transposed (rows and columns swapped)."
    if tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1):
        return text + ": an extra (or missing) axis of length 1; reshape, or use keepdims as needed."
    if got == () and want != ():
        return text + ": a single number where one value per entry is expected (summed or " \
                      "averaged over one axis too many?)."
    if want == () and got != ():
        return text + ": an array where a single number is expected (reduce over every axis)."
    if answer.size == expected.size:
        return text + ": the right number of values, arranged differently."
    return text + "."


def _value_problem(answer, expected, what: str = "your result") -> str:
    """'' if the answer matches, else why not (type, shape or NaN), '' for plain value errors."""
    a, problem = safe.to_array(answer, what=what)
    if a is None:
        return problem
    e, _ = safe.to_array(expected)
    if a.shape != e.shape:
        return shape_problem(a, e, what)
    if np.isnan(a).any() and not np.isnan(e).any():
        return (f"{what} contains NaN (not a number): usually log of 0 or of a negative number, "
                "0/0, or exp overflowing.")
    return ""


def check_value(exercise: str, answer, expected, *, mistakes: Sequence[tuple[object, str]] = (),
                rtol: float = 1e-5, atol: float = 1e-6, hint: str = "") -> Result:
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
        return _not_attempted(exercise)
    if callable(answer) and not hasattr(answer, "__array__"):
        return Result(exercise, Verdict.WRONG, "this is a function, but the exercise asks for a "
                      "value: compute it (call your function) and pass the result.")
    if matches(answer, expected, rtol, atol):
        return Result(exercise, Verdict.CORRECT, "correct, well done.")
    for wrong, message in mistakes:
        if matches(answer, wrong, rtol, atol):
            return Result(exercise, Verdict.WRONG, message)
    problem = _value_problem(answer, expected, "your answer")
    if problem:
        return Result(exercise, Verdict.WRONG, problem)
    text = (f"your answer {safe.short(answer)} is not the expected value "
            f"(compared {tolerance_text(rtol, atol)}).")
    return Result(exercise, Verdict.WRONG, f"{text} {hint}".strip())


# --------------------------------------------------------------------------- checking a function


def _describe_inputs(args: tuple, names: Sequence[str] | None) -> str:
    """The inputs of a case: small arrays by value, larger ones by shape."""
    names = list(names or []) + [f"argument {i + 1}" for i in range(len(names or []), len(args))]
    parts = []
    for name, arg in zip(names, args):
        size = np.size(arg) if isinstance(arg, (np.ndarray, list)) else 1
        shown = safe.short(arg, width=60) if size <= 8 else f"an array of shape {np.shape(arg)}"
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def _size(args: tuple) -> int:
    total = 0
    for arg in args:
        try:
            total += int(np.size(arg)) if not isinstance(arg, (str, dict)) else 1
        except Exception:
            total += 1
    return total


def precheck_function(exercise: str, function, n_args: int, arg_names: Sequence[str] | None = None
                      ) -> Result | None:
    """The checks before calling: a placeholder, a value where a function is expected, the
    number of arguments. Returns a Result to stop with, or None to go on."""
    if function is None or function is Ellipsis:
        return _not_attempted(exercise)
    if not callable(function):
        return Result(exercise, Verdict.WRONG, f"this is {safe.kind(function)}, not a function: "
                      "pass the function itself, by its name and without parentheses, e.g. "
                      "check(my_function), not check(my_function(...)).")
    if safe.is_placeholder(function):
        return _not_attempted(exercise)
    arity = safe.positional_arity(function)
    if arity and (n_args < arity[0] or (arity[1] != -1 and n_args > arity[1])):
        takes = arity[0] if arity[0] == arity[1] else f"{arity[0]} to {arity[1]}"
        wanted = f" ({', '.join(arg_names)})" if arg_names else ""
        return Result(exercise, Verdict.WRONG, f"your function takes {takes} argument(s), but the "
                      f"exercise calls it with {n_args}{wanted}.")
    return None


def error_result(exercise: str, run: safe.Call, args: tuple, arg_names=None) -> Result:
    """The feedback for a call that raised or ran out of time."""
    inputs = _describe_inputs(args, arg_names)
    if run.timed_out:
        return Result(exercise, Verdict.ERROR, f"your function did not finish within "
                      f"{safe.TIME_LIMIT_S if not run.seconds else round(run.seconds, 1)} s on "
                      f"{inputs}: an endless loop (a while loop whose condition never changes?) "
                      "or far too much work.")
    error = run.error
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    where = f" at `{run.error_line}`" if run.error_line else ""
    advice = ""
    if isinstance(error, SystemExit):
        advice = " Do not call exit() inside an exercise."
    elif isinstance(error, NameError):
        advice = (" Use only the function's arguments and NumPy inside it, and run the cell that "
                  "defines anything else first.")
    elif isinstance(error, ValueError) and ("matmul" in text or "shapes" in text or "broadcast" in text):
        advice = " Print the shapes of the arrays on that line: one of them probably needs .T."
    return Result(exercise, Verdict.ERROR, f"your function raised {type(error).__name__}: {text}"
                  f"{where}, on {inputs}.{advice}")


def _none_result(exercise: str, run: safe.Call) -> Result:
    printed = run.printed.strip()
    if printed:
        first = printed.splitlines()[0][:60]
        return Result(exercise, Verdict.WRONG, f"your function printed {first!r} but returned None: "
                      "print shows a value, return hands it back. Did you forget `return`?")
    return Result(exercise, Verdict.WRONG, "your function returned None: did you forget `return`?")


def _structure_problem(answer, expected, part_names) -> str:
    """Why a returned value does not have the expected structure, or ''."""
    if isinstance(expected, tuple):
        names = ", ".join(part_names)
        if not isinstance(answer, (tuple, list)) or isinstance(answer, np.ndarray):
            return f"your function returns {safe.kind(answer)}; it should return a tuple ({names})."
        if len(answer) != len(expected):
            return (f"your function returns {len(answer)} values; it should return "
                    f"{len(expected)}: ({names}).")
        return ""
    if isinstance(answer, tuple) and safe.has_non_scalar_item(answer):
        return (f"your function returns a tuple of {len(answer)} values; this exercise wants one "
                "array. (Some functions of the lesson return (output, cache) or (output, weights); "
                "return only the output here.)")
    return _value_problem(answer, expected, "your result")


def _agreement(answers, wrong_outputs, index, n_parts, rtol, atol) -> int:
    """On how many (case, part) pairs mistake `index` gives exactly the learner's answer."""
    total = 0
    for answer, wrongs in zip(answers, wrong_outputs):
        wrong = wrongs[index]
        if wrong is _FAILED:
            continue
        for k in range(n_parts):
            try:
                total += matches(answer[k], wrong[k], rtol, atol)
            except Exception:
                pass
    return total


def _part_mistakes(answers, expecteds, wrong_outputs, mistakes, k, rtol, atol):
    """The mistake whose part k agrees with the learner's part k on every case where the
    learner's part k is wrong (and is computed); among several, the one that agrees with the
    learner's answer on the most other parts too."""
    found = []
    for index, (_, message) in enumerate(mistakes):
        agree = True
        relevant = False
        for answer, expected, wrongs in zip(answers, expecteds, wrong_outputs):
            part = answer[k] if k is not None else answer
            want = expected[k] if k is not None else expected
            wrong = wrongs[index]
            if wrong is _FAILED:
                continue
            wrong_part = wrong[k] if k is not None else wrong
            if matches(part, want, rtol, atol):
                continue
            relevant = True
            if not matches(part, wrong_part, rtol, atol):
                agree = False
                break
        if agree and relevant:
            found.append((index, message))
    if not found:
        return None
    if k is None or len(found) == 1:
        return found[0][1]
    n_parts = len(expecteds[0])
    return max(found, key=lambda f: _agreement(answers, wrong_outputs, f[0], n_parts, rtol, atol))[1]


_FAILED = object()


def check_function(exercise: str, function: Callable, cases: Sequence[tuple], reference: Callable,
                   *, mistakes: Sequence[Mistake] = (), rtol: float = 1e-5, atol: float = 1e-6,
                   hint: str = "", arg_names: Sequence[str] | None = None,
                   part_names: Sequence[str] | None = None, time_limit: float | None = None
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
    """
    return _check_function(exercise, function, cases, reference, mistakes, rtol, atol, hint,
                           arg_names, part_names, time_limit)


@never_raises
def _check_function(exercise, function, cases, reference, mistakes, rtol, atol, hint, arg_names,
                    part_names, time_limit) -> Result:
    stop = precheck_function(exercise, function, len(cases[0]), arg_names)
    if stop is not None:
        return stop
    runs, changed = [None] * len(cases), []
    # From the smallest case up: the first one that fails is the smallest failing case.
    for index in sorted(range(len(cases)), key=lambda i: _size(cases[i])):
        args = cases[index]
        given = safe.copies(args)
        run = safe.call(function, given, time_limit)
        if isinstance(run.error, NotImplementedError):
            return _not_attempted(exercise)
        if run.timed_out or run.error is not None:
            return error_result(exercise, run, args, arg_names)
        runs[index] = run
        changed += [i for i, (a, b) in enumerate(zip(args, given)) if not safe.same(a, b)]
    for run in runs:
        if run.value is None:
            return _none_result(exercise, run)
    expecteds = [reference(*safe.copies(args)) for args in cases]
    if isinstance(expecteds[0], tuple):
        part_names = list(part_names or [f"part {i + 1}" for i in range(len(expecteds[0]))])
    answers = [run.value for run in runs]
    mutation = ""
    if changed:
        names = list(arg_names or [])
        which = sorted(set(changed))
        shown = ", ".join(names[i] if i < len(names) else f"argument {i + 1}" for i in which)
        mutation = (f"Your function changed its input ({shown}) in place (e.g. with -=, *= or "
                    "item assignment): the caller's array changes too. Work on a copy or build a "
                    "new array.")
    wrong = [i for i in range(len(cases)) if not matches(answers[i], expecteds[i], rtol, atol)]
    if not wrong:
        if mutation:
            return Result(exercise, Verdict.WRONG, "right values. " + mutation)
        return Result(exercise, Verdict.CORRECT, f"correct on all {len(cases)} test cases, well done.")
    message = _diagnose(answers, expecteds, cases, wrong, mistakes, rtol, atol, hint, arg_names,
                        part_names)
    return Result(exercise, Verdict.WRONG, f"{message} {mutation}".strip())


def _diagnose(answers, expecteds, cases, wrong, mistakes, rtol, atol, hint, arg_names, part_names):
    """The message for a wrong function: structure, known mistakes, else the smallest failing case."""
    for i in wrong:
        problem = _structure_problem(answers[i], expecteds[i], part_names or ())
        if problem and isinstance(expecteds[i], tuple):
            return problem
    structured = isinstance(expecteds[0], tuple)
    wrong_outputs = []
    for args in cases:
        outputs = []
        for function, _ in mistakes:
            try:
                with np.errstate(all="ignore"):
                    outputs.append(function(*safe.copies(args)))
            except Exception:
                outputs.append(_FAILED)
        wrong_outputs.append(outputs)
    if structured:
        return _diagnose_parts(answers, expecteds, cases, wrong, wrong_outputs, mistakes, rtol,
                               atol, hint, arg_names, part_names)
    found = _part_mistakes(answers, expecteds, wrong_outputs, mistakes, None, rtol, atol)
    if found:
        return found
    smallest = min(wrong, key=lambda i: _size(cases[i]))
    problem = _structure_problem(answers[smallest], expecteds[smallest], ())
    inputs = _describe_inputs(cases[smallest], arg_names)
    if problem:
        shape = safe.to_array(answers[smallest])[0] is not None
        return f"{problem} (on {inputs})" if shape else problem
    return (f"wrong values. Smallest failing case: {inputs}; expected {safe.short(expecteds[smallest])}, "
            f"got {safe.short(answers[smallest])} (compared {tolerance_text(rtol, atol)}). {hint}").strip()


def _diagnose_parts(answers, expecteds, cases, wrong, wrong_outputs, mistakes, rtol, atol, hint,
                    arg_names, part_names):
    n = len(expecteds[0])
    # Every part right, but in another order?
    first = wrong[0]
    order = []
    for k in range(n):
        hits = [j for j in range(n) if matches(answers[first][k], expecteds[first][j], rtol, atol)]
        order.append(hits[0] if hits else None)
    if None not in order and sorted(order) == list(range(n)) and order != list(range(n)):
        return (f"all parts are right but in the wrong order: return them as "
                f"({', '.join(part_names)}).")
    messages, known = [], False
    for k in range(n):
        bad = [i for i in range(len(cases)) if not matches(answers[i][k], expecteds[i][k], rtol, atol)]
        if not bad:
            continue
        found = _part_mistakes([a for a in answers], expecteds, wrong_outputs, mistakes, k, rtol, atol)
        if found:
            known = True
            if found not in messages:
                messages.append(found)
            continue
        smallest = min(bad, key=lambda i: _size(cases[i]))
        problem = _value_problem(answers[smallest][k], expecteds[smallest][k], part_names[k])
        if not problem:
            problem = (f"{part_names[k]} is wrong. Smallest failing case: "
                       f"{_describe_inputs(cases[smallest], arg_names)}; expected "
                       f"{safe.short(expecteds[smallest][k])}, got {safe.short(answers[smallest][k])} "
                       f"(compared {tolerance_text(rtol, atol)}).")
        messages.append(problem)
    right = [part_names[k] for k in range(n)
             if all(matches(answers[i][k], expecteds[i][k], rtol, atol) for i in range(len(cases)))]
    prefix = f"{' and '.join(right)} right; " if right else ""
    return f"{prefix}{' '.join(messages)} {'' if known else hint}".strip()
