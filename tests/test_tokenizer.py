"""Tests of genai_lessons.datasets.tokenizer: exact round trips on random Unicode text, a hand-worked
example, tie-breaking, agreement with a naive full-recount BPE, compression, serialization and
errors."""

from collections import Counter

import numpy as np
import pytest

from genai_lessons.datasets.tokenizer import (
    BYTES,
    BytePairTokenizer,
    count_pairs,
    merge_pair,
    pretokenize,
)

ENGLISH = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.\n"
    "Then the other fox, the faster one, jumps over the sleeping dog again and again.\n"
) * 5


def random_text(rng, length):
    """Random strings over ASCII, accented Latin, Greek, CJK, emoji and white space."""
    pools = [
        [chr(c) for c in range(32, 127)],
        list("éèàçüöñßÉ"),
        list("αβγδλπΩ"),
        list("日本語中文한국"),
        ["🙂", "🚀", "👍🏽", "\u200d"],
        [" ", "  ", "\n", "\t", "\r\n"],
    ]
    return "".join(
        rng.choice(pools[rng.integers(len(pools))]) for _ in range(rng.integers(0, length))
    )


def naive_bpe(text, merges):
    """Reference learner: recount every pair of every chunk occurrence before each merge."""
    chunks = [list(chunk.encode("utf-8")) for chunk in pretokenize(text)]
    learned = []
    for step in range(merges):
        counts = Counter()
        for chunk in chunks:
            for pair in zip(chunk, chunk[1:]):
                counts[pair] += 1
        if not counts:
            break
        best = max(counts.values())
        pair = min(p for p, c in counts.items() if c == best)  # ties: smallest pair
        learned.append(pair)
        chunks = [merge_pair(chunk, pair, BYTES + step) for chunk in chunks]
    return learned, chunks


def sequential_encode(merges, text):
    """Reference encoder: apply every merge, in the learned order, to every chunk."""
    ids = []
    for chunk in pretokenize(text):
        chunk_ids = list(chunk.encode("utf-8"))
        for rank, pair in enumerate(merges):
            chunk_ids = merge_pair(chunk_ids, pair, BYTES + rank)
        ids.extend(chunk_ids)
    return ids


@pytest.fixture(scope="module")
def english():
    return BytePairTokenizer.learn(ENGLISH, 256 + 60)


def test_pretokenize_covers_every_character():
    rng = np.random.default_rng(0)
    for _ in range(200):
        text = random_text(rng, 60)
        assert "".join(pretokenize(text)) == text
    assert pretokenize("Hello, world!  Two  spaces") == [
        "Hello",
        ",",
        " world",
        "!",
        " ",
        " Two",
        " ",
        " spaces",
    ]


def test_round_trip_on_random_unicode(english):
    rng = np.random.default_rng(1)
    for _ in range(300):
        text = random_text(rng, 80)
        ids = english.encode(text)
        assert ids.dtype == np.int32 and ids.ndim == 1
        assert english.decode(ids) == text
    assert english.decode(english.encode("")) == ""


def test_unseen_characters_fall_back_to_bytes(english):
    text = "naïve café 日本 🙂"
    ids = english.encode(text)
    assert english.decode(ids) == text
    emoji = english.encode("🙂")
    np.testing.assert_array_equal(emoji, list("🙂".encode()))  # four bytes, no merge


def test_hand_worked_example():
    # Chunks: "aaab" once; pairs (a,a) x2, (a,b) x1 -> merge (97, 97) into 256: [256, 97, 98].
    # Then (256, 97) x1 and (97, 98) x1 tie: the smaller pair (97, 98) wins -> 257: [256, 257].
    # Then (256, 257) -> 258.
    tokenizer = BytePairTokenizer.learn("aaab", 256 + 5)
    assert tokenizer.merges == ((97, 97), (97, 98), (256, 257))  # only three pairs ever exist
    assert tokenizer.vocab_size == 259
    np.testing.assert_array_equal(tokenizer.encode("aaab"), [258])
    np.testing.assert_array_equal(tokenizer.encode("aab"), [256, 98])  # earliest merge first
    assert tokenizer.token_bytes(258) == b"aaab" and tokenizer.token_text(257) == "ab"


