"""How lesson 3's exercises are judged: the discriminator's loss, the non-saturating generator
loss, the discriminator's loss at the game's equilibrium, and the discriminator's half of a
training step.

The references are written with explicit loops over the batch, independently of the vectorised
losses in `genai_lessons.models.gan`, and the usual mistakes (swapped targets, a flipped sign, one mean
over both batches, the minimax loss) get their own diagnosis. Everything is NumPy on small
arrays: no backend is involved. The learner-facing part is in `genai_lessons.exercises.gan`.
"""

from __future__ import annotations

import math

import numpy as np

from genai_lessons.exercises.core import check_function, check_value
from genai_lessons.exercises.result import Result


def _probabilities(rng, n):
    return rng.uniform(0.02, 0.98, size=n)


def _cases_discriminator() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(303)
    # Batches of different sizes, so that averaging everything together is not the same.
    return [
        (_probabilities(rng, 4), _probabilities(rng, 6)),
        (_probabilities(rng, 1), _probabilities(rng, 3)),
        (np.array([0.9, 0.8, 0.95]), np.array([0.1, 0.3, 0.05])),
    ]


def _discriminator_reference(p_real, p_fake):
    real = sum(-math.log(p) for p in p_real) / len(p_real)  # target 1: -log D(x)
    fake = sum(-math.log(1.0 - p) for p in p_fake) / len(p_fake)  # target 0: -log(1 - D(G(z)))
    return real + fake


def _mean_log(p):
    return np.mean(np.log(p))


def check_discriminator_loss(discriminator_loss) -> Result:
    """The check behind `gan.check_discriminator_loss` (documented there)."""
    return check_function(
        "discriminator loss",
        discriminator_loss,
        _cases_discriminator(),
        _discriminator_reference,
        arg_names=["p_real", "p_fake"],
        mistakes=[
            (
                lambda r, f: _mean_log(r) + _mean_log(1 - f),
                "the sign is flipped: a loss is the negative log-likelihood, so it is never negative.",
            ),
            (
                lambda r, f: -_mean_log(1 - r) - _mean_log(f),
                "the targets are swapped: real images have target 1, fakes target 0.",
            ),
            (
                lambda r, f: -_mean_log(r) - _mean_log(f),
                "for a fake the discriminator is right when D(G(z)) is near 0, so its term uses "
                "1 - D(G(z)), not D(G(z)).",
            ),
            (
                lambda r, f: -_mean_log(r),
                "only the real batch is counted: add the term for the fake batch.",
            ),
            (
                lambda r, f: -np.mean(np.concatenate([np.log(r), np.log(1 - f)])),
                "average each batch separately and add the two averages (the batches may differ in size).",
            ),
            (
                lambda r, f: -np.sum(np.log(r)) - np.sum(np.log(1 - f)),
                "average over each batch (a mean) rather than summing.",
            ),
        ],
        hint="A loss is never negative, and it grows as D(x) falls or D(G(z)) rises.",
    )


def _cases_generator() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(304)
    return [(_probabilities(rng, 5),), (np.array([0.01, 0.02, 0.5]),), (_probabilities(rng, 1),)]


def _non_saturating_reference(p_fake):
    return sum(-math.log(p) for p in p_fake) / len(p_fake)


def check_generator_loss(generator_loss) -> Result:
    """The check behind `gan.check_generator_loss` (documented there)."""
    return check_function(
        "non-saturating generator loss",
        generator_loss,
        _cases_generator(),
        _non_saturating_reference,
        arg_names=["p_fake"],
        mistakes=[
            (
                lambda p: np.mean(np.log(1 - p)),
                "that is the original minimax loss log(1 - D(G(z))), whose gradient vanishes while the "
                "discriminator rejects the fakes; the non-saturating loss uses D(G(z)) itself.",
            ),
            (
                lambda p: np.mean(np.log(p)),
                "the sign is flipped: the generator minimises its loss, and wants D(G(z)) near 1.",
            ),
            (
                lambda p: -np.mean(np.log(1 - p)),
                "that is the discriminator's term for fakes: minimising it helps the discriminator, "
                "not the generator.",
            ),
            (lambda p: -np.sum(np.log(p)), "average over the batch (a mean) rather than summing."),
            (
                lambda p: -np.log(np.mean(p)),
                "take the log of each probability, then average: the log of the average is not the same.",
            ),
            (lambda p: 1 - np.mean(p), "a cross-entropy uses the logarithm of the probabilities."),
        ],
        hint="The loss should be large when D(G(z)) is near 0 and near 0 when D(G(z)) is near 1.",
    )


EQUILIBRIUM_ATOL = 0.01
"""Tolerance for the equilibrium loss, log 4 = 1.3863: two decimals, rounded (1.39) or cut
(1.38), are enough."""


