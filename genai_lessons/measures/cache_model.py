"""A counting model that also counts the text being read: an in-text cache over a base model.

A fixed n-gram knows the training texts, not the text it is reading. The cache adds the counts of
the current text's own prefix: after the history `h` (the last `n` symbols, for each order `n`
from `lowest` to `highest`), the symbols that followed `h` earlier in this text. Orders are mixed
from the lowest up, Witten-Bell style, each on top of the one below, starting from the base
model's probability:

    p_n(w) = (s * c(h_n, w) + t(h_n) * p_{n-1}(w)) / (s * c(h_n) + t(h_n))

where `c(h_n, w)` counts `w` after `h_n` earlier in the text, `c(h_n)` all symbols after it,
`t(h_n)` the number of distinct ones, and `s >= 0` the cache's strength. The mixing stops at the
first order whose history has not occurred yet (longer ones have not either). With `s = 0`, or
before any history recurs, the model is the base model. Each step mixes two distributions, so
the result sums to one whenever the base does.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from genai_lessons.core.validation import check_int, check_number


def _check(strength, lowest, highest):
    strength = check_number("strength", strength, minimum=0.0)
    lowest = check_int("lowest", lowest, minimum=1)
    highest = check_int("highest", highest, minimum=lowest)
    return strength, lowest, highest


def _mix(counts, history, symbol, p, strength):
    """One Witten-Bell step: `p` (a probability or an array over the alphabet) mixed with the counts."""
    following = counts.get(history)
    if not following:
        return p, False
    total, distinct = sum(following.values()), len(following)
    if symbol is None:  # the whole distribution: an array indexed by symbol
        seen = np.zeros_like(p)
        for w, c in following.items():
            seen[w] = c
        return (strength * seen + distinct * p) / (strength * total + distinct), True
    return (strength * following.get(symbol, 0) + distinct * p) / (
        strength * total + distinct
    ), True


def cache_probabilities(ids, base, strength: float, lowest: int = 2, highest: int = 24):
    """Probability under the cache model of each symbol of one text.

    Args:
        ids: the text, a 1-D sequence of integer symbols; the cache starts empty at `ids[0]`.
        base: `base[i]`, the base model's probability of `ids[i]` given what precedes it.
        strength: the cache's weight `s` (0: the base model unchanged).
        lowest, highest: the orders (history lengths) the cache counts.
    Returns:
        An array of `len(ids)` probabilities.
    """
    strength, lowest, highest = _check(strength, lowest, highest)
    ids = [int(i) for i in np.asarray(ids).reshape(-1)]
    base = np.asarray(base, dtype=np.float64).reshape(-1)
    if len(base) != len(ids):
        raise ValueError(f"base must have one probability per symbol ({len(ids)}), got {len(base)}")
    counts = defaultdict(lambda: defaultdict(int))
    out = base.copy()
    for i, symbol in enumerate(ids):
        p = base[i]
        for n in range(lowest, min(highest, i) + 1):
            p, found = _mix(counts, tuple(ids[i - n : i]), symbol, p, strength)
            if not found:
                break
        out[i] = p
        for n in range(lowest, min(highest, i) + 1):
            counts[tuple(ids[i - n : i])][symbol] += 1
    return out


def cache_distribution(
    history, base_distribution, strength: float, lowest: int = 2, highest: int = 24
):
    """The cache model's distribution of the next symbol after `history` (one text's prefix).

    `base_distribution` is the base model's distribution over the alphabet after `history`.
    """
    strength, lowest, highest = _check(strength, lowest, highest)
    ids = [int(i) for i in np.asarray(history).reshape(-1)]
    p = np.asarray(base_distribution, dtype=np.float64).copy()
    counts = defaultdict(lambda: defaultdict(int))
    for i, symbol in enumerate(ids):
        for n in range(lowest, min(highest, i) + 1):
            counts[tuple(ids[i - n : i])][symbol] += 1
    end = len(ids)
    for n in range(lowest, min(highest, end) + 1):
        p, found = _mix(counts, tuple(ids[end - n : end]), None, p, strength)
        if not found:
            break
    return p
