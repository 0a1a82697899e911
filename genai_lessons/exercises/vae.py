"""Exercises of lesson 4 (variational autoencoders): the reparameterization step, the KL term
and the negative ELBO of a batch.

The learner works in NumPy on arrays of shape (batch, latent_dim); the references below are
NumPy too, written from the formulas (or per example, with loops) rather than from
`genai_lessons.vae`.
"""

from __future__ import annotations

import math

import numpy as np

from genai_lessons.exercises.core import Result, check_function
from genai_lessons.exercises.lesson import Lesson

LESSON = Lesson(4, "VAEs")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


def _cases():
    rng = np.random.default_rng(4)
    cases = []
    for batch, latent in ((1, 1), (3, 2), (5, 8)):
        mean = rng.normal(size=(batch, latent))
        log_var = rng.normal(scale=1.5, size=(batch, latent))  # variances well away from 1
        eps = rng.standard_normal((batch, latent))
        cases.append((mean, log_var, eps))
    return tuple(cases)


_CASES = _cases()


# --------------------------------------------------------------------------- reparameterize


def _reparameterize(mean, log_var, eps):
    std = np.sqrt(np.exp(log_var))
    return mean + std * eps


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
    return check_function(
        "reparameterize",
        function,
        _CASES,
        _reparameterize,
        arg_names=["mean", "log_var", "eps"],
        mistakes=[
            (
                lambda m, lv, e: m + np.exp(lv) * e,
                "exp(log_var) is the variance; scale eps by the standard deviation (its square root).",
            ),
            (
                lambda m, lv, e: m + lv * e,
                "log_var is a logarithm: undo it with exp, and take the square root.",
            ),
            (
                lambda m, lv, e: m + np.exp(0.5 * lv),
                "the noise eps is missing: z must be random, mean + (something) x eps.",
            ),
            (
                lambda m, lv, e: (m + e) * np.exp(0.5 * lv),
                "only the noise is scaled by the standard deviation; the mean is added unscaled.",
            ),
            (
                lambda m, lv, e: m + np.exp(-0.5 * lv) * e,
                "exp(-log_var / 2) is 1 / sigma: the noise is multiplied by sigma itself.",
            ),
            (
                lambda m, lv, e: m + 0.5 * np.exp(lv) * e,
                "half the variance is not the standard deviation: halve the log-variance before exp.",
            ),
            (
                lambda m, lv, e: m * np.exp(0.5 * lv) * e,
                "the mean shifts z: add it, don't multiply by it.",
            ),
        ],
        hint="Check on the smallest case, by hand, what sigma is.",
    )


# --------------------------------------------------------------------------- KL term


def _kl(mean, log_var):
    # KL(N(m, s^2) || N(0, 1)) = log(1 / s) + (s^2 + m^2) / 2 - 1 / 2, summed over dimensions.
    variance = np.exp(log_var)
    return np.sum(-0.5 * log_var + 0.5 * (variance + mean**2) - 0.5, axis=-1)


def _kl_cases():
    return tuple((mean, log_var) for mean, log_var, _ in _CASES)


def _terms(m, lv):
    return 1.0 + lv - m**2 - np.exp(lv)


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
    return check_function(
        "kl_divergence",
        function,
        _kl_cases(),
        _kl,
        arg_names=["mean", "log_var"],
        mistakes=[
            (
                lambda m, lv: 0.5 * np.sum(_terms(m, lv), axis=-1),
                "the sign is flipped: a KL divergence is never negative.",
            ),
            (
                lambda m, lv: -np.sum(_terms(m, lv), axis=-1),
                "off by a factor of 2: check the factor in front of the sum.",
            ),
            (
                lambda m, lv: -0.5 * np.mean(_terms(m, lv), axis=-1),
                "sum over the latent dimensions (the KL of independent dimensions adds up), do not average.",
            ),
            (
                lambda m, lv: -0.5 * np.sum(_terms(m, lv)),
                "sum over the latent axis only (axis=-1): the result has one value per example.",
            ),
            (
                lambda m, lv: -0.5 * np.sum(1.0 + lv - m**2 - np.exp(0.5 * lv), axis=-1),
                "the variance is exp(log_var), not exp(log_var / 2) (that is the standard deviation).",
            ),
            (
                lambda m, lv: -0.5 * np.sum(lv - m**2 - np.exp(lv), axis=-1),
                "the constant 1 inside the sum is missing (without it the KL of q = p is not 0).",
            ),
        ],
        hint="The KL is 0 when mean = 0 and log_var = 0, and positive otherwise.",
    )


