"""Tests of the exercises in which the learner writes Keras code (lessons 2 to 7): for each, a
right answer written independently of the lesson's solution passes, the lesson's own solution
passes, the untouched stub is "not attempted", and typical mistakes get their own diagnosis.
Also: checking never moves the notebook's random state, and no checker raises."""

import random

import keras
import numpy as np
import pytest
from keras import layers, ops

from genai_lessons.core import autodiff
from genai_lessons.exercises import (
    Verdict,
    cnn,
    diffusion,
    gan,
    language_models,
    masked_loss,
    multihead,
    noise_loss,
    residual,
    transformer,
    vae,
)
from genai_lessons.models import gan as gan_losses

# --------------------------------------------------------------------------- lesson 2: residual block


def residual_right(x, filters):
    shortcut = x
    y = layers.Conv2D(filters, (3, 3), padding="same")(x)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, (3, 3), padding="same")(y)
    return ops.relu(y + shortcut)


def _residual(skip=True, inner=True, outer=True, padding="same", filters_used=None):
    def residual_block(x, filters):
        n = filters_used or filters
        y = layers.Conv2D(n, 3, padding=padding, activation="relu" if inner else None)(x)
        y = layers.Conv2D(n, 3, padding=padding)(y)
        y = y + x if skip else y
        return ops.relu(y) if outer else y

    return residual_block


RESIDUAL_MISTAKES = [
    (_residual(skip=False), "skip connection is missing"),
    (_residual(outer=False), "last ReLU is missing"),
    (_residual(inner=False), "between the two convolutions"),
    (_residual(padding="valid"), 'padding="same"'),
]


# --------------------------------------------------------------------------- lesson 3: GAN step


def gan_step_right(generator, discriminator, d_optimizer, g_optimizer, real, noise):
    d_vars, g_vars = discriminator.trainable_variables, generator.trainable_variables

    def d_loss():  # binary cross-entropy written out
        p_real, p_fake = discriminator(real), discriminator(generator(noise))
        return -ops.mean(ops.log(p_real)) - ops.mean(ops.log(1.0 - p_fake))

    d_value, d_grads = autodiff.value_and_grad(d_loss, d_vars)
    d_optimizer.apply(d_grads, d_vars)
    g_value, g_grads = autodiff.value_and_grad(
        lambda: -ops.mean(ops.log(discriminator(generator(noise)))), g_vars
    )
    g_optimizer.apply(g_grads, g_vars)
    return float(d_value), float(g_value)


def _gan_step(order="dg", kind="non_saturating", swapped=False, d_moves=True, g_also_d=False):
    def step(generator, discriminator, d_optimizer, g_optimizer, real, noise):
        def d():
            def loss():
                p_real, p_fake = discriminator(real), discriminator(generator(noise))
                return gan_losses.discriminator_loss(
                    *((p_fake, p_real) if swapped else (p_real, p_fake))
                )

            value, grads = autodiff.value_and_grad(loss, discriminator.trainable_variables)
            if d_moves:
                d_optimizer.apply(grads, discriminator.trainable_variables)
            return value

        def g():
            variables = generator.trainable_variables + (
                discriminator.trainable_variables if g_also_d else []
            )
            value, grads = autodiff.value_and_grad(
                lambda: gan_losses.generator_loss(discriminator(generator(noise)), kind=kind),
                variables,
            )
            g_optimizer.apply(grads, variables)
            return value

        if order == "dg":
            return d(), g()
        g_value = g()
        return d(), g_value

    return step


GAN_MISTAKES = [
    (_gan_step(order="gd"), "generator moved first"),
    (_gan_step(kind="minimax"), "minimax loss"),
    (_gan_step(swapped=True), "targets are swapped"),
    (_gan_step(d_moves=False), "discriminator never changed"),
    (_gan_step(g_also_d=True), "also changed the discriminator"),
]


# --------------------------------------------------------------------------- lesson 4: Sampling


