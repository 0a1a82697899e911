import hashlib

import numpy as np
import pytest

from genai_lessons.core import downloads
from genai_lessons.datasets import text


def test_default_corpus_is_real_english_prose_without_download():
    corpus = text.load_corpus()
    assert len(corpus) > 200_000
    words = corpus.lower().split()
    for common in ("the", "and", "is", "of"):
        assert words.count(common) > 500  # real prose, not generated symbols
    assert corpus == text.load_corpus()  # the same order every time


def test_vocabulary_round_trips_the_whole_corpus():
    corpus = text.load_corpus()
    vocab = text.CharVocab.from_text(corpus)
    ids = vocab.encode(corpus)
    assert ids.dtype == np.int32 and ids.min() == 0 and ids.max() == vocab.size - 1
    assert vocab.decode(ids) == corpus
    assert list(vocab.chars) == sorted(set(corpus))


def test_vocabulary_rejects_unknown_characters_and_ids():
    vocab = text.CharVocab.from_text("abc")
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError):
        text.CharVocab.from_text("")


def test_windows_pair_each_input_with_the_next_token():
    ids = np.arange(20)
    inputs, targets = text.make_windows(ids, context=4)
    assert inputs.shape == targets.shape == (4, 4) and inputs.dtype == np.int32
    np.testing.assert_array_equal(targets, inputs + 1)
    np.testing.assert_array_equal(inputs[1], [4, 5, 6, 7])
    overlapping, _ = text.make_windows(ids, context=4, stride=1)
    assert len(overlapping) == 16 and overlapping[-1, -1] + 1 == ids[-1]


@pytest.mark.parametrize("context, stride", [(0, None), (4, 0), (30, None)])
def test_bad_window_arguments_are_clear_errors(context, stride):
    with pytest.raises(ValueError):
        text.make_windows(np.arange(20), context=context, stride=stride)


def test_split_ids_keeps_order_and_fraction():
    train, val = text.split_ids(np.arange(100), 0.1)
    assert len(val) == 10 and train[-1] + 1 == val[0]
    with pytest.raises(ValueError, match="validation_fraction"):
        text.split_ids(np.arange(10), 1.0)


def test_unknown_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match="'wikipedia'"):
        text.load_corpus("wikipedia")


def test_optional_corpus_is_checksum_verified_and_falls_back_offline(tmp_path, monkeypatch, capsys):
    origin = tmp_path / "plays.txt"
    origin.write_text("To be, or not to be, that is the question.\n", encoding="utf-8")
    good = downloads.Remote(
        "plays.txt", origin.as_uri(), hashlib.sha256(origin.read_bytes()).hexdigest()
    )
    monkeypatch.setattr(text, "SHAKESPEARE", good)
    assert text.load_corpus("shakespeare", cache_dir=tmp_path / "cache").startswith("To be")
    monkeypatch.setattr(
        text, "SHAKESPEARE", downloads.Remote("other.txt", origin.as_uri(), "f" * 64)
    )
    fallback = text.load_corpus("shakespeare", cache_dir=tmp_path / "cache")
    assert fallback == text.load_corpus("python_docs")
    assert "python_docs" in capsys.readouterr().out


def test_clean_prose_keeps_sentences_and_drops_layout():
    raw = (
        'The "if" statement\n'
        "******************\n\n"
        'The "if" statement is used for *conditional* execution of a suite\n'
        "of statements, depending on a read-\n"
        "only value.[1]\n\n"
        '   if_stmt ::= "if" assignment_expression ":" suite\n\n'
        "+-----------+--------+\n| Operation | Result |\n+-----------+--------+\n\n"
        "   >>> print(1 + 2)\n   3\n\n"
        "   for item in items:\n       total = total + item * 2\n\n"
        "   Return a copy of the string with its first character\n   capitalized \u2014 a \u201cshort\u201d note.\n\n"
        "str.capitalize()\n\n"
        'The "if" statement is used for *conditional* execution of a suite\n'
        "of statements, depending on a read-\n"
        "only value.\n"
    )
    cleaned = text.clean_prose(raw)
    assert cleaned.splitlines() == [
        'The "if" statement is used for conditional execution of a suite of statements, '
        "depending on a read-only value.",
        'Return a copy of the string with its first character capitalized - a "short" note.',
    ]  # heading, grammar, table, session, code, signature and the repeated paragraph are gone


def test_default_corpus_is_cleaned_prose():
    corpus = text.load_corpus()
    assert not any(marker in corpus for marker in ("::=", ">>>", "+---", "|", "\n   "))
    assert all(ord(char) < 128 or char in "°ß" for char in corpus)  # typographic marks are ASCII
    lines = corpus.splitlines()
    assert len(lines) == len(set(lines))  # no paragraph twice
    assert all(line[0].isupper() and line.endswith((".", "?", "!", ":")) for line in lines)


def test_random_windows_are_shifted_and_reproducible():
    ids = np.arange(100, dtype=np.int32)
    batches = text.RandomWindows(ids, context=8, batch_size=5, batches=4, seed=1)
    assert len(batches) == 4
    x, y = batches[2]
    assert x.shape == y.shape == (5, 8)
    np.testing.assert_array_equal(y, x + 1)  # ids are positions here, so next = current + 1
    np.testing.assert_array_equal(np.diff(x, axis=1), 1)
    np.testing.assert_array_equal(batches[2][0], text.RandomWindows(ids, 8, 5, 4, seed=1)[2][0])
    assert not np.array_equal(batches[2][0], batches[3][0])
    with pytest.raises(IndexError):
        batches[4]


def test_consecutive_windows_cover_the_text_in_order():
    ids = np.arange(50, dtype=np.int32)
    batches = text.ConsecutiveWindows(ids, context=8, batch_size=4)
    inputs = np.concatenate([batches[i][0] for i in range(len(batches))])
    targets = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert len(batches) == 2 and inputs.shape == (6, 8)  # 6 whole windows fit in 49 transitions
    np.testing.assert_array_equal(inputs.ravel(), np.arange(48))
    np.testing.assert_array_equal(targets, inputs + 1)


def test_bad_window_dataset_arguments_raise():
    with pytest.raises(ValueError, match="ids"):
        text.RandomWindows(np.arange(5), context=8, batch_size=2, batches=1)
    with pytest.raises(ValueError, match="batch_size"):
        text.ConsecutiveWindows(np.arange(50), context=8, batch_size=0)
