"""How the attention exercises are judged: attention for one query and the causal mask
(lesson 5), and one step of attention with a key/value cache (lesson 6).

The references compute each score with its own dot product, or build the mask entry by entry,
rather than in the vectorised form the hints lead to; the usual mistakes (no scaling by the
square root of d, hard attention, the mask upside down, the new token left out of the cache)
get their own diagnosis. The learner-facing parts are in `genai_lessons.exercises.transformer`
and `genai_lessons.exercises.language_models`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _attention_cases() -> list[tuple]:
    rng = np.random.default_rng(5)
    cases = [
        (
            np.array([1.0, 0.0]),
            np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
            np.array([[10.0], [20.0], [30.0]]),
        )
    ]
    for keys, depth, value_depth in ((4, 8, 3), (6, 16, 5)):
        cases.append(
            (
                rng.normal(size=depth),
                rng.normal(size=(keys, depth)),
                rng.normal(size=(keys, value_depth)),
            )
        )
    return cases


def check_attend(function) -> Result:
    """The check behind `transformer.check_attend` (documented there)."""

    def reference(query, keys, values):
        scores = np.array([np.dot(key, query) for key in keys]) / np.sqrt(query.shape[0])
        return _softmax(scores) @ values

    mistakes = [
        (
            lambda q, k, v: _softmax(k @ q) @ v,
            "close: the scores must be scaled down by the square root of d before the softmax.",
        ),
        (
            lambda q, k, v: (k @ q / np.sqrt(q.shape[0])) @ v,
            "the raw scores are not weights yet: turn them into weights that sum to 1 with a softmax.",
        ),
        (
            lambda q, k, v: _softmax(k @ q / q.shape[0]) @ v,
            "divide the scores by the square root of d, not by d itself.",
        ),
        (
            lambda q, k, v: _softmax(k @ q / np.sqrt(q.shape[0])),
            "these are the attention weights; the output is their weighted sum of the values.",
        ),
        (
            lambda q, k, v: _softmax(k @ q * np.sqrt(q.shape[0])) @ v,
            "the scores are divided by the square root of d, not multiplied.",
        ),
        (
            lambda q, k, v: v[np.argmax(k @ q)],
            "that is hard attention (only the best key's value): attention mixes all the values "
            "with softmax weights.",
        ),
        (
            lambda q, k, v: _softmax(k @ q / np.sqrt(q.shape[0])) @ k,
            "the output is a weighted sum of the values, not of the keys.",
        ),
    ]
    return check_function(
        "attention for one query",
        function,
        _attention_cases(),
        reference,
        mistakes=mistakes,
        arg_names=["query", "keys", "values"],
        hint="The weights must be positive and sum to 1.",
    )


def check_causal_mask(function) -> Result:
    """The check behind `transformer.check_causal_mask` (documented there)."""

    def reference(length):
        return np.array([[j <= i for j in range(length)] for i in range(length)], dtype=float)

    mistakes = [
        (
            lambda n: np.triu(np.ones((n, n))),
            "this lets every position see the future and hides the past: row i is the query, "
            "column j the key, and j may not be greater than i.",
        ),
        (
            lambda n: np.tril(np.ones((n, n)), k=-1),
            "each position may also attend to itself: keep the diagonal.",
        ),
        (
            lambda n: np.ones((n, n)),
            "nothing is masked: positions after i must be hidden from query i.",
        ),
        (
            lambda n: 1.0 - np.tril(np.ones((n, n))),
            "this marks the forbidden entries; the mask should be True where attending is allowed.",
        ),
        (
            lambda n: np.eye(n),
            "each position may see itself and every earlier position, not only itself.",
        ),
        (
            lambda n: np.tril(np.ones((n, n)), k=1),
            "this lets each position see one step into the future.",
        ),
        (
            lambda n: np.where(np.tril(np.ones((n, n))) > 0, 0.0, -np.inf),
            "that is the additive mask (0 or -inf) added to the scores; this exercise asks for the "
            "allowed pairs: True (or 1) where attending is allowed.",
        ),
    ]
    return check_function(
        "causal mask",
        function,
        [(4,), (7,), (1,)],
        reference,
        mistakes=mistakes,
        arg_names=["length"],
        hint="Write out the 3 x 3 mask by hand first.",
    )


# --------------------------------------------------------------------------- key/value cache


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


def check_cached_attention(function) -> Result:
    """The check behind `language_models.check_cached_attention` (documented there)."""

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
