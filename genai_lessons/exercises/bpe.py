"""How lesson 6's byte-pair merge exercise is judged: one merge of a pair of token ids into a
new id, everywhere it occurs, scanning from left to right.

The reference is a plain left-to-right scan; each usual mistake (scanning from the right,
merging only the first occurrence or not the last one, keeping the pair's second id) is written
out as a function, so that the feedback can name it. The learner-facing part is in
`genai_lessons.exercises.language_models`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


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


def check_merge(function) -> Result:
    """The check behind `language_models.check_merge` (documented there)."""
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
