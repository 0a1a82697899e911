"""Exercises of lesson 1 (neural networks): a dense layer's forward and backward pass, an
activation's derivative, the gradient of softmax cross-entropy, and a training loop.

Each checker calls the learner's function on a few fixed cases and compares it with a
reference written here independently of the lesson's code (loops and alternative formulas
rather than the lesson's vectorised ones), recognising the usual mistakes. Hints and a solution
come only on request: `hint("dense_backward")`, `solution("dense_backward")`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises import loop
from genai_lessons.exercises.core import Result, check_function
from genai_lessons.exercises.lesson import Lesson

LESSON = Lesson(1, "neural networks")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


def _cases_dense() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(101)
    cases = []
    for batch, fan_in, fan_out in ((4, 3, 5), (1, 2, 2), (6, 5, 3)):
        cases.append(
            (
                rng.normal(size=(batch, fan_in)),
                rng.normal(size=(fan_in, fan_out)),
                rng.normal(size=fan_out),
            )
        )
    return cases


def _dense_reference(x, weights, bias):
    out = np.empty((x.shape[0], weights.shape[1]))
    for i in range(x.shape[0]):  # one example at a time, one unit at a time
        for j in range(weights.shape[1]):
            total = bias[j] + sum(x[i, k] * weights[k, j] for k in range(x.shape[1]))
            out[i, j] = total if total > 0 else 0.0
    return out


LESSON.add(
    "dense_forward",
    "dense layer forward pass",
    hints=[
        "Each unit j computes a weighted sum of the inputs plus its own bias, then applies ReLU. "
        "With a batch, do all examples and all units at once with a matrix product.",
        "Shapes: x (batch, fan_in) times weights (fan_in, fan_out) gives (batch, fan_out); the bias "
        "(fan_out,) is added to every row by broadcasting.",
        "ReLU keeps positive values and replaces negative ones by 0, element by element: that is "
        "np.maximum with 0 (not np.max, which reduces an axis).",
    ],
    solution="""
def dense_forward(x, weights, bias):
    z = x @ weights + bias
    return np.maximum(z, 0.0)
""",
)


@LESSON.checker("dense_forward")
def check_dense_forward(dense_forward) -> Result:
    """`dense_forward(x, weights, bias)` must return relu(x @ weights + bias).

    x: (batch, fan_in), weights: (fan_in, fan_out), bias: (fan_out,) -> (batch, fan_out).
    """
    return check_function(
        "dense layer forward pass",
        dense_forward,
        _cases_dense(),
        _dense_reference,
        arg_names=["x", "weights", "bias"],
        mistakes=[
            (
                lambda x, w, b: np.maximum(x @ w, 0.0),
                "the bias is missing: every unit adds its own bias to the weighted sum.",
            ),
            (
                lambda x, w, b: x @ w + b,
                "the activation is missing: pass the weighted sum plus bias through ReLU.",
            ),
            (
                lambda x, w, b: np.maximum(x @ w, 0.0) + b,
                "the bias must be added before the activation, not after it.",
            ),
            (
                lambda x, w, b: np.maximum(x @ w + b, 0.0).T,
                "the result is transposed: it should have one row per example, (batch, fan_out).",
            ),
            (
                lambda x, w, b: np.max(x @ w + b, 0),
                "np.max reduces along an axis (here it kept one value per unit); ReLU compares each "
                "value with 0 on its own: np.maximum.",
            ),
            (
                lambda x, w, b: (x @ w + b > 0).astype(float),
                "this is whether z > 0 (a 0/1 mask), not the value: ReLU keeps the positive values "
                "themselves.",
            ),
            (
                lambda x, w, b: np.abs(x @ w + b),
                "abs flips negative values to positive; ReLU sets them to 0.",
            ),
        ],
        hint="Compare your output with the expected one on this case.",
    )


_Z_CASES = [(np.linspace(-6.0, 6.0, 13),), (np.array([[0.0, 0.5], [-2.0, 3.0]]),)]


def _sigmoid_derivative_reference(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2  # d/dz (1 + e^-z)^-1, differentiated directly


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


LESSON.add(
    "sigmoid_derivative",
    "derivative of the sigmoid",
    hints=[
        "Differentiate (1 + e^-z)^-1 with the chain rule, then look for the sigmoid itself in the "
        "result.",
        "The derivative is e^-z / (1 + e^-z)^2. Split it into two factors: 1 / (1 + e^-z) and "
        "e^-z / (1 + e^-z). The first is the sigmoid; what is the second in terms of the sigmoid?",
        "The second factor is one minus the sigmoid. Compute the sigmoid once, then combine.",
    ],
    solution="""
