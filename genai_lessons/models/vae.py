"""Variational autoencoders: the sampling layer, encoder and decoder builders, the VAE model,
its loss (the negative ELBO) and a plain autoencoder for comparison (using a trained one:
`latent`).

The encoder maps an image to the mean and log-variance of a diagonal Gaussian over the code
z; `Sampling` draws z with the reparameterization trick; the decoder maps z to per-pixel
Bernoulli means, i.e. an image in [0, 1]. The loss is computed in `keras.ops` inside
`VAE.compute_loss`, so Keras's own `fit` trains it on any backend. `conditional.ConditionalVAE`
is a VAE whose networks are also told the class.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from genai_lessons.core.array_checks import check_concrete, check_images
from genai_lessons.core.seed_state import KeepsSeedState
from genai_lessons.core.validation import (
    build_config,
    check_int,
    check_number,
    check_seed,
    check_type,
    describe,
)

PACKAGE = "genai_lessons"


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and loss weighting of a (variational) autoencoder."""

    image_shape: tuple[int, int, int] = (8, 8, 1)  # (height, width, channels), pixels in [0, 1]
    latent_dim: int = 2  # size of the code z; 2 lets us draw the latent space
    hidden_units: tuple[int, ...] = (256, 128)  # encoder's dense widths; the decoder mirrors them
    beta: float = 1.0  # weight of the KL term; 1 makes the loss the true negative ELBO
    seed: int = 0  # seed of the sampling noise (and of nothing else)

    def __post_init__(self):
        shape = self.image_shape
        if (
            not isinstance(shape, (tuple, list))
            or len(shape) != 3
            or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1
                for d in shape
            )
        ):
            raise ValueError(
                f"image_shape must be (height, width, channels) of positive ints, "
                f"got {describe(shape)}"
            )
        object.__setattr__(self, "image_shape", tuple(int(d) for d in shape))  # lists welcome
        check_int("latent_dim", self.latent_dim)
        if not isinstance(self.hidden_units, (tuple, list)) or not self.hidden_units:
            raise ValueError(
                f"hidden_units must name at least one layer, got {describe(self.hidden_units)}"
            )
        object.__setattr__(
            self, "hidden_units", tuple(check_int("hidden_units", u) for u in self.hidden_units)
        )
        _check_beta(self.beta)
        check_seed("seed", self.seed)


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained."""

    epochs: int = 100  # passes over the training images
    batch_size: int = 64  # images per gradient step
    learning_rate: float = 2e-3  # Adam's step size
    # Where the step size ends, as a fraction of learning_rate, reached along a cosine at the last
    # step; 1 keeps it constant. A decayed step lets the last updates settle instead of leaving
    # the weights wherever the final noisy steps put them.
    decay_to: float = 1.0

    def __post_init__(self):
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size)
        check_number("learning_rate", self.learning_rate, 0.0, inclusive=False)
        check_number("decay_to", self.decay_to, 0.0, 1.0, inclusive=(False, True))

    def optimizer(self, examples: int) -> keras.optimizers.Optimizer:
        """Adam at `learning_rate`, decayed along a cosine to `decay_to` of it over `epochs`
        passes over `examples` in batches of `batch_size` (constant when `decay_to` is 1)."""
        examples = check_int("examples", examples)
        if self.decay_to == 1.0:
            return keras.optimizers.Adam(self.learning_rate)
        steps = self.epochs * -(-examples // self.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(
            self.learning_rate, steps, alpha=self.decay_to
        )
        return keras.optimizers.Adam(schedule)


def _check_beta(beta) -> float:
    return check_number("beta", beta, 0.0)


# --------------------------------------------------------------------------- the maths


def kl_divergence(z_mean, z_log_var):
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) in closed form, summed over the latent axis:
    (batch, latent_dim) twice -> (batch,), every entry >= 0."""
    # As tensors: on PyTorch, a NumPy array minus a tensor is a TypeError.
    z_mean = ops.convert_to_tensor(check_concrete("z_mean", z_mean))
    z_log_var = ops.convert_to_tensor(check_concrete("z_log_var", z_log_var))
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def reconstruction_loss(images, reconstructions):
    """Negative Bernoulli log-likelihood (binary cross-entropy) summed over pixels:
    (batch, height, width, channels) twice, values in [0, 1] -> (batch,)."""
    check_concrete("images", images, (0.0, 1.0))
    check_concrete("reconstructions", reconstructions, (0.0, 1.0))
    per_pixel = keras.losses.binary_crossentropy(images[..., None], reconstructions[..., None])
    return ops.sum(ops.reshape(per_pixel, (ops.shape(images)[0], -1)), axis=-1)


