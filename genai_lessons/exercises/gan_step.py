"""How lesson 3's Keras exercise is judged: the learner's `gan_train_step(generator,
discriminator, d_optimizer, g_optimizer, real, noise)`, one round of the adversarial game.

The check gives the step two tiny networks with fixed weights and plain SGD, runs it once, and
compares every weight of both networks afterwards with a reference step written here (gradients
from `core.autodiff`, updates by hand). The usual mistakes are recognised by running them too:
the generator's step first, the minimax generator loss, swapped targets, both gradients taken
before either update, one network's step also changing the other.
"""

from __future__ import annotations

import keras
import numpy as np

from genai_lessons.core import autodiff
from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.diagnosis import matches
from genai_lessons.exercises.result import Result, Verdict
from genai_lessons.models import gan

EXERCISE = "GAN training step"
ARG_NAMES = ["generator", "discriminator", "d_optimizer", "g_optimizer", "real", "noise"]
LEARNING_RATE = 0.5


def networks():
    """A 2-4-2 generator and a 2-4-1 discriminator (sigmoid output) with fixed weights."""
    generator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)]
    )
    discriminator = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(4, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    for seed, model in ((50, generator), (60, discriminator)):
        model.set_weights(
            [ka.seeded(w.shape, seed + i, 0.8) for i, w in enumerate(model.get_weights())]
        )
    return generator, discriminator


def data():
    real = ka.seeded((8, 2), 70, 0.3) + np.array([2.0, -1.0], "float32")
    return real, ka.seeded((8, 2), 71)


def _sgd(variables, grads):
    for variable, grad in zip(variables, grads):
        variable.assign(variable - LEARNING_RATE * grad)


def reference_step(
    generator,
    discriminator,
    real,
    noise,
    *,
    generator_first=False,
    kind="non_saturating",
    swapped=False,
    simultaneous=False,
    d_step_moves_g=False,
    g_step_moves_d=False,
):
    """One round of the game by hand, with the usual mistakes switchable; returns the losses."""
    d_vars, g_vars = discriminator.trainable_variables, generator.trainable_variables

    def d_loss():
        p_real, p_fake = discriminator(real), discriminator(generator(noise))
        return (
            gan.discriminator_loss(p_fake, p_real)
            if swapped
            else gan.discriminator_loss(p_real, p_fake)
        )

    def g_loss():
        return gan.generator_loss(discriminator(generator(noise)), kind=kind)

    def d_step():
        moved = d_vars + (g_vars if d_step_moves_g else [])
        value, grads = autodiff.value_and_grad(d_loss, moved)
        _sgd(moved, grads)
        return value

    def g_step():
        moved = g_vars + (d_vars if g_step_moves_d else [])
        value, grads = autodiff.value_and_grad(g_loss, moved)
        _sgd(moved, grads)
        return value

    if simultaneous:
        d_value, d_grads = autodiff.value_and_grad(d_loss, d_vars)
        g_value, g_grads = autodiff.value_and_grad(g_loss, g_vars)
        _sgd(d_vars, d_grads)
        _sgd(g_vars, g_grads)
        return d_value, g_value
    if generator_first:
        g_value = g_step()
        return d_step(), g_value
    d_value = d_step()
    return d_value, g_step()


MISTAKES = [
    (
        dict(generator_first=True),
        "the generator moved first: the usual round updates the discriminator on real and fake "
        "samples first, then the generator against the updated discriminator.",
    ),
    (
        dict(kind="minimax"),
        "the generator minimises log(1 - D(G(z))), the minimax loss, whose gradient vanishes "
        "while D rejects the fakes: use the non-saturating loss, -log D(G(z)).",
    ),
    (
        dict(swapped=True),
        "the discriminator's targets are swapped: real samples have target 1, fakes target 0.",
    ),
    (
        dict(simultaneous=True),
        "both gradients were taken before either update: compute the generator's loss after "
        "the discriminator's step, against the updated discriminator.",
    ),
    (
        dict(g_step_moves_d=True),
        "the generator's step also changed the discriminator: differentiate g_loss with respect "
        "to generator.trainable_variables only, and apply g_optimizer to those.",
    ),
    (
        dict(d_step_moves_g=True),
        "the discriminator's step also changed the generator: differentiate d_loss with respect "
        "to discriminator.trainable_variables only.",
    ),
]


def _weights(model):
    return [w.astype(np.float64) for w in model.get_weights()]


def _same(a, b) -> bool:
    return all(matches(x, y, 1e-4, 1e-6) for x, y in zip(a, b))


def _after(**flags):
    generator, discriminator = networks()
    real, noise = data()
    losses = reference_step(generator, discriminator, real, noise, **flags)
    return _weights(generator), _weights(discriminator), losses


def check_gan_train_step(gan_train_step) -> Result:
    """The check behind `gan.check_gan_train_step` (documented there)."""
    with ka.keeping_random_state():  # building layers draws from Python's random module
        return _check_gan_train_step(gan_train_step)


def _check_gan_train_step(gan_train_step) -> Result:
    stop = precheck_function(EXERCISE, gan_train_step, len(ARG_NAMES), ARG_NAMES)
    if stop is not None:
        return stop
    with ka.keeping_random_state():
        generator, discriminator = networks()
    before_g, before_d = _weights(generator), _weights(discriminator)
    real, noise = data()
    optimizers = (
        keras.optimizers.SGD(learning_rate=LEARNING_RATE),
        keras.optimizers.SGD(learning_rate=LEARNING_RATE),
    )
    run = ka.call(gan_train_step, (generator, discriminator, *optimizers, real, noise))
    problem = ka.stop(EXERCISE, run, "two small networks and a batch of 8")
    if problem is not None:
        return problem
    got_g, got_d = _weights(generator), _weights(discriminator)
    moved_g, moved_d = not _same(got_g, before_g), not _same(got_d, before_d)
    if not moved_g and not moved_d:
        return ka.wrong(
            EXERCISE,
            "neither network changed: take each loss's gradients with autodiff.value_and_grad "
            "and apply them with the optimizer, optimizer.apply(grads, variables).",
        )
    if not moved_d:
        return ka.wrong(EXERCISE, "the discriminator never changed: its step is missing.")
    if not moved_g:
        return ka.wrong(EXERCISE, "the generator never changed: its step is missing.")
    want_g, want_d, losses = _after()
    if not (_same(got_g, want_g) and _same(got_d, want_d)):
        for flags, message in MISTAKES:
            wrong_g, wrong_d, _ = _after(**flags)
            if _same(got_g, wrong_g) and _same(got_d, wrong_d):
                return ka.wrong(EXERCISE, message)
        which = [
            name
            for name, ok in (
                ("generator", _same(got_g, want_g)),
                ("discriminator", _same(got_d, want_d)),
            )
            if not ok
        ]
        return ka.wrong(
            EXERCISE,
            f"after your step the {' and the '.join(which)} weights differ from one round of "
            f"the game with SGD (learning rate {LEARNING_RATE}): discriminator step on "
            "gan.discriminator_loss, then generator step on gan.generator_loss, each applied to "
            "its own network's trainable_variables.",
        )
    value = run.value
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return ka.wrong(
            EXERCISE,
            f"the weights are right, but your function returned {ka.answers.kind(value)}: "
            "return the two losses, (d_loss, g_loss).",
        )
    got_losses = [ka.to_numpy(v)[0] for v in value]
    want = [float(ka.to_numpy(v)[0]) for v in losses]
    if not all(g is not None and matches(g, w, 1e-4, 1e-6) for g, w in zip(got_losses, want)):
        return ka.wrong(
            EXERCISE,
            "the weights are right, but the losses returned are not (d_loss, g_loss) as each "
            f"step computed them (expected {want[0]:.4f} and {want[1]:.4f}).",
        )
    return Result(
        EXERCISE,
        Verdict.CORRECT,
        "correct: the discriminator's step, then the generator's against the updated "
        "discriminator, each moving only its own network (every weight matches a reference "
        "round). Well done.",
    )
