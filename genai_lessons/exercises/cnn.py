"""Exercises of lesson 2 (deep learning): a convolution, the arithmetic of convolutional
layers, early stopping, and a residual block written with Keras layers.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged is in `convolution` (compared with Keras itself
on several cases) `stopping` (a replay of Keras's callback, checked against it in the
tests) and `residual` (a NumPy reference on fixed weights).
"""

from __future__ import annotations

from genai_lessons.exercises import convolution, residual, stopping
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(2, "deep learning")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


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
    return convolution.check_conv2d(conv2d)


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
    return convolution.check_conv_output_size(conv_output_size)


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
    return convolution.check_conv_params(conv_params)


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
    return stopping.check_early_stopping(early_stopping)


LESSON.add(
    "residual_block",
    "residual block",
    hints=[
        "A residual block computes a correction and adds it to its input: out = relu(x + F(x)), "
        "where F is two convolutions with a ReLU between them. If F learns nothing, the block "
        "still passes x through: that is why deep stacks of them train.",
        "Call two keras.layers.Conv2D(filters, 3, padding='same') one after the other on x (the "
        "first with a ReLU); 'same' padding keeps the height and width, so the result can be "
        "added to x.",
        "Add x and the second convolution's output (with keras.layers.Add() or +), then apply a "
        "ReLU to the sum (keras.layers.ReLU() or keras.ops.relu), and return it.",
    ],
    solution="""
def residual_block(x, filters):
    h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    h = keras.layers.Conv2D(filters, 3, padding="same")(h)
    return keras.layers.ReLU()(keras.layers.Add()([x, h]))
""",
)


@LESSON.checker("residual_block")
def check_residual_block(residual_block) -> Result:
    """`residual_block(x, filters)`, given a Keras tensor x (batch, height, width, filters),
    returns relu(x + conv_b(relu(conv_a(x)))) built with two Conv2D(filters, 3, padding="same")
    layers. Judged on a small model with fixed weights against a NumPy reference."""
    return residual.check_residual_block(residual_block)
