"""A conditional VAE: "draw me a 7". The digit class is an extra input of both networks.

The encoder sees an image and its class and outputs q(z | x, y); the decoder draws an image
from a code z and a class y. Because the decoder is told the class, the code no longer needs to
carry it, and sampling z ~ N(0, I) with a chosen y draws that digit: the condition is an input,
which is the idea behind prompting an image generator with text. The loss is the negative
conditional ELBO, reconstruction + beta * KL, computed in `keras.ops` inside `compute_loss`
(as in `vae.VAE`), so Keras's own `fit` trains it on any backend.

    model, history = train_conditional_vae(x_train, y_train)
    sevens = generate(model, [7] * 100, seed=0)        # (100, 8, 8, 1) in [0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from genai_lessons.core.array_checks import check_images
from genai_lessons.core.validation import build_config, check_int
from genai_lessons.models import vae

PACKAGE = "genai_lessons"


@dataclass(frozen=True)
class ConditionalVAEConfig:
    """Architecture and loss weighting of a conditional VAE."""

    image_shape: tuple[int, int, int] = (8, 8, 1)  # (height, width, channels), pixels in [0, 1]
    num_classes: int = 10  # how many conditions (digit classes) the model knows
    latent_dim: int = 8  # size of the code z, which now only has to hold the style
    hidden_units: tuple[int, ...] = (256, 128)  # encoder's dense widths; the decoder mirrors them
    beta: float = 1.0  # weight of the KL term; 1 makes the loss the negative conditional ELBO
    seed: int = 0  # seed of the sampling noise

    def __post_init__(self):
        vae.VAEConfig(
            image_shape=self.image_shape,
            latent_dim=self.latent_dim,
            hidden_units=self.hidden_units,
            beta=self.beta,
            seed=self.seed,
        )  # same checks
        check_int("num_classes", self.num_classes, minimum=2)


def label_inputs(num_classes: int):
    """The class input of a conditional network: (the int labels Input, its one-hot encoding)."""
    labels = keras.Input(shape=(), dtype="int32", name="labels")
    one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(
        labels
    )
    return labels, one_hot


def build_conditional_encoder(config: ConditionalVAEConfig = ConditionalVAEConfig()) -> keras.Model:
    """(images (batch, h, w, c), labels (batch,) int) -> [z_mean, z_log_var], each (batch, latent_dim)."""
    images = keras.Input(shape=config.image_shape, name="images")
    labels, one_hot = label_inputs(config.num_classes)
    x = keras.layers.Concatenate(name="pixels_and_class")([keras.layers.Flatten()(images), one_hot])
    for i, units in enumerate(config.hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    z_mean = keras.layers.Dense(config.latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(config.latent_dim, name="z_log_var")(x)
    return keras.Model([images, labels], [z_mean, z_log_var], name="conditional_encoder")


def build_conditional_decoder(config: ConditionalVAEConfig = ConditionalVAEConfig()) -> keras.Model:
    """(z (batch, latent_dim), labels (batch,) int) -> images (batch, h, w, c) in [0, 1]."""
    code = keras.Input(shape=(config.latent_dim,), name="z")
    labels, one_hot = label_inputs(config.num_classes)
    x = keras.layers.Concatenate(name="code_and_class")([code, one_hot])
    for i, units in enumerate(reversed(config.hidden_units)):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    x = keras.layers.Dense(int(np.prod(config.image_shape)), activation="sigmoid", name="pixels")(x)
    images = keras.layers.Reshape(config.image_shape, name="image")(x)
    return keras.Model([code, labels], images, name="conditional_decoder")


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalVAE(vae.VAE):
    """A `vae.VAE` whose encoder and decoder are also told the class; `fit` minimises
    reconstruction + beta * KL, with the same loss bookkeeping, config and saving as `vae.VAE`.

    Called on `{"images": (batch, h, w, c), "labels": (batch,) int}`, it returns a dict with
    "z_mean", "z_log_var", "z" and "reconstruction". `fit` reports "loss",
    "reconstruction_loss", "kl_loss" and "neg_elbo" per image, like `vae.VAE`.
    """

    def _images(self, inputs):
        return inputs["images"]

    def call(self, inputs, training=None):
        images, labels = inputs["images"], inputs["labels"]
        z_mean, z_log_var = self.encoder([images, labels], training=training)
        z = self.sampling([z_mean, z_log_var])
        return {
            "z_mean": z_mean,
            "z_log_var": z_log_var,
            "z": z,
            "reconstruction": self.decoder([z, labels], training=training),
        }


def _labels(labels, num_classes: int, count: int | None = None) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"labels must be a non-empty 1D array of integers, got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    if array.min() < 0 or array.max() >= num_classes:
        raise ValueError(
            f"labels must lie in [0, {num_classes - 1}], got [{array.min()}, {array.max()}]"
        )
    if count is not None and len(array) != count:
        raise ValueError(f"labels must have one entry per image ({count}), got {len(array)}")
    return array.astype("int32")


def build_conditional_vae(
    config: ConditionalVAEConfig | None = None, **overrides
) -> ConditionalVAE:
    """A conditional VAE, built and ready to compile; `overrides` replace config fields."""
    config = build_config(ConditionalVAEConfig, config, overrides)
    model = ConditionalVAE(
        build_conditional_encoder(config),
        build_conditional_decoder(config),
        beta=config.beta,
        seed=config.seed,
        name="conditional_vae",
    )
    model(
        {"images": np.zeros((1, *config.image_shape), "float32"), "labels": np.zeros((1,), "int32")}
    )  # create the weights
    return model


def train_conditional_vae(
    images,
    labels,
    config: ConditionalVAEConfig | None = None,
    train: vae.TrainConfig = vae.TrainConfig(),
    callbacks=(),
    verbose: int = 0,
):
    """Build, compile and fit a conditional VAE on images in [0, 1] with their integer classes.

    Returns:
        `(model, history)`.
    """
    config = config if config is not None else ConditionalVAEConfig()
    images = check_images("images", images, config.image_shape, value_range="unit")
    labels = _labels(labels, config.num_classes, len(images))
    model = build_conditional_vae(config)
    history = vae.compile_and_fit(
        model, {"images": images, "labels": labels}, train, callbacks, verbose
    )
    return model, history


def generate(model: ConditionalVAE, labels, seed: int = 0) -> np.ndarray:
    """One new image per requested class: decode z ~ N(0, I) with each label.

    Args:
        model: a trained `ConditionalVAE`.
        labels: (n,) integer classes, e.g. `[7] * 100` for a hundred sevens.
        seed: seed of the codes; the same seed gives the same images.

    Returns:
        (n, height, width, channels) images in [0, 1].
    """
    check_int("seed", seed, minimum=0)
    latent_dim = model.decoder.input_shape[0][-1]
    labels = _labels(labels, model.decoder.get_layer("one_hot").num_tokens)
    z = np.random.default_rng(seed).standard_normal((len(labels), latent_dim)).astype("float32")
    parts = [
        model.decoder([z[i : i + 1024], labels[i : i + 1024]], training=False)
        for i in range(0, len(labels), 1024)
    ]
    return np.concatenate([ops.convert_to_numpy(p) for p in parts])


def obedience(probabilities, requested) -> np.ndarray:
    """For each class, the share of the samples requested as that class that a classifier
    assigns to it (largest probability). NaN for a class never requested.

    Args:
        probabilities: (n, classes) class probabilities of the samples, e.g. from the judge.
        requested: (n,) the class each sample was asked to be.

    Returns:
        float64 array of shape (classes,).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must have shape (n, classes), got {probabilities.shape}")
    requested = _labels(requested, probabilities.shape[1], len(probabilities))
    hits = probabilities.argmax(axis=1) == requested
    counts = np.bincount(requested, minlength=probabilities.shape[1]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(requested, weights=hits, minlength=probabilities.shape[1]) / counts
