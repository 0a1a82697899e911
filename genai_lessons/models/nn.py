"""Neural networks from scratch in NumPy.

`MLP` is a multi-layer perceptron written out in plain NumPy so that every step can be read:
the forward pass keeps what backpropagation needs, `backward` applies the chain rule layer by
layer, `update` takes one gradient-descent step. `genai_lessons.models.gradcheck` checks its gradients
against finite differences; `genai_lessons.models.mlp.build_mlp` makes the same network in Keras.

Shapes: inputs (batch, features), weights (fan_in, fan_out), biases (fan_out,), labels (batch,)
int class indices (0 or 1 for a sigmoid output).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genai_lessons.core.array_checks import check_array, check_labels
from genai_lessons.core.validation import (
    ArgumentTypeError,
    check_choice,
    check_int,
    check_number,
    check_seed,
    describe,
)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
FLOAT_DTYPES = ("float32", "float64")


# --------------------------------------------------------------------------- activations


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    z = _numbers("z", z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum changes nothing but avoids overflow."""
    z = _numbers("z", z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activation(name: str, z: np.ndarray) -> np.ndarray:
    """Apply a hidden-layer activation by name."""
    check_choice("name", name, ACTIVATIONS)
    z = _numbers("z", z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    return z  # "linear" (check_choice refused every other name)


def activation_derivative(name: str, z: np.ndarray) -> np.ndarray:
    """d activation(z) / dz, elementwise (ReLU's derivative at exactly 0 is taken as 0)."""
    check_choice("name", name, ACTIVATIONS)
    z = _numbers("z", z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    return np.ones_like(z)  # "linear"


# --------------------------------------------------------------------------- losses


def cross_entropy(
    output: np.ndarray, labels: np.ndarray, output_activation: str = "softmax"
) -> float:
    """Mean cross-entropy of predicted probabilities against integer labels.

    Args:
        output: probabilities, (batch, classes) for softmax or (batch, 1) for sigmoid.
        labels: (batch,) class indices.
        output_activation: "softmax" (categorical) or "sigmoid" (binary).
    """
    check_choice("output_activation", output_activation, ("softmax", "sigmoid"))
    output = _probabilities("output", output)
    classes = 2 if output_activation == "sigmoid" else output.shape[1]
    labels = check_labels("labels", labels, classes, batch=len(output))
    tiny = np.finfo(output.dtype).tiny  # keeps log finite if a probability underflows to 0
    if output_activation == "softmax":
        picked = output[np.arange(len(labels)), labels]
        return float(-np.mean(np.log(np.maximum(picked, tiny))))
    p = output.ravel()  # sigmoid: one probability per example
    return float(
        -np.mean(
            labels * np.log(np.maximum(p, tiny)) + (1 - labels) * np.log(np.maximum(1 - p, tiny))
        )
    )


def one_hot(labels: np.ndarray, classes: int, dtype=np.float64) -> np.ndarray:
    """(batch,) int labels to (batch, classes) rows of zeros with a single one."""
    classes = check_int("classes", classes)
    labels = check_labels("labels", labels, classes)
    encoded = np.zeros((len(labels), classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


# --------------------------------------------------------------------------- validation


def _numbers(argument: str, z) -> np.ndarray:
    """An array of numbers, keeping a float dtype (float32 stays float32); NaN refused
    (infinities are fine: sigmoid(inf) is 1, relu(inf) is inf)."""
    array = check_array(argument, z, min_length=0, dtype=None, finite=False)
    if array.dtype.kind in "fc" and np.isnan(array).any():
        raise ValueError(
            f"{argument} must not contain NaN, got {int(np.isnan(array).sum())} NaN values"
        )
    return array if np.issubdtype(array.dtype, np.floating) else array.astype(np.float64)


def _probabilities(argument: str, output) -> np.ndarray:
    array = check_array(argument, output, ndim=2, dtype=None)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(
            f"{argument} must hold probabilities in [0, 1], "
            f"got values from {array.min():.4g} to {array.max():.4g}"
        )
    return array


# --------------------------------------------------------------------------- the NumPy network


class MLP:
    """A multi-layer perceptron in NumPy: dense layers, one hidden activation, softmax or sigmoid out.

    Args:
        layer_sizes: [inputs, hidden..., outputs], e.g. [2, 64, 2].
        activation: hidden-layer activation, one of `ACTIVATIONS`.
        output_activation: "softmax" (with categorical cross-entropy) or "sigmoid" (with binary
            cross-entropy, one output unit).
        seed: seed of the initial weights.
        dtype: "float64" (exact gradient checks) or "float32" (what Keras uses by default).
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "softmax",
        seed: int = 0,
        dtype: str = "float64",
    ):
        if (
            isinstance(layer_sizes, (str, bytes))
            or not isinstance(layer_sizes, Sequence)
            or len(layer_sizes) < 2
        ):
            raise ValueError(f"layer_sizes must list at least 2 sizes, got {layer_sizes!r}")
        for size in layer_sizes:
            check_int("layer_sizes", size)
        check_choice("activation", activation, ACTIVATIONS)
        check_choice("output_activation", output_activation, ("softmax", "sigmoid"))
        check_choice("dtype", dtype, FLOAT_DTYPES)
        check_seed("seed", seed)
        if output_activation == "sigmoid" and layer_sizes[-1] != 1:
            raise ValueError(
                f"a sigmoid output needs 1 output unit, got layer_sizes={layer_sizes!r}"
            )
        if output_activation == "softmax" and layer_sizes[-1] < 2:
            raise ValueError(
                f"a softmax output needs >= 2 output units, got layer_sizes={layer_sizes!r}"
            )
        self.layer_sizes = [int(size) for size in layer_sizes]
        self.activation = activation
        self.output_activation = output_activation
        rng = np.random.default_rng(seed)
        gain = (
            2.0 if activation == "relu" else 1.0
        )  # He init for ReLU, LeCun otherwise: unit-scale signals
        self.weights = [
            rng.normal(0.0, np.sqrt(gain / fan_in), (fan_in, fan_out)).astype(dtype)
            for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:])
        ]
        self.biases = [np.zeros(fan_out, dtype=dtype) for fan_out in self.layer_sizes[1:]]

    @property
    def params(self) -> list[np.ndarray]:
        """[W1, b1, W2, b2, ...]: the arrays themselves (not copies), in Keras's `get_weights` order."""
        return [array for pair in zip(self.weights, self.biases) for array in pair]

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, dict]:
        """Run the network on a batch.

        Returns:
            `(output, cache)`: probabilities (batch, outputs) and what `backward` needs: every
            layer's input ("inputs") and pre-activation ("pre_activations").
        """
        h = self._inputs(x)
        inputs, pre_activations = [], []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            inputs.append(h)
            z = h @ w + b  # weighted sum of the inputs plus a bias, for every unit at once
            pre_activations.append(z)
            h = activation(self.activation, z) if layer < len(self.weights) - 1 else z
        output = softmax(h) if self.output_activation == "softmax" else sigmoid(h)
        return output, {"inputs": inputs, "pre_activations": pre_activations, "output": output}

    def _inputs(self, x) -> np.ndarray:
        x = check_array("x", x, ndim=2, dtype=self.weights[0].dtype)
        if x.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"x must have shape (batch, {self.layer_sizes[0]}), got shape {x.shape}"
            )
        return x

    def _labels(self, labels, batch: int) -> np.ndarray:
        classes = 2 if self.output_activation == "sigmoid" else self.layer_sizes[-1]
        return check_labels("labels", labels, classes, batch)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted class indices, (batch,)."""
        p = self.predict_proba(x)
        return (p[:, 0] > 0.5).astype(int) if self.output_activation == "sigmoid" else p.argmax(-1)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> float:
        output = self.predict_proba(x)
        return cross_entropy(output, self._labels(labels, len(output)), self.output_activation)

    def backward(self, cache: dict, labels: np.ndarray) -> list[np.ndarray]:
        """Backpropagation: gradients of the mean cross-entropy for every weight and bias.

        Returns:
            [dW1, db1, dW2, db2, ...], the same order and shapes as `params`.
        """
        if not isinstance(cache, dict) or "output" not in cache:
            raise ArgumentTypeError(
                f"cache must be the dict returned by forward, got {describe(cache)}"
            )
        output = cache["output"]
        labels = self._labels(labels, len(output))
        # Softmax + categorical cross-entropy and sigmoid + binary cross-entropy share the
        # same gradient with respect to the output layer's pre-activation: (p - y) / batch.
        target = (
            one_hot(labels, output.shape[1], output.dtype)
            if self.output_activation == "softmax"
            else np.asarray(labels, dtype=output.dtype).reshape(-1, 1)
        )
        delta = (output - target) / len(output)
        grads = []
        for layer in reversed(range(len(self.weights))):
            grads[:0] = [cache["inputs"][layer].T @ delta, delta.sum(axis=0)]
            if layer > 0:  # chain rule: back through the weights, then through the activation
                delta = (delta @ self.weights[layer].T) * activation_derivative(
                    self.activation, cache["pre_activations"][layer - 1]
                )
        return grads

    def update(self, grads: Sequence[np.ndarray], learning_rate: float) -> None:
        """One step of gradient descent: every parameter moves against its gradient, in place."""
        learning_rate = check_number("learning_rate", learning_rate, 0.0, inclusive=False)
        if (
            isinstance(grads, (str, bytes))
            or not isinstance(grads, Sequence)
            or len(grads) != len(self.params)
        ):
            count = len(grads) if isinstance(grads, Sequence) else describe(grads)
            raise ValueError(
                f"grads must hold one array per parameter ({len(self.params)}), got {count}"
            )
        for param, grad in zip(self.params, grads):
            grad = check_array("grads", grad, ndim=param.ndim, min_length=0)
            if grad.shape != param.shape:
                raise ValueError(
                    f"grads must match the parameters' shapes, got {grad.shape} for {param.shape}"
                )
        for param, grad in zip(self.params, grads):
            param -= learning_rate * grad

    def train_step(self, x: np.ndarray, labels: np.ndarray, learning_rate: float) -> float:
        """Forward, backward, update on one batch; returns the loss before the update."""
        learning_rate = check_number("learning_rate", learning_rate, 0.0, inclusive=False)
        output, cache = self.forward(x)
        loss = cross_entropy(output, self._labels(labels, len(output)), self.output_activation)
        self.update(self.backward(cache, labels), learning_rate)
        return loss
