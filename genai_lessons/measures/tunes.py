"""Measures of tunes in ABC notation: do they parse, do their bars fit the meter, do their notes
fit the key, how do they repeat, how much do they copy from the training tunes.

Parsing uses music21 (`parse`), imported on first use (it takes a second or two); the text-level
measures (bars, repetition, copying) and the scales need only the ABC text. The same functions
judge generated tunes and real held-out ones, so every figure has its control.

Note events are (onset, duration, MIDI pitch) rows, onset and duration in quarter notes.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np

from genai_lessons.core.validation import ArgumentTypeError, describe
from genai_lessons.datasets.music import BarIndex, bars  # noqa: F401  (re-exported: measures read them here)

_TONICS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MODE_STEPS = {  # semitones above the tonic of each mode's seven degrees
    "": (0, 2, 4, 5, 7, 9, 11),
    "m": (0, 2, 3, 5, 7, 8, 10),
    "dor": (0, 2, 3, 5, 7, 9, 10),
    "mix": (0, 2, 4, 5, 7, 9, 10),
    "phr": (0, 1, 3, 5, 7, 8, 10),
    "lyd": (0, 2, 4, 6, 7, 9, 11),
    "loc": (0, 1, 3, 5, 6, 8, 10),
}


def _check_text(name, value) -> str:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be a string of ABC text, got {describe(value)}")
    return value


def key_scale(key: str) -> tuple[int, set[int]]:
    """The tonic's pitch class and the scale's pitch classes of a key written as `D`, `Em`,
    `Ador`, `F#m`, `Bbmix` (the form `datasets.music` writes)."""
    match = re.fullmatch(r"([A-G])([#b]?)(m|dor|mix|phr|lyd|loc)?", _check_text("key", key))
    if not match:
        raise ValueError(f"key must be a tonic and mode such as 'D', 'Em' or 'Ador', got {key!r}")
    tonic = (_TONICS[match.group(1)] + {"": 0, "#": 1, "b": -1}[match.group(2)]) % 12
    return tonic, {(tonic + step) % 12 for step in _MODE_STEPS[match.group(3) or ""]}


def header_field(tune: str, letter: str) -> str | None:
    """The value of a header field (`M`, `L`, `K`) of a tune's text, or None."""
    match = re.search(rf"(?m)^{letter}:(.*)$", _check_text("tune", tune))
    return match.group(1).strip() if match else None


def body_of(tune: str) -> str:
    """The music after the tune's `K:` line (the whole text if there is none)."""
    parts = re.split(r"(?m)^K:.*$\n?", _check_text("tune", tune), maxsplit=1)
    return parts[-1]


# --------------------------------------------------------------------------- parsing (music21)


# No length, tuplet or ending in a real tune needs a number of this many digits; a sampled
# "D2222222222" asks music21 for a note of billions of units, which it builds until the memory
# runs out (lesson 8's kernel died on JAX, whose draws wrote one).
_ABSURD_NUMBER = re.compile(r"\d{4,}")