# --------------------------------------------------------------------------- negative ELBO


def _elbo_cases():
    rng = np.random.default_rng(44)
    cases = []
    for batch, latent in ((2, 2), (3, 4), (1, 3)):
        images = rng.uniform(0.0, 1.0, size=(batch, 8, 8, 1))
        images[images < 0.3] = 0.0  # like the digits: many blank pixels, some grey ones
        reconstructions = rng.uniform(0.02, 0.98, size=(batch, 8, 8, 1))
        cases.append(
            (
                images,
                reconstructions,
                rng.normal(size=(batch, latent)),
                rng.normal(size=(batch, latent)),
            )
        )
    return cases


def _bce(x, p):
    return -(x * np.log(p) + (1 - x) * np.log(1 - p))


def _per_image(x, p, m, lv, reconstruction=_bce, kl_sign=1.0, kl_reduce=np.sum, kl=True):
    rec = reconstruction(x, p).reshape(len(x), -1).sum(axis=1)
    kl_term = -0.5 * kl_reduce(_terms(m, lv), axis=-1) if kl else 0.0
    return rec + kl_sign * kl_term


def _elbo_reference(images, reconstructions, mean, log_var):
    total = 0.0
    for x, p, m, lv in zip(images, reconstructions, mean, log_var):  # one image at a time
        reconstruction = sum(
            -(v * math.log(q) + (1 - v) * math.log(1 - q)) for v, q in zip(x.ravel(), p.ravel())
        )
        kl = sum(0.5 * (math.exp(s) + mu * mu - 1.0 - s) for mu, s in zip(m, lv))
        total += reconstruction + kl
    return total / len(images)


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
    return check_function(
        "negative ELBO of a batch",
        negative_elbo,
        _elbo_cases(),
        _elbo_reference,
        arg_names=["images", "reconstructions", "mean", "log_var"],
        rtol=1e-4,
        atol=1e-5,
        mistakes=[
            (
                lambda x, p, m, lv: np.mean(
                    _bce(x, p).reshape(len(x), -1).mean(1) - 0.5 * np.sum(_terms(m, lv), axis=-1)
                ),
                "the reconstruction term is averaged over the pixels (as keras.losses.binary_"
                "crossentropy does by default): sum it over the pixels, the likelihood of the whole "
                "image.",
            ),
            (
                lambda x, p, m, lv: np.mean(_per_image(x, p, m, lv, kl=False)),
                "the KL term is missing: without it the codes are not pulled towards the prior.",
            ),
            (
                lambda x, p, m, lv: np.mean(_per_image(x, p, m, lv, kl_sign=-1.0)),
                "the KL term has the wrong sign: the loss adds it (it is never negative).",
            ),
            (
                lambda x, p, m, lv: np.sum(_per_image(x, p, m, lv)),
                "average over the batch, don't sum: the loss must not depend on the batch size.",
            ),
            (
                lambda x, p, m, lv: _per_image(x, p, m, lv),
                "that is one value per image: return their mean over the batch (one number).",
            ),
            (
                lambda x, p, m, lv: np.mean(
                    _per_image(x, p, m, lv, reconstruction=lambda a, b: _bce(b, a))
                ),
                "the images and the reconstructions are swapped in the cross-entropy: the log is "
                "taken of the model's probabilities (the reconstructions).",
            ),
            (
                lambda x, p, m, lv: np.mean(
                    _per_image(x, p, m, lv, reconstruction=lambda a, b: (a - b) ** 2)
                ),
                "that is a squared error; the decoder outputs pixel probabilities, so the "
                "reconstruction term is the binary cross-entropy.",
            ),
            (
                lambda x, p, m, lv: -np.mean(_per_image(x, p, m, lv)),
                "that is the ELBO itself; the loss is its negative.",
            ),
            (
                lambda x, p, m, lv: np.mean(_per_image(x, p, m, lv, kl_reduce=np.mean)),
                "sum the KL over the latent dimensions, don't average them.",
            ),
            (
                lambda x, p, m, lv: np.mean(
                    _per_image(x, p, m, lv, reconstruction=lambda a, b: -a * np.log(b))
                ),
                "the cross-entropy has two parts, for the ink and for the background: the "
                "(1 - x) log(1 - x_hat) term is missing.",
            ),
        ],
        hint="Compute the two terms separately and compare their sizes.",
    )
