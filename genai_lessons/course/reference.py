"""Reference architectures for the benchmark, at the course models' sizes.

Each follows the published description of a keras.io example, written here from that
description: the "miniature GPT" text-generation example (token plus position embeddings,
post-norm blocks around Keras's `MultiHeadAttention` with its causal mask, a ReLU MLP), the
DCGAN face-generation example (no batch normalization, LeakyReLU, one discriminator update on
fake and real images together with noisy labels, then a generator update), the variational
autoencoder example (convolutional encoder, sampling, transposed-convolution decoder;
reconstruction and KL losses tracked; also with dense parts, and as a plain autoencoder) and the
denoising diffusion implicit models example (a U-Net of residual blocks with skip connections
and a sinusoidal embedding of the noise level, trained to predict the noise). They are
what a reader would write from those pages, and `genai_lessons.course.bench` times the course's models
against them. Not registered for saving: they are never saved.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from genai_lessons.core import autodiff


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


class _VAERecipe(keras.Model):
    """keras.io's VAE training recipe around an `encoder` (images -> [mean, log_var, z]) and a
    `decoder` (z -> images in [0, 1]): the loss is the binary cross-entropy summed over the
    pixels plus the KL term, both averaged over the batch and tracked."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
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


def _variational(images, features, latent_dim: int) -> keras.Model:
    """The encoder's head: features -> [mean, log_var, z drawn from them]."""
    mean, log_var = layers.Dense(latent_dim)(features), layers.Dense(latent_dim)(features)
    return keras.Model(images, [mean, log_var, _Sampling()([mean, log_var])])


class ReferenceVAE(_VAERecipe):
    """keras.io's VAE recipe with MLP parts of the given widths; images (batch, h, w, 1) in [0, 1]."""

    def __init__(self, image_shape=(8, 8, 1), latent_dim=8, hidden=(256, 128), **kwargs):
        images = keras.Input(image_shape)
        x = layers.Flatten()(images)
        for units in hidden:
            x = layers.Dense(units, activation="relu")(x)
        encoder = _variational(images, x, latent_dim)
        code = keras.Input((latent_dim,))
        x = code
        for units in reversed(hidden):
            x = layers.Dense(units, activation="relu")(x)
        pixels = layers.Dense(
            image_shape[0] * image_shape[1] * image_shape[2], activation="sigmoid"
        )
        decoder = keras.Model(code, layers.Reshape(image_shape)(pixels(x)))
        super().__init__(encoder, decoder, **kwargs)


def _conv_features(images, filters, dense_units: int):
    """keras.io's VAE encoder up to its code: two 3x3 stride-2 ReLU convolutions, flattened, and
    a ReLU dense layer."""
    x = images
    for width in filters:
        x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    return layers.Dense(dense_units, activation="relu")(layers.Flatten()(x))


