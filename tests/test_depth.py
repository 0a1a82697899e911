"""Tests of genai_lessons.models.depth: the side-by-side NumPy MLPs against Keras's own."""

import keras
import numpy as np
import pytest

from genai_lessons.datasets import image_sets, points2d
from genai_lessons.models import depth, mlp


def _keras_twin(stack, hidden, model_index=0):
    model = mlp.build_mlp(input_size=2, hidden_sizes=hidden, output_size=3, dtype="float64")
    weights = []
    for weight, bias in zip(stack.weights, stack.biases):
        weights += [weight[model_index].copy(), bias[model_index, 0].copy()]
    model.set_weights(weights)
    return model


def test_parameter_count_matches_keras():
    for hidden in ([152], [16, 16, 16, 16], [3]):
        model = mlp.build_mlp(input_size=2, hidden_sizes=hidden, output_size=3)
        assert depth.count_parameters(2, hidden, 3) == model.count_params()


def test_loss_and_adam_steps_match_keras():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.integers(0, 3, 40)
    hidden = [5, 4]
    stack = depth._Stack(depth.layer_sizes(2, hidden, 3), 2, [3, 4])
    model = _keras_twin(stack, hidden, model_index=1)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    first, second = np.zeros_like(stack.flat), np.zeros_like(stack.flat)
    rates = np.array([[0.01], [0.05]])
    for step in range(1, 4):
        loss, gradient = depth.loss_and_gradient(stack, x, y)
        np.testing.assert_allclose(loss[1], model.evaluate(x, y, verbose=0), rtol=1e-6)
        model.train_on_batch(x, y)
        depth.adam_step(stack.flat, first, second, gradient, rates, step)
    for ours, theirs in zip(
        [a for w, b in zip(stack.weights, stack.biases) for a in (w[1], b[1, 0])],
        model.get_weights(),
    ):
        # Keras keeps its step size in float32: agreement to ~1e-6, not to float64 precision
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 2)), rng.integers(0, 3, 10)
    stack = depth._Stack(depth.layer_sizes(2, [4, 3], 3), 1, [0])
    _, gradient = depth.loss_and_gradient(stack, x, y)
    for index in rng.choice(stack.flat.shape[1], 8, replace=False):
        saved = stack.flat[0, index]
        stack.flat[0, index] = saved + 1e-6
        up = depth.loss_and_gradient(stack, x, y)[0][0]
        stack.flat[0, index] = saved - 1e-6
        down = depth.loss_and_gradient(stack, x, y)[0][0]
        stack.flat[0, index] = saved
        np.testing.assert_allclose(gradient[0, index], (up - down) / 2e-6, rtol=1e-4, atol=1e-8)


def test_training_learns_and_tuning_picks_by_validation():
    points, labels = points2d.make_moons(600, noise=0.1, seed=0)
    split = image_sets.split_arrays(points, labels, 0.5, seed=0)
    held_out = {
        "validation": (split.x_test[:150], split.y_test[:150]),
        "test": (split.x_test[150:], split.y_test[150:]),
    }
    rates = [1e-5, 1e-2]
    curves = depth.train_side_by_side(
        split.x_train,
        split.y_train,
        [16, 16],
        rates,
        [0, 1],
        steps=400,
        eval_every=200,
        held_out=held_out,
    )
    assert curves.steps.tolist() == [200, 400]
    assert curves.accuracy["test"].shape == (2, 2, 2)
    assert curves.accuracy["test"][-1, 1].min() > 0.95  # a good rate learns the moons
    chosen, reported = depth.tuned(curves, rates)
    assert chosen.tolist() == [1e-2, 1e-2] and reported.shape == (2, 2)
    np.testing.assert_array_equal(reported[-1], curves.accuracy["test"][-1, 1])


def test_bad_arguments():
    x, y = np.zeros((4, 2)), np.zeros(4, int)
    with pytest.raises(ValueError, match="steps"):
        depth.train_side_by_side(x, y, [2], [0.1], [0], 0, 1, {"v": (x, y)})
    with pytest.raises(ValueError, match="learning_rates"):
        depth.train_side_by_side(x, y, [2], [-0.1], [0], 1, 1, {"v": (x, y)})
    with pytest.raises(ValueError, match="hidden"):
        depth.train_side_by_side(x, y, [0], [0.1], [0], 1, 1, {"v": (x, y)})
    with pytest.raises(ValueError, match="held_out"):
        depth.train_side_by_side(x, y, [2], [0.1], [0], 1, 1, {})
