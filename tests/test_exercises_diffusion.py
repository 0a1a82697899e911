"""Tests of the lesson-7 exercise checkers: right answers pass, typical wrong ones get their hint,
unattempted ones a reminder, and nothing raises."""

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import diffusion as ex


def _not_attempted(*args):
    raise NotImplementedError


# Right answers written differently from the references (through alpha_t and the x0 estimate).

def add_noise_right(x0, alpha_bar, eps):
    signal, noise = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    return signal * x0 + noise * eps


def ddpm_step_right(x_t, eps_hat, beta, alpha_bar, z):
    alpha = 1 - beta
    return (x_t - (1 - alpha) / np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha) + np.sqrt(1 - alpha) * z


def ddim_step_right(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    # The same step written as one linear map of x_t and eps_hat.
    ratio = np.sqrt(alpha_bar_prev / alpha_bar)
    return ratio * x_t + (np.sqrt(1 - alpha_bar_prev) - ratio * np.sqrt(1 - alpha_bar)) * eps_hat


@pytest.mark.parametrize("check, right", [
    (ex.check_add_noise, add_noise_right), (ex.check_ddpm_step, ddpm_step_right),
    (ex.check_ddim_step, ddim_step_right),
])
def test_right_answers_pass_and_the_rest_is_handled(check, right):
    result = check(right)
    assert result and "✅" in repr(result)
    assert check(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    assert check(lambda *args: None).verdict is Verdict.NOT_ATTEMPTED
    crashed = check(lambda *args: args[0].reshape(-1, 7))  # cannot reshape: raises
    assert crashed.verdict is Verdict.ERROR and "ValueError" in crashed.message


@pytest.mark.parametrize("wrong, words", [
    (lambda x0, a, e: a * x0 + (1 - a) * e, "are variances"),
    (lambda x0, a, e: np.sqrt(a) * x0 + (1 - a) * e, "standard deviation"),
    (lambda x0, a, e: np.sqrt(1 - a) * x0 + np.sqrt(a) * e, "swapped"),
    (lambda x0, a, e: x0 + np.sqrt(1 - a) * e, "must shrink"),
    (lambda x0, a, e: np.sqrt(a) * x0 + np.sqrt(1 - a) * e + 0.1, "x_t = sqrt(alpha_bar)"),
])
def test_add_noise_rejects_typical_mistakes(wrong, words):
    result = ex.check_add_noise(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


@pytest.mark.parametrize("wrong, words", [
    (lambda x, e, b, a, z: (x - b / np.sqrt(1 - a) * e) / np.sqrt(1 - b), "fresh noise"),
    (lambda x, e, b, a, z: x - b / np.sqrt(1 - a) * e + np.sqrt(b) * z, "sqrt(alpha_t)"),
    (lambda x, e, b, a, z: (x - b / (1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z, "with a square root"),
    (lambda x, e, b, a, z: (x + b / np.sqrt(1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z, "subtract"),
    (lambda x, e, b, a, z: (x - b / np.sqrt(1 - a) * e) / np.sqrt(1 - b) + b * z, "is a variance"),
])
def test_ddpm_step_rejects_typical_mistakes(wrong, words):
    result = ex.check_ddpm_step(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


@pytest.mark.parametrize("wrong, words", [
    (lambda x, e, a, s: (x - np.sqrt(1 - a) * e) / np.sqrt(a), "estimate of x0"),
    (lambda x, e, a, s: np.sqrt(s) * (x - np.sqrt(1 - a) * e) / np.sqrt(a), "remains"),
    (lambda x, e, a, s: np.sqrt(s) * (x - np.sqrt(1 - a) * e) + np.sqrt(1 - s) * e, "divide by"),
    (lambda x, e, a, s: x - e, "abar_prev"),
])
def test_ddim_step_rejects_typical_mistakes(wrong, words):
    result = ex.check_ddim_step(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message
