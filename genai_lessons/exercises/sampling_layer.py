"""How lesson 4's Keras exercise is judged: the learner's `Sampling` layer, the VAE's
reparameterization trick as a Keras layer: call((z_mean, z_log_var)) returns
z_mean + exp(z_log_var / 2) * eps, eps drawn from N(0, I) through the layer's own
`keras.random.SeedGenerator`.

Judged by behaviour: the mean and spread of many draws against the requested ones (with margins
of five standard errors), fresh noise at every call, the same draws from two layers made with
the same seed, gradients that flow to z_mean and z_log_var (checked against their closed form),
and a symbolic call inside a functional model.
"""

from __future__ import annotations

import inspect
import math

import keras
import numpy as np

from genai_lessons.core import autodiff
from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises import safe
from genai_lessons.exercises.result import Result, Verdict, not_attempted

EXERCISE = "Sampling layer"
N = 4000
MEAN = np.array([1.0, -2.0])
STD = np.array([0.5, 2.0])


def _inputs(n=N):
    mean = np.tile(MEAN, (n, 1)).astype("float32")
    log_var = np.tile(2 * np.log(STD), (n, 1)).astype("float32")
    return mean, log_var


def _draw(layer, inputs):
    # Not ka.call: the random state must move on between draws, as it does in a notebook.
    run = safe.call(lambda: layer(inputs), (), ka.TIME_LIMIT_S)
    if run.error is None and not run.timed_out:
        array, why = ka.to_numpy(run.value)
        return run, array, why
    return run, None, ""


def check_sampling_layer(sampling) -> Result:
    """The check behind `vae.check_sampling_layer` (documented there)."""
    with ka.keeping_random_state():
        return _check(sampling)


def _check(cls) -> Result:
    if cls is None or cls is Ellipsis:
        return not_attempted(EXERCISE)
    if isinstance(cls, keras.layers.Layer):
        return ka.wrong(
            EXERCISE,
            "this is a layer (an instance of your class); pass the class itself: "
            "check_sampling_layer(Sampling), not check_sampling_layer(Sampling()).",
        )
    if not inspect.isclass(cls):
        return ka.wrong(
            EXERCISE,
            f"this is {ka.answers.kind(cls)}; pass the class itself, e.g. "
            "check_sampling_layer(Sampling), not an instance or a function.",
        )
    if not issubclass(cls, keras.layers.Layer):
        return ka.wrong(EXERCISE, "your class should subclass keras.layers.Layer.")
    if cls.call is keras.layers.Layer.call or safe.is_placeholder(cls.call):
        return not_attempted(EXERCISE)
    made = ka.call(lambda: cls(seed=7), ())
    problem = ka.stop(EXERCISE, made, "Sampling(seed=7)")
    if problem is not None:
        return problem
    layer = made.value
    inputs = _inputs()
    run, z, why = _draw(layer, inputs)
    if isinstance(run.error, NotImplementedError) and run.unfinished in ("", "call", "build"):
        return not_attempted(EXERCISE)  # the class's own call is still the placeholder
    problem = ka.stop(EXERCISE, run, f"(z_mean, z_log_var) of shape ({N}, 2)")
    if problem is not None:
        return problem
    if z is None:
        return ka.wrong(EXERCISE, why)
    if z.shape != (N, 2):
        return ka.wrong(
            EXERCISE, f"your layer returned shape {z.shape}; z has z_mean's shape, ({N}, 2)."
        )
    mean, std = z.mean(axis=0), z.std(axis=0)
    if np.all(std < 1e-6):
        return ka.wrong(
            EXERCISE,
            "every draw is the same: the noise is missing. Draw eps with keras.random.normal "
            "and scale it by the standard deviation.",
        )
    margin_mean = 5 * np.maximum(std, STD) / math.sqrt(N)  # five standard errors
    if np.any(np.abs(mean - MEAN) > margin_mean + 1e-6):
        return ka.wrong(
            EXERCISE,
            f"asked for means {MEAN.tolist()}, your draws average {np.round(mean, 3).tolist()}: "
            "z is z_mean plus noise (add the mean, do not multiply by it).",
        )
    if np.any(np.abs(std / STD - 1) > 5 / math.sqrt(2 * N)):
        shown = np.round(std, 3).tolist()
        for guess, message in (
            (
                STD**2,
                "exp(z_log_var) is the variance; scale eps by the standard deviation, "
                "exp(z_log_var / 2).",
            ),
            (1 / STD, "exp(-z_log_var / 2) is 1 / sigma: scale eps by sigma itself."),
            (np.log(STD**2), "z_log_var is a logarithm: undo it with exp (of half of it)."),
        ):
            if np.all(np.abs(std / np.abs(guess) - 1) < 0.1):
                return ka.wrong(
                    EXERCISE, f"asked for spreads {STD.tolist()}, got {shown}: {message}"
                )
        return ka.wrong(
            EXERCISE,
            f"asked for standard deviations {STD.tolist()}, your draws spread by {shown}: "
            "eps must be standard normal, scaled by exp(z_log_var / 2).",
        )
    _, again, _ = _draw(layer, inputs)
    if again is not None and np.array_equal(again, z):
        return ka.wrong(
            EXERCISE,
            "two calls of the layer gave the same z: draw new noise at every call, with "
            "keras.random.normal(..., seed=self.seed_generator) (a SeedGenerator made in "
            "__init__), not seed=an integer.",
        )
    twin = ka.call(lambda: cls(seed=7), ()).value
    _, z_twin, _ = _draw(twin, inputs)
    if z_twin is None or not np.allclose(z_twin, z):
        return ka.wrong(
            EXERCISE,
            "two layers made with the same seed gave different draws: hold a "
            "keras.random.SeedGenerator(seed) in the layer and draw through it (NumPy's or an "
            "unseeded generator is not reproducible).",
        )
    small = [x[:3] for x in _inputs()]
    grads = ka.call(lambda: autodiff.grad_of_inputs(lambda m, v: layer((m, v)), small), ())
    if grads.error is not None or grads.timed_out:
        return ka.wrong(
            EXERCISE,
            f"gradients could not flow through your layer ({type(grads.error).__name__}): write "
            "call with keras.ops only, no NumPy.",
        )
    z_small, (grad_mean, grad_log_var) = grads.value
    if not np.allclose(grad_mean, 1.0, atol=1e-4) or not np.allclose(
        grad_log_var, 0.5 * (z_small - small[0]), atol=1e-3
    ):
        return ka.wrong(
            EXERCISE,
            "z is not differentiable with respect to z_mean and z_log_var as it should be "
            "(dz/dmean = 1, dz/dlog_var = (z - mean) / 2): write call with keras.ops only, no "
            "NumPy, so that the gradient reaches the encoder.",
        )
    symbolic = ka.call(lambda: cls(seed=1)((keras.Input((2,)), keras.Input((2,)))), ())
    if symbolic.error is not None or not isinstance(symbolic.value, keras.KerasTensor):
        return ka.wrong(
            EXERCISE,
            "your layer works on arrays but not inside a functional model (on keras.Input): "
            "take the shape with keras.ops.shape(z_mean), not with NumPy or len().",
        )
    return Result(
        EXERCISE,
        Verdict.CORRECT,
        f"correct: over {N} draws the means {np.round(mean, 3).tolist()} and spreads "
        f"{np.round(std, 3).tolist()} match the requested {MEAN.tolist()} and {STD.tolist()}; "
        "fresh noise at each call, reproducible with a seed, gradients flow to the mean and the "
        "log-variance. Well done.",
    )
