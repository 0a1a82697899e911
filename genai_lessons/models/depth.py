"""Many small multilayer perceptrons trained side by side, for fair depth comparisons.

A fair "deep versus shallow" comparison trains each network with its own best learning rate,
over several seeds, and reads the result at several training budgets. That is dozens of runs of
tiny networks, where Keras's per-step overhead dominates; so `train_side_by_side` trains all
networks of one architecture at once, in NumPy, as one batched computation: the same networks
as `genai_lessons.models.mlp.build_mlp` (ReLU hidden layers, softmax output, Glorot-uniform weights,
zero biases), the same loss (cross-entropy) and the same optimizer (Adam, Keras's defaults),
checked against Keras in the tests.

    curves = depth.train_side_by_side(x, y, [16, 16], learning_rates=[1e-3, 1e-2],
                                      seeds=[0, 1], steps=2000, eval_every=500,
                                      held_out={"validation": (x_val, y_val)})
    curves.accuracy["validation"].shape  # (evaluations, learning rates, seeds)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genai_lessons.core.validation import check_int

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras's Adam defaults


@dataclass(frozen=True)
class Curves:
    """Held-out accuracy of every network, read at several points of training."""

    steps: np.ndarray  # (evaluations,) training steps done at each reading
    accuracy: dict[str, np.ndarray]  # per held-out set: (evaluations, learning rates, seeds)
    parameters: int  # parameters of one network


def layer_sizes(inputs: int, hidden: Sequence[int], outputs: int) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of each dense layer."""
    sizes = [inputs, *hidden, outputs]
    return list(zip(sizes[:-1], sizes[1:]))


def count_parameters(inputs: int, hidden: Sequence[int], outputs: int) -> int:
    """Weights and biases of an MLP, as `keras.Model.count_params` counts them."""
    return sum(a * b + b for a, b in layer_sizes(inputs, hidden, outputs))


class _Stack:
    """The parameters of `models` networks of one architecture in one flat (models, P) array."""

    def __init__(self, sizes, models: int, seeds: Sequence[int]):
        self.sizes = sizes
        total = sum(a * b + b for a, b in sizes)
        self.flat = np.zeros((models, total))
        self.weights, self.biases, offset = [], [], 0
        for a, b in sizes:
            self.weights.append(self.flat[:, offset : offset + a * b].reshape(models, a, b))
            offset += a * b
            self.biases.append(self.flat[:, offset : offset + b].reshape(models, 1, b))
            offset += b
        for model, seed in enumerate(seeds):  # Glorot uniform, biases zero
            rng = np.random.default_rng(seed)
            for weight, (a, b) in zip(self.weights, sizes):
                limit = np.sqrt(6.0 / (a + b))
                weight[model] = rng.uniform(-limit, limit, size=(a, b))

    def views(self, flat):
        """Per-layer (weight, bias) views into another (models, P) array, e.g. gradients."""
        out, offset = [], 0
        for a, b in self.sizes:
            weight = flat[:, offset : offset + a * b].reshape(len(flat), a, b)
            offset += a * b
            out.append((weight, flat[:, offset : offset + b].reshape(len(flat), 1, b)))
            offset += b
        return out


