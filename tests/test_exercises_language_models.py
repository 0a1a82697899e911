"""The language-models lesson's checkers accept right answers written independently, reject
typical mistakes with their specific hint, and report unattempted or crashing answers without
raising."""

import numpy as np

from genai_lessons.datasets.tokenizer import merge_pair
from genai_lessons.exercises import Verdict
from genai_lessons.exercises import language_models as ex


def not_yet(*args):
    raise NotImplementedError


def merge_with_strings(ids, pair, new_id):
    # An independent answer: find-and-replace on a token string with separators.
    text = " " + " ".join(map(str, ids)) + " "
    pattern, replacement = f" {pair[0]} {pair[1]} ", f" {new_id} "
    while pattern in text:
        text = text.replace(pattern, replacement, 1)
    return [int(t) for t in text.split()]


def test_merge_accepts_right_answers():
    assert ex.check_merge(merge_pair).correct
    assert ex.check_merge(merge_with_strings).correct


def test_merge_names_typical_mistakes():
    def every_position(ids, pair, new_id):  # merges overlapping pairs twice
        out = list(ids)
        for i in range(len(ids) - 1):
            if (ids[i], ids[i + 1]) == tuple(pair):
                out[i] = new_id
        return [
            t
            for i, t in enumerate(out)
            if not (i > 0 and out[i - 1] == new_id and ids[i] == pair[1] and ids[i - 1] == pair[0])
        ]

    def first_only(ids, pair, new_id):
        for i in range(len(ids) - 1):
            if (ids[i], ids[i + 1]) == tuple(pair):
                return list(ids[:i]) + [new_id] + list(ids[i + 2 :])
        return list(ids)

    result = ex.check_merge(first_only)
    assert result.verdict is Verdict.WRONG and "every occurrence" in result.message
    assert ex.check_merge(lambda ids, pair, new_id: list(ids)).verdict is Verdict.WRONG
    assert ex.check_merge(every_position).verdict is Verdict.WRONG


def test_merge_unattempted_and_crashing():
    assert ex.check_merge(not_yet).verdict is Verdict.NOT_ATTEMPTED
    crashed = ex.check_merge(lambda ids, pair, new_id: ids[len(ids) + 5])
    assert crashed.verdict is Verdict.ERROR and "IndexError" in crashed.message


def cached_loops(query, key, value, past_keys, past_values):
    keys = [*past_keys, key]
    values = [*past_values, value]
    scores = np.array([np.dot(k, query) for k in keys]) / np.sqrt(len(query))
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    output = sum(w * np.asarray(v) for w, v in zip(weights, values))
    return output, np.array(keys), np.array(values)


def test_cached_attention_accepts_a_right_answer_and_matches_full_attention():
    assert ex.check_cached_attention(cached_loops).correct
    # The cached step equals attention of the last query over the whole sequence.
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    output, keys, values = cached_loops(q[-1], k[-1], v[-1], k[:-1], v[:-1])
    scores = q @ k.T / 2.0
    scores = np.where(np.tril(np.ones((5, 5), bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    full = (weights / weights.sum(-1, keepdims=True)) @ v
    np.testing.assert_allclose(output, full[-1])
    np.testing.assert_allclose(keys, k)


def test_cached_attention_names_typical_mistakes():
    def past_only(q, k, v, pk, pv):
        keys, values = np.vstack([pk, k[None]]), np.vstack([pv, v[None]])
        if len(pk) == 0:
            return np.zeros_like(v), keys, values
        s = pk @ q / np.sqrt(len(q))
        w = np.exp(s - s.max())
        return (w / w.sum()) @ pv, keys, values

    def unscaled(q, k, v, pk, pv):
        keys, values = np.vstack([pk, k[None]]), np.vstack([pv, v[None]])
        s = keys @ q
        w = np.exp(s - s.max())
        return (w / w.sum()) @ values, keys, values

    result = ex.check_cached_attention(past_only)
    assert result.verdict is Verdict.WRONG and "new token itself" in result.message
    result = ex.check_cached_attention(unscaled)
    assert result.verdict is Verdict.WRONG and "square root" in result.message


def test_cached_attention_unattempted_and_crashing():
    assert ex.check_cached_attention(not_yet).verdict is Verdict.NOT_ATTEMPTED
    assert ex.check_cached_attention(lambda *a: 1 / 0).verdict is Verdict.ERROR
    assert ex.check_cached_attention(lambda *a: None).verdict is Verdict.WRONG


def test_help_ladder_and_solution():
    ex.LESSON.reset()
    first, second = str(ex.hint("merge")), str(ex.hint("merge"))
    assert first != second
    assert "def merge" in str(ex.solution("merge"))
    assert "def cached_attention" in str(ex.solution("cached_attention"))
    namespace = {"np": np}
    for name in ("cached_attention", "merge"):
        exec(ex.LESSON.exercises[name].solution, namespace)
    assert ex.check_cached_attention(namespace["cached_attention"]).correct
    assert ex.check_merge(namespace["merge"]).correct
