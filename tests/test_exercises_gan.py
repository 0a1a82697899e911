"""Tests of the lesson-3 exercise checkers: right answers written independently pass, typical wrong
ones get their hint, unattempted ones a reminder, and nothing raises."""

import math

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import gan as ex


def _not_attempted(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- discriminator loss


def discriminator_right(p_real, p_fake):
    # Binary cross-entropy via log-odds: -log p = log(1 + e^-l) with l = log(p / (1 - p)).
    logit_real = np.log(p_real) - np.log1p(-p_real)
    logit_fake = np.log(p_fake) - np.log1p(-p_fake)
    return np.log1p(np.exp(-logit_real)).mean() + np.log1p(np.exp(logit_fake)).mean()


def test_discriminator_loss_accepts_a_right_answer_and_handles_the_rest():
    result = ex.check_discriminator_loss(discriminator_right)
    assert result and "✅" in repr(result)
    assert ex.check_discriminator_loss(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    assert "forget `return`" in ex.check_discriminator_loss(lambda r, f: None).message
    crashed = ex.check_discriminator_loss(lambda r, f: r @ np.ones(100))  # shapes do not fit
    assert crashed.verdict is Verdict.ERROR and "ValueError" in crashed.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda r, f: np.mean(np.log(r)) + np.mean(np.log(1 - f)), "sign is flipped"),
        (lambda r, f: -np.mean(np.log(1 - r)) - np.mean(np.log(f)), "targets are swapped"),
        (lambda r, f: -np.mean(np.log(r)) - np.mean(np.log(f)), "1 - D(G(z)), not D(G(z))"),
        (lambda r, f: -np.mean(np.log(r)), "only the real batch"),
        (
            lambda r, f: -np.mean(np.log(np.concatenate([r, 1 - f]))),
            "average each batch separately",
        ),
        (lambda r, f: -np.mean(np.log(r)) - np.mean(np.log(1 - f)) + 0.1, "Smallest failing case"),
    ],
)
def test_discriminator_loss_rejects_typical_mistakes(wrong, words):
    result = ex.check_discriminator_loss(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


# --------------------------------------------------------------------------- generator loss


def test_generator_loss_accepts_a_right_answer():
    def right(p_fake):
        return float(np.log(np.prod(1.0 / p_fake)) / p_fake.size)  # -mean(log p), via a product

    assert ex.check_generator_loss(right)
    assert ex.check_generator_loss(_not_attempted).verdict is Verdict.NOT_ATTEMPTED


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda p: np.mean(np.log(1 - p)), "minimax"),
        (lambda p: np.mean(np.log(p)), "sign is flipped"),
        (lambda p: -np.mean(np.log(1 - p)), "discriminator's term"),
        (lambda p: -np.sum(np.log(p)), "average over the batch"),
        (lambda p: 1 - np.mean(p), "logarithm"),
    ],
)
def test_generator_loss_rejects_typical_mistakes(wrong, words):
    result = ex.check_generator_loss(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


# --------------------------------------------------------------------------- equilibrium


def test_equilibrium_loss_accepts_the_right_value():
    assert ex.check_equilibrium_loss(math.log(4))
    assert ex.check_equilibrium_loss(1.3863)  # rounded to four decimals is fine
    assert ex.check_equilibrium_loss(None).verdict is Verdict.NOT_ATTEMPTED
    assert ex.check_equilibrium_loss(...).verdict is Verdict.NOT_ATTEMPTED


@pytest.mark.parametrize(
    "wrong, words",
    [
        (math.log(2), "one of the two terms"),
        (-math.log(4), "value of the game"),
        (0.5, "what the discriminator outputs"),
        (2.0, "base-2"),
        (3.0, "D = 1/2"),
    ],
)
def test_equilibrium_loss_rejects_typical_mistakes(wrong, words):
    result = ex.check_equilibrium_loss(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message
