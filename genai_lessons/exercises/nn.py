"""Exercises of lesson 1 (neural networks): a dense layer's forward and backward pass, an
activation's derivative, the gradient of softmax cross-entropy, and a training loop.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged (fixed cases, a reference written independently
of the lesson's code, the usual mistakes) is in `dense`, `derivatives` and `loop`. Hints and a
solution come only on request: `hint("dense_backward")`, `solution("dense_backward")`.
"""

from __future__ import annotations

from genai_lessons.exercises import dense, derivatives, loop
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(1, "neural networks")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


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
    return dense.check_dense_forward(dense_forward)


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
    return derivatives.check_sigmoid_derivative(sigmoid_derivative)


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
    return derivatives.check_softmax_cross_entropy_grad(softmax_cross_entropy_grad)


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
    return dense.check_dense_backward(dense_backward)


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
