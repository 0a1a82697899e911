"""Tests of genai_lessons.measures.tunes on hand-written ABC whose answers are known, and of
genai_lessons.course.music_display (synthesis, piano roll) against closed forms."""

import matplotlib
import numpy as np
import pytest

from genai_lessons.course import music_display
from genai_lessons.measures import tunes

# Two bars of 3/4 after a one-beat pick-up, a repeat, then a B part with two endings.
WALTZ = "M:3/4\nL:1/8\nK:D\nA2 | d2 c2 =c2 | f4 e2 :|\n|: g3 a/b/ c2 | d4 z2 |1 A4 B2 :|2 A6 |]\n"


@pytest.fixture(scope="module")
def waltz():
    return tunes.parse(WALTZ)


def test_parse_gives_the_notes_with_the_key_signature_applied(waltz):
    events = tunes.note_events(waltz)
    # D major sharpens c and f; =c is natural. MIDI: A4 69, D5 74, C#5 73, C5 72, F#5 78, E5 76.
    np.testing.assert_array_equal(events[:6, 2], [69, 74, 73, 72, 78, 76])
    np.testing.assert_allclose(events[:6, 1], [1, 1, 1, 1, 2, 1])  # L:1/8: "2" is a quarter
    np.testing.assert_allclose(events[1:6, 0], [1, 2, 3, 4, 6])  # onsets after the pick-up
    assert events.shape == (14, 3)


def test_parse_rejects_what_music21_cannot_read():
    assert tunes.parse("M:3/4\nL:1/8\nK:D\n| z6 | z6 |\n") is None  # no notes at all
    assert tunes.parse("M:3/4\nL:1/8\nK:D\nd2 c2 c2 | f4 e2 |\n") is not None
    with pytest.raises(TypeError, match="tune"):
        tunes.parse(3)


def test_parse_refuses_a_note_billions_of_units_long(monkeypatch):
    """A GPT sample on JAX wrote `D2222222222`: music21 built that note until the kernel died
    (20 GB). Such a body is refused before music21 sees it; lengths a tune uses still parse."""
    from music21 import converter

    seen, music21_parse = [], converter.parse
    monkeypatch.setattr(
        converter, "parse", lambda text, **kw: seen.append(text) or music21_parse(text, **kw)
    )
    head = "M:2/2\nL:1/8\nK:D\n"
    assert tunes.parse(head + "| D2D2D2222222222-2222cA | d2A2 F2A2 |\n") is None
    assert seen == []  # refused before music21 saw it
    long_notes = tunes.parse("M:4/4\nL:1/16\nK:D\n| D16 | A8 F8 | d16 |\n")
    assert long_notes is not None
    np.testing.assert_allclose(tunes.note_events(long_notes)[:, 1], [4, 2, 2, 4])


