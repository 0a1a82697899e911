"""Exercises of lesson 2 (deep learning): the arithmetic of convolutional layers.

Each checker takes the learner's function and compares it with Keras itself on several cases,
so the reference is the library the learner will use, not a second copy of the answer.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function

_SIZE_CASES = [(8, 3, 1, "valid"), (8, 3, 1, "same"), (28, 5, 1, "valid"), (28, 3, 2, "valid"),
               (28, 3, 2, "same"), (7, 2, 2, "valid"), (10, 4, 3, "valid"), (11, 5, 2, "same"),
               (9, 3, 2, "same")]


def _keras_output_size(size, kernel_size, stride, padding):
    import keras

    layer = keras.layers.Conv2D(1, kernel_size, strides=stride, padding=padding)
    return int(layer.compute_output_shape((1, size, size, 1))[1])


def check_conv_output_size(conv_output_size) -> Result:
    """`conv_output_size(size, kernel_size, stride, padding)`: the output height (or width) of
    a convolution with a square kernel on a square input; padding is "valid" or "same"."""
    return check_function(
        "conv_output_size", conv_output_size, _SIZE_CASES, _keras_output_size,
        mistakes=[
            (lambda n, k, s, p: n - k + 1 if p == "valid" else n,
             "right for stride 1, but a stride s moves the window s pixels at a time: divide "
             "the distance the window can travel by the stride."),
            (lambda n, k, s, p: (n - k) // s,
             "off by one: the window fits once at the start, and then once more per stride "
             "step, so add 1."),
            (lambda n, k, s, p: (n - k) // s + 1,
             "with padding='same' Keras pads the border so that the output is ceil(size / "
             "stride) whatever the kernel size."),
            (lambda n, k, s, p: n // s if p == "same" else (n - k) // s + 1,
             "with padding='same' the output size is rounded up: ceil(size / stride)."),
        ],
        hint="'valid': floor((size - kernel_size) / stride) + 1; 'same': ceil(size / stride).")


_PARAM_CASES = [(1, 32, 3), (32, 64, 3), (3, 16, 5), (64, 128, 1), (8, 8, 7)]


def _keras_conv_params(in_channels, filters, kernel_size):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, 16, 16, in_channels))
    return int(layer.count_params())


def check_conv_params(conv_params) -> Result:
    """`conv_params(in_channels, filters, kernel_size)`: trainable parameters of a Conv2D
    layer with a square kernel and a bias."""
    return check_function(
        "conv_params", conv_params, _PARAM_CASES, _keras_conv_params,
        mistakes=[
            (lambda c, f, k: k * k * c * f,
             "almost: each filter also has one bias, so add `filters`."),
            (lambda c, f, k: k * k * f + f,
             "each filter spans all input channels: its kernel has kernel_size^2 x in_channels "
             "weights."),
            (lambda c, f, k: k * c * f + f,
             "the kernel is square: kernel_size x kernel_size weights per input channel."),
            (lambda c, f, k: (k * k + 1) * c * f,
             "one bias per filter (output channel), not one per input channel."),
        ],
        hint="count the weights of one filter, add its bias, multiply by the number of filters.")


def _conv_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    step = np.zeros((5, 6))
    step[:, 3:] = 1.0  # a vertical edge
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    return [
        (step, sobel),
        (rng.normal(size=(5, 5)), rng.normal(size=(3, 3))),
        (rng.normal(size=(6, 4)), rng.normal(size=(2, 3))),  # nothing square: catches swapped axes
        (rng.normal(size=(4, 7)), rng.normal(size=(1, 1))),
    ]


def _keras_conv2d(image, kernel):
    import keras

    out = keras.ops.conv(np.asarray(image, np.float32)[None, :, :, None],
                         np.asarray(kernel, np.float32)[:, :, None, None], padding="valid")
    return keras.ops.convert_to_numpy(out)[0, :, :, 0].astype(np.float64)


def check_conv2d(conv2d) -> Result:
    """`conv2d(image, kernel)`: one-channel 2D convolution as deep-learning libraries compute
    it (stride 1, no padding): image (H, W), kernel (kh, kw) -> (H - kh + 1, W - kw + 1)."""
    return check_function(
        "conv2d", conv2d, _conv_cases(), _keras_conv2d,
        mistakes=[
            (lambda image, kernel: _keras_conv2d(image, kernel[::-1, ::-1]),
             "you flipped the kernel (the convolution of signal processing). Keras's Conv2D does "
             "not flip it: out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel)."),
        ],
        rtol=1e-4, atol=1e-4,
        hint="slide the kernel over every position where it fits entirely inside the image and "
             "take the sum of the elementwise product.")
