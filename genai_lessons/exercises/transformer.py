"""Exercises of the transformers lesson: attention for one query, the causal mask, temperature
in sampling, and top-k sampling. Each checker takes the learner's function and returns a
`Result`; hints and solutions come on request (`hint("attend")`, `solution("attend")`).
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises import sampling
from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(5, "transformers")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


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
    rng = np.random.default_rng(11)
    cases = [
        (np.array([2.0, 1.0, 0.0]), 1.0),
        (np.array([2.0, 1.0, 0.0]), 0.5),
        (rng.normal(size=10) * 3, 2.0),
        (rng.normal(size=10) * 3 + 50, 0.7),
    ]

    def reference(logits, temperature):
        weights = np.exp((logits - logits.max()) / temperature)
        return weights / weights.sum()

    mistakes = [
        (
            lambda z, t: _softmax(z * t),
            "divide the logits by the temperature; multiplying "
            "makes a low temperature flatter instead of sharper.",
        ),
        (lambda z, t: _softmax(z), "the temperature is missing: it must rescale the logits."),
        (
            lambda z, t: (z / t) / (z / t).sum(),
            "logits are not probabilities: exponentiate "
            "them (softmax) so they are positive and sum to 1.",
        ),
        (lambda z, t: np.exp(z / t), "these weights do not sum to 1 yet: normalise them."),
        (
            lambda z, t: _softmax(z) ** (1.0 / t),
            "raising the probabilities to the power "
            "1/temperature is the right idea, but then they no longer sum to 1: renormalise.",
        ),
        (
            lambda z, t: _softmax(z) / t,
            "the temperature goes inside the softmax, on the logits, "
            "not on the probabilities (which must still sum to 1).",
        ),
    ]
    return check_function(
        "softmax with temperature",
        function,
        cases,
        reference,
        mistakes=mistakes,
        arg_names=["logits", "temperature"],
        hint="The probabilities must be positive and sum to 1.",
    )


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
