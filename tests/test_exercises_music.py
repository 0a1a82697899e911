"""Tests of the lesson-8 exercise checkers: right answers pass, typical wrong ones get their own
diagnosis, unattempted ones get a reminder, nothing raises, and help comes only on request. The
full catalogue of mistakes and hostile answers for these checkers is in
test_exercises_catalogue.py. The references are also checked against the package's own code."""

import numpy as np
import pytest

from genai_lessons.course import music_display
from genai_lessons.exercises import Verdict, notes
from genai_lessons.exercises import music as ex
from genai_lessons.measures import tunes


@pytest.fixture(autouse=True)
def fresh_lesson():
    ex.LESSON.reset()


def _not_attempted(*args):
    raise NotImplementedError


# Right answers written differently from the references.


def midi_to_frequency_right(midi):
    return 440.0 * np.power(2.0, np.subtract(midi, 69) / 12.0)


def note_seconds_right(length, unit, tempo):
    seconds_per_whole_note = 4 * 60 / tempo
    return length * unit * seconds_per_whole_note


def bar_error_right(lengths, unit, meter):
    quarters_written = sum(length * unit * 4 for length in lengths)
    return quarters_written - 4 * meter[0] / meter[1]


CHECKS = [
    (ex.check_midi_to_frequency, midi_to_frequency_right),
    (ex.check_note_seconds, note_seconds_right),
    (ex.check_bar_error, bar_error_right),
]


def test_the_lesson_registers_its_three_exercises():
    assert ex.LESSON.number == 8
    assert list(ex.LESSON.exercises) == ["midi_to_frequency", "note_seconds", "bar_error"]
    assert all(len(e.hints) == 3 for e in ex.LESSON.exercises.values())


@pytest.mark.parametrize("check, right", CHECKS)
def test_right_answers_pass_and_stubs_get_a_reminder(check, right):
    assert check(right).verdict is Verdict.CORRECT
    assert check(_not_attempted).verdict is Verdict.NOT_ATTEMPTED
    forgot = check(lambda *args: None)
    assert forgot.verdict is Verdict.WRONG and "forget `return`" in forgot.message


@pytest.mark.parametrize(
    "check, wrong, words",
    [
        (ex.check_midi_to_frequency, lambda m: 440 * 2.0 ** (np.asarray(m) - 69), "by 12"),
        (ex.check_midi_to_frequency, lambda m: 440 * 2.0 ** ((np.asarray(m) - 60) / 12), "69"),
        (ex.check_note_seconds, lambda n, u, t: n * u * 60 / t, "4 in a whole note"),
        (ex.check_note_seconds, lambda n, u, t: n * u * 4 * t / 60, "divide by the tempo"),
        (ex.check_bar_error, lambda n, u, m: sum(n) * u - m[0] / m[1], "quarter notes"),
        (ex.check_bar_error, lambda n, u, m: 4 * (len(n) * u - m[0] / m[1]), "add up"),
    ],
)
def test_typical_mistakes_are_named(check, wrong, words):
    result = check(wrong)
    assert result.verdict is Verdict.WRONG and words in result.message, result


def test_help_comes_on_request_and_the_solution_passes():
    assert "69" in ex.hint("midi_to_frequency").text
    namespace = {"np": np}
    exec(ex.LESSON.exercises["bar_error"].solution, namespace)
    assert ex.check_bar_error(namespace["bar_error"]).correct


def test_references_agree_with_the_package():
    midi = np.arange(40, 100)
    np.testing.assert_allclose(notes._midi_to_frequency(midi), music_display.midi_to_hz(midi))
    # A bar the reference calls full is full for the measure on parsed ABC, and a long one is not.
    assert notes._bar_error([2, 1, 2, 1], 1 / 8, (6, 8)) == 0
    assert tunes.bar_validity("M:6/8\nL:1/8\nK:D\nA |d2c d2e|f2e d3|d2c d2e|f3 d3|]\n") == 1.0
    assert notes._bar_error([2, 2, 2, 2, 2], 1 / 8, (4, 4)) == 1.0
    assert tunes.bar_lengths("M:4/4\nL:1/8\nK:D\nd2c2 B2A2|d2d2 d2d2 d2|d8|]\n")[1][0] == 5.0
