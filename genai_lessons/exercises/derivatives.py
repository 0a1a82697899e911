"""How lesson 1's derivative exercises are judged: the sigmoid's derivative and the gradient of
softmax cross-entropy with respect to the logits.

The references differentiate directly (e^-z / (1 + e^-z)^2) or loop over the examples and
classes, rather than using the forms the hints lead to; each usual mistake (a flipped sign, the
wrong axis, a missing batch mean) gets its own diagnosis. The learner-facing part is in
`genai_lessons.exercises.nn`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result

_Z_CASES = [(np.linspace(-6.0, 6.0, 13),), (np.array([[0.0, 0.5], [-2.0, 3.0]]),)]


def _sigmoid_derivative_reference(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2  # d/dz (1 + e^-z)^-1, differentiated directly


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def check_sigmoid_derivative(sigmoid_derivative) -> Result:
    """The check behind `nn.check_sigmoid_derivative` (documented there)."""
    return check_function(
        "derivative of the sigmoid",
        sigmoid_derivative,
        _Z_CASES,
        _sigmoid_derivative_reference,
        arg_names=["z"],
        mistakes=[
            (
                lambda z: z * (1.0 - z),
                "you applied the formula to z itself: it needs the sigmoid's value at z, not z.",
            ),
            (_sig, "that is the sigmoid itself, not its derivative."),
            (lambda z: _sig(z) * (1.0 + _sig(z)), "check the sign of the second factor."),
            (
                lambda z: 1.0 - np.tanh(z) ** 2,
                "that is the derivative of tanh, not of the sigmoid.",
            ),
            (
                lambda z: np.exp(-z) / (1.0 + np.exp(-z)),
                "the chain rule gives the denominator squared: (1 + e^-z)^2.",
            ),
            (
                lambda z: -_sig(z) * (1.0 - _sig(z)),
                "the sign is flipped: the sigmoid increases everywhere, so its slope is positive.",
            ),
            (
                lambda z: _sig(z) ** 2,
                "the slope is largest at z = 0 (where it is 0.25), "
                "and yours is not: check the second factor.",
            ),
        ],
        hint="The derivative is never negative and peaks at 0.25 for z = 0.",
    )


def _cases_softmax_grad() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(202)
    return [
        (rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])),
        (rng.normal(size=(2, 4)) * 3.0, np.array([3, 0])),
    ]


def _softmax_grad_reference(logits, labels):
    grad = np.empty_like(logits, dtype=np.float64)
    for i, row in enumerate(logits):  # per example: p_k - [k == label], then the batch mean
        p = np.exp(row - row.max())
        p = p / p.sum()
        for k in range(len(row)):
            grad[i, k] = (p[k] - (1.0 if k == labels[i] else 0.0)) / len(logits)
    return grad


def _softmax(logits, axis=1):
    e = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(labels, classes):
    return np.eye(classes)[labels]


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad) -> Result:
    """The check behind `nn.check_softmax_cross_entropy_grad` (documented there)."""
    return check_function(
        "gradient of softmax cross-entropy",
        softmax_cross_entropy_grad,
        _cases_softmax_grad(),
        _softmax_grad_reference,
        arg_names=["logits", "labels"],
        mistakes=[
            (
                lambda z, y: _softmax(z) - _one_hot(y, z.shape[1]),
                "almost: the loss is a mean over the batch, so divide by the batch size.",
            ),
            (
                lambda z, y: (_one_hot(y, z.shape[1]) - _softmax(z)) / len(z),
                "the sign is flipped: it is probabilities minus labels, not labels minus probabilities.",
            ),
            (
                lambda z, y: _softmax(z) / len(z),
                "the labels are missing: subtract their one-hot encoding from the probabilities.",
            ),
            (
                lambda z, y: (z - _one_hot(y, z.shape[1])) / len(z),
                "use the softmax probabilities, not the raw logits, before subtracting the labels.",
            ),
            (
                lambda z, y: (_softmax(z, axis=0) - _one_hot(y, z.shape[1])) / len(z),
                "the softmax normalises each row (one example, over its classes: axis=1), not each column.",
            ),
            (
                lambda z, y: (_softmax(z) - y[:, None]) / len(z),
                "subtract a one-hot encoding of the labels (1 at the label's column, 0 elsewhere), "
                "not the label number itself.",
            ),
            (
                lambda z, y: (_softmax(z) - _one_hot(y, z.shape[1])) / z.shape[1],
                "divide by the batch size (the number of rows), not the number of classes.",
            ),
        ],
        hint="Each row of the gradient should sum to 0.",
    )