# --------------------------------------------------------------------------- layers and builders


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(KeepsSeedState, keras.layers.Layer):
    """Draw z = mean + exp(log_var / 2) * eps with eps ~ N(0, I): the reparameterization trick.

    The randomness is in eps only, so z is a differentiable function of mean and log_var.
    The layer holds its own `SeedGenerator`, so a seeded layer gives reproducible draws.
    """

    def __init__(self, seed: int | None = None, **kwargs):
        check_seed("seed", seed, allow_none=True)
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def build_encoder(
    config: VAEConfig | None = None, variational: bool = True, **overrides
) -> keras.Model:
    """An MLP encoder: image -> (z_mean, z_log_var), or -> code when `variational` is False.

    Input shape (batch, height, width, channels); each output (batch, latent_dim).
    `config` defaults to `VAEConfig()`; keyword `overrides` replace its fields.
    """
    config = build_config(VAEConfig, config, overrides)
    images = keras.Input(shape=config.image_shape, name="images")
    x = keras.layers.Flatten()(images)
    for i, units in enumerate(config.hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    if not variational:
        code = keras.layers.Dense(config.latent_dim, name="code")(x)
        return keras.Model(images, code, name="ae_encoder")
    z_mean = keras.layers.Dense(config.latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(config.latent_dim, name="z_log_var")(x)
    return keras.Model(images, [z_mean, z_log_var], name="encoder")


def build_decoder(
    config: VAEConfig | None = None, name: str = "decoder", **overrides
) -> keras.Model:
    """An MLP decoder: code (batch, latent_dim) -> image (batch, height, width, channels) in [0, 1]."""
    config = build_config(VAEConfig, config, overrides)
    code = keras.Input(shape=(config.latent_dim,), name="z")
    x = code
    for i, units in enumerate(reversed(config.hidden_units)):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    x = keras.layers.Dense(int(np.prod(config.image_shape)), activation="sigmoid", name="pixels")(x)
    images = keras.layers.Reshape(config.image_shape, name="image")(x)
    return keras.Model(code, images, name=name)


def build_autoencoder(config: VAEConfig | None = None, **overrides) -> keras.Model:
    """A plain (deterministic) autoencoder with the same layers as the VAE, for comparison.

    Compile it with `loss="binary_crossentropy"` and fit it on (images, images). Its parts
    are reachable as `model.get_layer("ae_encoder")` and `model.get_layer("ae_decoder")`.
    """
    config = build_config(VAEConfig, config, overrides)
    encoder = build_encoder(config, variational=False)
    decoder = build_decoder(config, name="ae_decoder")
    images = keras.Input(shape=config.image_shape, name="images")
    return keras.Model(images, decoder(encoder(images)), name="autoencoder")


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """Encoder, sampling and decoder, trained by `fit` to minimise reconstruction + beta * KL.

    `vae(images)` returns a dict with "z_mean", "z_log_var", "z" and "reconstruction".
    Besides Keras's "loss" (the objective, reconstruction + beta * KL), `fit` reports
    "reconstruction_loss", "kl_loss" and "neg_elbo" (reconstruction + KL, whatever beta is),
    each averaged per image.
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        seed: int | None = None,
        **kwargs,
    ):
        check_type("encoder", encoder, keras.Model, "keras.Model")
        check_type("decoder", decoder, keras.Model, "keras.Model")
        _check_beta(beta)
        check_seed("seed", seed, allow_none=True)
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.seed = seed
        self.sampling = Sampling(seed, name="sampling")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        self.neg_elbo_tracker = keras.metrics.Mean(name="neg_elbo")

    def _images(self, inputs):
        """The images among a batch's inputs (a conditional VAE's inputs also hold labels)."""
        return inputs

    def call(self, images, training=None):
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.sampling([z_mean, z_log_var])
        return {
            "z_mean": z_mean,
            "z_log_var": z_log_var,
            "z": z,
            "reconstruction": self.decoder(z, training=training),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        images = self._images(x)  # the target is the input image; y and sample_weight are unused
        reconstruction = ops.mean(reconstruction_loss(images, y_pred["reconstruction"]))
        kl = ops.mean(kl_divergence(y_pred["z_mean"], y_pred["z_log_var"]))
        # Weighted by the batch size, like Keras's own "loss", so epoch averages are per image.
        batch = ops.cast(ops.shape(images)[0], reconstruction.dtype)
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=batch)
        self.kl_tracker.update_state(kl, sample_weight=batch)
        self.neg_elbo_tracker.update_state(reconstruction + kl, sample_weight=batch)
        extra = sum(ops.sum(loss) for loss in self.losses)  # weight regularizers, if any were added
        return reconstruction + self.beta * kl + extra

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "encoder": serialize(self.encoder),
            "decoder": serialize(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


def build_vae(config: VAEConfig | None = None, **overrides) -> VAE:
    """A VAE with `build_encoder`/`build_decoder` parts, built and ready to compile.

    `config` defaults to `VAEConfig()`; keyword `overrides` replace its fields."""
    config = build_config(VAEConfig, config, overrides)
    vae = VAE(
        build_encoder(config), build_decoder(config), beta=config.beta, seed=config.seed, name="vae"
    )
    vae(np.zeros((1, *config.image_shape), dtype="float32"))  # create the weights
    return vae


def train_vae(
    images,
    config: VAEConfig = VAEConfig(),
    train: TrainConfig = TrainConfig(),
    validation=None,
    verbose: int = 0,
):
    """Build, compile and fit a VAE on images in [0, 1] (validation: test images, optional).
    Returns `(vae, history)`."""
    check_type("config", config, VAEConfig)
    check_type("train", train, TrainConfig)
    images = check_images("images", images, config.image_shape, value_range="unit")
    if validation is not None:
        validation = check_images("validation", validation, config.image_shape, value_range="unit")
    check_int("verbose", verbose, 0, 2)
    vae = build_vae(config)
    history = compile_and_fit(
        vae,
        images,
        train,
        validation_data=(validation,) if validation is not None else None,
        verbose=verbose,
    )
    return vae, history


def compile_and_fit(
    model, inputs, train: TrainConfig, callbacks=(), verbose=0, loss=None, **fit_options
):
    """Compile a VAE-family model with `train.optimizer` (Adam) (and `loss`, for a model
    without its own, e.g. a plain autoencoder fitted with `y=inputs`) and fit it on `inputs`
    for `train.epochs` shuffled epochs of `train.batch_size` (the one recipe of every VAE builder).
    Returns the Keras history."""
    examples = len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)
    model.compile(optimizer=train.optimizer(examples), loss=loss)
    return model.fit(
        inputs,
        epochs=train.epochs,
        batch_size=train.batch_size,
        shuffle=True,
        callbacks=list(callbacks),
        verbose=verbose,
        **fit_options,
    )
