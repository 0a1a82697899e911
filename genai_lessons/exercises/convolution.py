"""How lesson 2's convolution exercises are judged: a convolution's output size, its number of
parameters, and a one-channel convolution computed by hand.

The references are Keras itself (`Conv2D.compute_output_shape`, `count_params`,
`keras.ops.conv`), so the learner is compared with the library they will use, not with a second
copy of the answer; each usual mistake (a flipped or transposed kernel, a forgotten bias, an off
by one, 'same' for 'valid') gets its own diagnosis. The learner-facing part (hints, solutions,
the documented checkers) is in `genai_lessons.exercises.cnn`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result

_SIZE_CASES = [
    (8, 3, 1, "valid"),
    (8, 3, 1, "same"),
    (28, 5, 1, "valid"),
    (28, 3, 2, "valid"),
    (28, 3, 2, "same"),
    (7, 2, 2, "valid"),
    (10, 4, 3, "valid"),
    (11, 5, 2, "same"),
    (9, 3, 2, "same"),
]


def _keras_output_size(size, kernel_size, stride, padding):
    import keras

    # Constant weights: a random initializer would draw from the global random state, and a
    # learner's wrong answer (which runs this reference) would change the lesson's later numbers.
    layer = keras.layers.Conv2D(
        1, kernel_size, strides=stride, padding=padding, kernel_initializer="zeros"
    )
    return int(layer.compute_output_shape((1, size, size, 1))[1])


def check_conv_output_size(conv_output_size) -> Result:
    """The check behind `cnn.check_conv_output_size` (documented there)."""
    return check_function(
        "conv_output_size",
        conv_output_size,
        _SIZE_CASES,
        _keras_output_size,
        arg_names=["size", "kernel_size", "stride", "padding"],
        mistakes=[
            (
                lambda n, k, s, p: n - k + 1 if p == "valid" else n,
                "right for stride 1, but a stride s moves the window s pixels at a time: divide "
                "the distance the window can travel by the stride.",
            ),
            (
                lambda n, k, s, p: (n - k) // s,
                "off by one: the window fits once at the start, and then once more per stride "
                "step, so add 1.",
            ),
            (
                lambda n, k, s, p: (n - k) // s + 1,
                "with padding='same' Keras pads the border so that the output is ceil(size / "
                "stride) whatever the kernel size.",
            ),
            (
                lambda n, k, s, p: n // s if p == "same" else (n - k) // s + 1,
                "with padding='same' the output size is rounded up, not down.",
            ),
            (
                lambda n, k, s, p: -(-(n - k) // s) + 1 if p == "valid" else -(-n // s),
                "with padding='valid' a window that does not fit entirely is dropped: round down.",
            ),
            (
                lambda n, k, s, p: (n - k) / s + 1 if p == "valid" else n / s,
                "sizes are whole numbers: / gives a fraction, so round (// rounds down).",
            ),
        ],
        hint="Count the window positions on a small example by hand.",
    )


_PARAM_CASES = [(1, 32, 3), (32, 64, 3), (3, 16, 5), (64, 128, 1), (8, 8, 7)]


def _keras_conv_params(in_channels, filters, kernel_size):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size, kernel_initializer="zeros")  # see above
    layer.build((None, 16, 16, in_channels))
    return int(layer.count_params())


def check_conv_params(conv_params) -> Result:
    """The check behind `cnn.check_conv_params` (documented there)."""
    return check_function(
        "conv_params",
        conv_params,
        _PARAM_CASES,
        _keras_conv_params,
        arg_names=["in_channels", "filters", "kernel_size"],
        mistakes=[
            (
                lambda c, f, k: k * k * c * f,
                "almost: each filter also has one bias, so add `filters`.",
            ),
            (
                lambda c, f, k: k * k * f + f,
                "each filter spans all input channels: its kernel has kernel_size^2 x in_channels "
                "weights.",
            ),
            (
                lambda c, f, k: k * c * f + f,
                "the kernel is square: kernel_size x kernel_size weights per input channel.",
            ),
            (
                lambda c, f, k: (k * k + 1) * c * f,
                "one bias per filter (output channel), not one per input channel.",
            ),
            (
                lambda c, f, k: k * k * c * f + 1,
                "one bias per filter, not one for the whole layer.",
            ),
            (lambda c, f, k: k * k * c + 1, "that is one filter: the layer has `filters` of them."),
        ],
        hint="count the weights of one filter, add its bias, multiply by the number of filters.",
    )


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

    out = keras.ops.conv(
        np.asarray(image, np.float32)[None, :, :, None],
        np.asarray(kernel, np.float32)[:, :, None, None],
        padding="valid",
    )
    return keras.ops.convert_to_numpy(out)[0, :, :, 0].astype(np.float64)


def _correlate(image, kernel):
    kh, kw = kernel.shape
    return np.array(
        [
            [np.sum(image[i : i + kh, j : j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
            for i in range(image.shape[0] - kh + 1)
        ]
    )


def _same_padding(image, kernel):
    kh, kw = kernel.shape
    padded = np.pad(image, (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)))
    return _correlate(padded, kernel)


def check_conv2d(conv2d) -> Result:
    """The check behind `cnn.check_conv2d` (documented there)."""
    return check_function(
        "conv2d",
        conv2d,
        _conv_cases(),
        _keras_conv2d,
        arg_names=["image", "kernel"],
        mistakes=[
            (
                lambda image, kernel: _keras_conv2d(image, kernel[::-1, ::-1]),
                "you flipped the kernel (the convolution of signal processing). Keras's Conv2D does "
                "not flip it.",
            ),
            (
                lambda image, kernel: _correlate(image, kernel.T),
                "the kernel is transposed: its rows go down the image, its columns across.",
            ),
            (
                lambda image, kernel: _correlate(image, kernel) / kernel.size,
                "that is the mean of the products; a convolution takes their sum.",
            ),
            (
                lambda image, kernel: _correlate(image, kernel).T,
                "rows and columns are swapped somewhere: i indexes rows (the first axis), j columns.",
            ),
            (
                lambda image, kernel: _correlate(image, kernel)[:-1, :-1],
                "off by one: the last position where the kernel still fits counts too, so the output "
                "has H - kh + 1 rows and W - kw + 1 columns.",
            ),
            (
                _same_padding,
                "that is padding='same' (zeros around the border); this exercise uses no padding.",
            ),
        ],
        rtol=1e-4,
        atol=1e-4,
        hint="Compute the expected output of the smallest case by hand.",
    )
