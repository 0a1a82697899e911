"""Diagnosing a wrong answer: a wrong shape named with its likely cause, a known mistake
recognised (part by part for answers that are tuples), otherwise the smallest failing case with
its input, the expected and the received values, and the tolerance of the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genai_lessons.exercises import answers, safe

FAILED = object()  # a mistake function that raised on a case


def tolerance_text(rtol: float, atol: float) -> str:
    if rtol == 0:
        return f"to within ±{atol:g}"
    return f"to within a relative {rtol:g} (absolute {atol:g})"


def matches(answer, expected, rtol: float, atol: float) -> bool:
    """Same shape and values within the tolerance; a tuple expected needs a tuple of matches."""
    if isinstance(expected, tuple):
        return (
            isinstance(answer, (tuple, list))
            and len(answer) == len(expected)
            and all(matches(a, e, rtol, atol) for a, e in zip(answer, expected))
        )
    a, _ = answers.to_array(answer)
    e, _ = answers.to_array(expected)
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
        return (
            text + ": an extra (or missing) axis of length 1; reshape, or use keepdims as needed."
        )
    if got == () and want != ():
        return (
            text + ": a single number where one value per entry is expected (summed or "
            "averaged over one axis too many?)."
        )
    if want == () and got != ():
        return text + ": an array where a single number is expected (reduce over every axis)."
    if answer.size == expected.size:
        return text + ": the right number of values, arranged differently."
    return text + "."


def value_problem(answer, expected, what: str = "your result") -> str:
    """'' if the answer matches, else why not (type, shape or NaN), '' for plain value errors."""
    a, problem = answers.to_array(answer, what=what)
    if a is None:
        return problem
    e, _ = answers.to_array(expected)
    if a.shape != e.shape:
        return shape_problem(a, e, what)
    if np.isnan(a).any() and not np.isnan(e).any():
        return (
            f"{what} contains NaN (not a number): usually log of 0 or of a negative number, "
            "0/0, or exp overflowing."
        )
    return ""


def describe_inputs(args: tuple, names: Sequence[str] | None) -> str:
    """The inputs of a case: small arrays by value, larger ones by shape."""
    names = list(names or []) + [f"argument {i + 1}" for i in range(len(names or []), len(args))]
    parts = []
    for name, arg in zip(names, args):
        size = np.size(arg) if isinstance(arg, (np.ndarray, list)) else 1
        shown = answers.short(arg, width=60) if size <= 8 else f"an array of shape {np.shape(arg)}"
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def case_size(args: tuple) -> int:
    total = 0
    for arg in args:
        try:
            total += int(np.size(arg)) if not isinstance(arg, (str, dict)) else 1
        except Exception:
            total += 1
    return total


def structure_problem(answer, expected, part_names) -> str:
    """Why a returned value does not have the expected structure, or ''."""
    if isinstance(expected, tuple):
        names = ", ".join(part_names)
        if not isinstance(answer, (tuple, list)) or isinstance(answer, np.ndarray):
            return (
                f"your function returns {answers.kind(answer)}; it should return a tuple ({names})."
            )
        if len(answer) != len(expected):
            return (
                f"your function returns {len(answer)} values; it should return "
                f"{len(expected)}: ({names})."
            )
        return ""
    if isinstance(answer, tuple) and answers.has_non_scalar_item(answer):
        return (
            f"your function returns a tuple of {len(answer)} values; this exercise wants one "
            "array. (Some functions of the lesson return (output, cache) or (output, weights); "
            "return only the output here.)"
        )
    return value_problem(answer, expected, "your result")


def agreement(given, wrong_outputs, index, n_parts, rtol, atol) -> int:
    """On how many (case, part) pairs mistake `index` gives exactly the learner's answer."""
    total = 0
    for answer, wrongs in zip(given, wrong_outputs):
        wrong = wrongs[index]
        if wrong is FAILED:
            continue
        for k in range(n_parts):
            try:
                total += matches(answer[k], wrong[k], rtol, atol)
            except Exception:
                pass
    return total