def check_equilibrium_loss(answer) -> Result:
    """The check behind `gan.check_equilibrium_loss` (documented there)."""
    return check_value(
        "discriminator loss at equilibrium",
        answer,
        2 * math.log(2),
        mistakes=[
            (
                math.log(2),
                "that is one of the two terms: the real batch and the fake batch each "
                "contribute one.",
            ),
            (
                -2 * math.log(2),
                "that is the value of the game V(D, G) = -log 4; the loss is its negative.",
            ),
            (0.5, "0.5 is what the discriminator outputs, not its loss."),
            (2.0, "that uses base-2 logarithms; cross-entropy losses use natural ones (np.log)."),
            (
                math.log10(4),
                "that uses base-10 logarithms; cross-entropy losses use natural ones (np.log).",
            ),
            (4.0, "the loss is a sum of logarithms: take the log."),
            (
                0.0,
                "a loss of 0 would mean a perfect discriminator; at equilibrium it cannot tell "
                "real from fake at all.",
            ),
            (
                1.0,
                "1 would be a loss with probability 1/e on the right answer; here every output is 1/2.",
            ),
        ],
        rtol=0.0,
        atol=EQUILIBRIUM_ATOL,
        hint="Put D = 1/2 into the two terms of the loss.",
    )


# --------------------------------------------------------------------------- discriminator step


def _step_cases():
    rng = np.random.default_rng(305)
    cases = []
    for features, n_real, n_fake in ((2, 3, 5), (3, 4, 2), (1, 1, 3)):
        cases.append(
            (
                rng.normal(size=features),
                float(rng.normal()),
                rng.normal(1.0, 1.0, size=(n_real, features)),
                rng.normal(-0.5, 1.0, size=(n_fake, features)),
                0.1,
            )
        )
    return cases


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _step_reference(w, b, x_real, x_fake, learning_rate):
    """One gradient-descent step on L_D, written per example: dL/dlogit = D - target."""
    grad_w, grad_b = np.zeros_like(w), 0.0
    for batch, target in ((x_real, 1.0), (x_fake, 0.0)):
        for x in batch:
            d = 1.0 / (1.0 + math.exp(-(float(np.dot(x, w)) + b)))
            grad_w += (d - target) * x / len(batch)
            grad_b += (d - target) / len(batch)
    return w - learning_rate * grad_w, b - learning_rate * grad_b


def _step_with(
    targets=(1.0, 0.0),
    sign=-1.0,
    joint=False,
    real_only=False,
    bias=True,
    extra_sigmoid=False,
    rate=True,
):
    """A discriminator step with one typical mistake switched on."""

    def step(w, b, x_real, x_fake, learning_rate):
        grads_w, grads_b = [], []
        batches = (
            ((x_real, targets[0]),) if real_only else ((x_real, targets[0]), (x_fake, targets[1]))
        )
        total = sum(len(x) for x, _ in batches)
        for x, target in batches:
            d = _sigmoid(x @ w + b)
            g = d - target
            if extra_sigmoid:
                g = g * d * (1 - d)
            scale = total if joint else len(x)
            grads_w.append(x.T @ g / scale)
            grads_b.append(np.sum(g) / scale)
        lr = learning_rate if rate else 1.0
        new_b = b + sign * lr * sum(grads_b) if bias else b
        return w + sign * lr * sum(grads_w), new_b

    return step


def check_discriminator_step(discriminator_step) -> Result:
    """The check behind `gan.check_discriminator_step` (documented there)."""
    return check_function(
        "discriminator training step",
        discriminator_step,
        _step_cases(),
        _step_reference,
        arg_names=["w", "b", "x_real", "x_fake", "learning_rate"],
        part_names=["w", "b"],
        mistakes=[
            (
                _step_with(sign=+1.0),
                "the step climbs the loss: gradient descent subtracts learning_rate x gradient.",
            ),
            (
                _step_with(targets=(0.0, 1.0)),
                "the targets are swapped: real samples have target 1, fakes target 0.",
            ),
            (
                _step_with(targets=(1.0, 1.0)),
                "the fakes have target 1 here: that is the generator's step. In the discriminator's "
                "step fakes have target 0.",
            ),
            (
                _step_with(joint=True),
                "average each batch on its own (the loss is the sum of two batch means, and the "
                "batches differ in size), not over all examples together.",
            ),
            (
                _step_with(real_only=True),
                "only the real batch contributes: add the gradient of the fake batch's term.",
            ),
            (
                _step_with(bias=False),
                "b did not change: the bias has a gradient too, and steps like w.",
            ),
            (
                _step_with(extra_sigmoid=True),
                "with the cross-entropy, the gradient with respect to the logit is D - target: the "
                "sigmoid's derivative D(1 - D) cancels, so do not multiply by it.",
            ),
            (_step_with(rate=False), "the step must be scaled by learning_rate."),
        ],
        hint="Check the sign of each term of the gradient on the smallest case.",
    )
