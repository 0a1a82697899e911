"""Convolutional image classifiers and a look inside them.

`build_cnn_classifier` stacks convolution blocks (convolutions, then 2x2 max pooling) on small
greyscale images (8x8 digits, 28x28 MNIST), then a dense "embedding" layer and a softmax
output. `feature_maps` returns what any of its layers computes for given inputs, which is how
lesson 2 shows the feature hierarchy and how `genai_lessons.measures.metrics` reads its embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from genai_lessons.core import inference
from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import (
    ArgumentTypeError,
    build_config,
    check_bool,
    check_int,
    check_name,
    check_number,
    check_seed,
    describe,
)

EMBEDDING_LAYER = "embedding"
"""Name of the dense layer before the output: its activations are the model's image features."""


@dataclass(frozen=True)
class CNNConfig:
    """Hyperparameters of `build_cnn_classifier`."""

    input_shape: tuple[int, int, int] = (8, 8, 1)  # (height, width, channels) of one image
    num_classes: int = 10  # size of the softmax output
    filters: tuple[int, ...] = (32, 64)  # channels of each convolution block, shallow to deep
    convs_per_block: int = 1  # convolutions before each pooling
    kernel_size: int = 3  # side of the square convolution windows
    pool: bool = True  # halve height and width after each block (while they are >= 2)
    dense_units: int = 64  # width of the embedding layer (0: no dense layer)
    dropout: float = 0.0  # dropout rate before the output layer (a regularizer)
    translate: float = 0.0  # random shifts in training, as a fraction of the size (augmentation)
    seed: int | None = None  # fixes initial weights and dropout masks; None: Keras's global seed

    def __post_init__(self):
        shape = self.input_shape
        if (
            not isinstance(shape, (tuple, list))
            or len(shape) != 3
            or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                for v in shape
            )
        ):
            raise ValueError(
                f"input_shape must be (height, width, channels) of positive integers, "
                f"got {describe(shape)}"
            )
        object.__setattr__(self, "input_shape", tuple(int(v) for v in shape))  # lists welcome
        check_int("num_classes", self.num_classes, 2)
        if not isinstance(self.filters, (tuple, list)) or not self.filters:
            raise ValueError(
                f"filters must be a non-empty tuple of integers, got {describe(self.filters)}"
            )
        object.__setattr__(
            self, "filters", tuple(check_int("filters", value) for value in self.filters)
        )
        check_int("convs_per_block", self.convs_per_block, 1)
        check_int("kernel_size", self.kernel_size, 1)
        if self.kernel_size > min(shape[:2]):
            raise ValueError(
                f"kernel_size must fit in the image ({shape[0]}x{shape[1]}), "
                f"got {self.kernel_size!r}"
            )
        check_bool("pool", self.pool)
        check_int("dense_units", self.dense_units, 0)
        check_number("dropout", self.dropout, 0.0, 1.0, inclusive=(True, False))
        check_number("translate", self.translate, 0.0, 0.5, inclusive=(True, False))
        check_seed("seed", self.seed, allow_none=True)


