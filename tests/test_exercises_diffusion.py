"""Tests of the lesson-7 exercise checkers: right answers pass, typical wrong ones get their own
diagnosis, a forgotten `return` is named, unattempted ones get a reminder, nothing raises, and
help (hints, then a solution) comes only on request. The full catalogue of mistakes and hostile
answers for these checkers is in test_exercises_catalogue.py."""

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import diffusion as ex


@pytest.fixture(autouse=True)
def fresh_lesson():
    ex.LESSON.reset()


def _not_attempted(*args):
    raise NotImplementedError


# Right answers written differently from the references (through alpha_t and the x0 estimate).


def add_noise_right(x0, alpha_bar, eps):
    signal, noise = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    return signal * x0 + noise * eps


def ddpm_step_right(x_t, eps_hat, beta, alpha_bar, z):
    alpha = 1 - beta
    return (x_t - (1 - alpha) / np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha) + np.sqrt(
        1 - alpha
    ) * z


def ddim_step_right(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    x0_hat = (x_t - np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha_bar)
    return add_noise_right(x0_hat, alpha_bar_prev, eps_hat)


CHECKS = [
    (ex.check_add_noise, add_noise_right, "add_noise"),
    (ex.check_ddpm_step, ddpm_step_right, "ddpm_step"),
    (ex.check_ddim_step, ddim_step_right, "ddim_step"),
]


def test_the_lesson_registers_its_four_exercises():
    assert ex.LESSON.number == 7
    assert list(ex.LESSON.exercises) == [
        "add_noise",
        "ddpm_step",
        "ddim_step",
        "noise_prediction_loss",
    ]
    assert all(len(e.hints) == 3 for e in ex.LESSON.exercises.values())


@pytest.mark.parametrize("check, right, name", CHECKS)
def test_right_answers_pass_and_the_rest_is_handled(check, right, name):
    result = check(right)
    assert result and "✅" in repr(result)
    assert check(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    forgot = check(lambda *args: None)  # a forgotten return is a wrong answer, named as such
    assert forgot.verdict is Verdict.WRONG and "forget `return`" in forgot.message
    crashed = check(lambda *args: args[0].reshape(-1, 7))  # cannot reshape: raises
    assert crashed.verdict is Verdict.ERROR and "ValueError" in crashed.message
    value = check(np.ones((1, 2)))  # a computed value where the function itself is wanted
    assert value.verdict is Verdict.WRONG and "not a function" in value.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x0, a, e: a * x0 + (1 - a) * e, "are variances"),
        (lambda x0, a, e: np.sqrt(a) * x0 + (1 - a) * e, "not its variance"),
        (lambda x0, a, e: a * x0 + np.sqrt(1 - a) * e, "not the variance alpha_bar"),
        (lambda x0, a, e: np.sqrt(1 - a) * x0 + np.sqrt(a) * e, "swapped"),
        (lambda x0, a, e: x0 + np.sqrt(1 - a) * e, "must shrink"),
        (lambda x0, a, e: np.sqrt(a) * x0 + e, "full strength"),
        (lambda x0, a, e: np.sqrt(a) * x0 - np.sqrt(1 - a) * e, "do not subtract"),
        (lambda x0, a, e: np.sqrt(a) * x0 + np.sqrt(1 - a) * e + 0.1, "with alpha_bar = 1"),
    ],
)
def test_add_noise_rejects_typical_mistakes(wrong, words):
    result = ex.check_add_noise(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message, result


def _mean(x, e, b, a):
    return (x - b / np.sqrt(1 - a) * e) / np.sqrt(1 - b)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x, e, b, a, z: _mean(x, e, b, a), "fresh noise"),
        (lambda x, e, b, a, z: x - b / np.sqrt(1 - a) * e + np.sqrt(b) * z, "not rescaled"),
        (
            lambda x, e, b, a, z: (x - b / np.sqrt(1 - a) * e) / np.sqrt(a) + np.sqrt(b) * z,
            "not alpha_bar",
        ),
        (
            lambda x, e, b, a, z: (x - b / (1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z,
            "standard deviation",
        ),
        (
            lambda x, e, b, a, z: (x + b / np.sqrt(1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z,
            "subtract",
        ),
        (lambda x, e, b, a, z: _mean(x, e, b, a) + b * z, "is a variance"),
        (
            lambda x, e, b, a, z: (x - np.sqrt(1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z,
            "as if jumping to x0",
        ),
        (lambda x, e, b, a, z: x - e, "Smallest failing case"),
    ],
)
def test_ddpm_step_rejects_typical_mistakes(wrong, words):
    result = ex.check_ddpm_step(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message, result


def _x0(x, e, a):
    return (x - np.sqrt(1 - a) * e) / np.sqrt(a)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x, e, a, s: _x0(x, e, a), "estimate of x0"),
        (lambda x, e, a, s: np.sqrt(s) * _x0(x, e, a), "remains"),
        (
            lambda x, e, a, s: np.sqrt(s) * (x - np.sqrt(1 - a) * e) + np.sqrt(1 - s) * e,
            "not rescaled",
        ),
        (lambda x, e, a, s: np.sqrt(a) * _x0(x, e, s) + np.sqrt(1 - a) * e, "swapped"),
        (lambda x, e, a, s: np.sqrt(s) * _x0(x, e, a) + (1 - s) * e, "standard deviations"),
        (lambda x, e, a, s: np.sqrt(s) * _x0(x, e, a) - np.sqrt(1 - s) * e, "not subtracted"),
        (lambda x, e, a, s: x - e, "alpha_bar_prev equal to alpha_bar"),
    ],
)
def test_ddim_step_rejects_typical_mistakes(wrong, words):
    result = ex.check_ddim_step(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message, result


@pytest.mark.parametrize("check, right, name", CHECKS)
def test_help_comes_in_steps_and_the_solution_only_on_request(check, right, name):
    wrong = check(lambda *args: args[0] * 0.5)
    assert f'ex.hint("{name}")' in repr(wrong)
    solution = ex.LESSON.exercises[name].solution
    body = [line.strip() for line in solution.splitlines()[1:]]
    hints = [ex.hint(name).text for _ in range(3)]
    assert [h.split(":")[0] for h in hints] == [f"Hint {i} of 3 for {name}" for i in (1, 2, 3)]
    for text in hints + [repr(wrong)]:  # no default output, no hint, contains a line of the code
        flat = text.replace(" ", "")
        assert not any(line.replace("return ", "").replace(" ", "") in flat for line in body), text
    shown = ex.solution(name).text
    assert all(line in shown for line in body)
    namespace = {"np": np}
    exec(solution, namespace)
    assert check(namespace[name])
    assert "Lesson 7: 1 of 4 exercises done" in check(right).nudge
    assert "solution seen" in ex.progress().text
