"""A convolutional VAE (optionally conditional) for 28x28 images: the lesson's VAE on real digits.

The encoder is two stride-2 convolutions (28 -> 14 -> 7) and a dense layer to the code's mean and
log-variance; the decoder mirrors it with a dense layer to a 7x7 map and two stride-2 transposed
convolutions back to 28x28 Bernoulli means. The model classes, loss and sampling layer are the
ones of `vae` and `conditional`: only the networks differ. With `num_classes` set, both
networks are also told the class (one-hot, concatenated to the flattened features and to the
code), which makes a `conditional.ConditionalVAE` that `conditional.generate` samples.

    model, history = train_conv_vae(x_train, config=ConvVAEConfig(latent_dim=16))
    model, history = train_conv_vae(x_train, y_train, ConvVAEConfig(num_classes=10))
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from genai_lessons.core.array_checks import check_images
from genai_lessons.core.validation import build_config, check_int, check_seed, check_type, describe
from genai_lessons.models import conditional, vae


@dataclass(frozen=True)
class ConvVAEConfig:
    """Architecture and loss weighting of a convolutional (conditional) VAE."""

    image_shape: tuple[int, int, int] = (28, 28, 1)  # height and width divisible by 4
    latent_dim: int = 16  # size of the code z
    filters: tuple[int, int] = (32, 64)  # channels of the two encoder convolutions
    dense_units: int = 256  # the dense layer between the convolutions and the code
    num_classes: int | None = None  # set (e.g. 10) for a conditional VAE
    beta: float = 1.0  # weight of the KL term; 1 makes the loss the negative ELBO
    seed: int = 0  # seed of the sampling noise

    def __post_init__(self):
        vae.VAEConfig(
            image_shape=self.image_shape, latent_dim=self.latent_dim, beta=self.beta, seed=self.seed
        )  # the same checks as the dense VAE's
        object.__setattr__(self, "image_shape", tuple(int(d) for d in self.image_shape))
        height, width, _ = self.image_shape
        if height % 4 or width % 4:
            raise ValueError(
                f"image_shape's height and width must be divisible by 4, got {self.image_shape}"
            )
        if not isinstance(self.filters, (tuple, list)) or len(self.filters) != 2:
            raise ValueError(f"filters must be two channel counts, got {describe(self.filters)}")
        object.__setattr__(self, "filters", tuple(check_int("filters", f) for f in self.filters))
        check_int("dense_units", self.dense_units)
        if self.num_classes is not None:
            check_int("num_classes", self.num_classes, minimum=2)
        check_seed("seed", self.seed)


def build_conv_encoder(
    config: ConvVAEConfig | None = None, variational: bool = True, **overrides
) -> keras.Model:
    """images (batch, h, w, c) [and labels (batch,) int when conditional] -> [z_mean, z_log_var],
    each (batch, latent_dim); or -> code (batch, latent_dim) when `variational` is False."""
    config = build_config(ConvVAEConfig, config, overrides)
    images = keras.Input(shape=config.image_shape, name="images")
    x = images
    for i, channels in enumerate(config.filters):
        x = keras.layers.Conv2D(
            channels, 3, strides=2, padding="same", activation="relu", name=f"conv_{i}"
        )(x)
    x = keras.layers.Flatten()(x)
    inputs = images
    if config.num_classes is not None:
        labels, one_hot = conditional.label_inputs(config.num_classes)
        x = keras.layers.Concatenate(name="features_and_class")([x, one_hot])
        inputs = [images, labels]
    x = keras.layers.Dense(config.dense_units, activation="relu", name="hidden")(x)
    if not variational:
        code = keras.layers.Dense(config.latent_dim, name="code")(x)
        return keras.Model(inputs, code, name="conv_ae_encoder")
    z_mean = keras.layers.Dense(config.latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(config.latent_dim, name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name="conv_encoder")


def build_conv_decoder(config: ConvVAEConfig | None = None, **overrides) -> keras.Model:
    """z (batch, latent_dim) [and labels (batch,) int when conditional] -> images
    (batch, h, w, c) in [0, 1]."""
    config = build_config(ConvVAEConfig, config, overrides)
    height, width, channels = config.image_shape
    code = keras.Input(shape=(config.latent_dim,), name="z")
    x, inputs = code, code
    if config.num_classes is not None:
        labels, one_hot = conditional.label_inputs(config.num_classes)
        x = keras.layers.Concatenate(name="code_and_class")([code, one_hot])
        inputs = [code, labels]
    first, second = config.filters
    x = keras.layers.Dense(config.dense_units, activation="relu", name="hidden")(x)
    x = keras.layers.Dense(height // 4 * width // 4 * second, activation="relu", name="map")(x)
    x = keras.layers.Reshape((height // 4, width // 4, second))(x)
    x = keras.layers.Conv2DTranspose(
        first, 3, strides=2, padding="same", activation="relu", name="up_0"
    )(x)
    x = keras.layers.Conv2DTranspose(
        first // 2, 3, strides=2, padding="same", activation="relu", name="up_1"
    )(x)
    images = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="pixels")(
        x
    )
    return keras.Model(inputs, images, name="conv_decoder")


def build_conv_vae(config: ConvVAEConfig | None = None, **overrides) -> vae.VAE:
    """A `vae.VAE` (or, with `num_classes`, a `conditional.ConditionalVAE`) with convolutional
    networks, built and ready to compile."""
    config = build_config(ConvVAEConfig, config, overrides)
    cls = vae.VAE if config.num_classes is None else conditional.ConditionalVAE
    model = cls(
        build_conv_encoder(config),
        build_conv_decoder(config),
        beta=config.beta,
        seed=config.seed,
        name="conv_vae" if config.num_classes is None else "conditional_conv_vae",
    )
    images = np.zeros((1, *config.image_shape), "float32")
    if config.num_classes is None:
        model(images)  # create the weights
    else:
        model({"images": images, "labels": np.zeros((1,), "int32")})
    return model


def build_conv_autoencoder(config: ConvVAEConfig | None = None, **overrides) -> keras.Model:
    """A plain (deterministic) autoencoder with the convolutional VAE's networks: images
    (batch, h, w, c) -> reconstructions in [0, 1]. Its parts are reachable as
    `model.get_layer("conv_ae_encoder")` and `model.get_layer("conv_decoder")`.

    No sampling and no KL term: the code is a point, not a distribution, so the decoder is only
    trained on the codes of real images (the reason a latent diffusion model, not the prior
    N(0, I), must supply its codes). Unconditional only (`num_classes` must be None).
    """
    config = build_config(ConvVAEConfig, config, overrides)
    if config.num_classes is not None:
        raise ValueError(
            f"the autoencoder is unconditional: num_classes must be None, got {config.num_classes}"
        )
    encoder = build_conv_encoder(config, variational=False)
    decoder = build_conv_decoder(config)
    images = keras.Input(shape=config.image_shape, name="images")
    return keras.Model(images, decoder(encoder(images)), name="conv_autoencoder")


def train_conv_autoencoder(
    images,
    config: ConvVAEConfig | None = None,
    train: vae.TrainConfig = vae.TrainConfig(epochs=30, batch_size=64, learning_rate=2e-3),
    callbacks=(),
    verbose: int = 0,
):
    """Build and fit `build_conv_autoencoder(config)` on images in [0, 1] with Adam and the
    per-pixel binary cross-entropy. Returns `(model, history)`."""
    config = config if config is not None else ConvVAEConfig()
    check_type("config", config, ConvVAEConfig)
    check_type("train", train, vae.TrainConfig)
    images = check_images("images", images, config.image_shape, value_range="unit")
    model = build_conv_autoencoder(config)
    history = vae.compile_and_fit(
        model, images, train, callbacks, verbose, loss="binary_crossentropy", y=images
    )
    return model, history


def train_conv_vae(
    images,
    labels=None,
    config: ConvVAEConfig | None = None,
    train: vae.TrainConfig = vae.TrainConfig(epochs=20, batch_size=64, learning_rate=1e-3),
    callbacks=(),
    verbose: int = 0,
):
    """Build, compile and fit a convolutional VAE on images in [0, 1]; `labels` (integer classes)
    are required exactly when `config.num_classes` is set. Returns `(model, history)`."""
    config = config if config is not None else ConvVAEConfig()
    check_type("config", config, ConvVAEConfig)
    check_type("train", train, vae.TrainConfig)
    images = check_images("images", images, config.image_shape, value_range="unit")
    if (labels is None) != (config.num_classes is None):
        raise ValueError(
            "labels must be given exactly when config.num_classes is set, got "
            f"labels {'None' if labels is None else 'given'} and num_classes {config.num_classes}"
        )
    inputs = images
    if labels is not None:
        inputs = {
            "images": images,
            "labels": conditional._labels(labels, config.num_classes, len(images)),
        }
    model = build_conv_vae(config)
    history = vae.compile_and_fit(model, inputs, train, callbacks, verbose)
    return model, history
