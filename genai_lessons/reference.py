"""Reference architectures for the benchmark, at the course models' sizes.

Each follows the published description of a keras.io example, written here from that
description: the "miniature GPT" text-generation example (token plus position embeddings,
post-norm blocks around Keras's `MultiHeadAttention` with its causal mask, a ReLU MLP), the
DCGAN face-generation example (no batch normalization, LeakyReLU, one discriminator update on
fake and real images together with noisy labels, then a generator update) and the variational
autoencoder example (encoder, sampling, decoder; reconstruction and KL losses tracked). They are
what a reader would write from those pages, and `genai_lessons.bench` times the course's models
against them. Not registered for saving: they are never saved.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from genai_lessons import autodiff


class _TokenAndPosition(layers.Layer):
    """Two embedding tables, one for tokens and one for positions, added."""

    def __init__(self, vocab_size: int, context: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(vocab_size, width)
        self.positions = layers.Embedding(context, width)

    def call(self, ids):
        return self.tokens(ids) + self.positions(ops.arange(ops.shape(ids)[-1]))


def reference_gpt(
    vocab_size: int,
    context: int = 64,
    width: int = 128,
    num_heads: int = 4,
    num_layers: int = 2,
    mlp_ratio: int = 4,
    dropout: float = 0.1,
) -> keras.Model:
    """keras.io's miniature GPT at the given sizes: ids (batch, context) -> logits."""
    ids = keras.Input((context,), dtype="int32", name="ids")
    x = _TokenAndPosition(vocab_size, context, width)(ids)
    for _ in range(num_layers):
        attention = layers.MultiHeadAttention(num_heads, width // num_heads)
        attended = attention(x, x, use_causal_mask=True)
        x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dropout(dropout)(attended))
        hidden = layers.Dense(mlp_ratio * width, activation="relu")(x)
        x = layers.LayerNormalization(epsilon=1e-6)(
            x + layers.Dropout(dropout)(layers.Dense(width)(hidden))
        )
    return keras.Model(ids, layers.Dense(vocab_size)(x), name="reference_gpt")


def _generator(latent_dim: int, size: int, channels: int, filters: int) -> keras.Model:
    start = size // 4
    noise = keras.Input((latent_dim,))
    x = layers.Reshape((start, start, 2 * filters))(
        layers.Dense(start * start * 2 * filters)(noise)
    )
    for width in (filters, max(filters // 2, 1)):
        x = layers.LeakyReLU(0.2)(layers.Conv2DTranspose(width, 4, strides=2, padding="same")(x))
    images = layers.Conv2D(channels, 5, padding="same", activation="tanh")(x)
    return keras.Model(noise, images)


def _discriminator(size: int, channels: int, filters: int) -> keras.Model:
    images = keras.Input((size, size, channels))
    x = images
    for width in (max(filters // 2, 1), filters):
        x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(x))
    x = layers.Dropout(0.2)(layers.Flatten()(x))
    return keras.Model(images, layers.Dense(1, activation="sigmoid")(x))


class ReferenceGAN(keras.Model):
    """keras.io's DCGAN recipe (images in [-1, 1]); `fit(images)` trains both networks."""

    def __init__(self, latent_dim=16, size=8, channels=1, filters=32, lrs=(1e-3, 2e-4), **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.lrs = latent_dim, lrs
        self.generator = _generator(latent_dim, size, channels, filters)
        self.discriminator = _discriminator(size, channels, filters)
        self.seed_generator = keras.random.SeedGenerator(0)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, **kwargs):
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = keras.optimizers.Adam(self.lrs[0], beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(self.lrs[1], beta_1=0.5)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        autodiff.attach_optimizers(self, self.d_optimizer, self.g_optimizer)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, *args):
        return autodiff.stateless_train_step(self, self._step, *args)

    def _step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch = ops.shape(real)[0]
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        combined = ops.concatenate([self.generator(noise, training=True), real])
        # Fake is 1, real is 0, with a little noise on the labels (the example's trick), pointed
        # inwards so that the targets stay in [0, 1]: PyTorch's binary cross-entropy refuses others.
        labels = ops.concatenate([ops.ones((batch, 1)), ops.zeros((batch, 1))])
        jitter = 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        labels = labels + jitter * (1.0 - 2.0 * labels)

        def d_loss():
            p = self.discriminator(combined, training=True)
            return ops.mean(keras.losses.binary_crossentropy(labels, p))

        weights = self.discriminator.trainable_variables
        d_value, grads = autodiff.value_and_grad(d_loss, weights)
        self.d_optimizer.apply(grads, weights)
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

        def g_loss():  # "all real" labels: the generator is rewarded for fooling D
            p = self.discriminator(self.generator(noise, training=True), training=True)
            return ops.mean(keras.losses.binary_crossentropy(ops.zeros((batch, 1)), p))

        weights = self.generator.trainable_variables
        g_value, grads = autodiff.value_and_grad(g_loss, weights)
        self.g_optimizer.apply(grads, weights)
        self.d_loss_tracker.update_state(d_value)
        self.g_loss_tracker.update_state(g_value)
        return {m.name: m.result() for m in self.metrics}


class _Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(0)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps


class ReferenceVAE(keras.Model):
    """keras.io's VAE recipe with MLP parts of the given widths; images (batch, h, w, 1) in [0, 1]."""

    def __init__(self, image_shape=(8, 8, 1), latent_dim=8, hidden=(256, 128), **kwargs):
        super().__init__(**kwargs)
        images = keras.Input(image_shape)
        x = layers.Flatten()(images)
        for units in hidden:
            x = layers.Dense(units, activation="relu")(x)
        mean, log_var = layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)
        self.encoder = keras.Model(images, [mean, log_var, _Sampling()([mean, log_var])])
        code = keras.Input((latent_dim,))
        x = code
        for units in reversed(hidden):
            x = layers.Dense(units, activation="relu")(x)
        pixels = layers.Dense(
            image_shape[0] * image_shape[1] * image_shape[2], activation="sigmoid"
        )
        self.decoder = keras.Model(code, layers.Reshape(image_shape)(pixels(x)))
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reconstruction", "kl")]

    @property
    def metrics(self):
        return self.trackers

    def call(self, images, training=None):
        mean, log_var, z = self.encoder(images, training=training)
        return mean, log_var, self.decoder(z, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        mean, log_var, reconstruction = y_pred
        per_pixel = keras.losses.binary_crossentropy(x[..., None], reconstruction[..., None])
        reconstruction_loss = ops.mean(ops.sum(per_pixel, axis=(1, 2)))
        kl = -0.5 * (1 + log_var - ops.square(mean) - ops.exp(log_var))
        kl_loss = ops.mean(ops.sum(kl, axis=1))
        total = reconstruction_loss + kl_loss
        for tracker, value in zip(self.trackers, (total, reconstruction_loss, kl_loss)):
            tracker.update_state(value)
        return total
