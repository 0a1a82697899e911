"""Generative adversarial networks: a generator and a discriminator trained against each other.

The generator maps noise z to data; the discriminator outputs the probability that its input
is real. `GAN` alternates their updates in its own `train_step`, so plain `fit` (with progress
bar, `BackupAndRestore`, `SampleSnapshots`) trains it; `GANConfig` sets the game (noise length,
the two learning rates, the generator's loss). The networks come from
`genai_lessons.models.gan_networks`; `metrics.count_modes` measures how many modes of a 2D mixture (the ring
of Gaussians) the samples cover; `genai_lessons.models.dcgan` is the lesson's DCGAN recipe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
import numpy as np
from keras import ops

from genai_lessons.core import autodiff, training
from genai_lessons.core.array_checks import check_concrete
from genai_lessons.core.seed_state import KeepsSeedState
from genai_lessons.core.validation import (
    ArgumentTypeError,
    check_choice,
    check_int,
    check_number,
    check_seed,
    check_type,
    describe,
)

GENERATOR_LOSSES = ("non_saturating", "minimax")
GENERATE_BATCH = 1000  # noise vectors per generator call in `GAN.generate`


@dataclass(frozen=True)
class GANConfig:
    """How the adversarial game is played (architectures are the builders' arguments)."""

    latent_dim: int = 16  # length of the noise vector z
    generator_lr: float = 2e-4  # Adam step size of the generator
    discriminator_lr: float = (
        1e-3  # Adam step size of the discriminator: keep it >= the generator's
    )
    beta_1: float = 0.5  # Adam momentum; the DCGAN paper's 0.5 is steadier than 0.9
    label_smoothing: float = 0.0  # one-sided: the discriminator's target for real data is 1 - this
    generator_loss: str = "non_saturating"  # -log D(G(z)), or "minimax": log(1 - D(G(z)))
    seed: int = 0  # seeds the noise drawn during training
    # Decay of a moving average of G's weights, which G holds after fit; 0: off.
    generator_average: float = 0.0

    def __post_init__(self):
        check_int("latent_dim", self.latent_dim)
        check_number("generator_lr", self.generator_lr, 0.0, inclusive=False)
        check_number("discriminator_lr", self.discriminator_lr, 0.0, inclusive=False)
        check_number("beta_1", self.beta_1, 0.0, 1.0, inclusive=(True, False))
        _check_smoothing(self.label_smoothing)
        check_choice("generator_loss", self.generator_loss, GENERATOR_LOSSES)
        check_seed("seed", self.seed)
        check_number("generator_average", self.generator_average, 0.0, 1.0, inclusive=(True, False))


def _check_smoothing(label_smoothing) -> float:
    return check_number("label_smoothing", label_smoothing, 0.0, 0.5, inclusive=(True, False))


# --------------------------------------------------------------------------- losses


def discriminator_loss(p_real, p_fake, label_smoothing: float = 0.0):
    """Mean binary cross-entropy with targets 1 (or 1 - smoothing) on real, 0 on fake:
    -[log D(x) + log(1 - D(G(z)))], averaged over each batch."""
    label_smoothing = _check_smoothing(label_smoothing)
    check_concrete("p_real", p_real, (0.0, 1.0))
    check_concrete("p_fake", p_fake, (0.0, 1.0))
    real = ops.binary_crossentropy(ops.full_like(p_real, 1.0 - label_smoothing), p_real)
    fake = ops.binary_crossentropy(ops.zeros_like(p_fake), p_fake)
    return ops.mean(real) + ops.mean(fake)


def generator_loss(p_fake, kind: str = "non_saturating"):
    """The generator's loss from D's outputs on its samples.

    "minimax" minimises log(1 - D(G(z))), the game's own objective, whose gradient vanishes
    while D confidently rejects the fakes; "non_saturating" minimises -log D(G(z)) instead.
    """
    check_choice("kind", kind, GENERATOR_LOSSES)
    check_concrete("p_fake", p_fake, (0.0, 1.0))
    if kind == "minimax":
        return -ops.mean(ops.binary_crossentropy(ops.zeros_like(p_fake), p_fake))
    return ops.mean(ops.binary_crossentropy(ops.ones_like(p_fake), p_fake))  # non_saturating


# --------------------------------------------------------------------------- the model


def _layers(model: keras.Model):
    """Every layer of `model`, those of nested models included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


@keras.saving.register_keras_serializable(package="genai_lessons")
class GAN(KeepsSeedState, keras.Model):
    """A generator and a discriminator with an alternating training step.

    Each step first updates the discriminator on a real batch and a fresh fake batch, then
    updates the generator through the (fixed) discriminator on new noise. `fit(real_data)`
    reports `d_loss`, `g_loss` and `d_accuracy` (the share of real and fake it classifies right).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        config: GANConfig | None = None,
        **kwargs,
    ):
        check_type("generator", generator, keras.Model, "keras.Model")
        check_type("discriminator", discriminator, keras.Model, "keras.Model")
        config = GANConfig() if config is None else check_type("config", config, GANConfig)
        if generator.input_shape[-1] != config.latent_dim:
            raise ValueError(
                f"config.latent_dim must match the generator's noise length "
                f"({generator.input_shape[-1]}), got {config.latent_dim}"
            )
        if tuple(generator.output_shape[1:]) != tuple(discriminator.input_shape[1:]):
            raise ValueError(
                f"discriminator must take the generator's output shape "
                f"{generator.output_shape[1:]}, got input shape {discriminator.input_shape[1:]}"
            )
        super().__init__(**kwargs)
        self.config = config
        self.generator, self.discriminator = generator, discriminator
        self.seed_generator = keras.random.SeedGenerator(self.config.seed)
        # A discriminator with batch normalization would mix the statistics of the real and
        # the fake batch if it saw them together; every other layer treats examples apart.
        self._batch_statistics = any(
            isinstance(layer, keras.layers.BatchNormalization) for layer in _layers(discriminator)
        )
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_accuracy = keras.metrics.BinaryAccuracy(name="d_accuracy")
        self.built = True  # both networks are built; BackupAndRestore needs this

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def compile(self, **kwargs):
        """Create the two Adam optimizers from the config (keyword arguments go to Keras)."""
        super().compile(optimizer=None, **kwargs)  # no third optimizer: each network has its own
        cfg = self.config
        self.d_optimizer = keras.optimizers.Adam(
            cfg.discriminator_lr, beta_1=cfg.beta_1, name="d_adam"
        )
        # With generator_average > 0 the optimizer keeps an exponential moving average of G's
        # weights (Keras's use_ema); `fit` hands G the averaged weights at its end.
        self.g_optimizer = keras.optimizers.Adam(
            cfg.generator_lr,
            beta_1=cfg.beta_1,
            name="g_adam",
            use_ema=cfg.generator_average > 0,
            ema_momentum=cfg.generator_average or 0.99,
        )
        # Built now so that BackupAndRestore can load their state before the first step.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        autodiff.attach_optimizers(
            self, self.d_optimizer, self.g_optimizer
        )  # fit on JAX carries them

    def compile_from_config(self, config):
        """A loaded GAN is compiled again with its own optimizers (their state is then loaded)."""
        self.compile()

    def fit(self, *args, **kwargs):
        """Keras's `fit`; with `config.generator_average` > 0, G then holds its averaged weights.

        The average smooths out the last steps' oscillation of the game (Yazici et al., 2019);
        snapshots taken during training show the raw weights. Another `fit` goes on from the
        averaged weights, with the average kept.
        """
        history = super().fit(*args, **kwargs)
        if self.config.generator_average > 0:
            self.g_optimizer.finalize_variable_values(self.generator.trainable_variables)
        return history

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_accuracy]

    def noise(self, batch_size):
        """Standard normal noise of shape (batch_size, latent_dim), from the model's seed."""
        return keras.random.normal((batch_size, self.config.latent_dim), seed=self.seed_generator)

    def discriminator_step(self, real):
        """One update of the discriminator on a real batch and a fresh fake one; G is fixed.

        Returns:
            (loss, p_real, p_fake): the loss and D's outputs on both batches.
        """
        batch = ops.shape(real)[0]
        fake = self.generator(self.noise(batch), training=True)

        def loss():
            if self._batch_statistics:  # batch norm must see real and fake batches apart
                p_real = self.discriminator(real, training=True)
                p_fake = self.discriminator(fake, training=True)
            else:  # one call on both, as keras.io's DCGAN does: half the layer calls
                both = self.discriminator(ops.concatenate([real, fake]), training=True)
                p_real, p_fake = both[:batch], both[batch:]
            return discriminator_loss(p_real, p_fake, self.config.label_smoothing), (p_real, p_fake)

        weights = self.discriminator.trainable_variables
        (value, (p_real, p_fake)), grads = autodiff.value_and_grad(loss, weights, has_aux=True)
        self.d_optimizer.apply(grads, weights)
        return value, p_real, p_fake

    def generator_step(self, batch_size):
        """One update of the generator: gradients flow through D, but only G's weights change."""

        def loss():
            fake = self.generator(self.noise(batch_size), training=True)
            return generator_loss(
                self.discriminator(fake, training=True), self.config.generator_loss
            )

        weights = self.generator.trainable_variables
        value, grads = autodiff.value_and_grad(loss, weights)
        self.g_optimizer.apply(grads, weights)
        return value

    def train_step(self, *args):
        # (data,) on TensorFlow and PyTorch, (state, data) on JAX: see autodiff.stateless_train_step.
        return autodiff.stateless_train_step(self, self._two_player_step, *args)

    def _two_player_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        d_loss, p_real, p_fake = self.discriminator_step(real)
        g_loss = self.generator_step(ops.shape(real)[0])
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_accuracy.update_state(
            ops.concatenate([ops.ones_like(p_real), ops.zeros_like(p_fake)]),
            ops.concatenate([p_real, p_fake]),
        )
        return {m.name: m.result() for m in self.metrics}

    def generate(self, count: int, seed: int = 0) -> np.ndarray:
        """`count` samples as a NumPy array; the same seed always gives the same samples.

        The generator runs on `GENERATE_BATCH` noise vectors at a time: 5,000 28x28 digits in one
        call raised the peak memory by 1.4 GB, in batches of 1,000 by 0.3 GB (measured).
        """
        check_int("count", count)
        check_seed("seed", seed)
        noise = keras.random.normal((count, self.config.latent_dim), seed=seed)
        noise = keras.ops.convert_to_numpy(noise)
        return np.concatenate(
            [
                keras.ops.convert_to_numpy(
                    self.generator(noise[start : start + GENERATE_BATCH], training=False)
                )
                for start in range(0, count, GENERATE_BATCH)
            ]
        )

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "config": asdict(self.config),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, GANConfig(**config.pop("config")), **config)


