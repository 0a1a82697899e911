"""The generators and discriminators a GAN plays with: small MLPs for 2D points, DCGAN-style
convolutional networks for square images.

Each family has one frozen config shared by its generator and discriminator (the
discriminator ignores the fields that only shape the generator), and builders
`build_<thing>(config=None, **overrides)`:

    generator = build_image_generator(latent_dim=16, image_size=8)
    discriminator = build_image_discriminator(image_size=8)

`genai_lessons.models.gan.GAN` then trains the pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from genai_lessons.core.validation import build_config, check_choice, check_int, check_number

OUTPUT_RANGES = {"symmetric": "tanh", "unit": "sigmoid"}  # image value range -> activation


@dataclass(frozen=True)
class PointNetworkConfig:
    """Architecture of the point generator and discriminator (MLPs on (batch, data_dim))."""

    latent_dim: int = 16  # length of the generator's noise vector z
    data_dim: int = 2  # coordinates per point
    units: int = 128  # width of every hidden layer
    hidden_layers: int = 3  # hidden layers of each network

    def __post_init__(self):
        for name in ("latent_dim", "data_dim", "units", "hidden_layers"):
            check_int(name, getattr(self, name))


@dataclass(frozen=True)
class ImageNetworkConfig:
    """Architecture of the DCGAN image generator and discriminator."""

    latent_dim: int = 16  # length of the generator's noise vector z
    image_size: int = 8  # height and width; divisible by 4 (two 2x up- or downsamplings)
    channels: int = 1  # 1 for greyscale
    filters: int = 32  # width of both networks' widest convolution
    value_range: str = "symmetric"  # the images' range: "symmetric" [-1, 1] (tanh), "unit" [0, 1]
    dropout: float = 0.0  # the discriminator's dropout after each convolution

    def __post_init__(self):
        for name in ("latent_dim", "channels", "filters"):
            check_int(name, getattr(self, name))
        check_int("image_size", self.image_size, minimum=4)
        if self.image_size % 4:
            raise ValueError(
                f"image_size must be divisible by 4 (two 2x upsamplings), got {self.image_size!r}"
            )
        check_choice("value_range", self.value_range, OUTPUT_RANGES)
        check_number("dropout", self.dropout, 0.0, 1.0, inclusive=(True, False))


# --------------------------------------------------------------------------- points


def build_point_generator(config: PointNetworkConfig | None = None, **overrides) -> keras.Model:
    """An MLP from noise (batch, latent_dim) to points (batch, data_dim), linear output.

    `config` defaults to `PointNetworkConfig()`; keyword `overrides` replace its fields.
    """
    config = build_config(PointNetworkConfig, config, overrides)
    z = keras.Input((config.latent_dim,), name="noise")
    x = z
    for i in range(config.hidden_layers):
        x = layers.Dense(config.units, activation="relu", name=f"hidden_{i + 1}")(x)
    points = layers.Dense(config.data_dim, name="points")(x)  # unbounded, like the data
    return keras.Model(z, points, name="point_generator")


def build_point_discriminator(config: PointNetworkConfig | None = None, **overrides) -> keras.Model:
    """An MLP from points (batch, data_dim) to P(real) of shape (batch, 1).

    `config` defaults to `PointNetworkConfig()` (`latent_dim` is not used); keyword
    `overrides` replace its fields.
    """
    config = build_config(PointNetworkConfig, config, overrides)
    points = keras.Input((config.data_dim,), name="points")
    x = points
    for i in range(config.hidden_layers):
        # Leaky ReLU keeps a gradient flowing back to the generator everywhere.
        x = layers.Dense(config.units, name=f"hidden_{i + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"leaky_{i + 1}")(x)
    p_real = layers.Dense(1, activation="sigmoid", name="p_real")(x)
    return keras.Model(points, p_real, name="point_discriminator")


# --------------------------------------------------------------------------- images


def build_image_generator(config: ImageNetworkConfig | None = None, **overrides) -> keras.Model:
    """A DCGAN generator: noise (batch, latent_dim) -> images (batch, size, size, channels).

    A dense layer makes a (size/4)x(size/4) feature map, two stride-2 transposed convolutions
    double it twice, and the output activation matches the data: tanh for [-1, 1]
    ("symmetric"), sigmoid for [0, 1] ("unit"). `config` defaults to `ImageNetworkConfig()`
    (`dropout` is not used); keyword `overrides` replace its fields.
    """
    config = build_config(ImageNetworkConfig, config, overrides)
    start, filters = config.image_size // 4, config.filters
    z = keras.Input((config.latent_dim,), name="noise")
    x = layers.Dense(start * start * 2 * filters, use_bias=False, name="project")(z)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((start, start, 2 * filters), name="to_map")(x)
    for i, width in enumerate((filters, filters // 2 or 1)):
        x = layers.Conv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False, name=f"up_{i + 1}"
        )(x)
        x = layers.BatchNormalization(name=f"up_{i + 1}_bn")(x)
        x = layers.ReLU(name=f"up_{i + 1}_relu")(x)
    activation = OUTPUT_RANGES[config.value_range]
    images = layers.Conv2D(
        config.channels, 3, padding="same", activation=activation, name="images"
    )(x)
    return keras.Model(z, images, name="image_generator")


def build_image_discriminator(config: ImageNetworkConfig | None = None, **overrides) -> keras.Model:
    """A DCGAN discriminator: images (batch, size, size, channels) -> P(real) (batch, 1).

    `config` defaults to `ImageNetworkConfig()` (`latent_dim` and `value_range` are not
    used); keyword `overrides` replace its fields.
    """
    config = build_config(ImageNetworkConfig, config, overrides)
    size, filters = config.image_size, config.filters
    images = keras.Input((size, size, config.channels), name="images")
    x = images
    for i, width in enumerate((filters // 2 or 1, filters)):
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"down_{i + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"down_{i + 1}_leaky")(x)
        x = layers.Dropout(config.dropout, name=f"down_{i + 1}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    p_real = layers.Dense(1, activation="sigmoid", name="p_real")(x)
    return keras.Model(images, p_real, name="image_discriminator")
