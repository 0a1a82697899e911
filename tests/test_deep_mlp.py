"""Tests of genai_lessons.models.deep_mlp."""

import keras
import numpy as np
import pytest

from genai_lessons.models import deep_mlp


def _data(rows=64, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, features)).astype("float32"), rng.integers(0, classes, rows)


def test_layout_and_parameter_count():
    model = deep_mlp.build_deep_mlp(input_size=8, output_size=3, depth=5, width=16, norm="batch")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.name for layer in dense] == [f"hidden_{i}" for i in range(1, 6)] + [
        "probabilities"
    ]
    # dense weights and biases, and batch normalization's 4 vectors per hidden layer
    expected = (8 * 16 + 16) + 4 * (16 * 16 + 16) + (16 * 3 + 3) + 5 * 4 * 16
    assert model.count_params() == expected
    x, _ = _data()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)).sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "init, std",
    [("small", 0.01), ("large", 1.0), ("he", np.sqrt(2 / 64)), ("glorot", np.sqrt(1 / 64))],
)
def test_initial_weights_have_the_promised_spread(init, std):
    model = deep_mlp.build_deep_mlp(input_size=64, depth=3, width=64, init=init, seed=1)
    kernel = keras.ops.convert_to_numpy(model.get_layer("hidden_2").kernel)
    assert abs(kernel.std() / std - 1) < 0.1


def test_residual_block_with_a_silent_branch_passes_its_input_through():
    model = deep_mlp.build_deep_mlp(input_size=8, output_size=3, depth=4, width=8, residual=True)
    for index in (2, 3, 4):  # zero weights: relu(0) = 0, so each block adds nothing
        layer = model.get_layer(f"hidden_{index}")
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    x, _ = _data()
    names = deep_mlp.hidden_outputs(model)
    assert names == ["activation_1", "block_2", "block_3", "block_4"]
    outputs = keras.Model(model.inputs[0], [model.get_layer(n).output for n in names])(x)
    first = keras.ops.convert_to_numpy(outputs[0])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs[-1]), first, atol=1e-6)


def test_gradient_statistics_against_finite_differences():
    model = deep_mlp.build_deep_mlp(
        input_size=4, output_size=3, depth=2, width=5, activation="tanh", init="glorot"
    )
    x, y = _data(rows=16, features=4)
    stats = deep_mlp.layer_statistics(model, x, y)
    kernel = model.get_layer("hidden_1").kernel
    start = keras.ops.convert_to_numpy(kernel).astype(np.float64)
    step, numeric = 1e-2, np.zeros_like(start)

    def loss_at(weights):
        kernel.assign(weights.astype("float32"))
        p = keras.ops.convert_to_numpy(model(x)).astype(np.float64)
        return -np.mean(np.log(p[np.arange(len(y)), y]))

    for index in np.ndindex(start.shape):
        up, down = start.copy(), start.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (loss_at(up) - loss_at(down)) / (2 * step)
    kernel.assign(start.astype("float32"))
    assert abs(stats.gradient_std[0] / numeric.std() - 1) < 0.02
    assert abs(stats.loss - loss_at(start)) < 1e-5
    assert stats.activation_std.shape == (2,) and stats.gradient_std.shape == (3,)


def test_sigmoid_with_small_weights_vanishes_and_he_relu_does_not():
    x, y = _data(rows=128, features=64, classes=10)
    plain = deep_mlp.layer_statistics(
        deep_mlp.build_deep_mlp(activation="sigmoid", init="small"), x, y
    )
    fixed = deep_mlp.layer_statistics(deep_mlp.build_deep_mlp(activation="relu", init="he"), x, y)
    assert plain.gradient_std[0] < 1e-6 * plain.gradient_std[-1]
    assert 0.05 < fixed.gradient_std[0] / fixed.gradient_std[-2] < 20
    assert 0.2 < fixed.activation_std[-1] / fixed.activation_std[0] < 5
    # the initial loss of an untrained network is near ln(classes) when it guesses uniformly
    assert abs(plain.loss - np.log(10)) < 0.05


def test_the_loss_comes_from_the_logits_so_an_exploding_start_is_seen_on_every_backend():
    x, y = _data(rows=64, features=64, classes=10)
    model = deep_mlp.build_deep_mlp(activation="relu", init="large")
    stats = deep_mlp.layer_statistics(model, x, y)
    # NumPy reference: the last hidden layer's output times the output layer, then log-softmax.
    last = deep_mlp.hidden_outputs(model)[-1]
    h = keras.Model(model.inputs[0], model.get_layer(last).output)(x, training=False)
    output = model.get_layer("probabilities")
    logits = keras.ops.convert_to_numpy(h).astype(np.float64) @ keras.ops.convert_to_numpy(
        output.kernel
    ).astype(np.float64) + keras.ops.convert_to_numpy(output.bias)
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(len(y)), y])
    assert expected > 100 * np.log(10)  # far beyond the 16.1 that clipped probabilities allow
    assert abs(stats.loss / expected - 1) < 1e-3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="activation"):
        deep_mlp.build_deep_mlp(activation="softplus")
    with pytest.raises(ValueError, match="init"):
        deep_mlp.build_deep_mlp(init="zeros")
    with pytest.raises(ValueError, match="norm"):
        deep_mlp.build_deep_mlp(norm="group")
    with pytest.raises(ValueError, match="depth"):
        deep_mlp.build_deep_mlp(depth=0)
    x, y = _data()
    with pytest.raises(ValueError, match="x must be"):
        deep_mlp.layer_statistics(deep_mlp.build_deep_mlp(input_size=8, depth=2), x, y[:3])
