"""Exercises of lesson 4 (variational autoencoders): the reparameterization step, the KL term
and the negative ELBO of a batch in NumPy, and the sampling layer in Keras.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged (NumPy references written from the formulas,
the usual mistakes) is in `variational`; the layer's (draw statistics, reproducibility,
gradients) in `sampling_layer`.
"""

from __future__ import annotations

from genai_lessons.exercises import sampling_layer, variational
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(4, "VAEs")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "reparameterize",
    "reparameterize",
    hints=[
        "z must have the distribution N(mean, sigma^2), built from the standard normal noise eps: "
        "stretch eps by the standard deviation, then shift it by the mean.",
        "The encoder gives log_var = log(sigma^2), not sigma. Undo the logarithm and take a square "
        "root to get sigma: one exp of half the log-variance does both.",
        "Everything is element by element, on arrays of shape (batch, latent_dim): no loops, no "
        "matrix products.",
    ],
    solution="""
def reparameterize(mean, log_var, eps):
    return mean + np.exp(0.5 * log_var) * eps
""",
)


@LESSON.checker("reparameterize")
def check_reparameterize(function) -> Result:
    """Check `reparameterize(mean, log_var, eps)`, which returns z = mean + sigma * eps."""
    return variational.check_reparameterize(function)


LESSON.add(
    "kl_divergence",
    "kl_divergence",
    hints=[
        "The KL divergence of independent dimensions is the sum of the KL of each dimension, and "
        "each one has the closed form derived above.",
        "For one dimension with q = N(mu, sigma^2) the closed form has four terms inside the "
        "bracket: a constant, log sigma^2, mu^2 and sigma^2. Here log sigma^2 is log_var and "
        "sigma^2 is exp(log_var).",
        "Compute that expression for every entry of (batch, latent_dim), then add it up over the "
        "latent axis only (the last one): one value per example.",
    ],
    solution="""
def kl_divergence(mean, log_var):
    return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)
""",
)


@LESSON.checker("kl_divergence")
def check_kl_divergence(function) -> Result:
    """Check `kl_divergence(mean, log_var)`: KL(q || N(0, I)) per example, shape (batch,)."""
    return variational.check_kl_divergence(function)


LESSON.add(
    "negative_elbo",
    "negative ELBO of a batch",
    hints=[
        "The negative ELBO of one image is its reconstruction term plus its KL term; the batch's "
        "loss is the average over the images.",
        "Reconstruction: the binary cross-entropy between the image and its reconstruction (pixel "
        "probabilities), summed over all 64 pixels of the image, not averaged. KL: the closed form of "
        "the previous exercise, summed over the latent dimensions.",
        "Compute both terms per image (arrays of shape (batch,)), add them, and return their mean "
        "over the batch as one number.",
    ],
    solution="""
def negative_elbo(images, reconstructions, mean, log_var):
    batch = len(images)
    x = images.reshape(batch, -1)
    p = reconstructions.reshape(batch, -1)
    reconstruction = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
    return np.mean(reconstruction + kl)
""",
)


@LESSON.checker("negative_elbo")
def check_negative_elbo(negative_elbo) -> Result:
    """`negative_elbo(images, reconstructions, mean, log_var)`: the VAE's loss on a batch, one
    number: the mean over the images of (binary cross-entropy summed over the pixels + KL to
    N(0, I) summed over the latent dimensions). images and reconstructions (batch, 8, 8, 1),
    the latter pixel probabilities; mean and log_var (batch, latent_dim)."""
    return variational.check_negative_elbo(negative_elbo)


LESSON.add(
    "sampling_layer",
    "Sampling layer",
    hints=[
        "The layer does the reparameterization of exercise 1 in Keras: it receives (z_mean, "
        "z_log_var) and returns one random z per row. Its randomness must be its own, so that a "
        "seeded layer is reproducible and each call draws new noise.",
        "In __init__, call super().__init__(**kwargs) and create self.seed_generator = "
        "keras.random.SeedGenerator(seed). In call, unpack z_mean, z_log_var = inputs.",
        "Draw eps = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator), then "
        "return z_mean + keras.ops.exp(0.5 * z_log_var) * eps, all in keras.ops so that "
        "gradients flow.",
    ],
    solution="""
class Sampling(keras.layers.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * eps
""",
)


@LESSON.checker("sampling_layer")
def check_sampling_layer(sampling) -> Result:
    """`Sampling`, a keras.layers.Layer subclass made as Sampling(seed=...), whose call((z_mean,
    z_log_var)) returns z_mean + exp(z_log_var / 2) * eps with eps ~ N(0, I) drawn through the
    layer's own keras.random.SeedGenerator. Pass the class. Judged on the statistics of 4,000
    draws, fresh noise per call, reproducibility with a seed, gradients and a symbolic call."""
    return sampling_layer.check_sampling_layer(sampling)
