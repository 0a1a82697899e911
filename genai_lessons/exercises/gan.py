"""Exercises of lesson 3 (GANs): the discriminator's loss, the non-saturating generator loss,
the discriminator's loss at the game's equilibrium, the discriminator's half of a training step in
NumPy, and a whole round of the game (both networks' steps) in Keras.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged (loop references independent of
`genai_lessons.models.gan`, the usual mistakes) is in `adversarial`, and in `gan_step` for the Keras round.
"""

from __future__ import annotations

from genai_lessons.exercises import adversarial, gan_step
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(3, "GANs")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "discriminator_loss",
    "discriminator loss",
    hints=[
        "The discriminator is a binary classifier: real samples have target 1, fakes target 0. Its "
        "loss is the binary cross-entropy on each batch.",
        "For a real sample the cross-entropy is -log D(x); for a fake one it is -log(1 - D(G(z))).",
        "Average each batch on its own (they may differ in size), then add the two averages.",
    ],
    solution="""
def my_discriminator_loss(p_real, p_fake):
    return -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
""",
)


@LESSON.checker("discriminator_loss")
def check_discriminator_loss(discriminator_loss) -> Result:
    """`discriminator_loss(p_real, p_fake)` must return the discriminator's binary cross-entropy,
    -mean(log D(x)) - mean(log(1 - D(G(z)))), from its outputs on a real and a fake batch."""
    return adversarial.check_discriminator_loss(discriminator_loss)


LESSON.add(
    "generator_loss",
    "non-saturating generator loss",
    hints=[
        "The generator wants the discriminator to call its fakes real: D(G(z)) near 1.",
        "The non-saturating loss treats the fakes as if their target were 1, with the binary "
        "cross-entropy: it is large when D(G(z)) is near 0.",
        "Take -log D(G(z)) for each fake, and average over the batch.",
    ],
    solution="""
def my_generator_loss(p_fake):
    return -np.mean(np.log(p_fake))
""",
)


@LESSON.checker("generator_loss")
def check_generator_loss(generator_loss) -> Result:
    """`generator_loss(p_fake)` must return the non-saturating generator loss -mean(log D(G(z)))
    from the discriminator's outputs on a batch of generated samples."""
    return adversarial.check_generator_loss(generator_loss)


LESSON.add(
    "equilibrium_loss",
    "discriminator loss at equilibrium",
    hints=[
        "At equilibrium the discriminator outputs 1/2 for every input, real or fake.",
        "Put D = 1/2 into each of the two terms of the discriminator's loss: the real batch's and "
        "the fake batch's. The averages over the batch do not change anything when every output is "
        "the same.",
        "Each term is -log(1/2) = log 2 (natural logarithm); the loss is their sum.",
    ],
    solution="""
equilibrium_loss = 2 * np.log(2)  # = log 4, about 1.386
""",
)


@LESSON.checker("equilibrium_loss")
def check_equilibrium_loss(answer) -> Result:
    """The discriminator's loss (the sum of the two batch-averaged cross-entropies) when the
    generator matches the data exactly and the discriminator answers 1/2 everywhere. Numbers
    are accepted to within ±0.01 (`adversarial.EQUILIBRIUM_ATOL`), so two decimals, rounded or
    cut, are enough."""
    return adversarial.check_equilibrium_loss(answer)


LESSON.add(
    "discriminator_step",
    "discriminator training step",
    hints=[
        "The discriminator's step only changes the discriminator's parameters (w, b); the fakes are "
        "given, as if the generator were frozen. Compute its loss's gradient, then step against it.",
        "For a logistic unit D = sigmoid(x @ w + b) with binary cross-entropy, the gradient with "
        "respect to the logit is simply D - target (target 1 for real, 0 for fake): the sigmoid's "
        "derivative cancels with the log's.",
        "Per batch: the gradient for w is x.T times (D - target), divided by that batch's size; for "
        "b the mean of (D - target). Add the real and fake contributions, then subtract "
        "learning_rate times the gradient from w and from b.",
    ],
    solution="""
def discriminator_step(w, b, x_real, x_fake, learning_rate):
    d_real = 1 / (1 + np.exp(-(x_real @ w + b)))
    d_fake = 1 / (1 + np.exp(-(x_fake @ w + b)))
    grad_w = x_real.T @ (d_real - 1) / len(x_real) + x_fake.T @ d_fake / len(x_fake)
    grad_b = np.mean(d_real - 1) + np.mean(d_fake)
    return w - learning_rate * grad_w, b - learning_rate * grad_b
""",
)


@LESSON.checker("discriminator_step")
def check_discriminator_step(discriminator_step) -> Result:
    """`discriminator_step(w, b, x_real, x_fake, learning_rate)` for the discriminator
    D(x) = sigmoid(x @ w + b): one gradient-descent step on its loss
    -mean(log D(x_real)) - mean(log(1 - D(x_fake))). w (features,), b a number, x_real
    (n_real, features), x_fake (n_fake, features). Returns the new (w, b)."""
    return adversarial.check_discriminator_step(discriminator_step)


LESSON.add(
    "gan_train_step",
    "GAN training step",
    hints=[
        "One round of the game has two steps, in this order: the discriminator learns to tell "
        "real from fake (the generator frozen), then the generator learns to fool the updated "
        "discriminator (the discriminator frozen).",
        "Each step: write its loss as a function of no arguments that runs the networks (e.g. "
        "gan.discriminator_loss(discriminator(real), discriminator(generator(noise)))), get "
        "(loss, grads) from autodiff.value_and_grad(loss_fn, network.trainable_variables), then "
        "optimizer.apply(grads, network.trainable_variables).",
        "The discriminator's step differentiates with respect to discriminator.trainable_variables "
        "and uses d_optimizer; the generator's uses gan.generator_loss(discriminator(generator("
        "noise))), generator.trainable_variables and g_optimizer. Return (d_loss, g_loss).",
    ],
    solution="""
def gan_train_step(generator, discriminator, d_optimizer, g_optimizer, real, noise):
    def d_loss_fn():
        fake = generator(noise)
        return gan.discriminator_loss(discriminator(real), discriminator(fake))

    d_loss, d_grads = autodiff.value_and_grad(d_loss_fn, discriminator.trainable_variables)
    d_optimizer.apply(d_grads, discriminator.trainable_variables)

    def g_loss_fn():
        return gan.generator_loss(discriminator(generator(noise)))

    g_loss, g_grads = autodiff.value_and_grad(g_loss_fn, generator.trainable_variables)
    g_optimizer.apply(g_grads, generator.trainable_variables)
    return d_loss, g_loss
""",
)


@LESSON.checker("gan_train_step")
def check_gan_train_step(gan_train_step) -> Result:
    """`gan_train_step(generator, discriminator, d_optimizer, g_optimizer, real, noise)`: one
    round of the game in Keras. The discriminator (sigmoid output) takes a step on
    `models.gan.discriminator_loss` of its outputs on `real` and on `generator(noise)`; then
    the generator takes a step on the non-saturating `models.gan.generator_loss` against the
    updated discriminator. Gradients from `core.autodiff.value_and_grad`, updates with each
    network's optimizer. Returns (d_loss, g_loss). Judged on two tiny networks with SGD: every
    weight afterwards must match a reference round."""
    return gan_step.check_gan_train_step(gan_train_step)
