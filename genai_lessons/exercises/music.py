"""Exercises of lesson 8 (music): a note's frequency from its MIDI number, a note's length in
seconds from ABC's unit length and the tempo, and how far a bar's notes miss its meter.

This module is what the learner meets: each exercise's title, ladder of hints and solution, and
its documented checker. How an answer is judged (NumPy references written from the definitions,
the usual slips) is in `notes`. Hints and a solution come only on request:
`hint("bar_error")`, `solution("bar_error")`.
"""

from __future__ import annotations

from genai_lessons.exercises import notes
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(8, "music")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress


LESSON.add(
    "midi_to_frequency",
    "MIDI number to frequency",
    hints=[
        "MIDI numbers count semitones; 69 is the A above middle C, tuned to 440 Hz. An octave is "
        "12 semitones, and going up an octave doubles the frequency.",
        "So a note n semitones above A4 has 440 times 2 to the power n / 12 (n can be negative). "
        "n is the MIDI number minus 69.",
        "With NumPy: 440 * 2 ** ((midi - 69) / 12) works on numbers and arrays alike.",
    ],
    solution="""
def midi_to_frequency(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69) / 12)
""",
)


@LESSON.checker("midi_to_frequency")
def check_midi_to_frequency(midi_to_frequency) -> Result:
    """`midi_to_frequency(midi)` must return the equal-temperament frequency in Hz of each MIDI
    number in the array `midi` (A4 = 69 = 440 Hz), the shape of `midi`."""
    return notes.check_midi_to_frequency(midi_to_frequency)


LESSON.add(
    "note_seconds",
    "a note's length in seconds",
    hints=[
        "Two conversions: from units to quarter notes, then from quarter notes to seconds. ABC's "
        "unit `L:1/8` is a fraction of a whole note, and a whole note holds 4 quarter notes.",
        "A note of `length` units lasts length * unit whole notes, which is 4 * length * unit "
        "quarter notes. At `tempo` quarter notes per minute, one quarter lasts 60 / tempo seconds.",
        "Multiply the number of quarter notes by 60 / tempo.",
    ],
    solution="""
def note_seconds(length, unit, tempo):
    return 4 * length * unit * 60 / tempo
""",
)


@LESSON.checker("note_seconds")
def check_note_seconds(note_seconds) -> Result:
    """`note_seconds(length, unit, tempo)` must return how many seconds a note of `length` units
    lasts, where the unit is a fraction of a whole note (ABC's `L:`, e.g. 1/8) and the tempo
    counts quarter notes per minute."""
    return notes.check_note_seconds(note_seconds)


LESSON.add(
    "bar_error",
    "does the bar fit its meter",
    hints=[
        "Put both lengths in the same currency. The notes' lengths are counted in units (a "
        "fraction of a whole note each); the meter (top, bottom) means `top` notes of a 1/bottom "
        "of a whole note each.",
        "The bar's notes last sum(lengths) * unit whole notes, and the meter asks for top / bottom "
        "whole notes. Subtract the meter from the notes (too long: positive).",
        "Multiply the difference in whole notes by 4 to express it in quarter notes.",
    ],
    solution="""
def bar_error(lengths, unit, meter):
    top, bottom = meter
    return 4 * (sum(lengths) * unit - top / bottom)
""",
)


@LESSON.checker("bar_error")
def check_bar_error(bar_error) -> Result:
    """`bar_error(lengths, unit, meter)` must return, in quarter notes, how much longer the notes
    of a bar are than the meter asks: `lengths` lists the notes' lengths in units, `unit` is ABC's
    `L:` as a number (1/8), `meter` a (top, bottom) pair such as (6, 8); 0 when the bar fits,
    negative when it is short."""
    return notes.check_bar_error(bar_error)
