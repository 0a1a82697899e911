"""Sequences that can only be predicted by copying from the context: random segments, each
repeated once right after itself.

A sequence is a run of pairs `segment, segment`, each segment `min_length` to `max_length`
tokens drawn without replacement from the vocabulary, so that no token occurs in two different
segments and every token occurs at most twice: once in a segment and once in its repeat. The
first copy of a segment is unpredictable (fresh random tokens), and so is the first token of the
repeat (nothing says where a segment ends). Every later token of a repeat is the token that
followed the previous token's earlier occurrence: a model that finds the earlier occurrence of
the current token and reads the token after it (an induction head) predicts it exactly, while
counts of the training sequences say nothing about it. Because segment lengths vary, the
distance back to the earlier occurrence varies too, so no fixed offset finds it.

Shapes: `inputs` and `targets` (count, length) int32, `targets[:, t] = tokens[:, t + 1]`;
`copyable` (count, length) bool, True where the target can be copied from the context;
`lengths` (count, length) int, at copyable positions the length of the segment (the distance
back to the earlier occurrence), 0 elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_lessons.core.validation import check_int, check_seed


@dataclass(frozen=True)
class RepeatedSegments:
    """A batch of repeated-segment sequences (see the module docstring for the shapes)."""

    inputs: np.ndarray
    targets: np.ndarray
    copyable: np.ndarray
    lengths: np.ndarray

    def induction_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(rows, queries, keys)` of every copyable position: the key is the position right
        after the earlier occurrence of the query's token (where an induction head looks)."""
        rows, queries = np.nonzero(self.copyable)
        return rows, queries, queries - self.lengths[rows, queries] + 1


def repeated_segments(
    count: int,
    length: int,
    vocab_size: int,
    min_length: int = 4,
    max_length: int = 12,
    seed: int = 0,
) -> RepeatedSegments:
    """`count` sequences of `length` inputs (and targets), made of repeated random segments.

    Args:
        count: number of sequences.
        length: tokens per input sequence (the model's context).
        vocab_size: tokens are drawn from 0 .. vocab_size - 1; at least
            (length + 1) / 2 + max_length, so that every segment of a sequence gets tokens no
            other segment uses.
        min_length, max_length: the range of segment lengths (both included; at least 2).
        seed: the random seed; the same seed gives the same sequences.
    """
    count, length = check_int("count", count), check_int("length", length, minimum=2)
    vocab_size = check_int("vocab_size", vocab_size)
    min_length = check_int("min_length", min_length, minimum=2)
    max_length = check_int("max_length", max_length, minimum=min_length)
    check_seed("seed", seed)
    needed = (length + 1) // 2 + 1 + max_length  # the segments' tokens, the last one cut or not
    if vocab_size < needed:
        raise ValueError(
            f"vocab_size must be at least {needed} for length {length} and max_length "
            f"{max_length}, so that segments never share a token, got vocab_size={vocab_size}"
        )
    rng = np.random.default_rng(seed)
    tokens = np.empty((count, length + 1), np.int32)
    segment_of = np.zeros((count, length + 1), np.int64)  # the segment length at repeat tokens
    for row in range(count):
        fresh, position = iter(rng.permutation(vocab_size)), 0
        while position < length + 1:
            size = int(rng.integers(min_length, max_length + 1))
            segment = [next(fresh) for _ in range(size)]
            end = min(position + 2 * size, length + 1)
            tokens[row, position:end] = (segment + segment)[: end - position]
            # Repeat tokens after the first one can be copied (their earlier twin is `size` back).
            segment_of[row, position + size + 1 : end] = size
            position = end
    # A target tokens[t + 1] is copyable when it is a repeat token after the first.
    lengths = segment_of[:, 1:]
    return RepeatedSegments(tokens[:, :-1], tokens[:, 1:], lengths > 0, lengths)
