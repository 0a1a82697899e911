"""Exercises of lesson 3 (GANs): the discriminator's loss, the non-saturating generator loss,
and the discriminator's loss at the game's equilibrium.

The references are written here with explicit loops over the batch, independently of the
vectorised losses in `genai_lessons.gan`, and the usual mistakes get their own hint.
"""

from __future__ import annotations

import math

import numpy as np

from genai_lessons.exercises.core import Result, check_function, check_value


def _probabilities(rng, n):
    return rng.uniform(0.02, 0.98, size=n)


def _cases_discriminator() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(303)
    # Batches of different sizes, so that averaging everything together is not the same.
    return [(_probabilities(rng, 4), _probabilities(rng, 6)),
            (_probabilities(rng, 1), _probabilities(rng, 3)),
            (np.array([0.9, 0.8, 0.95]), np.array([0.1, 0.3, 0.05]))]


def _discriminator_reference(p_real, p_fake):
    real = sum(-math.log(p) for p in p_real) / len(p_real)  # target 1: -log D(x)
    fake = sum(-math.log(1.0 - p) for p in p_fake) / len(p_fake)  # target 0: -log(1 - D(G(z)))
    return real + fake


def check_discriminator_loss(discriminator_loss) -> Result:
    """`discriminator_loss(p_real, p_fake)` must return the discriminator's binary cross-entropy,
    -mean(log D(x)) - mean(log(1 - D(G(z)))), from its outputs on a real and a fake batch."""
    def mean_log(p):
        return np.mean(np.log(p))

    return check_function(
        "discriminator loss", discriminator_loss, _cases_discriminator(), _discriminator_reference,
        mistakes=[
            (lambda r, f: mean_log(r) + mean_log(1 - f),
             "the sign is flipped: a loss is the negative log-likelihood, so it is never negative."),
            (lambda r, f: -mean_log(1 - r) - mean_log(f),
             "the targets are swapped: real images have target 1 (use log D(x)), fakes target 0 "
             "(use log(1 - D(G(z))))."),
            (lambda r, f: -mean_log(r) - mean_log(f),
             "for a fake the discriminator is right when D(G(z)) is near 0, so its term is "
             "log(1 - D(G(z))), not log D(G(z))."),
            (lambda r, f: -mean_log(r),
             "only the real batch is counted: add the term for the fake batch."),
            (lambda r, f: -np.mean(np.concatenate([np.log(r), np.log(1 - f)])),
             "average each batch separately and add the two averages (the batches may differ in size)."),
        ],
        hint="return -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake)).",
    )


def _cases_generator() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(304)
    return [(_probabilities(rng, 5),), (np.array([0.01, 0.02, 0.5]),), (_probabilities(rng, 1),)]


def _non_saturating_reference(p_fake):
    return sum(-math.log(p) for p in p_fake) / len(p_fake)


def check_generator_loss(generator_loss) -> Result:
    """`generator_loss(p_fake)` must return the non-saturating generator loss -mean(log D(G(z)))
    from the discriminator's outputs on a batch of generated samples."""
    return check_function(
        "non-saturating generator loss", generator_loss, _cases_generator(), _non_saturating_reference,
        mistakes=[
            (lambda p: np.mean(np.log(1 - p)),
             "that is the original minimax loss log(1 - D(G(z))), whose gradient vanishes while the "
             "discriminator rejects the fakes; the non-saturating loss is -log D(G(z))."),
            (lambda p: np.mean(np.log(p)),
             "the sign is flipped: the generator minimises -log D(G(z)) (it wants D(G(z)) near 1)."),
            (lambda p: -np.mean(np.log(1 - p)),
             "that is the discriminator's term for fakes: minimising it helps the discriminator, "
             "not the generator."),
            (lambda p: -np.sum(np.log(p)),
             "average over the batch (np.mean) rather than summing."),
        ],
        hint="return -np.mean(np.log(p_fake)).",
    )


def check_equilibrium_loss(answer) -> Result:
    """The discriminator's loss (the sum of the two batch-averaged cross-entropies) when the
    generator matches the data exactly and the discriminator answers 1/2 everywhere."""
    return check_value(
        "discriminator loss at equilibrium", answer, 2 * math.log(2),
        mistakes=[
            (math.log(2), "that is one of the two terms: the real batch and the fake batch each "
                          "contribute -log(1/2)."),
            (-2 * math.log(2), "that is the value of the game V(D, G) = -log 4; the loss is its negative."),
            (0.5, "0.5 is what the discriminator outputs, not its loss."),
            (2.0, "that uses base-2 logarithms; cross-entropy losses use natural ones (np.log)."),
        ],
        rtol=1e-3, atol=1e-4,
        hint="put D = 1/2 into -log D(x) - log(1 - D(G(z))).",
    )
