"""Tests of genai_lessons.models.nn (the NumPy network's maths), gradcheck (the gradient check) and mlp
(the same network in Keras)."""

import numpy as np
import pytest

from genai_lessons.core import autodiff, backend
from genai_lessons.models import gradcheck, mlp, nn


def _batch(rng, batch, features, classes):
    return rng.normal(size=(batch, features)), rng.integers(0, max(classes, 2), size=batch)


# --------------------------------------------------------------------------- NumPy network


def test_forward_matches_a_hand_written_two_layer_computation():
    rng = np.random.default_rng(0)
    net = nn.MLP([3, 4, 2], activation="tanh", seed=1)
    x, _ = _batch(rng, 5, 3, 2)
    w1, b1, w2, b2 = net.params
    logits = np.tanh(x @ w1 + b1) @ w2 + b2
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    output, cache = net.forward(x)
    np.testing.assert_allclose(output, expected, rtol=1e-12)
    assert [a.shape for a in cache["pre_activations"]] == [(5, 4), (5, 2)]
    np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-12)


def test_cross_entropy_against_closed_forms():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert nn.cross_entropy(probs, np.array([0, 2])) == pytest.approx(
        -(np.log(0.7) + np.log(0.8)) / 2
    )
    p = np.array([[0.9], [0.4]])
    assert nn.cross_entropy(p, np.array([1, 0]), "sigmoid") == pytest.approx(
        -(np.log(0.9) + np.log(0.6)) / 2
    )


def test_sigmoid_is_stable_and_matches_the_formula():
    z = np.array([-1000.0, -3.0, 0.0, 2.5, 1000.0])
    with np.errstate(over="raise"):
        s = nn.sigmoid(z)
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])), rtol=1e-12)
    assert s[0] == 0.0 and s[-1] == 1.0


@pytest.mark.parametrize("name", nn.ACTIVATIONS)
def test_activation_derivatives_against_finite_differences(name):
    z = np.linspace(-3, 3, 13) + 0.05  # avoid ReLU's kink at exactly 0
    numeric = (nn.activation(name, z + 1e-6) - nn.activation(name, z - 1e-6)) / 2e-6
    np.testing.assert_allclose(nn.activation_derivative(name, z), numeric, atol=1e-8)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
@pytest.mark.parametrize("output_activation, outputs", [("softmax", 3), ("sigmoid", 1)])
def test_backprop_against_finite_differences(activation, output_activation, outputs):
    rng = np.random.default_rng(2)
    net = nn.MLP([4, 6, 5, outputs], activation, output_activation, seed=3)
    x, y = _batch(rng, 8, 4, outputs)
    output, cache = net.forward(x)
    grads = net.backward(cache, y)
    assert [g.shape for g in grads] == [p.shape for p in net.params]
    error = gradcheck.gradient_check(lambda: net.loss(x, y), net.params, grads)
    assert error < 1e-6


def test_gradient_check_detects_a_wrong_gradient_and_restores_params():
    rng = np.random.default_rng(4)
    net = nn.MLP([3, 4, 2], "tanh", seed=5)
    x, y = _batch(rng, 6, 3, 2)
    before = [p.copy() for p in net.params]
    grads = net.backward(net.forward(x)[1], y)
    grads[2] = grads[2] * 1.1  # a 10% error in one weight matrix
    assert gradcheck.gradient_check(lambda: net.loss(x, y), net.params, grads) > 1e-2
    for p, q in zip(net.params, before):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match="float64"):
        gradcheck.gradient_check(lambda: 0.0, [np.zeros(2, np.float32)], [np.zeros(2)])


def test_a_few_training_steps_lower_the_loss():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR-like: needs the hidden layer
    net = nn.MLP([2, 16, 2], "relu", seed=7)
    losses = [net.train_step(x, y, learning_rate=0.5) for _ in range(30)]
    assert losses[-1] < 0.8 * losses[0]
    assert net.loss(x, y) < losses[0]


