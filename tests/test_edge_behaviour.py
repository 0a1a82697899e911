"""Behaviour the docs promise at the edges of an argument's range (not errors: right answers)."""

import warnings

import keras
import numpy as np
import pytest

from genai_lessons.datasets import points2d
from genai_lessons.models import generation as G
from genai_lessons.models import nn
from genai_lessons.models import transformer as T

VOCAB = 9


@pytest.fixture(scope="module")
def gpt():
    keras.utils.set_random_seed(5)
    return T.build_gpt(vocab_size=VOCAB, context=6, width=8, num_heads=2, num_layers=1)


@pytest.mark.parametrize("temperature", [1e-320, 5e-324, 1e-30, 1e-8])
def test_a_tiny_positive_temperature_gives_the_greedy_tokens(gpt, temperature):
    prompt = [1, 4, 2]
    greedy = G.generate(gpt, prompt, steps=8, temperature=0)
    with warnings.catch_warnings():
        # No "overflow" or "invalid value" RuntimeWarning. (Not every warning: on PyTorch, Keras's
        # own predict_on_batch triggers NumPy's DeprecationWarning about `__array__(copy=...)`.)
        warnings.simplefilter("error", RuntimeWarning)
        tiny = G.generate(gpt, prompt, steps=8, temperature=temperature, seed=3)
    np.testing.assert_array_equal(tiny, greedy)


def test_temperature_zero_is_the_argmax_at_every_step(gpt):
    ids = G.generate(gpt, [3, 1], steps=4, temperature=0)
    for step in range(2, len(ids)):
        logits = keras.ops.convert_to_numpy(gpt(np.array([ids[:step]], "int32")))[0, -1]
        assert ids[step] == int(np.argmax(logits))


@pytest.mark.parametrize("top_k", [VOCAB, VOCAB + 1, 10**6])
def test_top_k_at_or_above_the_vocabulary_equals_no_top_k(gpt, top_k):
    expected = G.generate(gpt, [1, 2], steps=10, temperature=1.3, seed=11)
    np.testing.assert_array_equal(
        G.generate(gpt, [1, 2], steps=10, temperature=1.3, top_k=top_k, seed=11), expected
    )


def test_numpy_integer_ids_and_arrays_are_accepted(gpt):
    as_list = G.generate(gpt, [1, 2], steps=3, temperature=0)
    np.testing.assert_array_equal(
        G.generate(gpt, np.array([1, 2], np.int16), np.int64(3), temperature=0), as_list
    )
    assert G.attention_maps(gpt, np.array([1, 2, 3], np.uint8)).shape == (1, 2, 3, 3)


def test_labels_given_as_integral_floats_mean_the_same_classes():
    mlp = nn.MLP([2, 3, 2], seed=0)
    x = np.random.default_rng(0).normal(size=(4, 2))
    assert mlp.loss(x, np.array([0.0, 1.0, 1.0, 0.0])) == mlp.loss(x, np.array([0, 1, 1, 0]))
    np.testing.assert_array_equal(nn.one_hot(np.array([[2], [0]]), 3), [[0, 0, 1], [1, 0, 0]])


def test_ring_and_spirals_accept_numpy_scalars():
    np.testing.assert_array_equal(
        points2d.make_ring(np.int64(50), std=np.float64(0.1)), points2d.make_ring(50, std=0.1)
    )
    points, labels = points2d.make_spirals(np.int32(30), classes=np.int64(3), noise=np.float64(0.0))
    assert points.shape == (30, 2) and set(labels) == {0, 1, 2}
