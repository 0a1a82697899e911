"""Tests of the lesson-1 exercise checkers: right answers pass, typical wrong ones get their hint,
unattempted ones a reminder, and nothing raises."""

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import nn as ex


def _not_attempted(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- dense forward


def dense_right(x, weights, bias):
    return np.clip(np.einsum("bi,io->bo", x, weights) + bias, 0.0, None)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x, w, b: np.maximum(x @ w, 0), "bias is missing"),
        (lambda x, w, b: x @ w + b, "activation is missing"),
        (lambda x, w, b: np.maximum(x @ w, 0) + b, "before the activation"),
        (lambda x, w, b: np.tanh(x @ w + b), "Smallest failing case"),
    ],
)
def test_dense_forward_rejects_typical_mistakes(wrong, words):
    result = ex.check_dense_forward(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


def test_dense_forward_accepts_a_right_answer_and_handles_the_rest():
    assert ex.check_dense_forward(dense_right)
    assert ex.check_dense_forward(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    assert "forget `return`" in ex.check_dense_forward(lambda x, w, b: None).message
    crashed = ex.check_dense_forward(lambda x, w, b: w @ x)  # shapes do not fit: raises
    assert crashed.verdict is Verdict.ERROR and "ValueError" in crashed.message


# --------------------------------------------------------------------------- sigmoid derivative


def test_sigmoid_derivative_accepts_a_right_answer():
    def right(z):
        return 0.25 / np.cosh(z / 2) ** 2  # the same function, written through cosh

    result = ex.check_sigmoid_derivative(right)
    assert result and "✅" in repr(result)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda z: z * (1 - z), "to z itself"),
        (lambda z: 1 / (1 + np.exp(-z)), "sigmoid itself"),
        (lambda z: 1 - np.tanh(z) ** 2, "derivative of tanh"),
        (lambda z: np.exp(-z), "Smallest failing case"),
    ],
)
def test_sigmoid_derivative_rejects_typical_mistakes(wrong, words):
    result = ex.check_sigmoid_derivative(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message
    assert "❌" in repr(result)


def test_sigmoid_derivative_not_attempted():
    result = ex.check_sigmoid_derivative(_not_attempted)
    assert result.verdict is Verdict.NOT_ATTEMPTED and "📝" in repr(result)


# --------------------------------------------------------------------------- softmax gradient


def test_softmax_gradient_accepts_a_right_answer():
    def right(logits, labels):
        # via log-softmax: d/dz of -mean(z_y - logsumexp(z))
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))
        probs[np.arange(len(labels)), labels] -= 1.0
        return probs / logits.shape[0]

    assert ex.check_softmax_cross_entropy_grad(right)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (
            lambda z, y: np.exp(z) / np.exp(z).sum(1, keepdims=True) - np.eye(z.shape[1])[y],
            "divide by the batch",
        ),
        (
            lambda z, y: (
                (np.eye(z.shape[1])[y] - np.exp(z) / np.exp(z).sum(1, keepdims=True)) / len(z)
            ),
            "sign",
        ),
        (lambda z, y: (z - np.eye(z.shape[1])[y]) / len(z), "not the raw logits"),
    ],
)
def test_softmax_gradient_rejects_typical_mistakes(wrong, words):
    result = ex.check_softmax_cross_entropy_grad(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message


def test_softmax_gradient_not_attempted():
    assert ex.check_softmax_cross_entropy_grad(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
