"""Very deep multilayer perceptrons, and the statistics that show why they are hard to train.

`build_deep_mlp` stacks `depth` dense layers of one width, with the choices that decide whether
such a stack trains at all: the activation, the initialisation of the weights, a normalization
layer after each dense layer, and residual (skip) connections. `layer_statistics` measures, for
one batch, how the forward signal (each hidden layer's output) and the backward signal (the
loss's gradient with respect to each layer's weights) change from layer to layer: shrinking
towards the input or the output is "vanishing", growing is "exploding".

    model = build_deep_mlp(input_size=64, output_size=10, activation="sigmoid", init="small")
    stats = layer_statistics(model, x, y)
    stats.gradient_std  # (depth + 1,) one per dense layer, input side first
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from genai_lessons.core import autodiff
from genai_lessons.core.validation import (
    build_config,
    check_bool,
    check_choice,
    check_int,
    check_name,
    check_seed,
)

DEEP_ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("small", "large", "glorot", "he")
"""Weight initialisations: "small" N(0, 0.01^2) and "large" N(0, 1) are the naive choices;
"glorot" (uniform, variance 2 / (fan_in + fan_out)) suits tanh and sigmoid, "he" (normal,
variance 2 / fan_in) suits ReLU."""
NORMS = ("none", "batch", "layer")


@dataclass(frozen=True)
class DeepMLPConfig:
    """Hyperparameters of `build_deep_mlp`."""

    input_size: int = 64  # features per example (64 for flattened 8x8 digits)
    output_size: int = 10  # classes of the softmax output
    depth: int = 20  # hidden dense layers
    width: int = 64  # units of every hidden layer
    activation: str = "relu"  # one of DEEP_ACTIVATIONS
    init: str = "he"  # one of INITS, for every dense layer's weights (biases start at zero)
    norm: str = "none"  # "batch" or "layer" normalization before each activation, or "none"
    residual: bool = False  # hidden layers 2..depth add their input to their output
    seed: int = 0  # initial weights

    def __post_init__(self):
        check_int("input_size", self.input_size)
        check_int("output_size", self.output_size, 2)
        check_int("depth", self.depth)
        check_int("width", self.width)
        check_choice("activation", self.activation, DEEP_ACTIVATIONS)
        check_choice("init", self.init, INITS)
        check_choice("norm", self.norm, NORMS)
        check_bool("residual", self.residual)
        check_seed("seed", self.seed)


def _initializer(init: str, seed: int):
    if init == "small":
        return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
    if init == "large":
        return keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    if init == "glorot":
        return keras.initializers.GlorotUniform(seed=seed)
    return keras.initializers.HeNormal(seed=seed)


def build_deep_mlp(
    config: DeepMLPConfig | None = None, *, name: str = "deep_mlp", **overrides
) -> keras.Model:
    """A deep MLP: `depth` hidden layers `hidden_1`... then a softmax layer `probabilities`.

    Hidden layer i is Dense (`hidden_i`), then optional normalization (`norm_i`), then the
    activation (`activation_i`); with `residual`, layers 2..depth output their input plus that
    (`block_i`). The first layer changes the width, so it has no skip.

    Args:
        config: the hyperparameters (default `DeepMLPConfig()`).
        name: the model's name.
        **overrides: fields of `DeepMLPConfig` to change, e.g. `activation="sigmoid"`.

    Returns:
        A `keras.Model` from (batch, input_size) to (batch, output_size) probabilities.
    """
    config = build_config(DeepMLPConfig, config, overrides)
    check_name("name", name)
    inputs = keras.Input(shape=(config.input_size,), name="inputs")
    h = inputs
    for index in range(1, config.depth + 1):
        x = keras.layers.Dense(
            config.width,
            kernel_initializer=_initializer(config.init, config.seed * 1000 + index),
            name=f"hidden_{index}",
        )(h)
        if config.norm == "batch":
            # momentum 0.9: the moving statistics used at inference catch up within a few dozen steps
            x = keras.layers.BatchNormalization(momentum=0.9, name=f"norm_{index}")(x)
        elif config.norm == "layer":
            x = keras.layers.LayerNormalization(name=f"norm_{index}")(x)
        x = keras.layers.Activation(config.activation, name=f"activation_{index}")(x)
        h = keras.layers.Add(name=f"block_{index}")([h, x]) if config.residual and index > 1 else x
    outputs = keras.layers.Dense(
        config.output_size,
        activation="softmax",
        kernel_initializer=_initializer(config.init, config.seed * 1000),
        name="probabilities",
    )(h)
    return keras.Model(inputs, outputs, name=name)


def hidden_outputs(model: keras.Model) -> list[str]:
    """Names of the layers whose outputs feed the next hidden layer, input side first."""
    names = []
    for layer in model.layers:
        if layer.name.startswith("hidden_"):
            index = layer.name.split("_")[1]
            block = f"block_{index}"
            known = {other.name for other in model.layers}
            names.append(block if block in known else f"activation_{index}")
    return names


@dataclass(frozen=True)
class LayerStatistics:
    """Forward and backward signal of a deep MLP on one batch."""

    activation_std: np.ndarray  # (depth,) std of each hidden layer's output, input side first
    gradient_std: np.ndarray  # (depth + 1,) std of d loss / d kernel of each dense layer
    loss: float  # mean cross-entropy on the batch


def layer_statistics(model: keras.Model, x, y) -> LayerStatistics:
    """Per-layer spread of activations and of weight gradients, for a `build_deep_mlp` model.

    Args:
        model: from `build_deep_mlp`.
        x: (batch, input_size) inputs; y: (batch,) integer classes.

    Returns:
        `LayerStatistics` (the model in inference mode: batch normalization uses its moving
        statistics, as at the start of training it uses the batch's own, so call it on a fresh
        model to see the start, or on a trained one to see the end).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    x = np.asarray(x, np.float32)
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (len(x),):
        raise ValueError(f"x must be (batch, features) and y (batch,), got {x.shape} and {y.shape}")
    names = hidden_outputs(model)
    if not names:
        raise ValueError(f"model {model.name!r} has no layers named hidden_1, hidden_2, ...")
    probe = keras.Model(model.inputs[0], [model.get_layer(n).output for n in names])
    activations = probe(x, training=False)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    activation_std = np.array([float(np.std(keras.ops.convert_to_numpy(a))) for a in activations])
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    kernels = [layer.kernel for layer in dense]
    last_hidden = keras.Model(model.inputs[0], model.get_layer(names[-1]).output)
    output = model.get_layer("probabilities")
    targets = keras.ops.convert_to_tensor(y.astype(np.int32)[:, None])

    def loss():
        # The cross-entropy from the output layer's logits, not from its probabilities: Keras
        # clips probabilities at 1e-7 (a loss of at most 16.1) except where TensorFlow finds
        # the logits behind a softmax, so only the logits give the same loss on every backend.
        h = last_hidden(x, training=False)
        logits = keras.ops.matmul(h, output.kernel) + output.bias
        log_p = keras.ops.log_softmax(logits, axis=-1)
        return -keras.ops.mean(keras.ops.take_along_axis(log_p, targets, axis=-1))

    value, grads = autodiff.value_and_grad(loss, kernels)
    gradient_std = np.array([float(np.std(keras.ops.convert_to_numpy(g))) for g in grads])
    return LayerStatistics(activation_std, gradient_std, float(keras.ops.convert_to_numpy(value)))
