"""Tests of genai_lessons.core.autodiff: gradients against closed forms, side effects of the forward
pass, and a two-optimizer training step through `fit`. They run on whichever backend
KERAS_BACKEND selects (CI runs them on TensorFlow and JAX)."""

import keras
import numpy as np

from genai_lessons.core import autodiff


def test_value_and_grad_matches_the_closed_form():
    w = keras.Variable(np.array([1.0, -2.0, 0.5], "float32"))
    unused = keras.Variable(np.ones(2, "float32"))
    x = np.array([3.0, 1.0, -2.0], "float32")
    value, (dw, du) = autodiff.value_and_grad(lambda: keras.ops.sum((w * x) ** 2), [w, unused])
    np.testing.assert_allclose(float(value), np.sum((w.numpy() * x) ** 2), rtol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dw), 2 * x**2 * w.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(du), 0.0)  # fn ignores it
    (value, aux), (dw,) = autodiff.value_and_grad(
        lambda: (keras.ops.sum(w * x), w * 2), [w], has_aux=True
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(aux), 2 * w.numpy())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dw), x)
    np.testing.assert_allclose(autodiff.gradients(lambda: keras.ops.sum(w * x), [w])[0], x)


def test_value_and_grad_keeps_the_forward_pass_side_effects():
    # Batch normalisation updates its moving mean, and a seeded dropout draws fresh masks:
    # both must happen as in a plain call, on every autodiff.
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(momentum=0.5),
            keras.layers.Dropout(0.5, seed=1),
        ]
    )
    x = np.random.default_rng(0).normal(3.0, 1.0, (16, 3)).astype("float32")
    moving_mean = model.layers[1].moving_mean
    before = keras.ops.convert_to_numpy(moving_mean).copy()
    fn = lambda: keras.ops.sum(model(x, training=True))  # noqa: E731
    first, _ = autodiff.value_and_grad(fn, model.trainable_variables)
    assert not np.allclose(keras.ops.convert_to_numpy(moving_mean), before)
    second, _ = autodiff.value_and_grad(fn, model.trainable_variables)
    assert float(first) != float(second)  # a new dropout mask: the seed moved on


def test_grad_of_inputs_gives_the_elementwise_derivative():
    x = np.linspace(-2.0, 2.0, 7).astype("float32")
    output, (dx,) = autodiff.grad_of_inputs(lambda t: keras.ops.sin(t) * 3.0, [x])
    np.testing.assert_allclose(output, 3 * np.sin(x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, 3 * np.cos(x), rtol=1e-5, atol=1e-6)


@keras.saving.register_keras_serializable(package="genai_lessons_tests")
class TwoHalves(keras.Model):
    """Fits y = 2x + 1 with two one-weight halves, each with its own optimizer (like a GAN)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
        self.shift = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros")
        self.scale.build((None, 1))
        self.shift.build((None, 1))
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    def call(self, x):
        return self.scale(x) + self.shift(keras.ops.zeros_like(x))

    def compile(self):
        super().compile(optimizer=None)
        self.opt_a, self.opt_b = keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1)
        self.opt_a.build(self.scale.trainable_variables)
        self.opt_b.build(self.shift.trainable_variables)
        autodiff.attach_optimizers(self, self.opt_a, self.opt_b)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, *args):
        return autodiff.stateless_train_step(self, self._step, *args)

    def _step(self, data):
        x, y = data
        for layer, optimizer in ((self.scale, self.opt_a), (self.shift, self.opt_b)):
            loss, grads = autodiff.value_and_grad(
                lambda: keras.ops.mean((self(x) - y) ** 2), layer.trainable_variables
            )
            optimizer.apply(grads, layer.trainable_variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def test_a_two_optimizer_step_trains_through_fit():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(1).uniform(-1, 1, (64, 1)).astype("float32")
    model = TwoHalves()
    model.compile()
    history = model.fit(x, 2 * x + 1, batch_size=16, epochs=40, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]
    np.testing.assert_allclose(model.scale.kernel.numpy().ravel(), [2.0], atol=0.05)
    np.testing.assert_allclose(model.shift.bias.numpy(), [1.0], atol=0.05)
    assert int(model.opt_a.iterations) == int(model.opt_b.iterations) == 40 * 4
