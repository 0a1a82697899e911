"""Exercises of the language-models lesson: one merge step of byte-pair encoding, one step
of attention with a key/value cache, and the instruction-tuning loss on the answer's tokens in
keras.ops.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged is in `bpe`, `attention` and `masked_loss`; hints and solutions
come on request (`hint("merge")`, `solution("merge")`).
"""

from __future__ import annotations

from genai_lessons.exercises import attention, bpe, masked_loss
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(6, "language models")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "merge",
    "one byte-pair merge",
    hints=[
        "Walk along the ids from left to right. Where the current id and the next one are the "
        "pair, write the new id once; elsewhere copy the current id.",
        "After writing the new id, skip both ids of the pair (move two places on), so that a "
        "run like 7 7 7 merged on (7, 7) gives new, 7 and not new, new.",
        "A while loop with an index i, stepping i += 2 after a merge and i += 1 otherwise, and a "
        "check that i + 1 is still inside the list before looking at ids[i + 1].",
    ],
    solution="""
def merge(ids, pair, new_id):
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
""",
)


@LESSON.checker("merge")
def check_merge(function) -> Result:
    """`function(ids, pair, new_id)` -> the ids with every left-to-right occurrence of `pair`
    replaced by `new_id`."""
    return bpe.check_merge(function)


LESSON.add(
    "cached_attention",
    "attention with a key/value cache",
    hints=[
        "The new token's query attends to every token so far: the cached ones and itself. So "
        "first add the new key and value to the cache, then attend.",
        "Stack the new key as one more row under the cached keys (np.vstack), the same for the "
        "values; the scores are keys @ query / sqrt(d), the weights their softmax.",
        "Return three things: the weighted sum of the values (d_v,), and the grown keys "
        "(earlier + 1, d) and values (earlier + 1, d_v) for the next step.",
    ],
    solution="""
def cached_attention(query, key, value, past_keys, past_values):
    keys = np.vstack([past_keys, key[None]])
    values = np.vstack([past_values, value[None]])
    scores = keys @ query / np.sqrt(len(query))
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return weights @ values, keys, values
""",
)


@LESSON.checker("cached_attention")
def check_cached_attention(function) -> Result:
    """`function(query, key, value, past_keys, past_values)` -> (output, keys, values)."""
    return attention.check_cached_attention(function)


LESSON.add(
    "answer_loss",
    "loss on the answer tokens",
    hints=[
        "In instruction tuning the model reads prompt and answer, but is only taught to write "
        "the answer: each position's cross-entropy counts only where mask is 1.",
        "Per position: keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True) "
        "gives a (batch, length) array of losses (or take -log_softmax at the target).",
        "Multiply those losses by the mask, sum everything, and divide by the sum of the mask "
        "(the number of answer tokens), not by the number of all tokens.",
    ],
    solution="""
def answer_loss(logits, targets, mask):
    losses = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    mask = keras.ops.cast(mask, losses.dtype)
    return keras.ops.sum(losses * mask) / keras.ops.sum(mask)
""",
)


@LESSON.checker("answer_loss")
def check_answer_loss(answer_loss) -> Result:
    """`answer_loss(logits, targets, mask)` in keras.ops: logits (batch, length, vocab), targets
    (batch, length) token ids, mask (batch, length) 1 on the answer's tokens and 0 on the
    prompt's; returns the mean next-token cross-entropy over the answer tokens of the whole
    batch. Judged against a NumPy reference on answers of different lengths."""
    return masked_loss.check_answer_loss(answer_loss)
