"""How lesson 1's dense-layer exercises are judged: the forward pass relu(x @ weights + bias)
and the backward pass (the gradients of the weights, the bias and the input).

The references loop over examples and units, independently of the lesson's vectorised code, and
each usual mistake (a missing bias or ReLU mask, a transposed product, a mean for a sum) is
computed from the same inputs so that the feedback can name it. The learner-facing part (hints,
solutions, the documented checkers) is in `genai_lessons.exercises.nn`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


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


def check_dense_forward(dense_forward) -> Result:
    """The check behind `nn.check_dense_forward` (documented there)."""
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


def check_dense_backward(dense_backward) -> Result:
    """The check behind `nn.check_dense_backward` (documented there)."""
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
