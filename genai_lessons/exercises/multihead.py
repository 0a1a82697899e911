"""How lesson 5's Keras exercise is judged: the learner's `multi_head_attention(x, wq, wk, wv,
wo, num_heads)`, multi-head self-attention written with keras.ops from its weight matrices.

The right answer is Keras's own `MultiHeadAttention` layer given the same weights (no biases, no
mask); the usual mistakes (no scaling, scaling by the full width, softmax over the wrong axis,
heads merged without moving the head axis back, one head only, no output projection) are
recognised with a NumPy version that can switch each of them on.
"""

from __future__ import annotations

import keras
import numpy as np

from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.diagnosis import matches, shape_problem
from genai_lessons.exercises.result import Result, Verdict

EXERCISE = "multi-head attention"
ARG_NAMES = ["x", "wq", "wk", "wv", "wo", "num_heads"]
BATCH, LENGTH, WIDTH, HEADS = 2, 5, 8, 2


def case():
    x = ka.seeded((BATCH, LENGTH, WIDTH), 80)
    return (x, *(ka.seeded((WIDTH, WIDTH), 81 + i, 0.5) for i in range(4)), HEADS)


def keras_reference(x, wq, wk, wv, wo, num_heads):
    """Keras's own layer with these weights."""
    width = x.shape[-1]
    size = width // num_heads
    layer = keras.layers.MultiHeadAttention(num_heads, size, use_bias=False)
    layer(x, x)  # builds the layer
    layer.set_weights(
        [w.reshape(width, num_heads, size) for w in (wq, wk, wv)]
        + [wo.reshape(num_heads, size, width)]
    )
    return keras.ops.convert_to_numpy(layer(x, x)).astype(np.float64)


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def numpy_version(
    x, wq, wk, wv, wo, num_heads, *, scale="head", axis=-1, merge="transpose", project=True
):
    """Multi-head attention in NumPy, with the usual mistakes switchable."""
    x, wq, wk, wv, wo = (np.asarray(a, np.float64) for a in (x, wq, wk, wv, wo))
    batch, length, width = x.shape
    size = width // num_heads

    def heads(w):  # (batch, heads, length, size)
        return (x @ w).reshape(batch, length, num_heads, size).transpose(0, 2, 1, 3)

    q, k, v = heads(wq), heads(wk), heads(wv)
    scores = q @ k.transpose(0, 1, 3, 2)
    scores = scores / {"head": np.sqrt(size), "width": np.sqrt(width), "none": 1.0}[scale]
    mixed = _softmax(scores, axis) @ v
    if merge == "transpose":
        merged = mixed.transpose(0, 2, 1, 3).reshape(batch, length, width)
    else:  # reshaped straight from (batch, heads, length, size)
        merged = mixed.reshape(batch, length, width)
    return merged @ wo if project else merged


MISTAKES = [
    (
        dict(scale="none"),
        "the scores are not scaled: divide q k^T by the square root of the "
        "head size, or the softmax saturates as the width grows.",
    ),
    (
        dict(scale="width"),
        "the scores are scaled by the square root of the full width; each head "
        "works in width / num_heads dimensions: divide by the square root of that.",
    ),
    (
        dict(axis=-2),
        "the softmax runs over the queries: each query's weights over the keys must "
        "sum to 1, so take the softmax over the last axis (the keys).",
    ),
    (
        dict(merge="reshape"),
        "the heads are merged by a reshape straight from (batch, heads, "
        "length, size): move the head axis back next to the size first (transpose to (batch, "
        "length, heads, size)), then reshape to (batch, length, width).",
    ),
    (dict(project=False), "the output projection is missing: multiply the merged heads by wo."),
]


def check_multi_head_attention(multi_head_attention) -> Result:
    """The check behind `transformer.check_multi_head_attention` (documented there)."""
    with ka.keeping_random_state():
        return _check(multi_head_attention)


def _check(function) -> Result:
    stop = precheck_function(EXERCISE, function, len(ARG_NAMES), ARG_NAMES)
    if stop is not None:
        return stop
    args = case()
    run = ka.call(function, tuple(args))
    shapes = f"x ({BATCH}, {LENGTH}, {WIDTH}), weights ({WIDTH}, {WIDTH}), num_heads={HEADS}"
    problem = ka.stop(EXERCISE, run, shapes)
    if problem is not None:
        return problem
    got, why = ka.to_numpy(run.value)
    if got is None:
        return ka.wrong(EXERCISE, why)
    want = keras_reference(*args)
    if got.shape != want.shape:
        return ka.wrong(EXERCISE, shape_problem(got, want) + f" (on {shapes})")
    if matches(got, want, 1e-4, 1e-5):
        return Result(
            EXERCISE,
            Verdict.CORRECT,
            "correct: equal to Keras's own MultiHeadAttention layer with the same weights. "
            "Well done.",
        )
    if matches(got, numpy_version(*args[:5], 1, scale="width"), 1e-4, 1e-5):
        return ka.wrong(
            EXERCISE,
            "that is one head over the whole width: split q, k and v into num_heads heads of "
            "width / num_heads each, attend within each head, then merge them.",
        )
    for flags, message in MISTAKES:
        if matches(got, numpy_version(*args, **flags), 1e-4, 1e-5):
            return ka.wrong(EXERCISE, message)
    return ka.wrong(
        EXERCISE,
        "your output has the right shape but differs from Keras's MultiHeadAttention with the "
        "same weights. Check the steps one by one: projections, split into heads, scaled "
        "scores, softmax over the keys, weighted values, merge, output projection.",
    )
