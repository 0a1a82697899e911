"""How lesson 5's sampling exercises are judged: softmax with a temperature, and top-k
sampling, where `top_k_sample(logits, k, rng)` returns one token id. The learner-facing part is
in `genai_lessons.exercises.transformer`.

The temperature's softmax is compared value by value with a reference. A sampler cannot: two
right answers may use the random generator differently. The top-k checker therefore draws many
tokens and checks what every right answer shares: each id is one of the k most likely tokens,
the frequencies match the renormalized softmax probabilities of those k (within a stated
distance), and the same seed gives the same tokens. A wrong sampler is recognised by what it
draws.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises import answers, safe
from genai_lessons.exercises.core import (
    check_function,
    error_result,
    none_result,
    precheck_function,
)
from genai_lessons.exercises.result import Result, Verdict

DRAWS = 3000
MAX_DISTANCE = 0.05  # total variation between the drawn frequencies and the right distribution
ARG_NAMES = ["logits", "k", "rng"]
EXERCISE = "top-k sampling"

_LOGITS = np.array([0.1, -1.0, 2.5, 0.3, 1.8, -0.5, 3.2, 0.9, -2.0, 1.2])
CASES = [
    (_LOGITS, 3),
    (_LOGITS, 1),
    (_LOGITS + 30.0, 5),
    (np.array([1.0, 0.2, -0.3, 2.2, 0.7, 1.6, -1.1, 0.0, 2.9, 0.4, -0.6, 1.9]), 4),
]


def expected_distribution(logits, k):
    """Softmax probabilities renormalized over the k largest logits, zero elsewhere."""
    top = np.argsort(logits)[::-1][:k]
    p = np.zeros(len(logits))
    weights = np.exp(logits[top] - logits[top].max())
    p[top] = weights / weights.sum()
    return p


def _draw(function, logits, k, seed, n):
    rng = np.random.default_rng(seed)
    return [function(np.array(logits, copy=True), k, rng) for _ in range(n)]


def _wrong(message: str) -> Result:
    return Result(EXERCISE, Verdict.WRONG, message)


def _as_ids(values, vocabulary):
    """Token ids as ints, or a sentence saying what is wrong with the returned values."""
    ids = []
    for value in values:
        if value is None:
            return None, "your function returned None: did you forget `return`?"
        array, problem = answers.to_array(value, what="your function's result")
        if array is None:
            return None, problem
        if array.shape != ():
            return None, (
                f"your function returned {answers.kind(value)}; return one token id, a "
                "single int (for example int(...) of the chosen id)."
            )
        number = float(array)
        if not number.is_integer():
            return None, (
                f"your function returned {answers.short(value)}, not a whole number: return "
                "the id of the chosen token, not its probability."
            )
        if not 0 <= number < vocabulary:
            return None, (
                f"your function returned token {int(number)}, but the vocabulary has "
                f"{vocabulary} tokens (ids 0 to {vocabulary - 1})."
            )
        ids.append(int(number))
    return ids, ""


def _frequencies(ids, vocabulary):
    return np.bincount(ids, minlength=vocabulary) / len(ids)


def check_top_k_sample(top_k_sample) -> Result:
    stop = precheck_function(EXERCISE, top_k_sample, 3, ARG_NAMES)
    if stop is not None:
        return stop
    for logits, k in CASES:
        vocabulary = len(logits)
        n = 1 if k == 1 else DRAWS
        run = safe.call(_draw, (top_k_sample, logits, k, 0, max(n, 50)), 4 * safe.TIME_LIMIT_S)
        if isinstance(run.error, NotImplementedError):
            return Result(
                EXERCISE,
                Verdict.NOT_ATTEMPTED,
                "not attempted yet: replace the "
                "placeholder with your answer and run the cell again (the exercise is "
                "optional).",
            )
        if run.timed_out or run.error is not None:
            result = error_result(EXERCISE, run, (logits, k), ARG_NAMES[:2])
            text = str(run.error)
            if "sum to 1" in text or "NaN" in text or "nan" in text:
                return Result(
                    EXERCISE,
                    Verdict.ERROR,
                    result.message + " The probabilities you "
                    "sample from must be finite and sum to 1: renormalize the k kept "
                    "ones (and subtract the largest logit before exp).",
                )
            return result
        if any(value is None for value in run.value):
            return none_result(EXERCISE, run)
        ids, problem = _as_ids(run.value, vocabulary)
        if ids is None:
            return _wrong(problem)
        message = _diagnose(top_k_sample, ids, logits, k)
        if message:
            return _wrong(f"{message} (on logits={answers.short(logits)}, k={k})")
    return Result(
        EXERCISE,
        Verdict.CORRECT,
        f"correct: on {len(CASES)} cases, every token drawn "
        f"was among the k most likely, their frequencies over {DRAWS} draws match the "
        f"renormalized probabilities (total variation under {MAX_DISTANCE}), and the same "
        "seed gave the same tokens. Well done.",
    )


def _diagnose(function, ids, logits, k) -> str:
    vocabulary = len(logits)
    order = np.argsort(logits)[::-1]
    top, drawn = set(order[:k].tolist()), set(ids)
    if not drawn <= top:
        if len(drawn) == 1 and k > 1:
            return "you always return the same token, and it is not among the k most likely"
        if drawn <= set(range(k)) and drawn != top:
            return (
                "your ids are positions in the list of the k best (0 to k - 1), not token "
                "ids: map the chosen position back to the token's id"
            )
        if drawn & set(order[-k:].tolist()) and not drawn & set(order[:1].tolist()):
            return (
                "you kept the k least likely tokens: sort in decreasing order of the logits "
                "(or take the last k of an increasing sort)"
            )
        if drawn <= set(order[: k + 1].tolist()):
            return "you kept k + 1 tokens: keep exactly the k most likely"
        return (
            "a token outside the k most likely was drawn: keep only the k largest logits "
            "and give the others probability 0"
        )
    if k == 1:
        return ""
    if len(drawn) == 1:
        return (
            "you always return the most likely token (that is greedy decoding): sample among "
            "the k best, each with its renormalized probability"
        )
    want = expected_distribution(logits, k)
    got = _frequencies(ids, vocabulary)
    distance = 0.5 * float(np.abs(got - want).sum())
    if distance > MAX_DISTANCE:
        uniform = np.zeros(vocabulary)
        uniform[list(top)] = 1.0 / k
        if 0.5 * float(np.abs(got - uniform).sum()) <= MAX_DISTANCE:
            return (
                "the k tokens come out equally often: draw each in proportion to its softmax "
                "probability, renormalized over the k"
            )
        if len(drawn) < k:
            return f"only {len(drawn)} of the k most likely tokens were ever drawn: keep exactly k"
        worst = int(np.argmax(np.abs(got - want)))
        return (
            f"the frequencies are off: token {worst} came {got[worst]:.1%} of the time, "
            f"expected {want[worst]:.1%} (total variation {distance:.3f}, allowed "
            f"{MAX_DISTANCE})"
        )
    again = safe.call(_draw, (function, logits, k, 0, 50), 4 * safe.TIME_LIMIT_S)
    if (
        again.error is None
        and not again.timed_out
        and _as_ids(again.value, vocabulary)[0] != ids[:50]
    ):
        return (
            "the same seed gave different tokens: draw with the rng passed in (rng.choice, "
            "rng.random), not np.random's global functions, so that a seed reproduces the text"
        )
    return ""


# --------------------------------------------------------------------------- temperature


def _softmax(scores):
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def check_temperature_softmax(function) -> Result:
    """The check behind `transformer.check_temperature_softmax` (documented there)."""
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
