"""How lesson 8's exercises are judged: a note's frequency from its MIDI number, a note's length
in seconds from ABC's unit length and the tempo, and whether a bar's notes fill its meter.

The references are NumPy, written from the definitions (equal temperament with A4 = MIDI 69 =
440 Hz; ABC's `L:` as a fraction of a whole note; a tempo in quarter notes per minute), not from
`genai_lessons.course.music_display` or `genai_lessons.measures.tunes`; the usual slips (a
missing /12, the wrong reference note, whole notes taken for quarters, minutes for seconds) get
their own diagnosis. The learner-facing part is in `genai_lessons.exercises.music`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result

# --------------------------------------------------------------------------- MIDI to frequency

_MIDI_CASES = (
    (np.array([69.0]),),
    (np.array([60.0, 62.0, 81.0, 45.0]),),
    (np.array([[57.0, 74.0], [76.0, 93.0]]),),
)


def _midi_to_frequency(midi):
    # Twelve equal semitones per octave, and an octave doubles the frequency: A4 (69) = 440 Hz.
    return 440.0 * np.exp2((np.asarray(midi, dtype=float) - 69.0) / 12.0)


def check_midi_to_frequency(midi_to_frequency) -> Result:
    """The check behind `music.check_midi_to_frequency` (documented there)."""
    return check_function(
        "MIDI number to frequency",
        midi_to_frequency,
        _MIDI_CASES,
        _midi_to_frequency,
        arg_names=["midi"],
        mistakes=[
            (
                lambda m: 440.0 * 2.0 ** (np.asarray(m) - 69.0),
                "each MIDI step is a semitone, a twelfth of an octave: divide the distance from "
                "A4 by 12 before raising 2 to it.",
            ),
            (
                lambda m: 440.0 * 2.0 ** ((np.asarray(m) - 60.0) / 12.0),
                "440 Hz is the A above middle C, MIDI number 69 (60 is middle C itself).",
            ),
            (
                lambda m: 440.0 * (1.0 + (np.asarray(m) - 69.0) / 12.0),
                "pitch is exponential, not linear: each octave doubles the frequency, so the "
                "semitones go in an exponent.",
            ),
            (
                lambda m: 440.0 * 2.0 ** ((69.0 - np.asarray(m)) / 12.0),
                "the sign is flipped: a higher MIDI number must give a higher frequency.",
            ),
            (
                lambda m: 220.0 * 2.0 ** ((np.asarray(m) - 69.0) / 12.0),
                "one octave too low: MIDI 69 is 440 Hz, not 220 Hz.",
            ),
            (
                lambda m: 440.0 * np.exp((np.asarray(m) - 69.0) / 12.0),
                "the base of the power is 2 (an octave doubles the frequency), not e.",
            ),
        ],
        hint="Two checks by hand: MIDI 69 gives 440 Hz and MIDI 81, an octave higher, 880 Hz.",
    )


# --------------------------------------------------------------------------- a note's seconds

_SECONDS_CASES = (
    (1, 1 / 8, 120.0),
    (3, 1 / 8, 100.0),
    (2, 1 / 16, 90.0),
    (6, 1 / 4, 60.0),
    (0.5, 1 / 8, 144.0),
)


def _note_seconds(length, unit, tempo):
    quarters = length * unit / (1 / 4)  # L: is a fraction of a whole note; a quarter is 1/4
    return quarters * 60.0 / tempo  # the tempo counts quarters per minute


def check_note_seconds(note_seconds) -> Result:
    """The check behind `music.check_note_seconds` (documented there)."""
    return check_function(
        "a note's length in seconds",
        note_seconds,
        _SECONDS_CASES,
        _note_seconds,
        arg_names=["length", "unit", "tempo"],
        mistakes=[
            (
                lambda n, u, t: n * u * 60.0 / t,
                "the unit is a fraction of a whole note, and the tempo counts quarter notes: "
                "convert whole notes to quarters (there are 4 in a whole note).",
            ),
            (
                lambda n, u, t: n * u * 4 * t / 60.0,
                "the tempo is beats per minute, so one beat lasts 60 / tempo seconds: divide by "
                "the tempo, do not multiply.",
            ),
            (
                lambda n, u, t: n * u * 4 / t,
                "the tempo counts beats per minute: a beat lasts 60 / tempo seconds, not "
                "1 / tempo (that would be minutes).",
            ),
            (
                lambda n, u, t: u * 4 * 60.0 / t,
                "the note's length is `length` units: multiply by it (a `3` after a note makes it "
                "three units long).",
            ),
            (
                lambda n, u, t: n / u * 4 * 60.0 / t,
                "the unit is a fraction of a whole note (1/8 is an eighth): multiply by it, do "
                "not divide.",
            ),
            (
                lambda n, u, t: n * u / 4 * 60.0 / t,
                "a whole note holds 4 quarters, so the number of quarters is 4 times the number "
                "of whole notes, not a quarter of it.",
            ),
        ],
        hint="A check by hand: with L:1/8 at 120 quarters per minute an eighth note (length 1) "
        "lasts a quarter of a second.",
    )


# --------------------------------------------------------------------------- a bar's fit

_BAR_CASES = (
    ([2, 1, 2, 1], 1 / 8, (6, 8)),  # a full 6/8 bar
    ([2, 2, 2], 1 / 8, (3, 4)),  # a full 3/4 bar
    ([4, 2, 1], 1 / 16, (2, 4)),  # short by a sixteenth
    ([2, 2, 2, 2, 2], 1 / 8, (4, 4)),  # one quarter too long
    ([3, 3, 1], 1 / 8, (9, 8)),  # short by two eighths
    ([1, 1], 1 / 4, (2, 2)),  # short by half a bar
)


def _bar_error(lengths, unit, meter):
    written = sum(lengths) * unit  # in whole notes
    top, bottom = meter
    return 4.0 * (written - top / bottom)  # in quarter notes


def check_bar_error(bar_error) -> Result:
    """The check behind `music.check_bar_error` (documented there)."""
    return check_function(
        "does the bar fit its meter",
        bar_error,
        _BAR_CASES,
        _bar_error,
        arg_names=["lengths", "unit", "meter"],
        mistakes=[
            (
                lambda n, u, m: sum(n) * u - m[0] / m[1],
                "the difference is right in whole notes; the answer is asked in quarter notes "
                "(4 per whole note).",
            ),
            (
                lambda n, u, m: 4.0 * (m[0] / m[1] - sum(n) * u),
                "the sign is flipped: a bar that is too long must give a positive number.",
            ),
            (
                lambda n, u, m: 4.0 * (sum(n) * u - m[1] / m[0]),
                "a meter top/bottom means `top` notes of length 1/bottom: the bar lasts top / "
                "bottom of a whole note, not bottom / top.",
            ),
            (
                lambda n, u, m: float(sum(n) - m[0]),
                "the lengths are counted in units of `unit` and the meter in notes of 1/bottom: "
                "convert both to quarter notes before comparing.",
            ),
            (
                lambda n, u, m: 4.0 * (len(n) * u - m[0] / m[1]),
                "each note lasts its own number of units: add up the lengths, do not count the "
                "notes.",
            ),
            (
                lambda n, u, m: 4.0 * (max(n) * u - m[0] / m[1]),
                "the bar's length is the sum of all its notes' lengths, not the longest note.",
            ),
        ],
        hint="A check by hand: a full bar gives 0. In 4/4 with L:1/8, eight eighths (lengths "
        "[1] * 8) fill the bar exactly, and nine are one eighth, 0.5 quarter notes, too long.",
    )
