"""How lesson 7's exercises are judged: noising in closed form, one ancestral (DDPM) step and
one deterministic DDIM step.

The references are NumPy, written from the formulas of the DDPM and DDIM papers rather than from
`genai_lessons.models.diffusion` or `genai_lessons.models.diffusion_samplers`, and the usual slips (variances used as
scales, a factor swapped, a sign, the fresh noise forgotten) get their own diagnosis. The
learner-facing part is in `genai_lessons.exercises.diffusion`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


def _cases():
    rng = np.random.default_rng(7)
    cases = []
    # (alpha_bar_t, beta_t, alpha_bar_s): noise levels well away from 0 and 1, abar_s > abar_t,
    # and different enough that a variance used as a scale (or a swapped factor) shows.
    for shape, abar, beta, abar_s in (
        ((1, 2), 0.81, 0.05, 0.9),
        ((3, 2), 0.3, 0.1, 0.5),
        ((4, 8, 8, 1), 0.05, 0.2, 0.6),
    ):
        cases.append(
            (
                rng.normal(size=shape),
                abar,
                beta,
                abar_s,
                rng.normal(size=shape),
                rng.normal(size=shape),
            )
        )
    return tuple(cases)


_CASES = _cases()


# --------------------------------------------------------------------------- closed-form noising


def _add_noise(x0, alpha_bar, eps):
    # Independent parts: variances add, alpha_bar + (1 - alpha_bar) = 1; scales are square roots.
    return np.sqrt(alpha_bar) * x0 + np.sqrt(1.0 - alpha_bar) * eps


def check_add_noise(add_noise) -> Result:
    """The check behind `diffusion.check_add_noise` (documented there)."""
    return check_function(
        "closed-form noising",
        add_noise,
        [(x0, abar, eps) for x0, abar, _, _, eps, _ in _CASES],
        _add_noise,
        arg_names=["x0", "alpha_bar", "eps"],
        mistakes=[
            (
                lambda x0, a, e: a * x0 + (1 - a) * e,
                "alpha_bar and 1 - alpha_bar are variances: scale both parts by standard deviations "
                "(their square roots).",
            ),
            (
                lambda x0, a, e: np.sqrt(a) * x0 + (1 - a) * e,
                "the signal is right; the noise's factor must be its standard deviation, not its "
                "variance 1 - alpha_bar.",
            ),
            (
                lambda x0, a, e: a * x0 + np.sqrt(1 - a) * e,
                "the noise is right; the signal's factor must be a standard deviation, not the "
                "variance alpha_bar itself.",
            ),
            (
                lambda x0, a, e: np.sqrt(1 - a) * x0 + np.sqrt(a) * e,
                "the two factors are swapped: alpha_bar is the share of the signal that survives, so "
                "the noise dominates when alpha_bar is small.",
            ),
            (
                lambda x0, a, e: x0 + np.sqrt(1 - a) * e,
                "the signal must shrink as the noise grows, or the total variance keeps growing: "
                "scale x0 too.",
            ),
            (
                lambda x0, a, e: np.sqrt(a) * x0 + e,
                "the noise is added at full strength: scale eps so that its variance is the share "
                "left by the signal.",
            ),
            (
                lambda x0, a, e: np.sqrt(a) * x0 - np.sqrt(1 - a) * e,
                "add the noise, do not subtract it: the network learns to predict exactly this eps "
                "from x_t, so x_t must contain +eps.",
            ),
            (
                lambda x0, a, e: np.sqrt(a) * (x0 + e),
                "signal and noise share one factor here; each has its own (their variances must add "
                "up to 1).",
            ),
        ],
        hint="Two checks by hand: with alpha_bar = 1 the result is x0 itself, with alpha_bar = 0 "
        "it is eps.",
    )


# --------------------------------------------------------------------------- one ancestral step


def _ddpm_step(x_t, eps_hat, beta, alpha_bar, z):
    # Algorithm 2 of Ho et al. (2020), with sigma_t^2 = beta_t, written through alpha_t.
    alpha = 1.0 - beta
    mean = (x_t - (1.0 - alpha) / np.sqrt(1.0 - alpha_bar) * eps_hat) / np.sqrt(alpha)
    return mean + np.sqrt(1.0 - alpha) * z


def _step_cases():
    return [(x0, eps, beta, abar, z) for x0, abar, beta, _, eps, z in _CASES]


def _ddpm_with(
    coefficient=lambda b, a: b / np.sqrt(1 - a),
    sign=-1.0,
    scale=lambda b, a: 1 / np.sqrt(1 - b),
    noise=np.sqrt,
    noise_inside=False,
):
    """A DDPM step with one typical mistake switched on (the defaults give the right step)."""

    def step(x, e, b, a, z):
        inner = x + sign * coefficient(b, a) * e
        if noise_inside:
            return (inner + noise(b) * z) * scale(b, a)
        return inner * scale(b, a) + noise(b) * z

    return step


def check_ddpm_step(ddpm_step) -> Result:
    """The check behind `diffusion.check_ddpm_step` (documented there)."""
    return check_function(
        "one DDPM step",
        ddpm_step,
        _step_cases(),
        _ddpm_step,
        arg_names=["x_t", "eps_hat", "beta", "alpha_bar", "z"],
        mistakes=[
            (
                _ddpm_with(noise=lambda b: 0.0),
                "the fresh noise z is missing: without it every sample drifts to the same few images.",
            ),
            (
                _ddpm_with(scale=lambda b, a: 1.0),
                "the denoised x_t is not rescaled: each forward step shrank the signal by the square "
                "root of alpha_t = 1 - beta, and a step back must undo that.",
            ),
            (
                _ddpm_with(scale=lambda b, a: np.sqrt(1 - b)),
                "the rescaling goes the wrong way: a step back undoes the forward step's shrinking, so "
                "divide by the square root of alpha_t rather than multiply.",
            ),
            (
                _ddpm_with(scale=lambda b, a: 1 / np.sqrt(a)),
                "the rescaling undoes one step, so it uses this step's alpha_t = 1 - beta, not "
                "alpha_bar (the product over all steps up to t).",
            ),
            (
                _ddpm_with(coefficient=lambda b, a: b / (1 - a)),
                "the noise estimate's weight divides beta by the square root of 1 - alpha_bar, a "
                "standard deviation, not by the variance itself.",
            ),
            (
                _ddpm_with(coefficient=lambda b, a: np.sqrt(1 - a)),
                "that removes the whole noise of x_t at once, as if jumping to x0; one step removes "
                "only a small part of it, weighted by beta.",
            ),
            (_ddpm_with(sign=+1.0), "subtract the predicted noise, do not add it."),
            (
                _ddpm_with(noise=lambda b: b),
                "beta is a variance: the fresh noise's scale is its standard deviation.",
            ),
            (
                _ddpm_with(noise_inside=True),
                "the fresh noise is added after the rescaling, at its own scale: it must not be "
                "divided along with the mean.",
            ),
        ],
        hint="A check by hand: with z = 0 the result is the mean alone, and with eps_hat = 0 and "
        "z = 0 it is x_t divided by the square root of 1 - beta.",
    )


# --------------------------------------------------------------------------- one DDIM step


def _ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    # Song et al. (2021), eta = 0, written as one linear map of x_t and eps_hat.
    ratio = np.sqrt(alpha_bar_prev / alpha_bar)
    return (
        ratio * x_t + (np.sqrt(1.0 - alpha_bar_prev) - ratio * np.sqrt(1.0 - alpha_bar)) * eps_hat
    )


def _ddim_with(
    remove=lambda a: np.sqrt(1 - a),
    unscale=lambda a: 1 / np.sqrt(a),
    signal=np.sqrt,
    noise=lambda s: np.sqrt(1 - s),
    swap=False,
    sign=1.0,
):
    """A DDIM step with one typical mistake switched on (the defaults give the right step)."""

    def step(x, e, a, s):
        a, s = (s, a) if swap else (a, s)
        x0 = (x - remove(a) * e) * unscale(a)
        return signal(s) * x0 + sign * noise(s) * e

    return step


def check_ddim_step(ddim_step) -> Result:
    """The check behind `diffusion.check_ddim_step` (documented there)."""
    return check_function(
        "one DDIM step",
        ddim_step,
        [(x, eps, abar, abar_s) for x, abar, _, abar_s, eps, _ in _CASES],
        _ddim_step,
        arg_names=["x_t", "eps_hat", "alpha_bar", "alpha_bar_prev"],
        mistakes=[
            (
                _ddim_with(signal=lambda s: 1.0, noise=lambda s: 0.0),
                "that is the estimate of x0, the first half; now noise it again to the earlier level "
                "alpha_bar_prev.",
            ),
            (
                _ddim_with(noise=lambda s: 0.0),
                "the noise that remains at the earlier level is missing: the result must still be "
                "noisy, at level alpha_bar_prev, with eps_hat as its noise.",
            ),
            (
                _ddim_with(unscale=lambda a: 1.0),
                "the estimate of x0 is not rescaled: after removing the noise part, undo the signal's "
                "scaling by the square root of alpha_bar.",
            ),
            (
                _ddim_with(unscale=np.sqrt),
                "to undo the signal's scaling, divide by the square root of alpha_bar, do not "
                "multiply.",
            ),
            (
                _ddim_with(remove=lambda a: 1 - a),
                "the noise part of x_t is eps_hat times a standard deviation, the square root of "
                "1 - alpha_bar, not the variance.",
            ),
            (
                _ddim_with(noise=lambda s: 1 - s),
                "the re-noising uses standard deviations: the noise's factor is the square root of "
                "1 - alpha_bar_prev, not the variance.",
            ),
            (
                _ddim_with(swap=True),
                "the two levels are swapped: estimate x0 at the current level alpha_bar, then go to "
                "the earlier level alpha_bar_prev.",
            ),
            (
                _ddim_with(sign=-1.0),
                "the remaining noise is added, not subtracted: the step keeps the same predicted "
                "noise, with the same sign, at a smaller scale.",
            ),
        ],
        hint="Two checks by hand: with alpha_bar_prev equal to alpha_bar the step returns x_t "
        "unchanged, and with alpha_bar_prev = 1 it returns the estimate of x0.",
    )