def test_update_moves_against_the_gradient():
    net = nn.MLP([2, 2], "linear", seed=0)
    before = [p.copy() for p in net.params]
    grads = [np.ones_like(p) for p in net.params]
    net.update(grads, learning_rate=0.1)
    for p, q in zip(net.params, before):
        np.testing.assert_allclose(p, q - 0.1)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"layer_sizes": [3]}, "layer_sizes"),
        ({"layer_sizes": [3, 0, 2]}, "layer_sizes"),
        ({"layer_sizes": [3, 2], "activation": "gelu"}, "activation"),
        ({"layer_sizes": [3, 2], "output_activation": "linear"}, "output_activation"),
        ({"layer_sizes": [3, 2], "output_activation": "sigmoid"}, "sigmoid"),
        ({"layer_sizes": [3, 2], "dtype": "int32"}, "dtype"),
        ({"layer_sizes": [3, 2], "seed": -1}, "seed"),
    ],
)
def test_mlp_bad_arguments_raise(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        nn.MLP(**kwargs)


# --------------------------------------------------------------------------- Keras


@pytest.fixture(scope="module")
def keras():
    from genai_lessons.core import settings

    settings.quiet_logs()
    import keras

    return keras


# XLA's CPU kernel for tanh in float64 (JAX) is an approximation accurate to about 1e-7
# relative, not to the last bit (measured: 9e-8 off NumPy's tanh), so JAX gets wider margins,
# still far below float32's (a float32 model misses these by orders of magnitude).
# PyTorch: Keras (3.15) computes `ops.matmul` of two float64 tensors in float32 and casts the
# result back, because `keras.backend.result_type("float64", "float64")` is "float32" on every
# backend but TensorFlow (keras-team/keras#23704); a float64 Dense layer is therefore only as
# exact as float32 in its matmul (measured here: loss 1e-7, gradients 2.5e-6 relative), while
# PyTorch's own float64 matmul agrees with NumPy to 1e-15. Our float64 backprop is not the
# cause: it agrees with finite differences to 1e-6 or better above.
_LOSS_RTOL = {"tensorflow": 1e-10, "torch": 3e-7, "jax": 3e-7}
_GRAD_RTOL = {"tensorflow": 1e-6, "torch": 2e-5, "jax": 2e-5}


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backprop_matches_the_backends_autodiff(keras, activation):
    rng = np.random.default_rng(8)
    net = nn.MLP([5, 7, 6, 4], activation, seed=9)
    x, y = _batch(rng, 10, 5, 4)
    # Through logits, as for the sigmoid below: Keras's probability-space cross-entropy clips
    # and, on JAX, loses float64 precision; log-softmax is exact on every backend.
    model = mlp.build_mlp(
        input_size=5,
        hidden_sizes=[7, 6],
        output_size=4,
        activation=activation,
        output_activation="linear",
        dtype="float64",
    )
    model.set_weights(net.params)
    loss, auto_grads = autodiff.value_and_grad(
        lambda: keras.ops.mean(
            keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True)
        ),
        model.trainable_variables,
    )
    assert all(str(v.dtype) == "float64" for v in model.trainable_variables)  # JAX too (x64)
    output, cache = net.forward(x)
    assert float(loss) == pytest.approx(nn.cross_entropy(output, y), rel=_LOSS_RTOL[backend.name()])
    for ours, theirs in zip(net.backward(cache, y), auto_grads):
        np.testing.assert_allclose(
            ours, keras.ops.convert_to_numpy(theirs), rtol=_GRAD_RTOL[backend.name()], atol=1e-12
        )


def test_sigmoid_output_matches_keras_binary_crossentropy(keras):
    rng = np.random.default_rng(10)
    net = nn.MLP([3, 4, 1], "tanh", "sigmoid", seed=11)
    x, y = _batch(rng, 6, 3, 1)
    # Keras adds a small epsilon inside log(p) for probabilities, so compare through logits
    model = mlp.build_mlp(
        input_size=3,
        hidden_sizes=[4],
        output_size=1,
        activation="tanh",
        output_activation="linear",
        dtype="float64",
    )
    model.set_weights(net.params)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    loss, auto_grads = autodiff.value_and_grad(
        lambda: bce(y.reshape(-1, 1).astype("float64"), model(x)), model.trainable_variables
    )
    assert float(loss) == pytest.approx(net.loss(x, y), rel=_LOSS_RTOL[backend.name()])
    for ours, theirs in zip(net.backward(net.forward(x)[1], y), auto_grads):
        np.testing.assert_allclose(
            ours, keras.ops.convert_to_numpy(theirs), rtol=_GRAD_RTOL[backend.name()], atol=1e-12
        )