def _forward(stack: _Stack, x: np.ndarray):
    """Activations of every layer for inputs x (batch, features) or (models, batch, features)."""
    activations = [np.broadcast_to(x, (len(stack.flat), *x.shape[-2:])) if x.ndim == 2 else x]
    for index, (weight, bias) in enumerate(zip(stack.weights, stack.biases)):
        z = activations[-1] @ weight + bias
        if index < len(stack.weights) - 1:
            z = np.maximum(z, 0.0)
        activations.append(z)
    return activations  # the last entry holds the logits


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def loss_and_gradient(stack: _Stack, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy of each network on (x, y), and its gradient, (models,), (models, P)."""
    activations = _forward(stack, x)
    log_p = _log_softmax(activations[-1])
    rows = np.arange(len(y))
    loss = -log_p[:, rows, y].mean(axis=1)
    delta = np.exp(log_p)
    delta[:, rows, y] -= 1.0
    delta /= len(y)  # d(mean loss)/d(logits)
    gradient = np.zeros_like(stack.flat)
    views = stack.views(gradient)
    for index in range(len(stack.weights) - 1, -1, -1):
        weight_grad, bias_grad = views[index]
        weight_grad[:] = np.swapaxes(activations[index], 1, 2) @ delta
        bias_grad[:] = delta.sum(axis=1, keepdims=True)
        if index:
            delta = (delta @ np.swapaxes(stack.weights[index], 1, 2)) * (activations[index] > 0)
    return loss, gradient


def adam_step(flat, first_moment, second_moment, gradient, rates, step: int) -> None:
    """One Adam update of `flat` (models, P) in place, as Keras's `Adam` computes it.

    `rates` is (models, 1): each network's step size; `step` counts from 1.
    """
    first_moment += (1 - BETA_1) * (gradient - first_moment)
    second_moment += (1 - BETA_2) * (gradient * gradient - second_moment)
    # Keras folds the bias corrections into the step size
    alpha = rates * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step)
    flat -= alpha * first_moment / (np.sqrt(second_moment) + EPSILON)


def train_side_by_side(
    x,
    y,
    hidden: Sequence[int],
    learning_rates: Sequence[float],
    seeds: Sequence[int],
    steps: int,
    eval_every: int,
    held_out: dict,
    batch_size: int = 128,
    data_seed: int = 0,
) -> Curves:
    """Train one MLP per (learning rate, seed) with Adam on shuffled minibatches, all at once.

    Args:
        x: (rows, features) training inputs; y: (rows,) integer classes.
        hidden: widths of the hidden layers, e.g. [16, 16, 16, 16].
        learning_rates: Adam step sizes to try; seeds: initial weights to try.
        steps: minibatch updates per network; eval_every: read held-out accuracy this often.
        held_out: {name: (x, y)} held-out sets to read, e.g. validation and test.
        batch_size: rows per minibatch (all networks see the same minibatches, from data_seed).

    Returns:
        `Curves` with readings after every `eval_every` steps.
    """
    check_int("steps", steps)
    check_int("eval_every", eval_every)
    check_int("batch_size", batch_size)
    x, y = np.asarray(x, np.float64), np.asarray(y)
    if not isinstance(held_out, dict) or not held_out:
        raise ValueError(f"held_out must be a non-empty dict of name: (x, y), got {held_out!r}")
    held_out = {
        name: (np.asarray(a, np.float64), np.asarray(b)) for name, (a, b) in held_out.items()
    }
    classes = int(max(y.max(), *(b.max() for _, b in held_out.values()))) + 1
    if not hidden:
        raise ValueError(f"hidden must be a non-empty list of widths, got {hidden!r}")
    for width in hidden:
        check_int("hidden", width)
    if not learning_rates or not all(
        isinstance(r, (int, float)) and 0 < r < np.inf for r in learning_rates
    ):
        raise ValueError(f"learning_rates must be positive numbers, got {learning_rates!r}")
    if not seeds:
        raise ValueError(f"seeds must be a non-empty list of integers, got {seeds!r}")
    for seed in seeds:
        check_int("seeds", seed, 0)
    rates = np.repeat(np.asarray(learning_rates, np.float64), len(seeds))[:, None]
    stack = _Stack(
        layer_sizes(x.shape[1], hidden, classes),
        len(rates),
        [seed for _ in learning_rates for seed in seeds],
    )
    first_moment, second_moment = np.zeros_like(stack.flat), np.zeros_like(stack.flat)
    rng = np.random.default_rng(data_seed)
    order, position = rng.permutation(len(x)), 0
    readings, accuracy = [], {name: [] for name in held_out}
    for step in range(1, steps + 1):
        if position + batch_size > len(x):  # a new epoch: reshuffle
            order, position = rng.permutation(len(x)), 0
        batch = order[position : position + batch_size]
        position += batch_size
        _, gradient = loss_and_gradient(stack, x[batch], y[batch])
        adam_step(stack.flat, first_moment, second_moment, gradient, rates, step)
        if step % eval_every == 0:
            readings.append(step)
            for name, (x_eval, y_eval) in held_out.items():
                predicted = _forward(stack, x_eval)[-1].argmax(axis=-1)
                accuracy[name].append((predicted == y_eval).mean(axis=1))
    shape = (len(readings), len(learning_rates), len(seeds))
    return Curves(
        np.array(readings),
        {name: np.array(values).reshape(shape) for name, values in accuracy.items()},
        count_parameters(x.shape[1], hidden, classes),
    )


def tuned(
    curves: Curves,
    learning_rates: Sequence[float],
    select: str = "validation",
    report: str = "test",
) -> tuple[np.ndarray, np.ndarray]:
    """At each reading, the learning rate with the best mean `select` accuracy over seeds.

    Returns:
        The chosen learning rate per reading (evaluations,), and the `report` accuracy of
        every seed at that rate (evaluations, seeds).
    """
    for name in (select, report):
        if name not in curves.accuracy:
            raise ValueError(f"no held-out set {name!r}; the curves have {sorted(curves.accuracy)}")
    best = curves.accuracy[select].mean(axis=2).argmax(axis=1)  # (evaluations,)
    reading = np.arange(len(best))
    return np.asarray(learning_rates)[best], curves.accuracy[report][reading, best]
