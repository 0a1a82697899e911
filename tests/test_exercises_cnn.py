"""The lesson-2 exercise checkers accept right answers written independently and explain
typical wrong ones."""

import math

import numpy as np
import pytest

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import cnn as ex


def not_attempted(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- output size


def size_right(size, kernel_size, stride, padding):
    if padding == "same":
        return math.ceil(size / stride)
    return math.floor((size - kernel_size) / stride) + 1


def size_by_counting(size, kernel_size, stride, padding):
    """Another right answer: count the window positions one by one."""
    if padding == "same":
        return len(range(0, size, stride))
    return len(range(0, size - kernel_size + 1, stride))


@pytest.mark.parametrize("answer", [size_right, size_by_counting])
def test_output_size_accepts_right_answers(answer):
    result = ex.check_conv_output_size(answer)
    assert result.correct, result


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, k, s, p: (n - k) // s, "add 1"),
        (lambda n, k, s, p: n - k + 1 if p == "valid" else n, "stride"),
        (lambda n, k, s, p: (n - k) // s + 1, "padding='same'"),
        (lambda n, k, s, p: n // s if p == "same" else (n - k) // s + 1, "rounded up"),
    ],
)
def test_output_size_explains_typical_mistakes(wrong, hint):
    result = ex.check_conv_output_size(wrong)
    assert result.verdict is Verdict.WRONG and hint in result.message


def test_output_size_not_attempted_and_errors():
    assert ex.check_conv_output_size(not_attempted).verdict is Verdict.NOT_ATTEMPTED
    result = ex.check_conv_output_size(lambda n, k, s, p: n / 0)
    assert result.verdict is Verdict.ERROR and "ZeroDivisionError" in result.message


# --------------------------------------------------------------------------- parameters


def params_right(in_channels, filters, kernel_size):
    weights_per_filter = kernel_size * kernel_size * in_channels
    return filters * (weights_per_filter + 1)


def test_params_accepts_a_right_answer():
    assert ex.check_conv_params(params_right).correct


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda c, f, k: k * k * c * f, "bias"),
        (lambda c, f, k: k * k * f + f, "all input channels"),
        (lambda c, f, k: (k * k + 1) * c * f, "one bias per filter"),
        (lambda c, f, k: c * f, "count the weights"),
    ],
)
def test_params_explains_typical_mistakes(wrong, hint):
    result = ex.check_conv_params(wrong)
    assert result.verdict is Verdict.WRONG and hint in result.message


def test_params_not_attempted():
    assert ex.check_conv_params(not_attempted).verdict is Verdict.NOT_ATTEMPTED


# --------------------------------------------------------------------------- convolution by hand


def conv2d_loops(image, kernel):
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i : i + kh, j : j + kw] * kernel).sum()
    return out


def conv2d_shifts(image, kernel):
    """Another right answer: add shifted copies of the image weighted by each kernel entry."""
    kh, kw = kernel.shape
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    return sum(kernel[a, b] * image[a : a + h, b : b + w] for a in range(kh) for b in range(kw))


@pytest.mark.parametrize("answer", [conv2d_loops, conv2d_shifts])
def test_conv2d_accepts_right_answers(answer):
    result = ex.check_conv2d(answer)
    assert result.correct, result


def test_conv2d_recognises_a_flipped_kernel():
    result = ex.check_conv2d(lambda image, kernel: conv2d_loops(image, kernel[::-1, ::-1]))
    assert result.verdict is Verdict.WRONG and "flipped" in result.message


def test_conv2d_reports_a_wrong_output_shape():
    same_padding = lambda image, kernel: conv2d_loops(  # noqa: E731
        np.pad(image, ((1, 1), (1, 1))), kernel
    )
    result = ex.check_conv2d(same_padding)
    assert result.verdict is Verdict.WRONG and "has shape (6, 9), expected (4, 7)" in result.message


def test_conv2d_not_attempted_never_raises():
    assert ex.check_conv2d(not_attempted).verdict is Verdict.NOT_ATTEMPTED
    assert ex.check_conv2d(None).verdict is Verdict.NOT_ATTEMPTED
    assert ex.check_conv2d(lambda image, kernel: image @ image).verdict is Verdict.ERROR


def test_checking_a_wrong_answer_leaves_the_global_random_state_alone():
    """The lesson's later numbers must not depend on whether the learner tried an exercise."""
    import random

    import keras

    keras.utils.set_random_seed(0)
    untouched = (random.random(), np.random.rand())
    keras.utils.set_random_seed(0)
    ex.check_conv_output_size(lambda size, kernel_size, stride, padding: 0)
    ex.check_conv_params(lambda in_channels, filters, kernel_size: 0)
    ex.check_conv2d(lambda image, kernel: np.zeros((2, 2)))
    assert (random.random(), np.random.rand()) == untouched
