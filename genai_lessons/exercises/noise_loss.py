"""How lesson 7's Keras exercise is judged: the learner's `noise_prediction_loss(model, x0, t,
noise, alpha_bars)`, the loss of one training step of a diffusion model written with keras.ops:
noise x0 to step t in closed form, ask the model for the noise, and take the mean squared error.

The reference noises with the package's own `models.diffusion.add_noise`; the model is a tiny
Keras network with fixed weights that takes [x_t, t]. The usual mistakes (the model asked about
the clean data, the loss against x0, the variances used as scales, alpha_bar not taken at each
example's own step, a sum instead of a mean) are recognised by computing them too.
"""

from __future__ import annotations

import keras
import numpy as np

from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.diagnosis import matches, value_problem
from genai_lessons.exercises.result import Result, Verdict
from genai_lessons.models import diffusion

EXERCISE = "noise-prediction loss"
ARG_NAMES = ["model", "x0", "t", "noise", "alpha_bars"]
STEPS = 20


class NoisePredictor:
    """The model handed to the learner: `model([x_t, t])` accepts arrays or tensors of any dtype
    in any mix (a Keras model refuses a list mixing NumPy arrays and tensors)."""

    def __init__(self, network: keras.Model):
        self.network = network

    def __call__(self, inputs, training=False):
        x_t, t = inputs
        x_t = keras.ops.cast(keras.ops.convert_to_tensor(x_t), "float32")
        t = keras.ops.cast(keras.ops.convert_to_tensor(t), "float32")
        return self.network([x_t, t], training=training)


def denoiser() -> NoisePredictor:
    """A tiny noise predictor: [x_t (batch, 2), t (batch,)] -> (batch, 2), fixed weights."""
    x = keras.Input((2,))
    t = keras.Input(())
    steps = keras.layers.Reshape((1,))(t)
    hidden = keras.layers.Dense(8, activation="tanh")(keras.layers.Concatenate()([x, steps]))
    model = keras.Model([x, t], keras.layers.Dense(2)(hidden))
    model.set_weights([ka.seeded(w.shape, 95 + i, 0.5) for i, w in enumerate(model.get_weights())])
    return NoisePredictor(model)


def case():
    rng = np.random.default_rng(96)
    x0 = rng.normal(0, 1, (6, 2)).astype("float32")
    t = np.array([1, 4, 9, 13, 17, 20])
    noise = rng.normal(0, 1, (6, 2)).astype("float32")
    alpha_bars = diffusion.make_schedule(STEPS).alpha_bars.astype("float32")
    return x0, t, noise, alpha_bars


def _predict(model, x, t):
    return keras.ops.convert_to_numpy(model([x, t])).astype(np.float64)


def variant(
    model,
    x0,
    t,
    noise,
    alpha_bars,
    *,
    fed="x_t",
    target="noise",
    scales="std",
    step="own",
    reduce="mean",
):
    """The loss with the usual mistakes switchable (inputs as arrays or tensors)."""
    x0, t, noise, alpha_bars = (keras.ops.convert_to_numpy(a) for a in (x0, t, noise, alpha_bars))
    abar = alpha_bars[t] if step == "own" else np.full(len(t), alpha_bars[-1])
    abar = abar[:, None].astype(np.float64)
    if scales == "std":
        x_t = keras.ops.convert_to_numpy(diffusion.add_noise(x0, t, noise, alpha_bars))
        if step != "own":
            x_t = np.sqrt(abar) * x0 + np.sqrt(1 - abar) * noise
    else:
        x_t = abar * x0 + (1 - abar) * noise
    predicted = _predict(model, (x_t if fed == "x_t" else x0).astype("float32"), t)
    error = (predicted - (noise if target == "noise" else x0)) ** 2
    return float(error.mean() if reduce == "mean" else error.sum())


MISTAKES = [
    (
        dict(fed="x0"),
        "the model is given the clean x0: give it the noised x_t (and t), the only "
        "thing it sees when sampling.",
    ),
    (
        dict(target="x0"),
        "the loss compares the prediction with x0: this model predicts the "
        "noise, so compare with noise.",
    ),
    (
        dict(scales="var"),
        "alpha_bar and 1 - alpha_bar are variances: scale x0 and the noise by their square roots.",
    ),
    (
        dict(step="last"),
        "every example is noised to the same level: take alpha_bars[t] at each "
        "example's own step t, shaped (batch, 1) to broadcast over the features.",
    ),
    (dict(reduce="sum"), "the squared errors are summed: take their mean."),
]


def check_noise_prediction_loss(noise_prediction_loss) -> Result:
    """The check behind `diffusion.check_noise_prediction_loss` (documented there)."""
    with ka.keeping_random_state():
        return _check(noise_prediction_loss)


def _check(function) -> Result:
    stop = precheck_function(EXERCISE, function, len(ARG_NAMES), ARG_NAMES)
    if stop is not None:
        return stop
    model = denoiser()
    args = case()
    shapes = f"a tiny model, x0 and noise (6, 2), t {args[1].tolist()}, {STEPS}-step schedule"
    # Tensors of the backend, as a training step receives its data (on PyTorch a NumPy array
    # cannot be subtracted from a tensor that carries gradients).
    tensors = tuple(keras.ops.convert_to_tensor(a) for a in args)
    run = ka.call(function, (model, *tensors))
    problem = ka.stop(EXERCISE, run, shapes)
    if problem is not None:
        return problem
    want = variant(model, *args)
    problem = value_problem(run.value, np.float64(want), "your loss")
    if problem:
        return ka.wrong(EXERCISE, problem)
    got = float(ka.to_numpy(run.value)[0])
    if matches(got, want, 1e-4, 1e-6):
        return Result(
            EXERCISE,
            Verdict.CORRECT,
            f"correct: {got:.4f}, the mean squared error "
            "of the predicted noise at each example's own step. Well done.",
        )
    for flags, message in MISTAKES:
        if matches(got, variant(model, *args, **flags), 1e-4, 1e-6):
            return ka.wrong(EXERCISE, message)
    return ka.wrong(
        EXERCISE,
        f"your loss is {got:.4f}, expected {want:.4f} on {shapes}: noise x0 to x_t at step t, "
        "predict with model([x_t, t]), mean squared error against the noise.",
    )
