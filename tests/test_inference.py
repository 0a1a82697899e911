"""The one batched-inference path: the same numbers as Keras's own `predict`, chunk by chunk."""

import keras
import numpy as np
import pytest

from genai_lessons.core import inference


@pytest.fixture(scope="module")
def two_outputs():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    dropped = keras.layers.Dropout(0.5)(hidden)  # inference mode: must do nothing
    return keras.Model(inputs, [hidden, keras.layers.Dense(2)(dropped)])


def test_predict_matches_keras_predict_for_one_and_several_outputs(two_outputs):
    x = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    hidden, out = inference.predict(two_outputs, x, batch_size=3)  # chunks of 3, 3, 3, 1
    expected = two_outputs.predict(x, verbose=0)
    np.testing.assert_allclose(hidden, expected[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out, expected[1], rtol=1e-6, atol=1e-6)
    single = keras.Model(two_outputs.inputs, two_outputs.outputs[1])
    result = inference.predict(single, x)
    assert isinstance(result, np.ndarray) and result.shape == (10, 2)
    np.testing.assert_allclose(result, out, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": None}, "model must be a keras.Model"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"inputs": np.zeros((0, 3))}, "inputs must hold at least one"),
    ],
)
def test_bad_arguments_are_named(two_outputs, kwargs, message):
    arguments = {"model": two_outputs, "inputs": np.zeros((2, 3), "float32"), **kwargs}
    with pytest.raises(ValueError, match=message):
        inference.predict(**arguments)