def _sampling(scale=lambda lv: ops.exp(0.5 * lv), seeded=True, noise=True, int_seed=False):
    class Sampling(layers.Layer):
        def __init__(self, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.seed = seed
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            mean, log_var = inputs
            seed = self.seed if int_seed else (self.generator if seeded else None)
            eps = keras.random.normal(ops.shape(mean), seed=seed)
            return mean + scale(log_var) * eps if noise else mean + scale(log_var)

    return Sampling


class SamplingRight(layers.Layer):
    """Another right answer: the standard deviation as sqrt(exp(log_var))."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.noise = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        std = ops.sqrt(ops.exp(z_log_var))
        return z_mean + std * keras.random.normal(ops.shape(z_mean), seed=self.noise)


class SamplingNumpy(layers.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        mean, log_var = inputs
        eps = np.random.standard_normal(tuple(mean.shape)).astype("float32")
        return mean + ops.exp(0.5 * log_var) * eps


class SamplingStub(layers.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        raise NotImplementedError


SAMPLING_MISTAKES = [
    (_sampling(scale=ops.exp), "variance"),
    (_sampling(scale=lambda lv: ops.exp(-0.5 * lv)), "1 / sigma"),
    (_sampling(noise=False), "noise is missing"),
    (_sampling(int_seed=True), "same z"),
    (_sampling(seeded=False), "same seed gave different draws"),
    (SamplingNumpy, "same seed gave different draws"),
]


# --------------------------------------------------------------------------- lesson 5: attention


def attention_right(x, wq, wk, wv, wo, num_heads):
    """Head by head, with a Python loop over the heads and keras.ops.concatenate."""
    width = x.shape[-1]
    size = width // num_heads
    q, k, v = (ops.matmul(x, w) for w in (wq, wk, wv))
    outputs = []
    for h in range(num_heads):
        cut = slice(h * size, (h + 1) * size)
        scores = ops.einsum("bqd,bkd->bqk", q[..., cut], k[..., cut]) / np.sqrt(size)
        outputs.append(ops.matmul(ops.softmax(scores, axis=-1), v[..., cut]))
    return ops.matmul(ops.concatenate(outputs, axis=-1), wo)


def _attention(**flags):
    return lambda x, wq, wk, wv, wo, num_heads: multihead.numpy_version(
        x, wq, wk, wv, wo, num_heads, **flags
    )


ATTENTION_MISTAKES = [
    (_attention(scale="none"), "not scaled"),
    (_attention(scale="width"), "full width"),
    (_attention(axis=-2), "over the queries"),
    (_attention(merge="reshape"), "merged by a reshape"),
    (_attention(project=False), "output projection"),
    (lambda x, wq, wk, wv, wo, h: multihead.numpy_version(x, wq, wk, wv, wo, 1), "one head"),
]


# --------------------------------------------------------------------------- lesson 6: masked loss


def answer_loss_right(logits, targets, mask):
    log_p = ops.log_softmax(logits, axis=-1)
    picked = ops.sum(log_p * ops.one_hot(targets, ops.shape(logits)[-1]), axis=-1)
    return -ops.sum(picked * mask) / ops.sum(mask)


ANSWER_MISTAKES = [
    (m, words)
    for (m, _), words in zip(
        masked_loss.MISTAKES,
        [
            "every token is counted",
            "number of all tokens",
            "mean per sequence",
            "inverted",
            "probabilities",
        ],
    )
]


# --------------------------------------------------------------------------- lesson 7: noise loss


def noise_loss_right(model, x0, t, noise, alpha_bars):
    """NumPy on the inputs' values, the model called on arrays."""
    x0, t, noise, alpha_bars = (ops.convert_to_numpy(a) for a in (x0, t, noise, alpha_bars))
    abar = alpha_bars[t][:, None]
    x_t = np.sqrt(abar) * x0 + np.sqrt(1 - abar) * noise
    error = ops.convert_to_numpy(model([x_t, t])) - noise
    return float(np.mean(error**2))


def _noise(**flags):
    return lambda model, x0, t, noise, ab: noise_loss.variant(model, x0, t, noise, ab, **flags)


NOISE_MISTAKES = [
    (_noise(fed="x0"), "given the clean x0"),
    (_noise(target="x0"), "compares the prediction with x0"),
    (_noise(scales="var"), "square roots"),
    (_noise(step="last"), "own step"),
    (_noise(reduce="sum"), "summed"),
]

EXERCISES = {  # name: (lesson module, right answers, mistakes, stub)
    "residual_block": (
        cnn,
        [residual_right],
        RESIDUAL_MISTAKES,
        lambda x, filters: (_ for _ in ()).throw(NotImplementedError()),
    ),
    "gan_train_step": (gan, [gan_step_right], GAN_MISTAKES, None),
    "sampling_layer": (vae, [SamplingRight], SAMPLING_MISTAKES, SamplingStub),
    "multi_head_attention": (transformer, [attention_right], ATTENTION_MISTAKES, None),
    "answer_loss": (language_models, [answer_loss_right], ANSWER_MISTAKES, None),
    "noise_prediction_loss": (diffusion, [noise_loss_right], NOISE_MISTAKES, None),
}


def _check(name, answer):
    module = EXERCISES[name][0]
    return getattr(module, f"check_{name}")(answer)


@pytest.fixture(autouse=True)
def fresh_lessons():
    for module, *_ in EXERCISES.values():
        module.LESSON.reset()


@pytest.mark.parametrize("name", EXERCISES)
def test_right_answers_pass(name):
    for answer in EXERCISES[name][1]:
        result = _check(name, answer)
        assert result.verdict is Verdict.CORRECT, result


@pytest.mark.parametrize("name", EXERCISES)
def test_the_lessons_own_solution_passes(name):
    module = EXERCISES[name][0]
    namespace = {"np": np, "keras": keras, "autodiff": autodiff, "gan": gan_losses}
    exec(module.LESSON.exercises[name].solution, namespace)
    answer = namespace.get(name, namespace.get("Sampling"))
    assert _check(name, answer).correct


def _stub_function(name):
    module = EXERCISES[name][0]
    n = len(__import__("inspect").signature(getattr(module, f"check_{name}")).parameters)
    assert n == 1
    arity = {
        "residual_block": 2,
        "gan_train_step": 6,
        "multi_head_attention": 6,
        "answer_loss": 3,
        "noise_prediction_loss": 5,
    }[name]
    arguments = ", ".join(f"a{i}" for i in range(arity))
    source = f"def {name}({arguments}):\n    # Your code here\n    raise NotImplementedError\n"
    namespace = {}
    exec(source, namespace)
    return namespace[name]


@pytest.mark.parametrize("name", EXERCISES)
def test_the_stub_is_not_attempted(name):
    stub = SamplingStub if name == "sampling_layer" else _stub_function(name)
    result = _check(name, stub)
    assert result.verdict is Verdict.NOT_ATTEMPTED, result
    assert EXERCISES[name][0].LESSON.records[name].attempts == 0
    assert _check(name, None).verdict is Verdict.NOT_ATTEMPTED


CASES = [
    (name, answer, words)
    for name, (_, _, mistakes, _) in EXERCISES.items()
    for answer, words in mistakes
]


@pytest.mark.parametrize("name, answer, words", CASES, ids=[f"{n}-{w[:20]}" for n, _, w in CASES])
def test_typical_mistakes_get_their_own_diagnosis(name, answer, words):
    result = _check(name, answer)
    assert result.verdict is Verdict.WRONG, result
    assert words in result.message, result


@pytest.mark.parametrize("name", EXERCISES)
def test_at_least_two_typical_mistakes_each(name):
    assert len(EXERCISES[name][2]) >= 2


def _raises(*args, **kwargs):
    raise ValueError("shapes do not fit")


@pytest.mark.parametrize("name", [n for n in EXERCISES if n != "sampling_layer"])
def test_hostile_answers_get_a_sentence_and_never_raise(name):
    arity = len(__import__("inspect").signature(_stub_function(name)).parameters)
    none = _check(name, eval(f"lambda {', '.join(f'a{i}' for i in range(arity))}: None"))
    assert none.verdict is Verdict.WRONG and "return" in none.message
    raised = _check(name, _raises)
    assert raised.verdict is Verdict.ERROR and "ValueError" in raised.message
    text = _check(name, eval(f"lambda {', '.join(f'a{i}' for i in range(arity))}: 'loss'"))
    assert text.verdict is Verdict.WRONG and "checker could not read" not in text.message
    assert "argument" in _check(name, lambda: 1).message
    assert "not a function" in _check(name, 3.0).message


def test_the_sampling_check_wants_the_class():
    assert "class itself" in vae.check_sampling_layer(SamplingRight(seed=1)).message
    assert "class itself" in vae.check_sampling_layer(lambda inputs: inputs[0]).message
    assert "keras.layers.Layer" in vae.check_sampling_layer(type("Sampling", (), {})).message


@pytest.mark.parametrize("name", EXERCISES)
def test_checking_leaves_the_notebooks_random_state_alone(name):
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.random())
    random.seed(5)
    np.random.seed(5)
    for answer in EXERCISES[name][1] + [a for a, _ in EXERCISES[name][2]]:
        _check(name, answer)
    assert (random.random(), np.random.random()) == expected


def test_the_references_agree_with_independent_ones():
    # NumPy attention equals Keras's MultiHeadAttention with the same weights.
    args = multihead.case()
    np.testing.assert_allclose(
        multihead.numpy_version(*args), multihead.keras_reference(*args), atol=1e-5
    )
    # The loop convolution equals Keras's Conv2D with the same weights.
    x = np.random.default_rng(0).normal(size=(1, 5, 5, 3)).astype("float32")
    conv = layers.Conv2D(4, 3, padding="same")
    conv.build((None, 5, 5, 3))
    kernel, bias = np.random.default_rng(1).normal(size=(3, 3, 3, 4)), np.arange(4.0)
    conv.set_weights([kernel.astype("float32"), bias.astype("float32")])
    np.testing.assert_allclose(
        residual.conv_same(x, kernel, bias), ops.convert_to_numpy(conv(x)), atol=1e-4
    )
    # The masked loss equals Keras's sparse cross-entropy on the answer tokens.
    logits, targets, mask = masked_loss.case()
    keras_losses = ops.convert_to_numpy(
        ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    )
    np.testing.assert_allclose(
        masked_loss.reference(logits, targets, mask), keras_losses[mask == 1].mean(), rtol=1e-5
    )
