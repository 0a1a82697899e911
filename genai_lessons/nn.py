"""Neural networks from scratch in NumPy, a gradient check, and the same network in Keras.

`MLP` is a multi-layer perceptron written out in plain NumPy so that every step can be read:
the forward pass keeps what backpropagation needs, `backward` applies the chain rule layer by
layer, `update` takes one gradient-descent step. `gradient_check` compares its gradients with
central finite differences. `build_mlp` makes the same architecture as a Keras model, with the
same weight layout (`model.set_weights(mlp.params)` copies one into the other).

Shapes: inputs (batch, features), weights (fan_in, fan_out), biases (fan_out,), labels (batch,)
int class indices (0 or 1 for a sigmoid output).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from genai_lessons.validation import (
    ArgumentTypeError,
    check_array,
    check_choice,
    check_int,
    check_labels,
    check_number,
    check_seed,
    describe,
)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear")  # "linear" (logits) for Keras models only
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
    if name == "linear":
        return z
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")


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
    if name == "linear":
        return np.ones_like(z)
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")


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
    if output_activation == "sigmoid":
        p = output.ravel()
        return float(
            -np.mean(
                labels * np.log(np.maximum(p, tiny))
                + (1 - labels) * np.log(np.maximum(1 - p, tiny))
            )
        )
    raise ValueError(f"output_activation must be softmax or sigmoid; got {output_activation!r}")


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


def _check_hidden_sizes(hidden_sizes) -> None:
    if isinstance(hidden_sizes, (str, bytes)) or not isinstance(hidden_sizes, Sequence):
        raise ValueError(f"hidden_sizes must be a list of positive integers, got {hidden_sizes!r}")
    for units in hidden_sizes:
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(
                f"hidden_sizes must be a list of positive integers, got {hidden_sizes!r}"
            )


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


# --------------------------------------------------------------------------- gradient check


def numerical_gradient(
    loss_fn: Callable[[], float], param: np.ndarray, epsilon: float = 1e-6
) -> np.ndarray:
    """Central finite differences (L(p + eps) - L(p - eps)) / (2 eps) for every entry of `param`.

    `loss_fn` takes no arguments and must read `param`, which is nudged in place and restored.
    """
    _check_gradient_args(loss_fn, [param], epsilon, "param")
    grad = np.zeros_like(param, dtype=np.float64)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + epsilon
        plus = loss_fn()
        param[index] = saved - epsilon
        minus = loss_fn()
        param[index] = saved
        grad[index] = (plus - minus) / (2.0 * epsilon)
    return grad


def _check_gradient_args(loss_fn, params, epsilon, argument: str) -> None:
    if not callable(loss_fn):
        raise ArgumentTypeError(
            f"loss_fn must be a function of no arguments, got {describe(loss_fn)}"
        )
    for param in params:
        if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
            raise ArgumentTypeError(
                f"{argument} must be a float NumPy array (nudged in place), got {describe(param)}"
            )
    check_number("epsilon", epsilon, 0.0, inclusive=False)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): 0 when equal, about 1e-8 or less for a correct float64 backprop."""
    a = check_array("a", a, min_length=0)
    b = check_array("b", b, min_length=0)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and b of shape {b.shape}"
        )
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def gradient_check(
    loss_fn: Callable[[], float],
    params: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    epsilon: float = 1e-6,
) -> float:
    """Compare analytic gradients with central finite differences.

    Args:
        loss_fn: no-argument function returning the loss computed from `params`.
        params: the parameter arrays (modified in place during the check, then restored).
        grads: the gradients to check, one per parameter, same shapes.
        epsilon: the finite-difference step (1e-6 suits float64).

    Returns:
        The largest `relative_error` over the parameter arrays.
    """
    if len(params) != len(grads):
        raise ValueError(
            f"params and grads must pair up, got {len(params)} params but {len(grads)} grads"
        )
    _check_gradient_args(loss_fn, params, epsilon, "params")
    for param, grad in zip(params, grads):
        if param.dtype != np.float64:
            raise ValueError(f"params must be float64 for a gradient check, got {param.dtype}")
        if np.shape(grad) != param.shape:
            raise ValueError(
                f"grads must match the params' shapes, got {np.shape(grad)} for {param.shape}"
            )
    return max(
        relative_error(grad, numerical_gradient(loss_fn, param, epsilon))
        for param, grad in zip(params, grads)
    )


# --------------------------------------------------------------------------- Keras


def build_mlp(
    input_size: int,
    hidden_sizes: Sequence[int],
    output_size: int,
    activation: str = "relu",
    output_activation: str = "softmax",
    name: str = "mlp",
    dtype: str | None = None,
):
    """The same multi-layer perceptron as a Keras model.

    Args:
        input_size: features per example (e.g. 64 for flattened 8x8 images).
        hidden_sizes: units of each hidden layer; empty for no hidden layer.
        output_size: output units (classes for softmax, 1 for a binary sigmoid).
        activation: hidden-layer activation, one of `ACTIVATIONS`.
        output_activation: "softmax", "sigmoid" or "linear" (logits, for `from_logits=True`).
        name: the model's name.
        dtype: "float32" or "float64"; None uses Keras's default (float32).

    Returns:
        A `keras.Model` from (batch, input_size) to (batch, output_size), layers named
        "hidden_1", ..., "output".
    """
    import keras

    check_int("input_size", input_size)
    _check_hidden_sizes(hidden_sizes)
    check_int("output_size", output_size)
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    if output_activation == "softmax" and output_size < 2:
        raise ValueError(f"output_size must be >= 2 with a softmax output, got {output_size!r}")
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name must be a non-empty string without '/', got {name!r}")
    if dtype is not None:
        check_choice("dtype", dtype, FLOAT_DTYPES)
        if dtype == "float64":
            from genai_lessons import backend

            backend.require_float64()  # JAX would silently compute in float32

    inputs = keras.Input(shape=(int(input_size),), name="inputs", dtype=dtype)
    h = inputs
    for index, units in enumerate(hidden_sizes, start=1):
        h = keras.layers.Dense(
            int(units), activation=activation, name=f"hidden_{index}", dtype=dtype
        )(h)
    outputs = keras.layers.Dense(
        int(output_size), activation=output_activation, name="output", dtype=dtype
    )(h)
    return keras.Model(inputs, outputs, name=name)
