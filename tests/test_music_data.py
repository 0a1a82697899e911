"""Tests of genai_lessons.datasets.music: the reduction rule on hand-written ABC, and the loader on
music21's real bundled corpus (counts, the split by tune, the rule applied everywhere)."""

import re

import numpy as np
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
    # Whole groups of versions are held out until 10% is reached: at most a group's size more.
    largest_group = np.bincount(music.version_groups(split.train + split.validation)).max()
    assert round(0.1 * kept) <= len(split.validation) < round(0.1 * kept) + largest_group
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


def _tune(body: str) -> music.Tune:
    return music.Tune("4/4", "1/8", "D", body)


def _brute_longest_runs(sample, tunes_bars, min_length):
    runs = {}
    for t, source in enumerate(tunes_bars):
        best = 0
        for i in range(len(sample)):
            for j in range(len(source)):
                length = 0
                while (
                    i + length < len(sample)
                    and j + length < len(source)
                    and sample[i + length] == source[j + length]
                ):
                    length += 1
                best = max(best, length)
        if best >= min_length and best:
            runs[t] = best
    return runs


def test_longest_runs_agree_with_a_brute_force_search():
    rng = np.random.default_rng(0)
    bodies = [
        "|".join(rng.choice(list("ABCDE"), size=rng.integers(3, 12))) + "|" for _ in range(30)
    ]
    index = music.BarIndex(bodies)
    for body in bodies[:10] + ["A|B|A|B|A|", "C|C|C|C|"]:
        sample = music.bars(body)
        for min_length in (1, 2, 4):
            expected = _brute_longest_runs(sample, index.tunes, min_length)
            assert index.longest_runs(sample, min_length) == expected


def test_version_groups_join_versions_and_chain_them():
    reel = "A|B|c|d|e|f|g|a|"
    tunes = [
        _tune(reel),
        _tune("A|B|c|d|e|F|G|A|"),  # the first half of the reel, then another ending: a version
        _tune("D|E|F|G|A|B|G|F|"),  # shares runs of 2 and 3 bars, not half of either tune
        _tune("x2|e|f|g|a|B|c|"),  # half of its bars (e f g a) in order in the reel: joined
        _tune("G|A|B|e|d|d|d|d|"),  # its longest shared run is 3 of 8 bars: alone
    ]
    groups = music.version_groups(tunes)
    assert groups[0] == groups[1] == groups[3]
    assert len({groups[0], groups[2], groups[4]}) == 3
    assert list(groups) == [0, 0, 1, 0, 2]  # numbered in order of first appearance
    assert len(set(music.version_groups(tunes, share=0.99))) == 5  # only copies would join


def test_the_real_split_holds_no_version_of_a_training_tune(split):
    index = music.BarIndex([tune.body for tune in split.train])
    for tune in split.validation:
        tune_bars = music.bars(tune.body)
        assert index.longest_copied_run(tune.body) < music.VERSION_SHARE * len(tune_bars), (
            tune.title
        )
    assert split.versions > 100  # the collections do print versions of one tune
    ungrouped = music.load_tunes(group_versions=False)
    index = music.BarIndex([tune.body for tune in ungrouped.train])
    leaked = [
        index.longest_copied_run(t.body) >= music.VERSION_SHARE * len(music.bars(t.body))
        for t in ungrouped.validation
    ]
    assert np.mean(leaked) > 0.05  # what the grouping prevents


def test_splitting_tune_by_tune_holds_out_exactly_the_share():
    ungrouped = music.load_tunes(group_versions=False, seed=3)
    kept = len(ungrouped.train) + len(ungrouped.validation)
    assert len(ungrouped.validation) == round(0.1 * kept)
    with pytest.raises(ValueError, match="group_versions"):
        music.load_tunes(group_versions="yes")
