"""Latent diffusion: a diffusion model of an autoencoder's codes instead of the pixels.

Stable Diffusion's recipe (Rombach et al., 2022) in miniature. A convolutional autoencoder
(`conv_vae.train_conv_autoencoder`) compresses 28x28 digits to a short code; a `diffusion.Diffusion`
with the point MLP learns the distribution of the codes; its samples are decoded back to images.
`LatentCodec` holds the two halves of the autoencoder and the training codes' mean and standard
deviation per dimension: the diffusion model sees standardised codes, the scale its noise schedule
assumes (x_T ~ N(0, I) must look like fully noised data).

    autoencoder, _ = conv_vae.train_conv_autoencoder(x_train, conv_vae.ConvVAEConfig(latent_dim=16))
    codec = LatentCodec.fit(autoencoder, x_train)
    codes = codec.encode(x_train)    # (n, 16) float32, mean 0 and std 1 per dimension
    model = diffusion.build_diffusion(data_shape=(16,), width=256, depth=4)
    model.compile(optimizer="adam"); model.fit(codes, epochs=100, batch_size=128)
    images = codec.decode(diffusion_samplers.ddim_sample(
        diffusion_samplers.noise_predictor(model), model.schedule, (1000, 16), 50, eta=1.0))
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from genai_lessons.core.array_checks import check_images
from genai_lessons.core.validation import check_type, describe

ENCODER = "conv_ae_encoder"  # layer names of `conv_vae.build_conv_autoencoder`'s halves
DECODER = "conv_decoder"
BATCH = 500  # images or codes per network call when encoding and decoding


@dataclass(frozen=True, eq=False)
class LatentCodec:
    """An autoencoder's two halves and the standardisation of its codes."""

    encoder: keras.Model  # images (batch, h, w, c) in [0, 1] -> codes (batch, d)
    decoder: keras.Model  # codes (batch, d) -> images in [0, 1]
    mean: np.ndarray  # (d,) the training codes' mean
    scale: np.ndarray  # (d,) the training codes' standard deviation (a floor keeps it positive)

    @property
    def dims(self) -> int:
        return len(self.mean)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.decoder.output_shape[1:])

    @classmethod
    def fit(cls, autoencoder: keras.Model, images) -> LatentCodec:
        """Take the encoder and decoder of a trained `conv_vae.build_conv_autoencoder` model and
        fix the standardisation on the codes of `images` (the training images)."""
        check_type("autoencoder", autoencoder, keras.Model)
        names = {layer.name for layer in autoencoder.layers}
        if not {ENCODER, DECODER} <= names:
            raise ValueError(
                f"autoencoder must hold layers {ENCODER!r} and {DECODER!r} (a "
                f"conv_vae.build_conv_autoencoder model), got layers {sorted(names)}"
            )
        encoder, decoder = autoencoder.get_layer(ENCODER), autoencoder.get_layer(DECODER)
        images = check_images("images", images, tuple(encoder.input_shape[1:]), value_range="unit")
        if len(images) < 2:
            raise ValueError(f"images must hold at least 2 images, got {len(images)}")
        codes = encoder.predict(images, batch_size=BATCH, verbose=0).astype(np.float64)
        scale = np.maximum(codes.std(axis=0), 1e-6)  # a dead dimension would divide by zero
        return cls(encoder, decoder, codes.mean(axis=0), scale)

    def encode(self, images) -> np.ndarray:
        """Standardised codes (n, d) float32 of images (n, h, w, c) in [0, 1]."""
        images = check_images(
            "images", images, tuple(self.encoder.input_shape[1:]), value_range="unit"
        )
        codes = self.encoder.predict(images, batch_size=BATCH, verbose=0)
        return ((codes - self.mean) / self.scale).astype("float32")

    def decode(self, codes) -> np.ndarray:
        """Images (n, h, w, c) in [0, 1] of standardised codes (n, d)."""
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or codes.shape[1] != self.dims or not np.isfinite(codes).all():
            raise ValueError(
                f"codes must be a finite (n, {self.dims}) array, got {describe(codes)}"
            )
        raw = (codes * self.scale + self.mean).astype("float32")
        return self.decoder.predict(raw, batch_size=BATCH, verbose=0)