def test_bar_lengths_follow_the_written_bar_lines():
    rows = tunes.bar_lengths(WALTZ)
    # pick-up, two full bars, two full bars, the two endings; in quarter notes, 3/4 = 3.
    assert [length for length, _, _ in rows] == [1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    assert all(full == 3.0 for _, full, _ in rows)
    assert [boundary for _, _, boundary in rows] == [True, False, True, True, True, True, True]
    # Broken rhythm (c>B = 3/4 + 1/4 of a quarter... in eighths: 1.5 + 0.5), triplets, chords.
    rows = tunes.bar_lengths("M:2/4\nL:1/8\nK:G\nc>B (3ABc | [GB]2 d2 | G4 |]\n")
    np.testing.assert_allclose([length for length, _, _ in rows], [2.0, 2.0, 2.0])


def test_bar_validity_allows_short_bars_at_boundaries_only():
    assert tunes.bar_validity(WALTZ) == 1.0  # the pick-up touches the start
    # A bar of 4 beats in 3/4 in the middle of a tune: 1 of 4 bars is wrong.
    long_bar = "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 d2 | e2 f2 g2 | a6 |]\n"
    assert tunes.bar_validity(long_bar) == pytest.approx(3 / 4)
    # A short bar in the middle (no repeat sign near it) is wrong too: 1 of 5.
    short_bar = "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 | e2 f2 | g2 f2 e2 | d6 |]\n"
    assert tunes.bar_validity(short_bar) == pytest.approx(4 / 5)
    # The same short bar before a repeat sign is a split bar, allowed: 5 of 5.
    split_bar = "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 | e2 f2 :| g2 f2 e2 | d6 |]\n"
    assert tunes.bar_validity(split_bar) == 1.0
    # Meters written C and C| are 4/4 and 2/2: a whole note fills the bar.
    assert tunes.bar_validity("M:C|\nL:1/8\nK:D\nd8 | c8 | B8 |]\n") == 1.0
    assert np.isnan(tunes.bar_validity("M:3/4\nL:1/8\nK:D\n"))


def test_scale_share_counts_notes_in_the_key(waltz):
    midi = tunes.note_events(waltz)[:, 2]
    # Only the written =c (C natural) is outside D major among the 14 notes.
    assert tunes.scale_share(midi, "D") == pytest.approx(13 / 14)
    assert tunes.scale_share([60, 62, 64, 66], "C") == 0.75  # F# is not in C major
    assert tunes.scale_share([62, 64, 65, 67, 69, 71, 72], "Ddor") == 1.0  # D dorian: no sharps
    assert tunes.scale_share([62, 64, 65, 67, 69, 71, 72], "D") == pytest.approx(5 / 7)
    assert np.isnan(tunes.scale_share([], "D"))


@pytest.mark.parametrize(
    "key, tonic, scale",
    [
        ("C", 0, {0, 2, 4, 5, 7, 9, 11}),
        ("Am", 9, {9, 11, 0, 2, 4, 5, 7}),  # the relative minor has C major's notes
        ("Ador", 9, {9, 11, 0, 2, 4, 6, 7}),
        ("Gmix", 7, {7, 9, 11, 0, 2, 4, 5}),  # G mixolydian has C major's notes
        ("Bb", 10, {10, 0, 2, 3, 5, 7, 9}),
        ("F#m", 6, {6, 8, 9, 11, 1, 2, 4}),
    ],
)
def test_key_scale_knows_the_modes(key, tonic, scale):
    assert tunes.key_scale(key) == (tonic, scale)


def test_key_scale_rejects_other_keys():
    with pytest.raises(ValueError, match="key"):
        tunes.key_scale("H")


def test_pitch_class_histogram_and_its_distance():
    hist = tunes.pitch_class_histogram([62, 74, 66, 69], tonic=2)  # D, D, F#, A counted from D
    expected = np.zeros(12)
    expected[[0, 4, 7]] = [0.5, 0.25, 0.25]
    np.testing.assert_allclose(hist, expected)
    assert tunes.histogram_distance(hist, hist) == 0.0
    assert tunes.histogram_distance(np.eye(12)[0], np.eye(12)[5]) == 1.0
    assert tunes.histogram_distance([1, 1, 0], [0, 1, 1]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="p and q"):
        tunes.histogram_distance([1, 2], [1, 2, 3])


def test_bars_split_on_every_kind_of_bar_line():
    body = "A2 | d2 c2 =c2 | f4 e2 :|\n|: g3 a/b/ c2 |1 A4 B2 :|2 A6 |] [| d6 || e6 ::"
    assert tunes.bars(body) == ["A2", "d2c2=c2", "f4e2", "g3a/b/c2", "A4B2", "A6", "d6", "e6"]
    # As a character model reads them: every character between the bar lines, spaces kept.
    written = ["A2 ", " d2 c2 =c2 ", " f4 e2 ", " g3 a/b/ c2 ", "1 A4 B2 ", "2 A6 ", " d6 ", " e6 "]
    assert tunes.bars(body, as_written=True) == written


def test_repetition_measures():
    assert tunes.repeated_bar_share("abc|def|abc|abc|") == 0.5
    assert tunes.repeated_bar_share("abc|def|") == 0.0
    assert tunes.has_repeat("abc|def:|") and tunes.has_repeat("|:abc|def|")
    assert not tunes.has_repeat("abc|def||")


def test_longest_copied_run_finds_the_longest_shared_run_of_bars():
    index = tunes.BarIndex(["A|B|C|D|E|", "C|D|E|F|"])
    assert index.longest_copied_run("C|D|E|F|G|") == 4  # C D E F is the second tune's start
    assert index.longest_copied_run("B|C|D|G|") == 3
    assert index.longest_copied_run("G|B|G|") == 1
    assert index.longest_copied_run("x|y|") == 0  # not even a note
    assert index.longest_copied_run("G|G|") == 0


def test_header_and_body():
    assert tunes.header_field(WALTZ, "M") == "3/4" and tunes.header_field(WALTZ, "K") == "D"
    assert tunes.header_field(WALTZ, "Q") is None
    assert tunes.body_of(WALTZ).startswith("A2 | d2")


# --------------------------------------------------------------------------- music_display


def test_midi_to_hz_is_equal_temperament():
    np.testing.assert_allclose(
        music_display.midi_to_hz([69, 81, 57, 60]), [440, 880, 220, 261.6256], rtol=1e-6
    )


def test_synthesis_puts_each_note_at_its_time_and_pitch():
    rate = 8000
    events = np.array([[0.0, 1.0, 69.0], [2.0, 1.0, 81.0]])  # A4, a rest, A5; 120 per minute
    audio = music_display.synthesize(events, tempo=120, sample_rate=rate)
    assert audio.dtype == np.float32 and np.abs(audio).max() <= 0.9 + 1e-6
    assert audio.size == int(1.5 * rate) + 1  # the last note ends after 3 quarters = 1.5 s
    first, gap, second = audio[: rate // 2], audio[rate // 2 + 10 : rate - 10], audio[rate:]
    assert np.abs(gap).max() == 0.0  # silence between the notes
    for segment, hz in ((first, 440.0), (second, 880.0)):  # the strongest frequency is the note's
        spectrum = np.abs(np.fft.rfft(segment))
        assert abs(np.fft.rfftfreq(segment.size, 1 / rate)[spectrum.argmax()] - hz) < 5
    assert music_display.synthesize(events, max_seconds=0.25).size == 2001


def test_pluck_decays_and_starts_and_ends_quietly():
    note = music_display.pluck(220.0, 1.0, 8000)
    assert note[0] == 0.0 and abs(note[-1]) < 1e-3
    assert np.abs(note[:800]).max() > 3 * np.abs(note[-1600:]).max()  # it fades


def test_synthesis_and_piano_roll_reject_bad_events():
    with pytest.raises(ValueError, match="events"):
        music_display.synthesize(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="tempo"):
        music_display.synthesize(np.zeros((1, 3)), tempo=0)


def test_piano_roll_draws_one_bar_per_note():
    matplotlib.use("Agg")
    events = np.array([[0.0, 1.0, 69.0], [1.0, 2.0, 74.0], [5.0, 1.0, 62.0]])
    figure = music_display.piano_roll(events, title="t", max_quarters=4)
    patches = figure.axes[0].patches
    assert len(patches) == 2  # the note at 5 quarters is past max_quarters
    assert [(p.get_x(), p.get_width()) for p in patches] == [(0.0, 1.0), (1.0, 2.0)]


# The in-tune cache model (genai_lessons.measures.cache_model).


def test_cache_matches_a_hand_computation():
    # "a b a b a" over {a, b}, base 1/2 everywhere, strength 1, orders 1..2. Worked by hand:
    # positions 0-2: no history has occurred before, so the base; position 3 ("b" after "a"):
    # order 1 saw "a" followed by "b" once: (1 + 1 * 0.5) / (1 + 1) = 0.75, order 2 ("ba") unseen;
    # position 4 ("a" after "b", "ab"): order 1 (1 + 0.5) / 2 = 0.75, then order 2
    # (1 + 1 * 0.75) / (1 + 1) = 0.875.
    from genai_lessons.measures import cache_model

    p = cache_model.cache_probabilities([0, 1, 0, 1, 0], [0.5] * 5, 1.0, lowest=1, highest=2)
    np.testing.assert_allclose(p, [0.5, 0.5, 0.5, 0.75, 0.875])


def test_cache_distribution_sums_to_one_and_agrees_with_the_per_symbol_probabilities():
    from genai_lessons.measures import cache_model

    rng = np.random.default_rng(0)
    vocab = 5
    history = list(rng.integers(0, 3, size=60))  # three symbols only: plenty of repeats
    base = rng.dirichlet(np.ones(vocab))
    for strength in (0.3, 1.0, 7.0):
        p = cache_model.cache_distribution(history, base, strength, lowest=2, highest=6)
        assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
        for w in range(vocab):  # the same number through the per-position function
            base_row = np.r_[np.full(len(history), 0.2), base[w]]
            q = cache_model.cache_probabilities(history + [w], base_row, strength, 2, 6)
            assert q[-1] == pytest.approx(p[w], rel=1e-12)
        assert not np.allclose(p, base)  # the cache does move the distribution here


def test_cache_with_zero_strength_is_the_base_model():
    from genai_lessons.measures import cache_model, ngrams

    ids = np.array([0, 1, 2, 0, 1, 2, 0, 1, 3, 0, 1, 2] * 3)
    model = ngrams.KneserNey(3, 4).fit(ids)
    base = model.probabilities(model.contexts_of(ids)[1:], ids[1:])
    np.testing.assert_array_equal(cache_model.cache_probabilities(ids[1:], base, 0.0), base)
    np.testing.assert_allclose(
        cache_model.cache_distribution(ids[:7], model.next_distribution(ids[:7]), 0.0),
        model.next_distribution(ids[:7]),
    )
    with pytest.raises(ValueError, match="strength"):
        cache_model.cache_probabilities(ids, np.ones(len(ids)), -1.0)
    with pytest.raises(ValueError, match="base"):
        cache_model.cache_probabilities(ids, np.ones(3), 1.0)


def _flagged_bars(tune):
    """The bars `misfit_bar` flags while the tune is written one character at a time, ending
    with its blank line: {start index: the bar's text}."""
    text = tune if tune.endswith("\n\n") else tune.rstrip("\n") + "\n\n"
    flagged = {}
    for end in range(1, len(text) + 1):
        start = tunes.misfit_bar(text[:end])
        if start is not None:
            flagged[start] = text[start:end]
    return flagged


def test_misfit_bar_flags_hand_counted_bars_when_they_are_finished():
    head = "M:6/8\nL:1/8\nK:D\n"
    # Hand-counted in eighths (6 fill a bar): A|BAB GED| fits; "BAB GE" is 5, mid-tune: wrong.
    assert tunes.misfit_bar(head + "A|BAB GED|A") is None
    assert tunes.misfit_bar(head + "A|BAB GE|A") == len(head) + 2
    assert tunes.misfit_bar(head + "A|BAB GE|") is None  # not finished: "|:" may follow
    assert tunes.misfit_bar(head + "A|BAB GE:|A") is None  # short before a repeat: a split bar
    assert tunes.misfit_bar(head + "A|BAB GE|1") is None  # short before an ending
    assert tunes.misfit_bar(head + "A|BAB GEDD|1") == len(head) + 2  # 7: long is never fine
    # A triplet (3BAB is 2 eighths, so 2 + 1 + 3 + 2 = 8) and broken rhythm (d>e 2: 6 fits).
    assert tunes.misfit_bar(head + "AB|(3BAB BAG DE|c") == len(head) + 3
    assert tunes.misfit_bar(head + "AB|d>e f2 ed|c") is None
    # The last bar of the tune (a blank line ends it) may be short, not long.
    assert tunes.misfit_bar(head + "AB|BAB GED|ABc\n\n") is None
    assert tunes.misfit_bar(head + "AB|BAB GED|ABcdefg\n\n") == len(head) + 11
    # No meter, or no body yet: nothing to judge.
    assert tunes.misfit_bar("L:1/8\nK:D\nABC|D") is None
    assert tunes.misfit_bar("M:6/8\nL:1/8\nK:") is None


def test_misfit_bar_agrees_with_bar_validity_on_hand_written_tunes():
    long_bar = "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 d2 | e2 f2 g2 | a6 |]\n"
    assert list(_flagged_bars(long_bar).values()) == [" A2 B2 c2 d2 | "]
    short_bar = "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 | e2 f2 | g2 f2 e2 | d6 |]\n"
    assert list(_flagged_bars(short_bar).values()) == [" e2 f2 | "]
    for fine in (WALTZ, "M:3/4\nL:1/8\nK:D\nd2 c2 B2 | A2 B2 c2 | e2 f2 :| g2 f2 e2 | d6 |]\n"):
        assert _flagged_bars(fine) == {}


def test_misfit_bar_flags_the_bars_bar_validity_rejects_in_real_tunes():
    """Against the measure (music21's tokenizer on the whole tune): on 150 real tunes, the
    number of flagged bars equals the number `bar_lengths` finds not fitting in nearly every
    tune (they differ where a tuplet or broken rhythm crosses a bar line, or at `::`)."""
    from genai_lessons.datasets import music

    split = music.load_tunes(group_versions=False)
    sample = split.train[::25]
    agree, flagged_total = 0, 0
    for tune in sample:
        rows = tunes.bar_lengths(tune.text)
        wrong = sum(not (np.isclose(n, full) or (edge and n < full)) for n, full, edge in rows)
        flagged = len(_flagged_bars(tune.text))
        agree += flagged == wrong
        flagged_total += flagged
    assert len(sample) >= 140 and agree >= 0.97 * len(sample)
    assert flagged_total < 0.02 * sum(len(tunes.bars(t.body)) for t in sample)  # real bars fit
