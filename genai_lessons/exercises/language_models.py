"""Exercises of the language-models lesson: one merge step of byte-pair encoding, and one step
of attention with a key/value cache. Each checker takes the learner's function and returns a
`Result`; hints and solutions come on request (`hint("merge")`, `solution("merge")`).
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(6, "language models")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


def _merge(ids, pair, new_id):
    """Reference: a left-to-right scan that never reuses a merged id."""
    ids, out, i = list(ids), [], 0
    while i < len(ids):
        if tuple(ids[i : i + 2]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return np.array(out, dtype=np.int64)


def _merge_right_to_left(ids, pair, new_id):
    return _merge(list(ids)[::-1], tuple(pair)[::-1], new_id)[::-1]


def _merge_first_only(ids, pair, new_id):
    ids = list(ids)
    for i in range(len(ids) - 1):
        if tuple(ids[i : i + 2]) == tuple(pair):
            return np.array(ids[:i] + [new_id] + ids[i + 2 :])
    return np.array(ids)


def _merge_skips_last(ids, pair, new_id):
    ids = list(ids)
    return np.concatenate([_merge(ids[:-1], pair, new_id), ids[-1:]]) if ids else np.array([])


def _merge_keeps_second(ids, pair, new_id):
    out, i, ids = [], 0, list(ids)
    while i < len(ids):
        if tuple(ids[i : i + 2]) == tuple(pair):
            out += [new_id, ids[i + 1]]
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return np.array(out)


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
    cases = [
        ([104, 105, 32, 104, 105], (104, 105), 256),
        ([97, 97, 97, 98], (97, 97), 256),
        ([1, 2, 3], (2, 3), 9),  # the pair at the very end
        ([5, 6, 5, 5, 6, 6], (5, 6), 300),
        ([7, 7, 7, 7, 7], (7, 7), 260),
        ([4], (4, 4), 9),
    ]
    mistakes = [
        (
            _merge_right_to_left,
            "in a run such as 7 7 7 the merge takes the leftmost pair first: scan from left to "
            "right.",
        ),
        (_merge_first_only, "every occurrence of the pair is merged, not only the first."),
        (_merge_skips_last, "a pair at the very end of the list is merged too."),
        (
            _merge_keeps_second,
            "the new id replaces both ids of the pair: skip two places after a merge.",
        ),
        (
            lambda ids, pair, new_id: np.array(ids),
            "nothing was merged: compare each id and the next one with the pair.",
        ),
    ]
    return check_function(
        "one byte-pair merge",
        function,
        cases,
        _merge,
        mistakes=mistakes,
        arg_names=["ids", "pair", "new_id"],
        hint="Work the case ids=[97, 97, 97, 98], pair=(97, 97) through by hand.",
    )


def _softmax(scores):
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _cached(query, key, value, past_keys, past_values):
    """Reference: append, then attend over all keys, scaled by sqrt(d)."""
    keys = np.vstack([past_keys, key[None]])
    values = np.vstack([past_values, value[None]])
    output = _softmax(keys @ query / np.sqrt(query.shape[0])) @ values
    return output, keys, values


def _cached_cases():
    rng = np.random.default_rng(6)
    cases = [
        (
            np.array([1.0, 0.0]),
            np.array([0.0, 1.0]),
            np.array([5.0]),
            np.array([[1.0, 0.0]]),
            np.array([[1.0]]),
        )
    ]
    for earlier, depth, value_depth in ((3, 4, 2), (7, 8, 3), (0, 4, 2)):
        cases.append(
            (
                rng.normal(size=depth),
                rng.normal(size=depth),
                rng.normal(size=value_depth),
                rng.normal(size=(earlier, depth)),
                rng.normal(size=(earlier, value_depth)),
            )
        )
    return cases


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

    def past_only(q, k, v, pk, pv):
        out = _softmax(pk @ q / np.sqrt(q.shape[0])) @ pv if len(pk) else np.zeros_like(v)
        return out, np.vstack([pk, k[None]]), np.vstack([pv, v[None]])

    def new_first(q, k, v, pk, pv):
        keys, values = np.vstack([k[None], pk]), np.vstack([v[None], pv])
        return _softmax(keys @ q / np.sqrt(q.shape[0])) @ values, keys, values

    def unscaled(q, k, v, pk, pv):
        keys, values = np.vstack([pk, k[None]]), np.vstack([pv, v[None]])
        return _softmax(keys @ q) @ values, keys, values

    def cache_not_grown(q, k, v, pk, pv):
        return _cached(q, k, v, pk, pv)[0], pk, pv

    def new_only(q, k, v, pk, pv):
        return v, np.vstack([pk, k[None]]), np.vstack([pv, v[None]])

    mistakes = [
        (
            past_only,
            "the output must also attend to the new token itself: add its key and value "
            "before attending.",
        ),
        (unscaled, "divide the scores by the square root of d before the softmax."),
        (
            cache_not_grown,
            "return the cache with the new key and value added, so that the next step sees them.",
        ),
        (
            new_first,
            "the new key and value go after the cached ones (the cache is in position order).",
        ),
        (
            new_only,
            "the new token attends to every earlier token through the cache, not only to itself.",
        ),
    ]
    return check_function(
        "attention with a key/value cache",
        function,
        _cached_cases(),
        _cached,
        mistakes=mistakes,
        arg_names=["query", "key", "value", "past_keys", "past_values"],
        part_names=["output", "keys", "values"],
        hint="Compare with attending over all tokens so far without a cache: it must be the same.",
    )
