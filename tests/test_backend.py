"""Tests of genai_lessons.backend: gradients against closed forms, side effects of the forward
pass, float64, a two-optimizer training step through `fit`, and clear errors. They run on
whichever backend KERAS_BACKEND selects (CI runs them on TensorFlow and JAX)."""

import keras
import numpy as np
import pytest

from genai_lessons import backend


def test_the_active_backend_is_one_of_the_tested_ones():
    assert backend.check_supported() == keras.backend.backend() in backend.BACKENDS
    assert backend.framework_version()[0].isdigit()
    assert isinstance(backend.gpu_names(), list)


def test_an_unsupported_backend_raises_an_error_naming_keras_backend(monkeypatch):
    monkeypatch.setattr(backend, "name", lambda: "numpy")
    with pytest.raises(backend.BackendError, match="KERAS_BACKEND='numpy'.*tensorflow, jax, torch"):
        backend.value_and_grad(lambda: 0.0, [])


def test_value_and_grad_matches_the_closed_form():
    w = keras.Variable(np.array([1.0, -2.0, 0.5], "float32"))
    unused = keras.Variable(np.ones(2, "float32"))
    x = np.array([3.0, 1.0, -2.0], "float32")
    value, (dw, du) = backend.value_and_grad(lambda: keras.ops.sum((w * x) ** 2), [w, unused])
    np.testing.assert_allclose(float(value), np.sum((w.numpy() * x) ** 2), rtol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dw), 2 * x**2 * w.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(du), 0.0)  # fn ignores it
    (value, aux), (dw,) = backend.value_and_grad(
        lambda: (keras.ops.sum(w * x), w * 2), [w], has_aux=True
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(aux), 2 * w.numpy())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dw), x)
    np.testing.assert_allclose(backend.gradients(lambda: keras.ops.sum(w * x), [w])[0], x)


def test_value_and_grad_keeps_the_forward_pass_side_effects():
    # Batch normalisation updates its moving mean, and a seeded dropout draws fresh masks:
    # both must happen as in a plain call, on every backend.
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
    first, _ = backend.value_and_grad(fn, model.trainable_variables)
    assert not np.allclose(keras.ops.convert_to_numpy(moving_mean), before)
    second, _ = backend.value_and_grad(fn, model.trainable_variables)
    assert float(first) != float(second)  # a new dropout mask: the seed moved on


def test_grad_of_inputs_gives_the_elementwise_derivative():
    x = np.linspace(-2.0, 2.0, 7).astype("float32")
    output, (dx,) = backend.grad_of_inputs(lambda t: keras.ops.sin(t) * 3.0, [x])
    np.testing.assert_allclose(output, 3 * np.sin(x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, 3 * np.cos(x), rtol=1e-5, atol=1e-6)


def test_require_float64_makes_a_float64_layer_compute_in_float64():
    backend.require_float64()
    layer = keras.layers.Dense(2, dtype="float64")
    y = layer(np.ones((1, 3)))
    assert layer.kernel.dtype == "float64" and keras.backend.standardize_dtype(y.dtype) == "float64"
    x = np.array([1.0 + 1e-12], "float64")  # invisible in float32
    assert float(keras.ops.convert_to_numpy(keras.ops.convert_to_tensor(x, "float64"))[0]) != 1.0


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
        backend.attach_optimizers(self, self.opt_a, self.opt_b)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, *args):
        return backend.stateless_train_step(self, self._step, *args)

    def _step(self, data):
        x, y = data
        for layer, optimizer in ((self.scale, self.opt_a), (self.shift, self.opt_b)):
            loss, grads = backend.value_and_grad(
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


def test_no_backend_framework_is_imported_outside_the_backend_module():
    import json
    import re
    from pathlib import Path

    import genai_lessons

    package = Path(genai_lessons.__file__).parent
    sources = {
        path: path.read_text(encoding="utf-8")
        for path in package.rglob("*.py")
        if path.name != "backend.py"
    }
    for path in (package.parent / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources[path] = "\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
        )
    pattern = re.compile(r"^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.MULTILINE)
    offenders = [path.name for path, text in sources.items() if pattern.search(text)]
    assert not offenders, (
        f"backend frameworks imported outside genai_lessons/backend.py: {offenders}"
    )