class SampleSnapshots(keras.callbacks.Callback):
    """Record the generator's output for fixed noise at chosen epochs (1-based).

    After `fit`, `snapshots[epoch]` holds the samples, so a lesson can show how they evolve.
    `snapshots[0]` is taken before training starts. Pass the run's `training.backup` callback
    as `backup` and the snapshots are kept with it: a run resumed after an interruption still
    has those taken before it.
    """

    def __init__(self, epochs, count: int = 500, seed: int = 0, backup=None):
        super().__init__()
        if isinstance(epochs, (str, bytes)) or not hasattr(epochs, "__iter__"):
            raise ValueError(
                f"epochs must be a non-empty list of epoch numbers, got {describe(epochs)}"
            )
        epochs = list(epochs)  # once: a generator could be read only once
        if not epochs:
            raise ValueError("epochs must be a non-empty list of epoch numbers, got []")
        self.epochs = sorted({check_int("epochs", e, 0) for e in epochs})
        check_int("count", count)
        check_seed("seed", seed)
        if backup is not None and not isinstance(backup, training.Backup):
            raise ArgumentTypeError(
                f"backup must be the run's training.backup(...) callback, got {describe(backup)}"
            )
        self.count, self.seed, self.backup = count, seed, backup
        self.snapshots: dict[int, np.ndarray] = {}

    def _take(self, epoch: int) -> None:
        if epoch in self.epochs:
            self.snapshots[epoch] = self.model.generate(self.count, seed=self.seed)
            if self.backup is not None:
                kept = {str(e): samples for e, samples in self.snapshots.items()}
                self.backup.save_arrays("sample_snapshots", kept)

    def on_train_begin(self, logs=None):
        kept = {} if self.backup is None else self.backup.load_arrays("sample_snapshots")
        self.snapshots = {int(epoch): samples for epoch, samples in kept.items()}
        if 0 not in self.snapshots:  # a fresh run (taken before any backup restores weights)
            self._take(0)

    def on_epoch_end(self, epoch, logs=None):
        self._take(epoch + 1)