def sigmoid_derivative(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)
""",
)


@LESSON.checker("sigmoid_derivative")
def check_sigmoid_derivative(sigmoid_derivative) -> Result:
    """`sigmoid_derivative(z)` must return d sigmoid(z) / dz elementwise, same shape as z."""
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


LESSON.add(
    "softmax_cross_entropy_grad",
    "gradient of softmax cross-entropy",
    hints=[
        "For one example, the derivative of -log softmax(z)[label] with respect to z_k is "
        "'probability of k' minus 'is k the label?'.",
        "Compute the softmax of each row (subtract the row's maximum first), and a one-hot encoding "
        "of the labels with the same shape.",
        "Subtract the one-hot labels from the probabilities; the loss is a mean over the batch, so "
        "divide by the number of rows.",
    ],
    solution="""
def softmax_cross_entropy_grad(logits, labels):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return p / len(labels)
""",
)


@LESSON.checker("softmax_cross_entropy_grad")
def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad) -> Result:
    """`softmax_cross_entropy_grad(logits, labels)` must return dL/dlogits, (batch, classes),
    for L the mean over the batch of -log softmax(logits)[label]."""
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


# --------------------------------------------------------------------------- dense backward


def _cases_backward():
    rng = np.random.default_rng(105)
    cases = []
    for batch, fan_in, fan_out in ((4, 3, 5), (1, 2, 2), (6, 4, 4), (5, 5, 3)):
        cases.append(
            (
                rng.normal(size=(batch, fan_in)),
                rng.normal(size=(fan_in, fan_out)),
                rng.normal(size=fan_out),
                rng.normal(size=(batch, fan_out)),
            )
        )
    return cases


def _backward_reference(x, weights, bias, grad_out):
    """Loops over the chain rule: out[n, j] = relu(z[n, j]), z[n, j] = sum_i x[n, i] W[i, j] + b[j]."""
    batch, fan_in = x.shape
    fan_out = weights.shape[1]
    grad_w, grad_b, grad_x = np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(x)
    for n in range(batch):
        for j in range(fan_out):
            z = bias[j] + sum(x[n, i] * weights[i, j] for i in range(fan_in))
            g = grad_out[n, j] if z > 0 else 0.0  # ReLU passes the gradient only where z > 0
            grad_b[j] += g
            for i in range(fan_in):
                grad_w[i, j] += x[n, i] * g
                grad_x[n, i] += weights[i, j] * g
    return grad_w, grad_b, grad_x


def _delta(x, w, b, g):
    return g * (x @ w + b > 0)


LESSON.add(
    "dense_backward",
    "dense layer backward pass",
    hints=[
        "Go backwards through the two steps of the layer: first through ReLU (out = relu(z)), then "
        "through the weighted sum z. Recompute z from the inputs first.",
        "Through ReLU: the gradient with respect to z is grad_out where z > 0 and 0 elsewhere. Call "
        "it delta, shape (batch, fan_out). Every gradient below is built from delta.",
        "Match the shapes: grad_weights (fan_in, fan_out) is a product of x transposed and delta; "
        "grad_bias (fan_out,) adds delta over the batch; grad_x (batch, fan_in) is a product of "
        "delta and weights transposed. No division by the batch size: grad_out already has it.",
    ],
    solution="""
def dense_backward(x, weights, bias, grad_out):
    z = x @ weights + bias
    delta = grad_out * (z > 0)
    return x.T @ delta, delta.sum(axis=0), delta @ weights.T
