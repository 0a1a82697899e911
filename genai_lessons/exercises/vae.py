"""Exercises of lesson 4 (variational autoencoders): the reparameterization step and the KL term.

The learner works in NumPy on arrays of shape (batch, latent_dim); the references below are
NumPy too, written from the formulas rather than from `genai_lessons.vae`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function


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
    """Check `reparameterize(mean, log_var, eps)`, which returns z = mean + sigma * eps."""
    return check_function(
        "reparameterize",
        function,
        _CASES,
        _reparameterize,
        mistakes=[
            (lambda m, lv, e: m + np.exp(lv) * e,
             "exp(log_var) is the variance; scale eps by the standard deviation exp(log_var / 2)."),
            (lambda m, lv, e: m + lv * e,
             "log_var is a logarithm: undo it with exp, and take the square root, exp(log_var / 2)."),
            (lambda m, lv, e: m + np.exp(0.5 * lv),
             "the noise eps is missing: z = mean + std * eps, so that z is random but differentiable."),
            (lambda m, lv, e: (m + e) * np.exp(0.5 * lv),
             "only the noise is scaled by the standard deviation; the mean is added unscaled."),
        ],
        hint="z = mean + exp(log_var / 2) * eps, element by element.",
    )


# --------------------------------------------------------------------------- KL term


def _kl(mean, log_var):
    # KL(N(m, s^2) || N(0, 1)) = log(1 / s) + (s^2 + m^2) / 2 - 1 / 2, summed over dimensions.
    variance = np.exp(log_var)
    return np.sum(-0.5 * log_var + 0.5 * (variance + mean**2) - 0.5, axis=-1)


def _kl_cases():
    return tuple((mean, log_var) for mean, log_var, _ in _CASES)


def check_kl_divergence(function) -> Result:
    """Check `kl_divergence(mean, log_var)`: KL(q || N(0, I)) per example, shape (batch,)."""
    def terms(m, lv):
        return 1.0 + lv - m**2 - np.exp(lv)

    return check_function(
        "kl_divergence",
        function,
        _kl_cases(),
        _kl,
        mistakes=[
            (lambda m, lv: 0.5 * np.sum(terms(m, lv), axis=-1),
             "the sign is flipped: a KL divergence is never negative, so it is -1/2 * sum(...)."),
            (lambda m, lv: -np.sum(terms(m, lv), axis=-1),
             "off by a factor of 2: the formula has -1/2 in front of the sum."),
            (lambda m, lv: -0.5 * np.mean(terms(m, lv), axis=-1),
             "sum over the latent dimensions (the KL of independent dimensions adds up), do not average."),
            (lambda m, lv: -0.5 * np.sum(terms(m, lv)),
             "sum over the latent axis only (axis=-1): the result has one value per example."),
            (lambda m, lv: -0.5 * np.sum(1.0 + lv - m**2 - np.exp(0.5 * lv), axis=-1),
             "the variance is exp(log_var), not exp(log_var / 2) (that is the standard deviation)."),
        ],
        hint="KL = -1/2 * sum(1 + log_var - mean**2 - exp(log_var)) over the last axis.",
    )
