"""Samplers of diffusion models: from pure noise x_T back to data, one denoising step at a time.

A sampler needs only a noise predictor `noise_fn(x_t, t) -> eps_hat`: NumPy arrays in and out,
x_t (batch, ...) and integer steps t (batch,). `noise_predictor` makes one from a trained
`genai_lessons.models.diffusion.Diffusion`, with classifier-free guidance when labels are given; tests
pass the exact noise predictor of Gaussian data instead. All arithmetic here is NumPy float64.

- `ancestral_sample`: DDPM's reverse process over all T steps, with fresh noise at each step.
- `ddim_sample`: DDIM over a few evenly spaced steps; deterministic when eta = 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from genai_lessons.core.validation import check_int
from genai_lessons.models.diffusion import Diffusion, Schedule

NoiseFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def noise_predictor(model: Diffusion, labels=None, guidance: float = 0.0) -> NoiseFn:
    """The model's noise estimate as a `NoiseFn`, with classifier-free guidance.

    Args:
        model: a trained `Diffusion`.
        labels: None for unconditional samples ("no class"), else the requested class of each
            sample, (batch,) ints (conditional models only).
        guidance: the weight w in eps = eps(x, no class) + (1 + w) (eps(x, y) - eps(x, no class)):
            0 is plain conditional sampling, larger w pushes samples towards what makes y likely.
    """
    if not isinstance(guidance, (int, float)) or isinstance(guidance, bool) or guidance < 0:
        raise ValueError(f"guidance must be a number >= 0, got {guidance!r}")
    if labels is None:
        return lambda x, t: model.predict_noise(x, t).astype(np.float64)
    if not model.config.num_classes:
        raise ValueError("labels need a conditional model (config.num_classes > 0)")
    labels = np.asarray(labels, "int32")
    if labels.min() < 0 or labels.max() >= model.config.num_classes:
        raise ValueError(
            f"labels must be in [0, {model.config.num_classes}), got {labels.min()}..{labels.max()}"
        )
    no_class = np.full_like(labels, model.config.num_classes)

    def guided(x, t):
        n = len(x)
        if guidance == 0:
            return model.predict_noise(x, t, labels[:n]).astype(np.float64)
        # One call on both halves: conditional and unconditional estimates of the same x_t.
        both = model.predict_noise(
            np.concatenate([x, x]),
            np.concatenate([t, t]),
            np.concatenate([labels[:n], no_class[:n]]),
        ).astype(np.float64)
        conditional, unconditional = both[:n], both[n:]
        return unconditional + (1.0 + guidance) * (conditional - unconditional)

    return guided


def predict_x0(x_t, t, noise, alpha_bars):
    """Invert the forward process for a noise estimate: x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)."""
    abar = np.asarray(alpha_bars)[t].reshape((-1,) + (1,) * (np.ndim(x_t) - 1))
    return (x_t - np.sqrt(1.0 - abar) * noise) / np.sqrt(abar)


def _start(shape, seed):
    if not isinstance(shape, (tuple, list)) or len(shape) < 2:
        raise ValueError(f"shape must be (batch, ...data shape), got {shape!r}")
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal(tuple(shape))


def ancestral_sample(
    noise_fn: NoiseFn,
    schedule: Schedule,
    shape,
    seed: int = 0,
    clip=None,
    trajectory: dict | None = None,
) -> np.ndarray:
    """DDPM's ancestral sampler: T steps from x_T ~ N(0, I) down to x_0.

    Each step draws x_{t-1} ~ N(mu, sigma_t^2 I), the forward process's posterior
    q(x_{t-1} | x_t, x_0) with x_0 replaced by the network's estimate: mu = c0 x0_hat + ct x_t with
    c0 = sqrt(abar_{t-1}) beta_t / (1 - abar_t), ct = sqrt(1 - beta_t) (1 - abar_{t-1}) / (1 - abar_t),
    and sigma_t^2 = beta_t (1 - abar_{t-1}) / (1 - abar_t).

    Args:
        noise_fn: the noise predictor.
        schedule: the schedule the model was trained with.
        shape: (batch, ...data shape) of the samples.
        seed: seeds x_T and the noise of every step.
        clip: (low, high) to clip the estimate x0_hat to the data's range (images), or None.
        trajectory: a dict to fill with x_t for every t from T down to 0, or None.

    Returns:
        x_0, float64 array of `shape`.
    """
    rng, x = _start(shape, seed)
    betas, abar = schedule.betas, schedule.alpha_bars
    if trajectory is not None:
        trajectory[schedule.steps] = x
    for t in range(schedule.steps, 0, -1):
        steps = np.full(len(x), t)
        x0 = predict_x0(x, steps, noise_fn(x, steps), abar)
        if clip is not None:
            x0 = np.clip(x0, *clip)
        c0 = np.sqrt(abar[t - 1]) * betas[t] / (1.0 - abar[t])
        ct = np.sqrt(1.0 - betas[t]) * (1.0 - abar[t - 1]) / (1.0 - abar[t])
        sigma = np.sqrt(betas[t] * (1.0 - abar[t - 1]) / (1.0 - abar[t]))
        x = c0 * x0 + ct * x + sigma * rng.standard_normal(x.shape)
        if trajectory is not None:
            trajectory[t - 1] = x
    return x


def ddim_steps(steps: int, sampling_steps: int) -> np.ndarray:
    """`sampling_steps + 1` evenly spaced steps from T down to 0, e.g. (200, 100, 0) for 2 of 200."""
    check_int("sampling_steps", sampling_steps)
    if sampling_steps > steps:
        raise ValueError(
            f"sampling_steps must be at most the model's {steps} steps, got {sampling_steps}"
        )
    return np.round(np.linspace(steps, 0, sampling_steps + 1)).astype(int)


def ddim_sample(
    noise_fn: NoiseFn,
    schedule: Schedule,
    shape,
    sampling_steps: int = 20,
    seed: int = 0,
    eta: float = 0.0,
    clip=None,
    trajectory: dict | None = None,
    start: int | None = None,
) -> np.ndarray:
    """DDIM: jump from step t to an earlier step s along the model's own estimate.

    x_s = sqrt(abar_s) x0_hat + sqrt(1 - abar_s - sigma^2) eps_hat + sigma z, where
    sigma = eta sqrt((1 - abar_s) / (1 - abar_t)) sqrt(1 - abar_t / abar_s). With eta = 0 no
    noise is added after x_T: the map from x_T to x_0 is deterministic. With eta = 1 and all T
    steps it is the ancestral sampler.

    Args: as `ancestral_sample`, plus
        sampling_steps: how many network evaluations (jumps), at most T.
        eta: 0 (deterministic) to 1 (as much fresh noise as the ancestral sampler).
        start: the step the pure noise x ~ N(0, I) is taken to be at (default T). With the cosine
            schedule sqrt(abar_T) is tiny, so the first estimate x0_hat = (x_T - ...) / sqrt(abar_T)
            multiplies the network's error at t = T by a large factor; starting at T - 1 (or
            clipping x0_hat) avoids that.

    Returns:
        x_0, float64 array of `shape`.
    """
    if not isinstance(eta, (int, float)) or not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta!r}")
    start = schedule.steps if start is None else check_int("start", start, 1, schedule.steps)
    if check_int("sampling_steps", sampling_steps) > start:
        raise ValueError(
            f"sampling_steps must be at most start={start} (one jump per step at most), "
            f"got {sampling_steps}"
        )
    times = ddim_steps(start, sampling_steps)
    rng, x = _start(shape, seed)
    abar = schedule.alpha_bars
    if trajectory is not None:
        trajectory[int(times[0])] = x
    for t, s in zip(times[:-1], times[1:]):
        steps = np.full(len(x), t)
        eps = noise_fn(x, steps)
        x0 = predict_x0(x, steps, eps, abar)
        if clip is not None:
            x0 = np.clip(x0, *clip)
            eps = (x - np.sqrt(abar[t]) * x0) / np.sqrt(1.0 - abar[t])  # the noise that fits x0
        sigma = eta * np.sqrt((1.0 - abar[s]) / (1.0 - abar[t]) * (1.0 - abar[t] / abar[s]))
        x = np.sqrt(abar[s]) * x0 + np.sqrt(1.0 - abar[s] - sigma**2) * eps
        if eta > 0:
            x = x + sigma * rng.standard_normal(x.shape)
        if trajectory is not None:
            trajectory[int(s)] = x
    return x
