"""Tests of genai_lessons.core.array_checks: each check returns a clean array and names the argument
and the problem for a bad one."""

import math

import numpy as np
import pytest

from genai_lessons.core import array_checks as A


def test_check_ids_refuses_floats_negatives_and_ids_beyond_the_vocabulary():
    np.testing.assert_array_equal(A.check_ids("ids", [0, 4], vocab_size=5), [0, 4])
    assert A.check_ids("ids", [], min_length=0).dtype == np.int64
    for bad, message in (
        ([1.0, 2.0], "integer token ids"),
        ([0, -1], r"\[0, 4\].*-1"),
        ([5], r"\[0, 4\].*5"),
        ([[1]], "1 dimension"),
        ([], "at least 1 id"),
    ):
        with pytest.raises(ValueError, match=message):
            A.check_ids("ids", bad, vocab_size=5)


def test_check_labels_wants_one_integer_class_per_example():
    np.testing.assert_array_equal(A.check_labels("labels", [[1], [0]], 2, batch=2), [1, 0])
    np.testing.assert_array_equal(A.check_labels("labels", [1.0, 0.0], 2), [1, 0])
    for bad, batch, message in (
        ([0, 2], None, r"\[0, 1\]"),
        ([-1], None, r"\[0, 1\]"),
        ([0.5], None, "integer"),
        ([math.nan], None, "integer"),
        ([0], 2, "one label per example"),
        ([], None, "empty"),
    ):
        with pytest.raises(ValueError, match=message):
            A.check_labels("labels", bad, 2, batch=batch)


def test_check_images_shape_range_and_nan():
    images = np.full((2, 4, 4, 1), 0.5, np.float32)
    assert A.check_images("images", images, (4, None, 1)).dtype == np.float32
    assert A.check_images("images", images * 2 - 2, value_range="symmetric").min() == -1.0
    nan = images.copy()
    nan[0, 0, 0, 0] = math.nan
    for bad, kwargs, message in (
        (images[0], {}, "shape"),
        (images[:0], {}, "at least one"),
        (images, {"shape": (8, 8, 1)}, "image shape"),
        (nan, {}, "1 NaN"),
        (images * 3, {}, r"\[0, 1\]"),
        (images - 2, {"value_range": "symmetric"}, r"\[-1, 1\]"),
    ):
        with pytest.raises(ValueError, match=message):
            A.check_images("images", bad, **kwargs)


def test_check_array_converts_and_refuses_ragged_text_and_nan():
    array = A.check_array("x", [[1, 2], [3, 4]], ndim=2)
    assert array.dtype == np.float64 and array.shape == (2, 2)
    assert A.check_array("x", np.arange(3, dtype=np.int32), dtype=None).dtype == np.int32
    for bad, kwargs, message in (
        ([[1, 2], [3]], {}, "rectangular"),
        ("abc", {}, "array of numbers"),
        ([1.0, math.nan], {}, "1 NaN"),
        ([1.0], {"min_length": 2}, "at least 2 rows"),
        ([1.0], {"ndim": 2}, "2 dimensions"),
    ):
        with pytest.raises(ValueError, match=message):
            A.check_array("x", bad, **kwargs)


def test_check_concrete_checks_numpy_data_and_passes_tensors_through():
    import keras

    assert A.check_concrete("p", [0.5, 1.0], (0.0, 1.0)) == [0.5, 1.0]
    with pytest.raises(ValueError, match="p must lie in"):
        A.check_concrete("p", np.array([0.5, 1.5]), (0.0, 1.0))
    with pytest.raises(ValueError, match="1 NaN"):
        A.check_concrete("p", np.array([math.nan]))
    tensor = keras.ops.convert_to_tensor(np.array([2.0]))  # a tensor is not inspected
    assert A.check_concrete("p", tensor, (0.0, 1.0)) is tensor
