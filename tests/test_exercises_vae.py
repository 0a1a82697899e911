"""Tests of the lesson-4 exercise checkers: right answers pass, typical wrong ones get their hint,
unattempted ones a reminder, and nothing raises."""

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import vae as ex


def _not_attempted(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- reparameterize


def reparameterize_right(mean, log_var, eps):
    return mean + np.exp(log_var / 2) * eps


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda m, lv, e: m + np.exp(lv) * e, "is the variance"),
        (lambda m, lv, e: m + lv * e, "is a logarithm"),
        (lambda m, lv, e: m + np.exp(lv / 2), "noise eps is missing"),
        (lambda m, lv, e: (m + e) * np.exp(lv / 2), "mean is added unscaled"),
        (lambda m, lv, e: m + np.exp(lv / 2) * e + 1.0, "Smallest failing case"),
    ],
)
def test_reparameterize_rejects_typical_mistakes(wrong, words):
    result = ex.check_reparameterize(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


def test_reparameterize_accepts_a_right_answer_and_handles_the_rest():
    result = ex.check_reparameterize(reparameterize_right)
    assert result and "✅" in repr(result)
    assert ex.check_reparameterize(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    assert "forget `return`" in ex.check_reparameterize(lambda m, lv, e: None).message
    crashed = ex.check_reparameterize(
        lambda m, lv, e: m.reshape(-1, 7) + e
    )  # cannot reshape: raises
    assert crashed.verdict is Verdict.ERROR and "ValueError" in crashed.message


# --------------------------------------------------------------------------- KL divergence


def kl_right(mean, log_var):
    # Written through the standard deviation rather than the log-variance formula.
    std = np.exp(log_var / 2)
    return np.sum(np.log(1 / std) + (std**2 + mean**2) / 2 - 0.5, axis=-1)


def test_kl_divergence_accepts_a_right_answer_and_handles_the_rest():
    result = ex.check_kl_divergence(kl_right)
    assert result and "✅" in repr(result)
    assert ex.check_kl_divergence(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    crashed = ex.check_kl_divergence(lambda m, lv: np.sum(m, axis=5))
    assert crashed.verdict is Verdict.ERROR


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda m, lv: 0.5 * np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "sign is flipped"),
        (lambda m, lv: -np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "factor of 2"),
        (lambda m, lv: -0.5 * np.mean(1 + lv - m**2 - np.exp(lv), axis=-1), "do not average"),
        (lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv)), "latent axis only"),
        (
            lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv / 2), axis=-1),
            "the variance is exp(log_var)",
        ),
    ],
)
def test_kl_divergence_rejects_typical_mistakes(wrong, words):
    result = ex.check_kl_divergence(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message
