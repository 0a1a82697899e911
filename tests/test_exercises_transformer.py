"""The transformers lesson's checkers accept right answers written independently, reject typical
mistakes with their specific hint, and report unattempted or crashing answers without raising."""

import math

import numpy as np

from genai_lessons.exercises import Verdict
from genai_lessons.exercises import transformer as ex


def not_yet(*args):
    raise NotImplementedError


# ---- attention for one query ----


def attend_loops(query, keys, values):
    depth = len(query)
    scores = [sum(q * k for q, k in zip(query, key)) / math.sqrt(depth) for key in keys]
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    return sum((w / total) * np.asarray(v) for w, v in zip(weights, values))


def attend_vectorised(query, keys, values):
    scores = keys @ query / np.sqrt(query.size)
    weights = np.exp(scores) / np.exp(scores).sum()
    return weights @ values


def test_attend_accepts_right_answers():
    assert ex.check_attend(attend_loops).correct
    assert ex.check_attend(attend_vectorised).correct


def test_attend_names_the_missing_scale():
    def unscaled(query, keys, values):
        scores = keys @ query
        weights = np.exp(scores) / np.exp(scores).sum()
        return weights @ values

    result = ex.check_attend(unscaled)
    assert result.verdict is Verdict.WRONG and "square root of d" in result.message


def test_attend_names_the_missing_softmax_and_returned_weights():
    assert "softmax" in ex.check_attend(lambda q, k, v: (k @ q / np.sqrt(q.size)) @ v).message

    def weights_only(query, keys, values):
        scores = keys @ query / np.sqrt(query.size)
        return np.exp(scores) / np.exp(scores).sum()

    assert "weighted sum of the values" in ex.check_attend(weights_only).message


def test_attend_unattempted_and_crashing():
    assert ex.check_attend(not_yet).verdict is Verdict.NOT_ATTEMPTED
    assert ex.check_attend(lambda q, k, v: q @ v).verdict is Verdict.ERROR  # shapes do not fit
    assert "📝" in repr(ex.check_attend(not_yet))


# ---- causal mask ----


def mask_loops(length):
    return np.array(
        [[1 if key <= query else 0 for key in range(length)] for query in range(length)]
    )


def test_causal_mask_accepts_bool_and_int_answers():
    assert ex.check_causal_mask(mask_loops).correct
    assert ex.check_causal_mask(lambda n: np.tri(n, dtype=bool)).correct


def test_causal_mask_names_typical_mistakes():
    transposed = ex.check_causal_mask(lambda n: mask_loops(n).T)
    assert transposed.verdict is Verdict.WRONG and "future" in transposed.message
    assert "diagonal" in ex.check_causal_mask(lambda n: np.tri(n, k=-1)).message
    assert "allowed" in ex.check_causal_mask(lambda n: 1 - mask_loops(n)).message
    assert ex.check_causal_mask(not_yet).verdict is Verdict.NOT_ATTEMPTED


# ---- softmax with temperature ----


def temperature_softmax(logits, temperature):
    scaled = [z / temperature for z in logits]
    top = max(scaled)
    exps = [math.exp(s - top) for s in scaled]
    return np.array(exps) / sum(exps)


def test_temperature_softmax_accepts_a_right_answer():
    assert ex.check_temperature_softmax(temperature_softmax).correct


def test_temperature_softmax_names_typical_mistakes():
    multiplied = ex.check_temperature_softmax(lambda z, t: temperature_softmax(z * t * t, t))
    assert multiplied.verdict is Verdict.WRONG and "divide" in multiplied.message
    assert (
        "temperature is missing"
        in ex.check_temperature_softmax(lambda z, t: temperature_softmax(z, 1.0)).message
    )
    assert (
        "exponentiate" in ex.check_temperature_softmax(lambda z, t: (z / t) / np.sum(z / t)).message
    )
    assert "forget `return`" in ex.check_temperature_softmax(lambda z, t: None).message