def parse(tune: str):
    """The tune parsed by music21 into a score, or None when music21 fails or finds no notes.

    music21's warnings about odd input are silenced: a failure shows as None. A body holding a
    number of four or more digits (a note billions of units long) is refused before music21
    sees it: None.
    """
    if _ABSURD_NUMBER.search(body_of(tune)):
        return None
    from music21 import converter

    with (
        warnings.catch_warnings(),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        try:
            score = converter.parse(tune, format="abc")
            if not any(True for _ in score.recurse().notes):
                return None
        except Exception:  # noqa: BLE001 - any failure of music21 on this text is "does not parse"
            return None
    return score


def note_events(score) -> np.ndarray:
    """(n, 3) float array of (onset, duration, MIDI pitch), onsets and durations in quarter
    notes, sorted by onset; a chord gives one row per pitch, rests none."""
    rows = []
    for element in score.flatten().notes:
        for pitch in element.pitches:
            rows.append((float(element.offset), float(element.quarterLength), float(pitch.midi)))
    events = np.array(sorted(rows), dtype=float).reshape(-1, 3)
    return events


def bar_lengths(tune: str) -> list[tuple[float, float, bool]]:
    """For each written bar of a tune: (length, the meter's length, at a section boundary),
    lengths in quarter notes, read with music21's ABC tokenizer (which applies the unit length,
    broken rhythms and tuplets) so that the bars are the ones written, not re-barred by music21.
    A bar is at a boundary when it is the first or last or touches a bar line other than `|`
    (repeats, double bars, endings), where ABC writes pick-ups and split bars.

    Raises:
        ValueError: when music21 cannot tokenize the text.
    """
    from music21 import abcFormat

    handler = abcFormat.ABCHandler()
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            handler.process(_check_text("tune", tune))
        except Exception as error:  # noqa: BLE001 - music21 raises several kinds
            raise ValueError(f"tune cannot be tokenized as ABC: {error}") from None
    full, length, plain_before, rows = 4.0, 0.0, False, []
    for token in handler.tokens:
        kind = type(token).__name__
        if kind == "ABCMetadata" and token.src.startswith("M:"):
            meter = normalised_meter(token.src[2:])
            full = 4.0 * meter if meter else full
        elif kind in ("ABCNote", "ABCChord"):
            tuplet = token.activeTuplet
            scale = float(tuplet.tupletMultiplier()) if tuplet is not None else 1.0
            length += float(token.quarterLength) * scale
        elif kind == "ABCBar":
            if length > 0:
                boundary = not rows or not plain_before or token.src.strip() != "|"
                rows.append((length, full, boundary))
            elif rows and token.src.strip() != "|":  # "|" then "[1": the bar before touches it
                rows[-1] = (*rows[-1][:2], True)
            if length > 0 or token.src.strip() != "|":
                plain_before = token.src.strip() == "|"
            length = 0.0
    if length > 0:
        rows.append((length, full, True))
    if rows:
        rows[-1] = (*rows[-1][:2], True)
    return rows


def normalised_meter(meter: str) -> float | None:
    """A meter as a fraction of a whole note: `6/8` -> 0.75, `C` -> 1.0, `C|` -> 1.0; else None."""
    meter = meter.strip()
    if meter in ("C", "C|"):
        return 1.0
    match = re.fullmatch(r"(\d+)/(\d+)", meter)
    return int(match.group(1)) / int(match.group(2)) if match and int(match.group(2)) else None


def bar_validity(tune: str) -> float:
    """The share of written bars whose length fits the meter: equal to it, or shorter at a
    section boundary (a pick-up, or the bar a pick-up completes). NaN for a tune without bars
    or one music21 cannot tokenize."""
    try:
        rows = bar_lengths(tune)
    except ValueError:
        return float("nan")
    if not rows:
        return float("nan")
    fits = [
        np.isclose(length, full) or (boundary and length < full) for length, full, boundary in rows
    ]
    return float(np.mean(fits))


_SEPARATOR = re.compile(r"\|\]|\[\||[|:]+|\[(?=\d)")  # bar lines, as `datasets.music.bars` splits
_NOTE = re.compile(r"[A-Ga-gz]")


def misfit_bar(tune: str) -> int | None:
    """For sampling with a meter constraint: where the bar just finished starts, if it does not
    fit the meter; None if it fits or no bar was just finished.

    `tune` is a tune's text as written so far (header included). A bar counts as finished when
    the last character follows a bar line without extending it (so `|:` or `|]` are read whole),
    or when the text ends with a blank line (the end of the tune). The bar is judged by the
    rule of `bar_validity`: its length (music21's tokenizer, on the header and this bar alone)
    equals the meter's, or is shorter at a section boundary (the first bar; a bar line other
    than `|` before or after it, an ending `|1`, `|[2` included; the last bar of the tune).
    A sampler that gets an index back cuts the text there and samples the bar again.
    """
    _check_text("tune", tune)
    header = re.search(r"(?m)^K:.*\n", tune)
    if header is None or normalised_meter(header_field(tune, "M") or "") is None:
        return None
    body = tune[header.end() :]
    separators = list(_SEPARATOR.finditer(body))
    if tune.endswith("\n\n"):  # the tune's last bar: it may be short, not long
        begin = separators[-1].end() if separators else 0
        end, boundary = len(body), True
    else:
        closing = [m for m in separators if m.end() == len(body) - 1]
        if not closing or body[-1] in "|:]":
            return None
        before = [m for m in separators if m.end() <= closing[0].start()]
        begin, end = (before[-1].end() if before else 0), closing[0].start()
        plain_before, last = False, 0  # as `bar_lengths`: a `|` after an empty bar does not count
        for m in before:
            if _NOTE.search(body[last : m.start()]) or m.group().strip() != "|":
                plain_before = m.group().strip() == "|"
            last = m.end()
        boundary = (
            not _NOTE.search(body[:begin])  # the first bar: a pick-up
            or not plain_before
            or closing[0].group().strip() != "|"
            or body[-1] in "[0123456789"  # an ending follows
        )
    bar = body[begin:end]
    if not _NOTE.search(bar):
        return None
    try:
        rows = bar_lengths(tune[: header.end()] + bar.strip() + "\n")
    except ValueError:
        return None
    if not rows:
        return None
    length, full = sum(row[0] for row in rows), rows[0][1]
    if np.isclose(length, full) or (boundary and length < full):
        return None
    return header.end() + begin


def scale_share(midi, key: str) -> float:
    """The share of notes (MIDI numbers) whose pitch class is in the key's scale; NaN if none."""
    midi = np.asarray(midi, dtype=float).ravel()
    if midi.size == 0:
        return float("nan")
    _, scale = key_scale(key)
    return float(np.isin(np.round(midi).astype(int) % 12, list(scale)).mean())


def pitch_class_histogram(midi, tonic: int = 0) -> np.ndarray:
    """The share of notes on each of the 12 pitch classes counted from `tonic` (0 = C), (12,)."""
    midi = np.round(np.asarray(midi, dtype=float).ravel()).astype(int)
    counts = np.bincount((midi - tonic) % 12, minlength=12).astype(float)
    return counts / max(counts.sum(), 1.0)


def histogram_distance(p, q) -> float:
    """Total variation distance between two histograms: half the summed absolute difference,
    0 for equal ones, 1 for ones with no pitch class in common."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"p and q must be 1D of the same length, got {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


# --------------------------------------------------------------------------- text-level measures


def has_repeat(body: str) -> bool:
    """Whether the body has a repeat sign (`|:`, `:|` or `::`)."""
    return bool(re.search(r"\|:|:\||::", _check_text("body", body)))


def repeated_bar_share(body: str) -> float:
    """The share of bars equal to an earlier bar of the same tune (0 for no bars)."""
    seen, repeated = set(), 0
    tune_bars = bars(body)
    for bar in tune_bars:
        repeated += bar in seen
        seen.add(bar)
    return repeated / len(tune_bars) if tune_bars else 0.0