def part_mistakes(given, expecteds, wrong_outputs, mistakes, k, rtol, atol):
    """The mistake whose part k agrees with the learner's part k on every case where the
    learner's part k is wrong (and is computed); among several, the one that agrees with the
    learner's answer on the most other parts too."""
    found = []
    for index, (_, message) in enumerate(mistakes):
        agree = True
        relevant = False
        for answer, expected, wrongs in zip(given, expecteds, wrong_outputs):
            part = answer[k] if k is not None else answer
            want = expected[k] if k is not None else expected
            wrong = wrongs[index]
            if wrong is FAILED:
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
    return max(found, key=lambda f: agreement(given, wrong_outputs, f[0], n_parts, rtol, atol))[1]


def diagnose(given, expecteds, cases, wrong, mistakes, rtol, atol, hint, arg_names, part_names):
    """The message for a wrong function: structure, known mistakes, else the smallest failing case."""
    for i in wrong:
        problem = structure_problem(given[i], expecteds[i], part_names or ())
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
                outputs.append(FAILED)
        wrong_outputs.append(outputs)
    if structured:
        return diagnose_parts(
            given,
            expecteds,
            cases,
            wrong,
            wrong_outputs,
            mistakes,
            rtol,
            atol,
            hint,
            arg_names,
            part_names,
        )
    found = part_mistakes(given, expecteds, wrong_outputs, mistakes, None, rtol, atol)
    if found:
        return found
    smallest = min(wrong, key=lambda i: case_size(cases[i]))
    problem = structure_problem(given[smallest], expecteds[smallest], ())
    inputs = describe_inputs(cases[smallest], arg_names)
    if problem:
        shape = answers.to_array(given[smallest])[0] is not None
        return f"{problem} (on {inputs})" if shape else problem
    return (
        f"wrong values. Smallest failing case: {inputs}; expected {answers.short(expecteds[smallest])}, "
        f"got {answers.short(given[smallest])} (compared {tolerance_text(rtol, atol)}). {hint}"
    ).strip()


def diagnose_parts(
    given, expecteds, cases, wrong, wrong_outputs, mistakes, rtol, atol, hint, arg_names, part_names
):
    n = len(expecteds[0])
    # Every part right, but in another order?
    first = wrong[0]
    order = []
    for k in range(n):
        hits = [j for j in range(n) if matches(given[first][k], expecteds[first][j], rtol, atol)]
        order.append(hits[0] if hits else None)
    if None not in order and sorted(order) == list(range(n)) and order != list(range(n)):
        return (
            f"all parts are right but in the wrong order: return them as ({', '.join(part_names)})."
        )
    messages, known = [], False
    for k in range(n):
        bad = [
            i for i in range(len(cases)) if not matches(given[i][k], expecteds[i][k], rtol, atol)
        ]
        if not bad:
            continue
        found = part_mistakes([a for a in given], expecteds, wrong_outputs, mistakes, k, rtol, atol)
        if found:
            known = True
            if found not in messages:
                messages.append(found)
            continue
        smallest = min(bad, key=lambda i: case_size(cases[i]))
        problem = value_problem(given[smallest][k], expecteds[smallest][k], part_names[k])
        if not problem:
            problem = (
                f"{part_names[k]} is wrong. Smallest failing case: "
                f"{describe_inputs(cases[smallest], arg_names)}; expected "
                f"{answers.short(expecteds[smallest][k])}, got {answers.short(given[smallest][k])} "
                f"(compared {tolerance_text(rtol, atol)})."
            )
        messages.append(problem)
    right = [
        part_names[k]
        for k in range(n)
        if all(matches(given[i][k], expecteds[i][k], rtol, atol) for i in range(len(cases)))
    ]
    prefix = f"{' and '.join(right)} right; " if right else ""
    return f"{prefix}{' '.join(messages)} {'' if known else hint}".strip()