""",
)


@LESSON.checker("dense_backward")
def check_dense_backward(dense_backward) -> Result:
    """`dense_backward(x, weights, bias, grad_out)` for the layer out = relu(x @ weights + bias):
    given grad_out = dL/dout (batch, fan_out), return (grad_weights, grad_bias, grad_x) with
    the shapes of weights (fan_in, fan_out), bias (fan_out,) and x (batch, fan_in)."""
    return check_function(
        "dense layer backward pass",
        dense_backward,
        _cases_backward(),
        _backward_reference,
        arg_names=["x", "weights", "bias", "grad_out"],
        part_names=["grad_weights", "grad_bias", "grad_x"],
        mistakes=[
            (
                lambda x, w, b, g: (x.T @ g, g.sum(0), g @ w.T),
                "the ReLU is missing from the chain: where the pre-activation z is negative, the "
                "layer's output does not depend on z, so no gradient flows there.",
            ),
            (
                lambda x, w, b, g: (
                    _delta(x, w, b, g).T @ x,
                    _delta(x, w, b, g).sum(0),
                    _delta(x, w, b, g) @ w.T,
                ),
                "grad_weights must have the shape of weights, (fan_in, fan_out): swap the order of "
                "the product (and the transposes).",
            ),
            (
                lambda x, w, b, g: (
                    x.T @ _delta(x, w, b, g),
                    _delta(x, w, b, g).mean(0),
                    _delta(x, w, b, g) @ w.T,
                ),
                "grad_bias adds up the contributions of the examples: sum over the batch, don't average "
                "(grad_out already includes the loss's 1/batch).",
            ),
            (
                lambda x, w, b, g: (
                    x.T @ _delta(x, w, b, g),
                    _delta(x, w, b, g),
                    _delta(x, w, b, g) @ w.T,
                ),
                "grad_bias needs one value per unit, shape (fan_out,): the bias is shared by all "
                "examples, so add up their contributions over the batch axis.",
            ),
            (
                lambda x, w, b, g: (x.T @ _delta(x, w, b, g), _delta(x, w, b, g).sum(0), g @ w.T),
                "grad_x must also go through the ReLU: use the masked gradient for it too.",
            ),
            (
                lambda x, w, b, g: (
                    x.T @ _delta(x, w, b, g),
                    _delta(x, w, b, g).sum(0),
                    _delta(x, w, b, g) @ w,
                ),
                "grad_x uses the weights transposed: z = x @ weights, so the gradient flows back "
                "through weights.T.",
            ),
            (
                lambda x, w, b, g: tuple(
                    a / len(x)
                    for a in (
                        x.T @ _delta(x, w, b, g),
                        _delta(x, w, b, g).sum(0),
                        _delta(x, w, b, g) @ w.T,
                    )
                ),
                "you divided by the batch size: grad_out is already the gradient of the mean loss.",
            ),
            (
                lambda x, w, b, g: (
                    x.T @ (g * (x @ w > 0)),
                    (g * (x @ w > 0)).sum(0),
                    (g * (x @ w > 0)) @ w.T,
                ),
                "the ReLU mask must come from the pre-activation z, bias included.",
            ),
            (
                lambda x, w, b, g: (x.T @ (g * (g > 0)), (g * (g > 0)).sum(0), (g * (g > 0)) @ w.T),
                "the mask depends on the layer's pre-activation z (was it positive?), not on the "
                "sign of grad_out.",
            ),
        ],
        hint="Check the shapes first: each gradient has the shape of what it is the gradient of.",
    )


# --------------------------------------------------------------------------- training loop


LESSON.add(
    "train",
    "training loop",
    hints=[
        "Gradient descent repeats one step many times: ask for the gradients on a batch, then move "
        "every parameter a little against its gradient. An epoch is one pass over all examples.",
        "Two nested loops: over the epochs, and inside over the batches. At the start of each epoch "
        "shuffle the order of the examples (a random permutation of the indices), then take "
        "batch_size indices at a time.",
        "For each batch, call gradients(params, x_batch, y_batch), which returns (loss, grads); then "
        "for every name in params, the new value is the old one minus learning_rate times "
        "grads[name]. Return params at the end.",
    ],
    solution="""
def train(params, x, y, gradients, epochs, learning_rate, batch_size):
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss, grads = gradients(params, x[batch], y[batch])
            for name in params:
                params[name] = params[name] - learning_rate * grads[name]
    return params
""",
)


@LESSON.checker("train")
def check_train(train) -> Result:
    """`train(params, x, y, gradients, epochs, learning_rate, batch_size)`: mini-batch gradient
    descent, returning the trained params. The check runs it on a spirals task (a 2-32-2 ReLU
    network) and requires the held-out accuracy to reach `loop.TARGET_ACCURACY`."""
    return loop.check_train(train)
