"""Exercises of the transformers lesson: attention for one query, the causal mask, and
temperature in sampling. Each checker takes the learner's function and returns a `Result`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _attention_cases() -> list[tuple]:
    rng = np.random.default_rng(5)
    cases = [(np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
              np.array([[10.0], [20.0], [30.0]]))]
    for keys, depth, value_depth in ((4, 8, 3), (6, 16, 5)):
        cases.append((rng.normal(size=depth), rng.normal(size=(keys, depth)),
                      rng.normal(size=(keys, value_depth))))
    return cases


def check_attend(function) -> Result:
    """`function(query, keys, values)`: query (d,), keys (n, d), values (n, d_v) -> (d_v,),
    the softmax(keys @ query / sqrt(d))-weighted sum of the values."""

    def reference(query, keys, values):
        scores = np.array([np.dot(key, query) for key in keys]) / np.sqrt(query.shape[0])
        return _softmax(scores) @ values

    mistakes = [
        (lambda q, k, v: _softmax(k @ q) @ v,
         "close: the scores must be divided by sqrt(d), the length of the query, before the softmax."),
        (lambda q, k, v: (k @ q / np.sqrt(q.shape[0])) @ v,
         "the raw scores are not weights yet: turn them into weights that sum to 1 with a softmax."),
        (lambda q, k, v: _softmax(k @ q / q.shape[0]) @ v,
         "divide the scores by the square root of d, not by d itself."),
        (lambda q, k, v: _softmax(k @ q / np.sqrt(q.shape[0])),
         "these are the attention weights; the output is their weighted sum of the values."),
    ]
    return check_function("attention for one query", function, _attention_cases(), reference,
                          mistakes=mistakes, hint="score each key with a dot product, scale by "
                          "1/sqrt(d), softmax the scores, then sum the values with those weights.")


def check_causal_mask(function) -> Result:
    """`function(length)` -> (length, length) array, True (or 1) where query i may see key j."""

    def reference(length):
        return np.array([[j <= i for j in range(length)] for i in range(length)], dtype=float)

    mistakes = [
        (lambda n: np.triu(np.ones((n, n))),
         "this lets every position see the future and hides the past: row i is the query, "
         "column j the key, and j may not be greater than i."),
        (lambda n: np.tril(np.ones((n, n)), k=-1),
         "each position may also attend to itself: keep the diagonal."),
        (lambda n: np.ones((n, n)),
         "nothing is masked: positions after i must be hidden from query i."),
        (lambda n: 1.0 - np.tril(np.ones((n, n))),
         "this marks the forbidden entries; the mask should be True where attending is allowed."),
    ]
    return check_function("causal mask", function, [(4,), (7,), (1,)], reference,
                          mistakes=mistakes, hint="entry (i, j) is allowed when j <= i.")


def check_temperature_softmax(function) -> Result:
    """`function(logits, temperature)` -> next-token probabilities softmax(logits / temperature)."""
    rng = np.random.default_rng(11)
    cases = [(np.array([2.0, 1.0, 0.0]), 1.0), (np.array([2.0, 1.0, 0.0]), 0.5),
             (rng.normal(size=10) * 3, 2.0), (rng.normal(size=10) * 3 + 50, 0.7)]

    def reference(logits, temperature):
        weights = np.exp((logits - logits.max()) / temperature)
        return weights / weights.sum()

    mistakes = [
        (lambda z, t: _softmax(z * t), "divide the logits by the temperature; multiplying "
         "makes a low temperature flatter instead of sharper."),
        (lambda z, t: _softmax(z), "the temperature is missing: scale the logits by 1/temperature."),
        (lambda z, t: (z / t) / (z / t).sum(), "logits are not probabilities: exponentiate "
         "them (softmax) so they are positive and sum to 1."),
    ]
    return check_function("softmax with temperature", function, cases, reference,
                          mistakes=mistakes, hint="probabilities = softmax(logits / temperature); "
                          "subtract the maximum before exponentiating to avoid overflow.")
