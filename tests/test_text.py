import hashlib

import numpy as np
import pytest

from genai_lessons import data, text


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
    good = data.Remote("plays.txt", origin.as_uri(), hashlib.sha256(origin.read_bytes()).hexdigest())
    monkeypatch.setattr(text, "SHAKESPEARE", good)
    assert text.load_corpus("shakespeare", cache_dir=tmp_path / "cache").startswith("To be")
    monkeypatch.setattr(text, "SHAKESPEARE", data.Remote("other.txt", origin.as_uri(), "f" * 64))
    fallback = text.load_corpus("shakespeare", cache_dir=tmp_path / "cache")
    assert fallback == text.load_corpus("python_docs")
    assert "python_docs" in capsys.readouterr().out
