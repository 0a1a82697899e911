"""Exercises of the transformers lesson: attention for one query, the causal mask, temperature
in sampling, top-k sampling, and multi-head attention in keras.ops.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged is in `attention`, `sampling` and `multihead`
(against Keras's own MultiHeadAttention); hints and
solutions come on request (`hint("attend")`, `solution("attend")`).
"""

from __future__ import annotations

from genai_lessons.exercises import attention, multihead, sampling
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(5, "transformers")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "attend",
    "attention for one query",
    hints=[
        "Three steps: a score for each key (how well it matches the query), weights from the scores "
        "that are positive and sum to 1, then the output as a weighted sum of the values.",
        "The score of a key is its dot product with the query, divided by the square root of the "
        "query's length d. The weights are the softmax of the scores.",
        "One matrix-vector product of the keys with the query gives all n scores at once; after the "
        "softmax, one product of the weights with the values gives the (d_v,) output.",
    ],
    solution="""
def attend(query, keys, values):
    scores = keys @ query / np.sqrt(len(query))
    weights = np.exp(scores - scores.max())
    weights = weights / weights.sum()
    return weights @ values
""",
)


@LESSON.checker("attend")
def check_attend(function) -> Result:
    """`function(query, keys, values)`: query (d,), keys (n, d), values (n, d_v) -> (d_v,),
    the softmax(keys @ query / sqrt(d))-weighted sum of the values."""
    return attention.check_attend(function)


LESSON.add(
    "causal_mask",
    "causal mask",
    hints=[
        "Row i is the query (a position), column j the key (another position). Query i may look at "
        "itself and at the positions before it, never after.",
        "So entry (i, j) is allowed exactly when j is not greater than i: the diagonal and "
        "everything below it.",
        "Build it with two nested loops or a comparison of a column of row indices with a row of "
        "column indices (np.arange and broadcasting).",
    ],
    solution="""
def causal_mask(length):
    positions = np.arange(length)
    return positions[None, :] <= positions[:, None]
""",
)


@LESSON.checker("causal_mask")
def check_causal_mask(function) -> Result:
    """`function(length)` -> (length, length) array, True (or 1) where query i may see key j."""
    return attention.check_causal_mask(function)


LESSON.add(
    "temperature_softmax",
    "softmax with temperature",
    hints=[
        "The temperature rescales the logits before the softmax: a low temperature makes the "
        "differences between logits larger, a high one smaller.",
        "Divide the logits by the temperature, then apply an ordinary softmax.",
        "For a stable softmax, subtract the largest scaled logit before exp, then divide by the "
        "sum so that the probabilities add up to 1.",
    ],
    solution="""
def temperature_softmax(logits, temperature):
    scaled = logits / temperature
    weights = np.exp(scaled - scaled.max())
    return weights / weights.sum()
""",
)


@LESSON.checker("temperature_softmax")
def check_temperature_softmax(function) -> Result:
    """`function(logits, temperature)` -> next-token probabilities softmax(logits / temperature)."""
    return sampling.check_temperature_softmax(function)


LESSON.add(
    "top_k_sample",
    "top-k sampling",
    hints=[
        "Top-k sampling keeps only the k most likely tokens, gives every other token probability "
        "0, and draws one token from what is left.",
        "Find the ids of the k largest logits (np.argsort sorts in increasing order). Compute the "
        "softmax over those k logits only, so that their probabilities sum to 1.",
        "Draw one of those k ids with those probabilities using the rng you are given (its choice "
        "method takes the probabilities as p=...), and return it as an int.",
    ],
    solution="""
def top_k_sample(logits, k, rng):
    top = np.argsort(logits)[-k:]
    weights = np.exp(logits[top] - logits[top].max())
    return int(rng.choice(top, p=weights / weights.sum()))
""",
)


@LESSON.checker("top_k_sample")
def check_top_k_sample(function) -> Result:
    """`function(logits, k, rng)` -> one token id (an int), drawn with the rng (a NumPy
    Generator) among the k tokens with the largest logits, with their softmax probabilities
    renormalized over those k."""
    return sampling.check_top_k_sample(function)


LESSON.add(
    "multi_head_attention",
    "multi-head attention",
    hints=[
        "Multi-head attention runs several small attentions side by side: project x to queries, "
        "keys and values, cut their width into num_heads slices (the heads), attend within each "
        "head, glue the heads back together and project with wo.",
        "Shapes: x @ wq is (batch, length, width); reshape it to (batch, length, heads, size) with "
        "size = width // num_heads, then transpose to (batch, heads, length, size), so that "
        "keras.ops.matmul works head by head. Scores q @ k^T are (batch, heads, length, length).",
        "Divide the scores by sqrt(size), softmax over the last axis, multiply by v; transpose "
        "back to (batch, length, heads, size), reshape to (batch, length, width), multiply by wo.",
    ],
    solution="""
def multi_head_attention(x, wq, wk, wv, wo, num_heads):
    batch, length, width = keras.ops.shape(x)
    size = width // num_heads

    def heads(t):
        t = keras.ops.reshape(t, (batch, length, num_heads, size))
        return keras.ops.transpose(t, (0, 2, 1, 3))

    matmul = keras.ops.matmul
    q, k, v = heads(matmul(x, wq)), heads(matmul(x, wk)), heads(matmul(x, wv))
    scores = matmul(q, keras.ops.transpose(k, (0, 1, 3, 2))) / size**0.5
    mixed = matmul(keras.ops.softmax(scores, axis=-1), v)
    merged = keras.ops.reshape(keras.ops.transpose(mixed, (0, 2, 1, 3)), (batch, length, width))
    return matmul(merged, wo)
""",
)


@LESSON.checker("multi_head_attention")
def check_multi_head_attention(multi_head_attention) -> Result:
    """`multi_head_attention(x, wq, wk, wv, wo, num_heads)`: self-attention with num_heads heads
    in keras.ops, from x (batch, length, width) and four (width, width) weight matrices, no
    biases and no mask; returns (batch, length, width). Judged against Keras's own
    MultiHeadAttention layer given the same weights."""
    return multihead.check_multi_head_attention(multi_head_attention)
