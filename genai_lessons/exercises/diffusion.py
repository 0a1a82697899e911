"""Exercises of lesson 7 (diffusion models): noising in closed form, one ancestral (DDPM) step
and one deterministic DDIM step.

The learner works in NumPy; the references below are NumPy too, written from the formulas of
the DDPM and DDIM papers rather than from `genai_lessons.diffusion` or `genai_lessons.sampling`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function


def _cases():
    rng = np.random.default_rng(7)
    cases = []
    # (alpha_bar_t, beta_t, alpha_bar_s): noise levels well away from 0 and 1, abar_s > abar_t
    for shape, abar, beta, abar_s in (((1, 2), 0.81, 0.05, 0.9), ((3, 2), 0.3, 0.1, 0.5),
                                      ((4, 8, 8, 1), 0.05, 0.2, 0.6)):
        cases.append((rng.normal(size=shape), abar, beta, abar_s, rng.normal(size=shape),
                      rng.normal(size=shape)))
    return tuple(cases)


_CASES = _cases()


# --------------------------------------------------------------------------- closed-form noising


def _add_noise(x0, alpha_bar, eps):
    return np.sqrt(alpha_bar) * x0 + np.sqrt(1.0 - alpha_bar) * eps


def check_add_noise(function) -> Result:
    """Check `add_noise(x0, alpha_bar, eps)`: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps."""
    return check_function(
        "add_noise",
        function,
        tuple((x0, abar, eps) for x0, abar, _, _, eps, _ in _CASES),
        _add_noise,
        mistakes=[
            (lambda x0, a, e: a * x0 + (1 - a) * e,
             "alpha_bar and 1 - alpha_bar are variances: scale by their square roots."),
            (lambda x0, a, e: np.sqrt(a) * x0 + (1 - a) * e,
             "the noise's scale is sqrt(1 - alpha_bar), its standard deviation, not the variance."),
            (lambda x0, a, e: np.sqrt(1 - a) * x0 + np.sqrt(a) * e,
             "the two factors are swapped: alpha_bar is the share of the signal that survives."),
            (lambda x0, a, e: x0 + np.sqrt(1 - a) * e,
             "the signal must shrink too (by sqrt(alpha_bar)), or the total variance keeps growing."),
        ],
        hint="x_t = sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * eps.",
    )


# --------------------------------------------------------------------------- one ancestral step


def _ddpm_step(x_t, eps_hat, beta, alpha_bar, z):
    # Algorithm 2 of Ho et al. (2020), with sigma_t^2 = beta_t.
    mean = (x_t - beta / np.sqrt(1.0 - alpha_bar) * eps_hat) / np.sqrt(1.0 - beta)
    return mean + np.sqrt(beta) * z


def _step_cases():
    return tuple((x0, eps, beta, abar, z) for x0, abar, beta, _, eps, z in _CASES)


def check_ddpm_step(function) -> Result:
    """Check `ddpm_step(x_t, eps_hat, beta, alpha_bar, z)`: one step of DDPM's ancestral sampler,
    x_{t-1} = (x_t - beta / sqrt(1 - abar) eps_hat) / sqrt(1 - beta) + sqrt(beta) z."""
    def mean(x, e, b, a):
        return (x - b / np.sqrt(1 - a) * e) / np.sqrt(1 - b)

    return check_function(
        "ddpm_step",
        function,
        _step_cases(),
        _ddpm_step,
        mistakes=[
            (lambda x, e, b, a, z: mean(x, e, b, a),
             "the fresh noise sqrt(beta) * z is missing: without it every sample drifts to the same few images."),
            (lambda x, e, b, a, z: x - b / np.sqrt(1 - a) * e + np.sqrt(b) * z,
             "divide the denoised x by sqrt(1 - beta) = sqrt(alpha_t): each forward step shrank it by that factor."),
            (lambda x, e, b, a, z: (x - b / (1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z,
             "the noise estimate is scaled by beta / sqrt(1 - alpha_bar), with a square root."),
            (lambda x, e, b, a, z: (x + b / np.sqrt(1 - a) * e) / np.sqrt(1 - b) + np.sqrt(b) * z,
             "subtract the predicted noise, do not add it."),
            (lambda x, e, b, a, z: mean(x, e, b, a) + b * z,
             "beta is a variance: the added noise is sqrt(beta) * z."),
        ],
        hint="x_prev = (x_t - beta / sqrt(1 - alpha_bar) * eps_hat) / sqrt(1 - beta) + sqrt(beta) * z.",
    )


# --------------------------------------------------------------------------- one DDIM step


def _ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    x0 = (x_t - np.sqrt(1.0 - alpha_bar) * eps_hat) / np.sqrt(alpha_bar)
    return np.sqrt(alpha_bar_prev) * x0 + np.sqrt(1.0 - alpha_bar_prev) * eps_hat


def check_ddim_step(function) -> Result:
    """Check `ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev)`: estimate x0, then noise it
    again to the earlier level with the same noise (DDIM with eta = 0)."""
    def x0(x, e, a):
        return (x - np.sqrt(1 - a) * e) / np.sqrt(a)

    return check_function(
        "ddim_step",
        function,
        tuple((x, eps, abar, abar_s) for x, abar, _, abar_s, eps, _ in _CASES),
        _ddim_step,
        mistakes=[
            (lambda x, e, a, s: x0(x, e, a),
             "that is the estimate of x0; now go to the earlier step: sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps_hat."),
            (lambda x, e, a, s: np.sqrt(s) * x0(x, e, a),
             "the noise that remains at the earlier step is missing: + sqrt(1 - abar_prev) * eps_hat."),
            (lambda x, e, a, s: np.sqrt(s) * (x - np.sqrt(1 - a) * e) + np.sqrt(1 - s) * e,
             "divide by sqrt(alpha_bar) when you estimate x0 = (x_t - sqrt(1 - abar) eps_hat) / sqrt(abar)."),
        ],
        hint="x0 = (x_t - sqrt(1 - abar) eps_hat) / sqrt(abar); return sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps_hat.",
    )
