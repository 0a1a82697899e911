"""Tests of genai_lessons.datasets.copying: repeated random segments, checked position by
position against a direct search of each sequence for the earlier occurrence of a token."""

import numpy as np
import pytest

from genai_lessons.datasets import copying


def test_targets_are_the_inputs_shifted_and_tokens_occur_at_most_twice():
    data = copying.repeated_segments(50, 40, 64, 3, 9, seed=1)
    assert data.inputs.shape == data.targets.shape == data.copyable.shape == (50, 40)
    np.testing.assert_array_equal(data.inputs[:, 1:], data.targets[:, :-1])
    for row in np.concatenate([data.inputs, data.targets[:, -1:]], axis=1):
        assert np.bincount(row).max() <= 2
        assert row.min() >= 0 and row.max() < 64


def test_copyable_positions_are_exactly_those_an_induction_head_predicts():
    data = copying.repeated_segments(60, 48, 80, 2, 12, seed=2)
    for row in range(60):
        tokens = np.concatenate([data.inputs[row], data.targets[row, -1:]])
        for t in range(48):
            earlier = np.flatnonzero(tokens[:t] == tokens[t])  # the query token seen before
            # Independent reference: the token after its earlier occurrence is the target.
            predicted = len(earlier) == 1 and tokens[earlier[0] + 1] == tokens[t + 1]
            assert data.copyable[row, t] == predicted, (row, t)
            if predicted:
                assert data.lengths[row, t] == t - earlier[0]
    rows, queries, keys = data.induction_keys()
    np.testing.assert_array_equal(data.inputs[rows, keys], data.targets[rows, queries])
    assert 0.3 < data.copyable.mean() < 0.5  # about half the tokens are repeats, less the first


def test_segment_lengths_vary_and_the_seed_reproduces():
    a = copying.repeated_segments(30, 64, 64, 4, 12, seed=3)
    b = copying.repeated_segments(30, 64, 64, 4, 12, seed=3)
    c = copying.repeated_segments(30, 64, 64, 4, 12, seed=4)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs, c.inputs)
    seen = set(a.lengths[a.copyable].tolist())
    assert seen == set(range(4, 13))  # every length in range: no fixed offset finds the twin


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"vocab_size": 20}, "vocab_size"),
        ({"min_length": 1}, "min_length"),
        ({"max_length": 3}, "max_length"),
        ({"count": 0}, "count"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    arguments = {"count": 2, "length": 32, "vocab_size": 64, "min_length": 4, "max_length": 8}
    with pytest.raises(ValueError, match=match):
        copying.repeated_segments(**{**arguments, **kwargs})