def test_build_mlp_shapes_names_and_parameter_counts(keras):
    model = mlp.build_mlp(input_size=64, hidden_sizes=[32, 16], output_size=10, name="digits_mlp")
    assert model.name == "digits_mlp"
    assert model.input_shape == (None, 64) and model.output_shape == (None, 10)
    assert [layer.name for layer in model.layers[1:]] == ["hidden_1", "hidden_2", "output"]
    # each dense layer has fan_in * fan_out weights plus fan_out biases
    assert model.count_params() == (64 * 32 + 32) + (32 * 16 + 16) + (16 * 10 + 10)
    probs = keras.ops.convert_to_numpy(model(np.zeros((3, 64), "float32")))
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_build_mlp_without_hidden_layers_is_one_dense_layer(keras):
    model = mlp.build_mlp(input_size=2, hidden_sizes=[], output_size=1, output_activation="sigmoid")
    assert model.count_params() == 3
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_size": 0}, "input_size"),
        ({"input_size": 2.5}, "input_size"),
        ({"input_size": True}, "input_size"),
        ({"hidden_sizes": [8, -1]}, "hidden_sizes"),
        ({"hidden_sizes": "8"}, "hidden_sizes"),
        ({"hidden_sizes": 8}, "hidden_sizes"),
        ({"output_size": 0}, "output_size"),
        ({"output_size": 1}, "output_size"),  # softmax over one unit is always 1
        ({"activation": "swishy"}, "activation"),
        ({"output_activation": "relu"}, "output_activation"),
        ({"name": ""}, "name"),
        ({"name": "a/b"}, "name"),
        ({"dtype": "int8"}, "dtype"),
    ],
)
def test_build_mlp_bad_arguments_raise(keras, kwargs, argument):
    arguments = {"input_size": 4, "hidden_sizes": [8], "output_size": 3} | kwargs
    with pytest.raises(ValueError, match=argument) as info:
        mlp.build_mlp(**arguments)
    value = kwargs[argument]  # lists become tuples, as in the config
    shown = repr(tuple(value) if isinstance(value, list) else value)
    assert shown in str(info.value)  # the message shows the value received


def test_build_mlp_takes_a_config_and_overrides_alike(keras):
    config = mlp.MLPConfig(input_size=5, hidden_sizes=(4,), output_size=3, activation="tanh")
    by_config = mlp.build_mlp(config)
    by_overrides = mlp.build_mlp(input_size=5, hidden_sizes=[4], output_size=3, activation="tanh")
    assert by_config.count_params() == by_overrides.count_params() == (5 * 4 + 4) + (4 * 3 + 3)
    assert by_config.get_layer("hidden_1").get_config()["activation"] == "tanh"
    wider = mlp.build_mlp(config, hidden_sizes=[8, 2])  # an override replaces that field only
    assert [layer.name for layer in wider.layers[1:]] == ["hidden_1", "hidden_2", "output"]
    assert wider.input_shape == (None, 5) and wider.output_shape == (None, 3)
    with pytest.raises(TypeError):
        mlp.build_mlp(5, [4], 3)  # the old positional call is refused, not misread
    with pytest.raises(TypeError, match="config must be a MLPConfig, got int 5"):
        mlp.build_mlp(5)
    with pytest.raises(TypeError, match="width"):
        mlp.build_mlp(width=3)


# Keras's TensorFlow backend converts variables with np.array(x), which NumPy 2 warns about.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_keras_save_load_round_trip(keras, tmp_path):
    model = mlp.build_mlp(
        input_size=6, hidden_sizes=[8, 5], output_size=3, activation="tanh", name="round_trip"
    )
    x = np.random.default_rng(12).normal(size=(4, 6)).astype("float32")
    path = tmp_path / "mlp.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.name == "round_trip"
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x))
    )


# --------------------------------------------------------------------------- the lesson notebook


def test_lesson_summary_quotes_the_figures_its_run_recorded():
    """The committed notebook's Summary states the accuracies that its Results cell printed."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / "01_neural_networks.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    record = next(
        c for c in cells if c["cell_type"] == "code" and "results.record(" in "".join(c["source"])
    )
    printed = "".join("".join(o.get("text", "")) for o in record["outputs"])
    figures = dict(line.split() for line in printed.splitlines()[1:])
    summary = next(
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Summary")
    )
    for name in (
        "linear_stack_test_accuracy",
        "spirals_test_accuracy",
        "spirals_keras_test_accuracy",
        "digits_test_accuracy",
    ):
        assert f"{float(figures[name]):.1%}" in summary, name
    assert "50% for guessing" in summary and "__" not in summary
