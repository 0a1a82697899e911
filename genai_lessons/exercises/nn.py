"""Exercises of lesson 1 (neural networks): a dense layer, an activation's derivative, the
gradient of softmax cross-entropy.

Each checker calls the learner's function on a few fixed cases and compares it with a
reference written here independently of the lesson's code (loops and alternative formulas
rather than the lesson's vectorised ones), recognising the usual mistakes.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function


def _cases_dense() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(101)
    cases = []
    for batch, fan_in, fan_out in ((4, 3, 5), (1, 2, 2), (6, 5, 3)):
        cases.append((rng.normal(size=(batch, fan_in)), rng.normal(size=(fan_in, fan_out)),
                      rng.normal(size=fan_out)))
    return cases


def _dense_reference(x, weights, bias):
    out = np.empty((x.shape[0], weights.shape[1]))
    for i in range(x.shape[0]):  # one example at a time, one unit at a time
        for j in range(weights.shape[1]):
            total = bias[j] + sum(x[i, k] * weights[k, j] for k in range(x.shape[1]))
            out[i, j] = total if total > 0 else 0.0
    return out


def check_dense_forward(dense_forward) -> Result:
    """`dense_forward(x, weights, bias)` must return relu(x @ weights + bias).

    x: (batch, fan_in), weights: (fan_in, fan_out), bias: (fan_out,) -> (batch, fan_out).
    """
    return check_function(
        "dense layer forward pass", dense_forward, _cases_dense(), _dense_reference,
        mistakes=[
            (lambda x, w, b: np.maximum(x @ w, 0.0),
             "the bias is missing: every unit adds its own bias to the weighted sum."),
            (lambda x, w, b: x @ w + b,
             "the activation is missing: pass the weighted sum plus bias through ReLU, max(z, 0)."),
            (lambda x, w, b: np.maximum(x @ w, 0.0) + b,
             "the bias must be added before the activation, not after it."),
            (lambda x, w, b: np.maximum(x @ w + b, 0.0).T,
             "the result is transposed: it should have one row per example, (batch, fan_out)."),
        ],
        hint="compute z = x @ weights + bias (shape (batch, fan_out)), then return np.maximum(z, 0).",
    )


_Z_CASES = [(np.linspace(-6.0, 6.0, 13),), (np.array([[0.0, 0.5], [-2.0, 3.0]]),)]


def _sigmoid_derivative_reference(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2  # d/dz (1 + e^-z)^-1, differentiated directly


def check_sigmoid_derivative(sigmoid_derivative) -> Result:
    """`sigmoid_derivative(z)` must return d sigmoid(z) / dz elementwise, same shape as z."""
    def sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    return check_function(
        "derivative of the sigmoid", sigmoid_derivative, _Z_CASES, _sigmoid_derivative_reference,
        mistakes=[
            (lambda z: z * (1.0 - z),
             "you applied s(1 - s) to z itself: first compute s = sigmoid(z), then s * (1 - s)."),
            (sig, "that is the sigmoid itself, not its derivative: use s * (1 - s) with s = sigmoid(z)."),
            (lambda z: sig(z) * (1.0 + sig(z)), "check the sign: the derivative is s * (1 - s)."),
            (lambda z: 1.0 - np.tanh(z) ** 2, "that is the derivative of tanh, not of the sigmoid."),
        ],
        hint="with s = 1 / (1 + exp(-z)), the derivative is s * (1 - s); it peaks at 0.25 for z = 0.",
    )


def _cases_softmax_grad() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(202)
    return [(rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])),
            (rng.normal(size=(2, 4)) * 3.0, np.array([3, 0]))]


def _softmax_grad_reference(logits, labels):
    grad = np.empty_like(logits, dtype=np.float64)
    for i, row in enumerate(logits):  # per example: p_k - [k == label], then the batch mean
        p = np.exp(row - row.max())
        p = p / p.sum()
        for k in range(len(row)):
            grad[i, k] = (p[k] - (1.0 if k == labels[i] else 0.0)) / len(logits)
    return grad


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(labels, classes):
    return np.eye(classes)[labels]


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad) -> Result:
    """`softmax_cross_entropy_grad(logits, labels)` must return dL/dlogits, (batch, classes),
    for L the mean over the batch of -log softmax(logits)[label]."""
    return check_function(
        "gradient of softmax cross-entropy", softmax_cross_entropy_grad, _cases_softmax_grad(),
        _softmax_grad_reference,
        mistakes=[
            (lambda z, y: _softmax(z) - _one_hot(y, z.shape[1]),
             "almost: the loss is a mean over the batch, so divide by the batch size."),
            (lambda z, y: (_one_hot(y, z.shape[1]) - _softmax(z)) / len(z),
             "the sign is flipped: it is (probabilities - one_hot(labels)) / batch."),
            (lambda z, y: _softmax(z) / len(z),
             "subtract the one-hot labels from the probabilities before dividing by the batch size."),
            (lambda z, y: (z - _one_hot(y, z.shape[1])) / len(z),
             "use the softmax probabilities, not the raw logits, before subtracting the labels."),
        ],
        hint="p = softmax(logits) row by row; the gradient is (p - one_hot(labels)) / batch_size.",
    )
