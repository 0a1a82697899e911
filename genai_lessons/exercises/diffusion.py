"""Exercises of lesson 7 (diffusion models): noising in closed form, one ancestral (DDPM) step,
one deterministic DDIM step, and the noise-prediction loss of a training step in keras.ops.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged (NumPy references written from the DDPM and DDIM
papers, the usual slips) is in `diffusion_steps`, the loss's in `noise_loss`. Hints and a solution come only on request:
`hint("ddim_step")`, `solution("ddim_step")`.
"""

from __future__ import annotations

from genai_lessons.exercises import diffusion_steps, noise_loss
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(7, "diffusion models")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "add_noise",
    "closed-form noising",
    hints=[
        "x_t is a weighted sum of the clean data x0 and the noise eps. alpha_bar is the share of the "
        "variance that belongs to the signal; the noise gets the rest, so that the total stays 1.",
        "alpha_bar and 1 - alpha_bar are variances. Multiplying an array by a factor multiplies its "
        "variance by the factor squared, so the factor that gives variance v is the square root of v.",
        "Scale x0 by the square root of alpha_bar, scale eps by the square root of the variance left "
        "for the noise, and add the two (np.sqrt works on numbers and arrays alike).",
    ],
    solution="""
def add_noise(x0, alpha_bar, eps):
    return np.sqrt(alpha_bar) * x0 + np.sqrt(1 - alpha_bar) * eps
""",
)


@LESSON.checker("add_noise")
def check_add_noise(add_noise) -> Result:
    """`add_noise(x0, alpha_bar, eps)` must return x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, the
    shape of x0, for a number alpha_bar in (0, 1) and standard normal noise eps."""
    return diffusion_steps.check_add_noise(add_noise)


LESSON.add(
    "ddpm_step",
    "one DDPM step",
    hints=[
        "The step has two parts: a mean (x_t with a little of the predicted noise removed, then "
        "rescaled) and fresh noise z scaled by the step's standard deviation sigma_t, where "
        "sigma_t^2 = beta in this exercise.",
        "Two different alphas appear: alpha_t = 1 - beta is this one step's factor, alpha_bar the "
        "product of all factors up to t. The predicted noise is weighted by beta over the square root "
        "of 1 - alpha_bar; the rescaling undoes one forward step, so it uses alpha_t.",
        "Subtract the weighted eps_hat from x_t, divide the difference by the square root of alpha_t, "
        "then add z times the square root of beta.",
    ],
    solution="""
def ddpm_step(x_t, eps_hat, beta, alpha_bar, z):
    mean = (x_t - beta / np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(1 - beta)
    return mean + np.sqrt(beta) * z
""",
)


@LESSON.checker("ddpm_step")
def check_ddpm_step(ddpm_step) -> Result:
    """`ddpm_step(x_t, eps_hat, beta, alpha_bar, z)` must return one step of DDPM's ancestral
    sampler with sigma_t^2 = beta:
    x_{t-1} = (x_t - beta / sqrt(1 - abar) eps_hat) / sqrt(1 - beta) + sqrt(beta) z."""
    return diffusion_steps.check_ddpm_step(ddpm_step)


LESSON.add(
    "ddim_step",
    "one DDIM step",
    hints=[
        "Two moves: first undo the noising of exercise 1 to estimate the clean data from x_t and "
        "eps_hat; then do the noising of exercise 1 again, at the earlier level alpha_bar_prev, with "
        "eps_hat as the noise (not fresh noise).",
        "Exercise 1 wrote x_t as a scaled signal plus a scaled noise. Solve it for x0: remove the "
        "noise part (with eps_hat in place of eps), then undo the signal's scaling.",
        "The estimate is x_t minus the square root of 1 - alpha_bar times eps_hat, all divided by the "
        "square root of alpha_bar. Then noise it to alpha_bar_prev as in exercise 1 (you may call "
        "your own add_noise).",
    ],
    solution="""
def ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    x0_hat = (x_t - np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha_bar)
    return np.sqrt(alpha_bar_prev) * x0_hat + np.sqrt(1 - alpha_bar_prev) * eps_hat
""",
)


@LESSON.checker("ddim_step")
def check_ddim_step(ddim_step) -> Result:
    """`ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev)` must estimate x0, then noise it again
    to the earlier level with the same noise (DDIM with eta = 0):
    x0 = (x_t - sqrt(1 - abar) eps_hat) / sqrt(abar); x_s = sqrt(abar_s) x0 + sqrt(1 - abar_s) eps_hat."""
    return diffusion_steps.check_ddim_step(ddim_step)


LESSON.add(
    "noise_prediction_loss",
    "noise-prediction loss",
    hints=[
        "One training step of a diffusion model: noise clean data to a random step t in one go "
        "(exercise 1), ask the network which noise was added, and score its guess.",
        "Take alpha_bar at each example's own step, keras.ops.take(alpha_bars, t), reshaped to "
        "(batch, 1) so it broadcasts over the features; build x_t as in exercise 1.",
        "The prediction is model([x_t, t]); the loss is keras.ops.mean of the squared difference "
        "between it and noise.",
    ],
    solution="""
def noise_prediction_loss(model, x0, t, noise, alpha_bars):
    abar = keras.ops.reshape(keras.ops.take(alpha_bars, t), (-1, 1))
    x_t = keras.ops.sqrt(abar) * x0 + keras.ops.sqrt(1.0 - abar) * noise
    predicted = model([x_t, t])
    return keras.ops.mean(keras.ops.square(predicted - noise))
""",
)


@LESSON.checker("noise_prediction_loss")
def check_noise_prediction_loss(noise_prediction_loss) -> Result:
    """`noise_prediction_loss(model, x0, t, noise, alpha_bars)` in keras.ops, given tensors of
    the backend as a training step is: x0 and noise (batch, features), t (batch,) integer
    steps, alpha_bars (T + 1,); noise x0 to x_t =
    sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, predict with model([x_t, t]), return the mean
    squared error against noise. Judged on a tiny model against the package's add_noise."""
    return noise_loss.check_noise_prediction_loss(noise_prediction_loss)
