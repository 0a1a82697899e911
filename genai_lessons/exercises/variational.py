"""How lesson 4's exercises are judged: the reparameterization step, the KL term and the
negative ELBO of a batch.

The learner works in NumPy on arrays of shape (batch, latent_dim); the references are NumPy
too, written from the formulas (or per example, with loops) rather than from
`genai_lessons.models.vae`, and the usual mistakes (a variance for a standard deviation, a mean for a
sum, a term missing or its sign flipped) get their own diagnosis. The learner-facing part is in
`genai_lessons.exercises.vae`.
"""

from __future__ import annotations

import math

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


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


def check_reparameterize(function) -> Result:
    """The check behind `vae.check_reparameterize` (documented there)."""
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
        random_note="your function gives a different z each time it is called with the same "
        "inputs: it draws noise of its own. Use the eps it is given: the trick is that the "
        "randomness comes in from outside, so that z is a plain function of mean and log_var "
        "that gradients can flow through.",
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


def check_kl_divergence(function) -> Result:
    """The check behind `vae.check_kl_divergence` (documented there)."""
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


def check_negative_elbo(negative_elbo) -> Result:
    """The check behind `vae.check_negative_elbo` (documented there)."""
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
