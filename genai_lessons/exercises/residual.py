"""How lesson 2's residual-block exercise is judged: the learner's `residual_block(x, filters)`
builds, with Keras layers, out = relu(x + conv_b(relu(conv_a(x)))), both convolutions 3x3 with
"same" padding.

The check builds a small functional model around the learner's block, gives its two Conv2D
layers fixed weights, and compares its output with a NumPy reference (a convolution written
with loops over the kernel); the usual mistakes (no skip connection, a ReLU missing or moved,
"valid" padding, another number of filters) get their own diagnosis.
"""

from __future__ import annotations

import keras
import numpy as np

from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.diagnosis import matches
from genai_lessons.exercises.result import Result, Verdict

EXERCISE = "residual block"
SIZE, FILTERS = 5, 3


def conv_same(x, kernel, bias):
    """A 'same' 2D convolution (cross-correlation, as Keras's), x (batch, h, w, c_in), kernel
    (kh, kw, c_in, c_out), bias (c_out,)."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros(x.shape[:3] + (kernel.shape[3],))
    for i in range(kh):
        for j in range(kw):
            window = padded[:, i : i + x.shape[1], j : j + x.shape[2], :]
            out += window @ kernel[i, j]
    return out + bias


def _relu(z):
    return np.maximum(z, 0.0)


def reference(x, a, b, *, skip=True, inner=True, outer=True, after=False):
    """The block with fixed weights a = (kernel, bias), b = (kernel, bias); flags switch the
    usual mistakes on."""
    h = conv_same(x, *a)
    h = _relu(h) if inner else h
    h = conv_same(h, *b)
    if after:  # the skip added after the last ReLU
        return x + _relu(h)
    h = x + h if skip else h
    return _relu(h) if outer else h


MISTAKES = [
    (
        dict(skip=False),
        "the skip connection is missing: add the block's input x to the second convolution's "
        "output (before the last ReLU); that shortcut is what makes deep stacks trainable.",
    ),
    (
        dict(outer=False),
        "the last ReLU is missing: apply relu to the sum x + conv_b(...).",
    ),
    (
        dict(inner=False),
        "the ReLU between the two convolutions is missing: without it the two convolutions "
        "collapse into one linear map.",
    ),
    (
        dict(after=True),
        "the ReLU is applied before the skip is added: add x first, then apply relu to the sum.",
    ),
]


def check_residual_block(residual_block) -> Result:
    """The check behind `cnn.check_residual_block` (documented there)."""
    with ka.keeping_random_state():  # building layers draws from Python's random module
        return _check_residual_block(residual_block)


def _check_residual_block(residual_block) -> Result:
    stop = precheck_function(EXERCISE, residual_block, 2, ["x", "filters"])
    if stop is not None:
        return stop
    inputs = keras.Input((SIZE, SIZE, FILTERS))
    run = ka.call(residual_block, (inputs, FILTERS))
    problem = ka.stop(
        EXERCISE, run, f"x=keras.Input(({SIZE}, {SIZE}, {FILTERS})), filters={FILTERS}"
    )
    if problem is not None:
        return problem
    if not isinstance(run.value, keras.KerasTensor):
        return ka.wrong(
            EXERCISE,
            f"your function returned {ka.answers.kind(run.value)}; it should return the output "
            "of its last layer, a Keras tensor (the result of calling layers on x).",
        )
    try:
        with ka.keeping_random_state():
            model = keras.Model(inputs, run.value)
    except Exception as error:
        return ka.wrong(
            EXERCISE,
            f"a model could not be built from x to your output ({type(error).__name__}): "
            "build the output from x with layers and keras.ops only.",
        )
    shape = tuple(model.output.shape[1:])
    if shape[:2] != (SIZE, SIZE):
        return ka.wrong(
            EXERCISE,
            f"your block turns a {SIZE}x{SIZE} input into {shape[0]}x{shape[1]}: use "
            'padding="same" so that x and the convolutions\' output can be added.',
        )
    if shape[2] != FILTERS:
        return ka.wrong(
            EXERCISE,
            f"your block outputs {shape[2]} channels for filters={FILTERS}: give both "
            "convolutions `filters` filters, so that the output can be added to x.",
        )
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if len(convs) != 2:
        return ka.wrong(EXERCISE, f"your block has {len(convs)} Conv2D layers; it needs two.")
    if any(conv.padding != "same" for conv in convs):
        return ka.wrong(
            EXERCISE,
            'a convolution without padding="same" shrinks the image (5x5 becomes 3x3), so x and '
            'the convolutions\' output no longer line up: use padding="same" in both.',
        )
    kernels = [tuple(conv.kernel.shape) for conv in convs]
    if any(k[:2] != (3, 3) for k in kernels) or any(not conv.use_bias for conv in convs):
        return ka.wrong(
            EXERCISE,
            f"your convolutions have kernels {[k[:2] for k in kernels]}: use 3x3 kernels with "
            "a bias (Keras's default), as the exercise says.",
        )
    weights = [
        (ka.seeded((3, 3, FILTERS, FILTERS), 20 + i, 0.4), ka.seeded((FILTERS,), 30 + i, 0.3))
        for i in range(2)
    ]
    for conv, (kernel, bias) in zip(convs, weights):
        conv.set_weights([kernel, bias])
    x = ka.seeded((2, SIZE, SIZE, FILTERS), 40)
    out = ka.call(lambda: model(x, training=False), ())
    problem = ka.stop(EXERCISE, out, "a batch of 2 images")
    if problem is not None:
        return problem
    got, why = ka.to_numpy(out.value)
    if got is None:
        return ka.wrong(EXERCISE, why)
    x64 = x.astype(np.float64)
    w64 = [(k.astype(np.float64), b.astype(np.float64)) for k, b in weights]
    if matches(got, reference(x64, *w64), 1e-4, 1e-4):
        return Result(
            EXERCISE,
            Verdict.CORRECT,
            "correct: two 3x3 convolutions, the skip connection and both ReLUs in the right "
            "places (compared with a NumPy reference on fixed weights). Well done.",
        )
    for flags, message in MISTAKES:
        if matches(got, reference(x64, *w64, **flags), 1e-4, 1e-4):
            return ka.wrong(EXERCISE, message)
    return ka.wrong(
        EXERCISE,
        "your block's output differs from relu(x + conv_b(relu(conv_a(x)))) on fixed weights: "
        "check the order of the layers, and that the first Conv2D you call is applied to x.",
    )