def test_ties_go_to_the_smallest_pair():
    # "ab" and "cd" occur equally often: (97, 98) < (99, 100), whatever the text order.
    for text in ("ab\ncd\nab\ncd", "cd\nab\ncd\nab"):
        assert BytePairTokenizer.learn(text, 257).merges == ((97, 98),)


def test_agrees_with_naive_recount_learner():
    rng = np.random.default_rng(2)
    texts = [ENGLISH, random_text(rng, 400) * 3, "abababab abab ab aaaa aaa aa"]
    for text in texts:
        merges, chunks = naive_bpe(text, 40)
        tokenizer = BytePairTokenizer.learn(text, BYTES + 40)
        assert list(tokenizer.merges) == merges
        # Encoding the learning text gives the learner's own segmentation, and the
        # earliest-merge-first encoder equals applying the merges one after another.
        np.testing.assert_array_equal(tokenizer.encode(text), [i for c in chunks for i in c])
        probe = random_text(rng, 200) + ENGLISH[:200]
        np.testing.assert_array_equal(tokenizer.encode(probe), sequential_encode(merges, probe))


def test_count_pairs_and_merge_pair():
    assert count_pairs([1, 1, 1, 2]) == Counter({(1, 1): 2, (1, 2): 1})
    assert merge_pair([1, 1, 1, 2], (1, 1), 9) == [9, 1, 2]  # left to right, no overlap
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 7) == [7, 3, 7]
    assert merge_pair([], (1, 2), 7) == []


def test_compression_grows_with_vocabulary_size():
    train, held_out = ENGLISH * 3 + "Dogs and foxes jump. " * 20, "The lazy fox jumps over the dog."
    ratios = [
        BytePairTokenizer.learn(train, size).chars_per_token(held_out) for size in (256, 300, 400)
    ]
    assert ratios[0] == pytest.approx(1.0)  # bytes only: one ASCII character per token
    assert ratios[0] < ratios[1] < ratios[2]


def test_learning_stops_when_nothing_is_left_to_merge():
    tokenizer = BytePairTokenizer.learn("ab", 1000)
    assert tokenizer.merges == ((97, 98),)


def test_config_and_file_round_trip(english, tmp_path):
    again = BytePairTokenizer.from_config(english.get_config())
    assert again == english
    path = tmp_path / "bpe.json"
    english.save(path)
    loaded = BytePairTokenizer.load(path)
    assert loaded == english
    np.testing.assert_array_equal(loaded.encode(ENGLISH), english.encode(ENGLISH))
    with pytest.raises(AttributeError):
        english.merges = ()  # frozen


def test_decode_of_a_partial_character_is_marked_not_raised(english):
    assert english.decode([0xC3]) == "\ufffd"  # the first byte of "é" alone


def test_bad_inputs_raise_clear_errors(english):
    with pytest.raises(TypeError, match="text"):
        english.encode(b"bytes")
    with pytest.raises(TypeError, match="text"):
        BytePairTokenizer.learn(None, 300)
    with pytest.raises(ValueError, match="vocab_size"):
        BytePairTokenizer.learn("abc", 100)
    with pytest.raises(ValueError, match="ids"):
        english.decode([english.vocab_size])
    with pytest.raises(ValueError, match="ids"):
        english.decode([-1])
    with pytest.raises(ValueError, match="token"):
        english.token_bytes(10**6)
    with pytest.raises(ValueError, match="merges"):
        BytePairTokenizer(((300, 1),))  # id 300 is not defined before the first merge
    with pytest.raises(ValueError, match="merges"):
        BytePairTokenizer((("a", "b"),))
    with pytest.raises(ValueError, match="text"):
        english.chars_per_token("")