def build_cnn_classifier(
    config: CNNConfig | None = None, *, name: str = "cnn_classifier", **overrides
):
    """A convolutional classifier for small greyscale images.

    Layout: an optional `augment` layer (random shifts, active in training only), then for
    each entry of `filters`, `convs_per_block` 'same'-padded ReLU convolutions
    (`block{i}_conv{j}`) and a 2x2 max pooling (`block{i}_pool`), then `flatten`, a ReLU
    dense layer `embedding`, optional `dropout`, and a softmax layer `probabilities`.

    Args:
        config: the hyperparameters (default `CNNConfig()`, the 8x8 digits' network).
        name: the model's name.
        **overrides: fields of `CNNConfig` to change, e.g. `input_shape=(28, 28, 1)`.

    Returns:
        A `keras.Model` from (batch, height, width, channels) images to (batch, num_classes)
        class probabilities.
    """

    config = build_config(CNNConfig, config, overrides)
    check_name("name", name)

    seeds = iter(range(10_000))  # a distinct, fixed seed for each layer when config.seed is set

    def layer_seed():
        return None if config.seed is None else config.seed * 10_000 + next(seeds)

    def initializer():
        seed = layer_seed()
        return "glorot_uniform" if seed is None else keras.initializers.GlorotUniform(seed=seed)

    inputs = keras.Input(shape=config.input_shape, name="image")
    x = inputs
    if config.translate:
        # Empty pixels are filled with 0 (the background), not by reflection: a shifted digit
        # must not grow a mirrored copy of its stroke at the border.
        x = keras.layers.RandomTranslation(
            config.translate,
            config.translate,
            fill_mode="constant",
            seed=layer_seed(),
            name="augment",
        )(x)
    for block, channels in enumerate(config.filters, start=1):
        for conv in range(1, config.convs_per_block + 1):
            x = keras.layers.Conv2D(
                int(channels),
                config.kernel_size,
                padding="same",
                activation="relu",
                kernel_initializer=initializer(),
                name=f"block{block}_conv{conv}",
            )(x)
        if config.pool and min(x.shape[1], x.shape[2]) >= 2:
            x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if config.dense_units:
        x = keras.layers.Dense(
            config.dense_units,
            activation="relu",
            kernel_initializer=initializer(),
            name=EMBEDDING_LAYER,
        )(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, seed=layer_seed(), name="dropout")(x)
    outputs = keras.layers.Dense(
        config.num_classes,
        activation="softmax",
        kernel_initializer=initializer(),
        name="probabilities",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def feature_maps(
    model, images, layer_names: Sequence[str] | None = None, batch_size: int = 512
) -> dict[str, np.ndarray]:
    """What the named layers of `model` output for `images` (inference mode).

    Args:
        model: a functional or sequential Keras model (e.g. from `build_cnn_classifier`).
        images: array matching the model's input, e.g. (batch, height, width, channels);
            any model with a single input works (a dense network's is (batch, features)).
        layer_names: layers to read (default: every convolution and pooling layer, in order).
        batch_size: images per forward pass, to bound memory.

    Returns:
        A dict from layer name to a NumPy array, e.g. (batch, h, w, channels) for a
        convolution, in the order requested.
    """

    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {describe(model)}")
    if isinstance(layer_names, str):
        raise ArgumentTypeError(f"layer_names must be a list of layer names, got {layer_names!r}")
    if layer_names is None:
        layer_names = [
            layer.name
            for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D))
        ]
    layer_names = list(layer_names)
    if not layer_names:
        raise ValueError(
            "layer_names is empty and the model has no convolution or pooling layer; got []"
        )
    known = {layer.name for layer in model.layers}
    missing = [name for name in layer_names if name not in known]
    if missing:
        raise ValueError(
            f"layer_names must name layers of model {model.name!r} "
            f"({[layer.name for layer in model.layers]}); got {missing}"
        )
    check_int("batch_size", batch_size, 1)
    expected = tuple(model.inputs[0].shape[1:])
    images = check_array("images", images, len(expected) + 1, dtype=np.float32)
    if any(e is not None and e != g for e, g in zip(expected, images.shape[1:])):
        raise ValueError(
            f"images must have shape (batch, {', '.join(map(str, expected))}), "
            f"got shape {images.shape}"
        )
    probe = keras.Model(
        model.inputs[0],
        [model.get_layer(name).output for name in layer_names],
        name=f"{model.name}_features",
    )
    outputs = inference.predict(probe, images, batch_size)
    if not isinstance(outputs, tuple):  # Keras unwraps a one-output list
        outputs = (outputs,)
    return dict(zip(layer_names, outputs))


def receptive_fields(model) -> dict[str, tuple[int, int, float]]:
    """Which input pixels each convolution and pooling layer of a chain of them can see.

    Walks the model's layers in order (augmentation and other size-keeping layers are
    skipped), for square kernels and pools with 'same' or 'valid' padding.

    Returns:
        A dict from layer name to (field, jump, first): the side of the square input patch one
        position sees, the input pixels between neighbouring positions, and the input
        coordinate (in pixels, centre of pixel 0 = 0) of the centre of position 0's patch.
    """

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    field, jump, first = 1, 1, 0.0
    fields = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            size, stride = layer.kernel_size[0], layer.strides[0]
        elif isinstance(layer, keras.layers.MaxPooling2D):
            size, stride = layer.pool_size[0], layer.strides[0]
        else:
            continue
        # 'same' centres each window on its position (odd sizes); 'valid' starts it there
        shift = 0 if layer.padding == "same" and size % 2 else (size - 1) / 2
        first += shift * jump
        field += (size - 1) * jump
        jump *= stride
        fields[layer.name] = (field, jump, first)
    return fields
