"""Tests of genai_lessons.datasets.music: the reduction rule on hand-written ABC, and the loader on
music21's real bundled corpus (counts, the split by tune, the rule applied everywhere)."""

import re

import pytest

from genai_lessons.datasets import music

JIG = """X: 7
T: A Made-up Jig
R: jig
M: 6/8
L: 1/8
Q: 3/8=120
N: "collected nowhere"
K:D Major
% a comment line
"D"A|"^SEGUE"d2e !trill!f2g|{ag}a3 (fed)|(3ABc dB A2 ~F|\\
G3 G2 :|
P:B
|:u(fg)|a2f .d2f|\\
 T[1 e3 e2:|[2 e3 d2|]
"""


@pytest.fixture(scope="module")
def split():
    return music.load_tunes()


def test_reduce_tune_applies_the_rule_to_a_hand_written_tune():
    tune = music.reduce_tune(JIG, "test")
    assert (tune.meter, tune.unit, tune.key, tune.title) == ("6/8", "1/8", "D", "A Made-up Jig")
    # Chord symbols, annotations, decorations, grace notes, slurs, comments, the P: line and the
    # line continuations are gone; tuplets, ties, repeats and endings stay.
    assert (
        tune.body
        == "A|d2e f2g|a3 fed|(3ABc dB A2 F|\nG3 G2 :|\n|:fg|a2f d2f|\n[1 e3 e2:|[2 e3 d2|]"
    )
    assert tune.text == "M:6/8\nL:1/8\nK:D\n" + tune.body + "\n"


@pytest.mark.parametrize(
    "written, expected",
    [("C", "4/4"), ("C|", "2/2"), ("6/8", "6/8"), (" 9/8 ", "9/8")],
)
def test_meters_are_written_as_fractions(written, expected):
    assert music.normalise_meter(written) == expected


@pytest.mark.parametrize(
    "written, expected",
    [
        ("D", "D"),
        ("Gmaj", "G"),
        ("E Minor", "Em"),
        ("Am", "Am"),
        ("A dorian", "Ador"),
        ("Bbmix", "Bbmix"),
        ("F#m", "F#m"),
        ("D Mixolydian", "Dmix"),
    ],
)
def test_keys_are_written_as_tonic_and_mode(written, expected):
    assert music.normalise_key(written) == expected


@pytest.mark.parametrize("written", ["HP", "none", "", "H minor"])
def test_keys_without_a_tonic_and_mode_are_rejected(written):
    with pytest.raises(music.TuneRejected):
        music.normalise_key(written)


def test_default_unit_length_follows_the_abc_standard():
    # 2/4 = 0.5 < 0.75 -> 1/16; 3/4 = 0.75 -> 1/8
    assert [music.default_unit(m) for m in ("2/4", "3/4", "6/8", "4/4")] == [
        "1/16",
        "1/8",
        "1/8",
        "1/8",
    ]
    tune = music.reduce_tune("X:1\nM:2/4\nK:G\nGABc dBAG|GABc d4|GABc dBAG|AGFE D4|]\n")
    assert tune.unit == "1/16"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("X:1\nM:6/8\nK:D\nABc def|ABc def|\nM:9/8\nABc def gfe|ABc def gfe|", "M: changes"),
        ("X:1\nM:6/8\nK:D\nABc def|ABc def|[K:G] ABc def|ABc def|", "K: changes"),
        ("X:1\nM:4/4\nK:HP\nABcd efga|ABcd efga|ABcd efga|ABcd efga|", "not a tonic"),
        ("X:1\nM:4/4\nV:1\nK:D\nABcd efga|ABcd efga|ABcd efga|ABcd efga|", "voices"),
        ("X:1\nM:4/4\nK:D\nABcd efga|", "fewer than"),
        ("X:1\nM:4/4\nABcd efga|ABcd efga|ABcd efga|ABcd efga|", "before the K:"),
    ],
)
def test_tunes_the_rule_drops_say_why(raw, reason):
    with pytest.raises(music.TuneRejected, match=reason):
        music.reduce_tune(raw)


def test_split_tunes_cuts_a_file_at_every_x_field():
    text = "% file header\n\nX:1\nT:One\nK:D\nAB|\n\nX:2\nT:Two\nK:G\nGA|\n"
    parts = music.split_tunes(text)
    assert len(parts) == 2 and parts[0].startswith("X:1") and "T:Two" in parts[1]


def test_the_real_corpus_counts_add_up(split):
    raw = sum(len(music.read_collection(name)) for name in music.COLLECTIONS)
    assert split.raw_count == raw > 4000
    kept = len(split.train) + len(split.validation)
    assert kept + sum(split.dropped.values()) == raw
    assert kept > 0.95 * raw  # the rule drops few tunes
    assert len(split.validation) == round(0.1 * kept)
    assert {tune.collection for tune in split.train} == set(music.COLLECTIONS)


def test_no_tune_is_in_both_splits_and_none_twice(split):
    train = [tune.text for tune in split.train]
    validation = [tune.text for tune in split.validation]
    assert len(set(train)) == len(train) and len(set(validation)) == len(validation)
    assert not set(train) & set(validation)


def test_every_real_tune_follows_the_rule(split):
    header = re.compile(r"M:\d+/\d+\nL:1/\d+\nK:[A-G][#b]?(m|dor|mix|phr|lyd|loc)?\n")
    for tune in split.train + split.validation:
        assert header.match(tune.text), tune.text[:40]
        assert not set(tune.body) - music._KEPT, tune.title
        assert '"' not in tune.body and "{" not in tune.body and "%" not in tune.body
        assert "\n\n" not in tune.text
    assert len(split.alphabet) < 60  # what the rule keeps, plus the header letters


def test_the_split_is_reproducible_and_depends_on_the_seed(split):
    again = music.load_tunes(seed=0)
    other = music.load_tunes(seed=1)
    assert [t.text for t in again.validation] == [t.text for t in split.validation]
    assert [t.text for t in other.validation] != [t.text for t in split.validation]


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="validation_fraction"):
        music.load_tunes(validation_fraction=1.5)
    with pytest.raises(ValueError, match="collection"):
        music.read_collection("bach")
    with pytest.raises(ValueError, match="collections"):
        music.load_tunes(collections="oneills1850")
