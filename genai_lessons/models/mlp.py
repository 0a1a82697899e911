"""The multi-layer perceptron of `genai_lessons.models.nn` as a Keras model.

`build_mlp` makes the same architecture as the NumPy `nn.MLP`, with the same weight layout
(`model.set_weights(mlp.params)` copies one into the other), so a lesson can show that the two
compute the same thing. Its hyperparameters live in `MLPConfig`.

Shapes: inputs (batch, input_size), outputs (batch, output_size).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from genai_lessons.core import backend
from genai_lessons.core.validation import (
    build_config,
    check_choice,
    check_int,
    check_name,
    describe,
)
from genai_lessons.models.nn import ACTIVATIONS, FLOAT_DTYPES

OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear")  # "linear" gives logits (from_logits=True)


@dataclass(frozen=True)
class MLPConfig:
    """Hyperparameters of `build_mlp`."""

    input_size: int = 2  # features per example (64 for flattened 8x8 images)
    hidden_sizes: tuple[int, ...] = (16,)  # units of each hidden layer; () for none
    output_size: int = 2  # classes for softmax, 1 for a binary sigmoid
    activation: str = "relu"  # hidden-layer activation, one of nn.ACTIVATIONS
    output_activation: str = "softmax"  # "softmax", "sigmoid" or "linear" (logits)
    dtype: str | None = None  # "float32" or "float64"; None: Keras's default (float32)

    def __post_init__(self):
        check_int("input_size", self.input_size)
        hidden = self.hidden_sizes
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (tuple, list)):
            raise ValueError(
                f"hidden_sizes must be a list of positive integers, got {describe(hidden)}"
            )
        try:
            hidden = tuple(check_int("hidden_sizes", units) for units in hidden)
        except ValueError:  # name the whole list, not the one bad entry
            raise ValueError(
                f"hidden_sizes must be a list of positive integers, got {describe(self.hidden_sizes)}"
            ) from None
        object.__setattr__(self, "hidden_sizes", hidden)  # lists welcome
        check_int("output_size", self.output_size)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        if self.output_activation == "softmax" and self.output_size < 2:
            raise ValueError(
                f"output_size must be >= 2 with a softmax output, got {self.output_size!r}"
            )
        if self.dtype is not None:
            check_choice("dtype", self.dtype, FLOAT_DTYPES)


def build_mlp(config: MLPConfig | None = None, *, name: str = "mlp", **overrides) -> keras.Model:
    """The multi-layer perceptron as a Keras model.

    Args:
        config: the hyperparameters (default `MLPConfig()`).
        name: the model's name.
        **overrides: fields of `MLPConfig` to change, e.g.
            `build_mlp(input_size=64, hidden_sizes=[32], output_size=10)`.

    Returns:
        A `keras.Model` from (batch, input_size) to (batch, output_size), layers named
        "hidden_1", ..., "output".
    """
    config = build_config(MLPConfig, config, overrides)
    check_name("name", name)
    dtype = config.dtype
    if dtype == "float64":
        backend.require_float64()  # JAX would silently compute in float32

    inputs = keras.Input(shape=(config.input_size,), name="inputs", dtype=dtype)
    h = inputs
    for index, units in enumerate(config.hidden_sizes, start=1):
        h = keras.layers.Dense(
            units, activation=config.activation, name=f"hidden_{index}", dtype=dtype
        )(h)
    outputs = keras.layers.Dense(
        config.output_size, activation=config.output_activation, name="output", dtype=dtype
    )(h)
    return keras.Model(inputs, outputs, name=name)
