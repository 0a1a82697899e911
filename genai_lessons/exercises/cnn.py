"""Exercises of lesson 2 (deep learning): the arithmetic of convolutional layers, and early
stopping.

The convolution checkers compare the learner's function with Keras itself on several cases, so
the reference is the library the learner will use, not a second copy of the answer; the early
stopping reference is checked against Keras's own callback in the tests.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function
from genai_lessons.exercises.lesson import Lesson

LESSON = Lesson(2, "deep learning")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress

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

    layer = keras.layers.Conv2D(1, kernel_size, strides=stride, padding=padding)
    return int(layer.compute_output_shape((1, size, size, 1))[1])


LESSON.add(
    "conv_output_size",
    "conv_output_size",
    hints=[
        "With 'valid' padding, count the positions where the whole window fits: the first one at "
        "the start, then one more per stride step.",
        "'valid': the window's start can move over size - kernel_size pixels, in steps of stride; "
        "count the whole steps (round down) and add the starting position.",
        "'same': Keras pads just enough that only the stride shrinks the image: the output is size "
        "divided by stride, rounded up (math.ceil).",
    ],
    solution="""
import math

def conv_output_size(size, kernel_size, stride, padding):
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel_size) // stride + 1
""",
)


@LESSON.checker("conv_output_size")
def check_conv_output_size(conv_output_size) -> Result:
    """`conv_output_size(size, kernel_size, stride, padding)`: the output height (or width) of
    a convolution with a square kernel on a square input; padding is "valid" or "same"."""
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

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, 16, 16, in_channels))
    return int(layer.count_params())


LESSON.add(
    "conv_params",
    "conv_params",
    hints=[
        "Count the parameters of one filter, then multiply by the number of filters.",
        "One filter looks at a kernel_size x kernel_size window across all input channels, with one "
        "weight per pixel and channel.",
        "Each filter also has one bias. Check your formula on the table above (320, 18,496, 73,856).",
    ],
    solution="""
def conv_params(in_channels, filters, kernel_size):
    return (kernel_size * kernel_size * in_channels + 1) * filters
""",
)


@LESSON.checker("conv_params")
def check_conv_params(conv_params) -> Result:
    """`conv_params(in_channels, filters, kernel_size)`: trainable parameters of a Conv2D
    layer with a square kernel and a bias."""
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


LESSON.add(
    "conv2d",
    "conv2d",
    hints=[
        "Slide the kernel over the image: at each position where it fits entirely, multiply the "
        "overlapping numbers and add them up.",
        "The output has image.shape[0] - kh + 1 rows and image.shape[1] - kw + 1 columns. Two loops, "
        "over i and j, fill it.",
        "Entry (i, j) comes from the window of the image that starts at row i and column j and has "
        "the kernel's shape. Keras does not flip the kernel.",
    ],
    solution="""
def conv2d(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out
""",
)


@LESSON.checker("conv2d")
def check_conv2d(conv2d) -> Result:
    """`conv2d(image, kernel)`: one-channel 2D convolution as deep-learning libraries compute
    it (stride 1, no padding): image (H, W), kernel (kh, kw) -> (H - kh + 1, W - kw + 1)."""
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


# --------------------------------------------------------------------------- early stopping


def _early_stopping_reference(val_losses, patience):
    """Keras's EarlyStopping(monitor="val_loss", patience, restore_best_weights=True, min_delta=0),
    with 1-based epochs: (epochs trained, epoch whose weights are kept)."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        wait += 1
        if loss < best:  # strictly lower: a tie is not an improvement
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(val_losses), best_epoch


STOP_CASES = [
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 0.95], 3),
    (
        [0.9, 0.6, 0.5, 0.5, 0.55, 0.6, 0.4],
        2,
    ),  # a tie is no improvement; a later minimum is never seen
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2),  # never stops
    ([0.5, 0.7, 0.4, 0.6, 0.65, 0.66, 0.3, 0.2], 3),
    ([2.0, 1.5, 1.6, 1.2, 1.3, 1.25, 1.4, 1.1, 1.0], 1),
]


def _argmin1(values):
    return int(np.argmin(values)) + 1


def _stop_first_increase(losses, patience):
    for epoch in range(1, len(losses)):
        if losses[epoch] >= losses[epoch - 1]:
            return epoch + 1, _argmin1(losses[: epoch + 1])
    return len(losses), _argmin1(losses)


def _stop_with_ties(losses, patience):
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(losses, start=1):
        wait += 1
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(losses), best_epoch


LESSON.add(
    "early_stopping",
    "early stopping",
    hints=[
        "Walk through the epochs in order, remembering the lowest validation loss so far and the "
        "epoch it happened, as the callback does at the end of each epoch.",
        "Count the epochs since the last improvement (a strictly lower loss; a tie does not count). "
        "When that count reaches patience, training stops at this epoch.",
        "Return two 1-based epoch numbers: the epoch at which training stopped (the last epoch if it "
        "never stopped), and the epoch of the lowest loss seen until then (its weights are restored).",
    ],
    solution="""
def early_stopping(val_losses, patience):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch
""",
)


@LESSON.checker("early_stopping")
def check_early_stopping(early_stopping) -> Result:
    """`early_stopping(val_losses, patience)`: what `keras.callbacks.EarlyStopping(monitor=
    "val_loss", patience=patience, restore_best_weights=True)` does with this history, as
    1-based epoch numbers: (epochs trained, epoch whose weights are kept)."""
    return check_function(
        "early stopping",
        early_stopping,
        [(list(h), p) for h, p in STOP_CASES],
        _early_stopping_reference,
        arg_names=["val_losses", "patience"],
        part_names=["stopped epoch", "best epoch"],
        mistakes=[
            (
                lambda h, p: (len(h), _argmin1(h)),
                "training should stop early: once `patience` epochs pass without a new lowest loss, "
                "the later epochs never happen, and a lower loss after that point is never seen.",
            ),
            (
                lambda h, p: (
                    _early_stopping_reference(h, p)[0],
                    _early_stopping_reference(h, p)[1] - 1,
                ),
                "epochs are counted from 1 here (as Keras prints them): add 1 to a 0-based index.",
            ),
            (
                _stop_first_increase,
                "you stopped at the first epoch that did not improve: patience is the number of "
                "epochs to wait without improvement before stopping.",
            ),
            (
                lambda h, p: (
                    min(len(h), _early_stopping_reference(h, p)[1] + p - 1),
                    _early_stopping_reference(h, p)[1],
                ),
                "off by one: training stops `patience` epochs after the best one, not patience - 1.",
            ),
            (
                _stop_with_ties,
                "a loss equal to the best so far is not an improvement (Keras needs strictly lower).",
            ),
            (
                lambda h, p: (_early_stopping_reference(h, p)[0],) * 2,
                "with restore_best_weights=True the weights kept are those of the best epoch, not "
                "of the last one trained.",
            ),
            (
                lambda h, p: _early_stopping_reference([-v for v in h], p),
                "a loss improves by going down: the best epoch has the lowest validation loss.",
            ),
        ],
        hint="Replay the smallest case epoch by epoch on paper.",
    )