def _conv_decoder(image_shape, latent_dim: int, filters, dense_units: int) -> keras.Model:
    """keras.io's VAE decoder: a ReLU dense layer to a (h/4, w/4, filters[1]) map, two 3x3
    stride-2 ReLU transposed convolutions (filters[1], then filters[0]) and a sigmoid one to the
    image. Unlike the example (code straight to the map), a dense layer of `dense_units` first,
    mirroring the encoder's: with the course's 256 units (the example has 16) the decoder would
    otherwise hold half the weights of the course's."""
    height, width, channels = image_shape
    code = keras.Input((latent_dim,))
    x = layers.Dense(dense_units, activation="relu")(code)
    x = layers.Dense(height // 4 * width // 4 * filters[1], activation="relu")(x)
    x = layers.Reshape((height // 4, width // 4, filters[1]))(x)
    for count in reversed(filters):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu")(x)
    images = layers.Conv2DTranspose(channels, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(code, images)


class ReferenceConvVAE(_VAERecipe):
    """keras.io's convolutional VAE ("Variational AutoEncoder" example) at the given sizes;
    images (batch, h, w, c) in [0, 1], h and w divisible by 4."""

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=16,
        filters=(32, 64),
        dense_units=256,
        **kwargs,
    ):
        images = keras.Input(image_shape)
        encoder = _variational(images, _conv_features(images, filters, dense_units), latent_dim)
        decoder = _conv_decoder(image_shape, latent_dim, filters, dense_units)
        super().__init__(encoder, decoder, **kwargs)


def reference_conv_autoencoder(
    image_shape=(28, 28, 1), latent_dim=16, filters=(32, 64), dense_units=256
) -> keras.Model:
    """The networks of `ReferenceConvVAE` as a plain autoencoder: the encoder ends in one dense
    layer to the code (no sampling, no KL term); images (batch, h, w, c) -> reconstructions."""
    images = keras.Input(image_shape)
    code = layers.Dense(latent_dim)(_conv_features(images, filters, dense_units))
    decoder = _conv_decoder(image_shape, latent_dim, filters, dense_units)
    return keras.Model(images, decoder(code), name="reference_conv_autoencoder")


class _NoiseEmbedding(layers.Layer):
    """Sines and cosines of the noise variance (batch, 1, 1, 1) -> (batch, 1, 1, dims), at
    frequencies spaced geometrically from 1 to 1,000 (the example's embedding)."""

    def __init__(self, dims: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.dims = dims

    def call(self, variances):
        half = self.dims // 2
        exponents = ops.arange(half, dtype="float32") / max(half - 1, 1)
        speeds = 2.0 * math.pi * ops.exp(math.log(1000.0) * exponents)  # 2 pi f, f in [1, 1000]
        angles = variances * speeds
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


def _residual_block(x, width: int):
    """Normalize (no learned scale or shift), two 3x3 convolutions, add the input back."""
    residual = x if x.shape[-1] == width else layers.Conv2D(width, 1)(x)
    x = layers.BatchNormalization(center=False, scale=False)(x)
    x = layers.Conv2D(width, 3, padding="same", activation="swish")(x)
    return layers.Add()([layers.Conv2D(width, 3, padding="same")(x), residual])


def reference_denoiser(image_shape, widths=(32, 64), block_depth=1, embedding_dims=32):
    """keras.io's DDIM U-Net: [noisy images (batch, h, w, c), noise variances (batch, 1, 1, 1)]
    -> predicted noise (batch, h, w, c). The embedding enters once, tiled over the image and
    concatenated to it; each resolution but the lowest keeps `block_depth` skip connections."""
    images = keras.Input(image_shape)
    variances = keras.Input((1, 1, 1))
    e = _NoiseEmbedding(embedding_dims)(variances)
    e = layers.UpSampling2D(size=image_shape[:2], interpolation="nearest")(e)
    x = layers.Concatenate()([layers.Conv2D(widths[0], 1)(images), e])
    skips = []
    for width in widths[:-1]:  # down: blocks at this resolution, then halve it
        for _ in range(block_depth):
            x = _residual_block(x, width)
            skips.append(x)
        x = layers.AveragePooling2D(2)(x)
    for _ in range(block_depth):
        x = _residual_block(x, widths[-1])
    for width in reversed(widths[:-1]):  # up: double the resolution, then blocks with skips
        x = layers.UpSampling2D(2, interpolation="bilinear")(x)
        for _ in range(block_depth):
            x = _residual_block(layers.Concatenate()([x, skips.pop()]), width)
    noise = layers.Conv2D(image_shape[-1], 1, kernel_initializer="zeros")(x)
    return keras.Model([images, variances], noise, name="reference_denoiser")


class ReferenceDiffusion(keras.Model):
    """keras.io's DDIM training recipe: images (batch, h, w, c), here in [-1, 1].

    In training, `call` draws a diffusion time in [0, 1) and the noise for each image, mixes
    them with the example's cosine rates (signal cos(angle), noise sin(angle), from signal 0.95
    to 0.02), and returns {"noise", "predicted"}; the loss is the mean absolute error between
    them, as in the example. Left out, since the course's model does neither in training: the
    example's data normalization (the digits are already centred) and its exponential moving
    average of the weights (it serves sampling only).
    """

    def __init__(
        self,
        image_shape=(8, 8, 1),
        widths=(32, 64),
        block_depth=1,
        embedding_dims=32,
        signal_rates=(0.95, 0.02),
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.network = reference_denoiser(image_shape, widths, block_depth, embedding_dims)
        self.angles = tuple(math.acos(rate) for rate in signal_rates)  # (start, end)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        batch = ops.shape(images)[0]
        times = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        angles = self.angles[0] + times * (self.angles[1] - self.angles[0])
        signal, noise_rate = ops.cos(angles), ops.sin(angles)
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        noisy = signal * images + noise_rate * noise
        predicted = self.network([noisy, ops.square(noise_rate)], training=training)
        return {"noise": noise, "predicted": predicted}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(ops.abs(y_pred["noise"] - y_pred["predicted"]))
