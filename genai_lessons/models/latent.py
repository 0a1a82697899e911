"""A trained (variational) autoencoder at work: the codes of images, images from codes, and how
well the model explains an image.

`encode` gives the encoder's Gaussian over z; `reconstruct` decodes an image's mean code (or
calls a plain autoencoder); `sample_prior` decodes codes drawn from N(0, I), i.e. new images;
`negative_elbo` bounds how unlikely an image is under the model, which `anomaly_scores` uses to
flag images unlike the training data. Everything here runs the model in inference mode through
`inference.predict` and returns NumPy arrays.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from genai_lessons.core import inference
from genai_lessons.core.array_checks import check_images
from genai_lessons.core.validation import check_choice, check_int, check_seed, check_type
from genai_lessons.models.conditional import ConditionalVAE
from genai_lessons.models.vae import VAE, kl_divergence, reconstruction_loss

SCORE_METHODS = ("neg_elbo", "reconstruction")


def _check_unconditional(argument: str, model) -> None:
    """A conditional VAE is a `VAE` too, but its networks also need labels."""
    if isinstance(model, ConditionalVAE):
        raise ValueError(
            f"{argument} must be an unconditional model: a ConditionalVAE also needs labels "
            "(see conditional.generate)"
        )


def _model_images(model: keras.Model, images) -> np.ndarray:
    """`images` in [0, 1], checked against the shape `model` (a VAE: its encoder) takes."""
    model = model.encoder if isinstance(model, VAE) else model
    return check_images("images", images, tuple(model.input_shape[1:]), value_range="unit")


def encode(vae: VAE, images) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's `(z_mean, z_log_var)` for images in [0, 1], each (batch, latent_dim)."""
    check_type("vae", vae, VAE)
    _check_unconditional("vae", vae)
    return inference.predict(vae.encoder, _model_images(vae.encoder, images))


def reconstruct(model: keras.Model, images) -> np.ndarray:
    """Reconstructions (batch, height, width, channels): a `VAE` decodes the mean code, a plain
    autoencoder is simply called."""
    check_type("model", model, keras.Model, "VAE or keras.Model")
    _check_unconditional("model", model)
    images = _model_images(model, images)
    if isinstance(model, VAE):
        return inference.predict(model.decoder, encode(model, images)[0])
    return inference.predict(model, images)


def negative_elbo(vae: VAE, images, samples: int = 1) -> np.ndarray:
    """Per-image negative ELBO (reconstruction + KL, beta = 1), averaged over `samples` draws of z.

    Returns:
        float64 array of shape (batch,), in nats.
    """
    check_type("vae", vae, VAE)
    _check_unconditional("vae", vae)
    check_int("samples", samples)
    images = _model_images(vae.encoder, images)
    z_mean, z_log_var = encode(vae, images)
    reconstruction = np.zeros(len(images))
    for _ in range(samples):
        decoded = inference.predict(
            vae.decoder, ops.convert_to_numpy(vae.sampling([z_mean, z_log_var]))
        )
        reconstruction += ops.convert_to_numpy(reconstruction_loss(images, decoded))
    return reconstruction / samples + ops.convert_to_numpy(kl_divergence(z_mean, z_log_var))


def anomaly_scores(
    model: keras.Model, images, method: str = "neg_elbo", samples: int = 8
) -> np.ndarray:
    """How unusual each image looks to a model trained on normal data: higher is more anomalous.

    Args:
        model: a trained `VAE`, or a plain autoencoder mapping images to reconstructions.
        images: (batch, height, width, channels) in [0, 1].
        method: "neg_elbo" (VAE only: the negative ELBO averaged over `samples` draws of z) or
            "reconstruction" (squared error summed over pixels, see `reconstruct`).

    Returns:
        float64 array of shape (batch,).
    """
    check_choice("method", method, SCORE_METHODS)
    check_type("model", model, keras.Model, "VAE or keras.Model")
    _check_unconditional("model", model)
    if method == "neg_elbo":
        if not isinstance(model, VAE):
            raise ValueError(
                f"model must be a VAE: method 'neg_elbo' needs a VAE, got a {type(model).__name__}"
            )
        return negative_elbo(model, images, samples=samples)
    images = _model_images(model, images)
    error = (reconstruct(model, images).astype(np.float64) - images) ** 2
    return error.reshape(len(images), -1).sum(axis=1)


def sample_prior(decoder: keras.Model, n: int, seed: int = 0) -> np.ndarray:
    """Decode `n` codes drawn from the prior N(0, I): new images, (n, height, width, channels)."""
    check_type("decoder", decoder, keras.Model, "keras.Model")
    check_int("n", n)
    check_seed("seed", seed)
    z = np.random.default_rng(seed).standard_normal((n, decoder.input_shape[-1]))
    return inference.predict(decoder, z.astype("float32"))
