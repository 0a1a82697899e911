"""Folk tunes in ABC notation, bundled with music21: O'Neill's 1850 Irish tunes, Ryan's Mammoth
Collection and Aird's Airs, read as text (music21 itself is not imported here, so loading is fast).

Each tune is reduced to what a melody needs, by one stated rule (`reduce_tune`):
- header: the meter `M:` (`C` written as 4/4, `C|` as 2/2), the unit note length `L:` (the ABC
  standard's default when absent: 1/16 for meters below 3/4, else 1/8) and the key `K:`, written
  as tonic plus mode (`D`, `Em`, `Ador`, `Gmix`...); every other header field (title, source,
  tempo, notes) is dropped;
- body: comments, quoted text (chord symbols, annotations), `!...!` and `+...+` decorations,
  grace notes `{...}`, slurs, line continuations and single-letter decorations are dropped;
  notes, rests, accidentals, octave marks, lengths, broken rhythm, tuplets, ties, chords, bar
  lines, repeats and endings are kept, as are the line breaks;
- a tune is dropped (and counted) when its meter or key changes inside the tune, it has several
  voices, its key is not a plain tonic and mode (bagpipe keys), or its body is under 16 notes;
- a tune whose reduced text equals an earlier one is dropped as a duplicate.

The split is by tune, never inside one: a seeded permutation puts 10% of the tunes in
validation. `Tune.text` is the reduced tune; a corpus is tunes joined by blank lines.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from genai_lessons.core.validation import check_number, check_seed

COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")

_MODES = {  # the words ABC allows after the tonic (first three letters count), as written here
    "": "",
    "maj": "",
    "ion": "",
    "m": "m",
    "min": "m",
    "aeo": "m",
    "dor": "dor",
    "mix": "mix",
    "phr": "phr",
    "lyd": "lyd",
    "loc": "loc",
}
_KEY = re.compile(r"^([A-G])([#b]?)\s*([A-Za-z]*)")
_FIELD = re.compile(r"^([A-Za-z]):(.*)$")
_DROPPED_SPANS = re.compile(r'"[^"]*"|![^!\n]*!|\+[^+\n]*\+|\{[^}]*\}')
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):[^\]]*\]")
_SLUR = re.compile(r"\((?!\d)|\)")
_KEPT = set("ABCDEFGabcdefgz^_=,'0123456789/<>|:[]-( \n")
MIN_NOTES = 16


class TuneRejected(ValueError):
    """A tune that the reduction rule drops; `reason` says which part of the rule."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Tune:
    """One reduced tune: meter ("6/8"), unit length ("1/8"), key ("D", "Em", "Ador") and body."""

    meter: str
    unit: str
    key: str
    body: str
    title: str = ""
    collection: str = ""

    @property
    def header(self) -> str:
        return f"M:{self.meter}\nL:{self.unit}\nK:{self.key}\n"

    @property
    def text(self) -> str:
        """The tune as the models read it: the three header lines, the body, a final newline."""
        return f"{self.header}{self.body}\n"


def normalise_meter(meter: str) -> str:
    """`C` -> 4/4, `C|` -> 2/2, `6/8` -> 6/8; anything else raises TuneRejected."""
    meter = meter.strip()
    meter = {"C": "4/4", "C|": "2/2"}.get(meter, meter)
    if not re.fullmatch(r"[1-9]\d?/(1|2|4|8|16)", meter):
        raise TuneRejected(f"meter {meter!r} is not a fraction")
    return meter


def normalise_key(key: str) -> str:
    """`E Minor` -> Em, `Gmaj` -> G, `A dorian` -> Ador; bagpipe and empty keys raise TuneRejected."""
    match = _KEY.match(key.strip())
    mode = match and match.group(3).lower()
    mode = mode if mode in ("m", "") else (mode or "")[:3]
    if not match or mode not in _MODES:
        raise TuneRejected(f"key {key!r} is not a tonic and mode")
    return match.group(1) + match.group(2) + _MODES[mode]


def default_unit(meter: str) -> str:
    """The ABC standard's unit length when `L:` is absent: 1/16 below 3/4, else 1/8."""
    top, bottom = (int(x) for x in meter.split("/"))
    return "1/16" if top / bottom < 0.75 else "1/8"


def reduce_body(lines: list[str]) -> str:
    """The body lines of a tune reduced by the module's rule (see the module docstring)."""
    kept = []
    for line in lines:
        line = line.split("%", 1)[0]
        field_match = _FIELD.match(line.strip())
        if field_match and not line.strip().startswith("|"):
            letter = field_match.group(1)
            if letter in "MKV":
                raise TuneRejected(
                    "several voices" if letter == "V" else f"{letter}: changes inside the tune"
                )
            continue  # parts, lyrics, notes: not music
        inline = _INLINE_FIELD.search(line)
        if inline:
            if inline.group(1) in "MKV":
                raise TuneRejected(f"{inline.group(1)}: changes inside the tune")
            line = _INLINE_FIELD.sub("", line)
        line = _SLUR.sub("", _DROPPED_SPANS.sub("", line))
        line = "".join(char for char in line if char in _KEPT)
        line = re.sub(r" {2,}", " ", line).strip()
        if line:
            kept.append(line)
    body = "\n".join(kept)
    if sum(char in "ABCDEFGabcdefg" for char in body) < MIN_NOTES:
        raise TuneRejected(f"fewer than {MIN_NOTES} notes")
    return body


def reduce_tune(raw: str, collection: str = "") -> Tune:
    """One tune's ABC text (from `X:` to the blank line) reduced to a `Tune`.

    Raises:
        TuneRejected: when the rule drops the tune; its `reason` says why.
    """
    lines = raw.strip("\n").splitlines()
    header, title = {}, ""
    for at, line in enumerate(lines):
        field_match = _FIELD.match(line.split("%", 1)[0].strip())
        if not field_match:
            if line.strip() and not line.lstrip().startswith("%"):
                raise TuneRejected("music before the K: field")
            continue
        letter, value = field_match.group(1), field_match.group(2).strip()
        if letter == "T" and not title:
            title = value
        if letter == "V":
            raise TuneRejected("several voices")
        header.setdefault(letter, value)
        if letter == "K":
            body_start = at + 1
            break
    else:
        raise TuneRejected("no K: field")
    meter = normalise_meter(header.get("M", "4/4"))
    unit = header.get("L", default_unit(meter)).replace(" ", "")
    if not re.fullmatch(r"1/(1|2|4|8|16|32)", unit):
        raise TuneRejected(f"unit length {unit!r}")
    key = normalise_key(header["K"])
    return Tune(meter, unit, key, reduce_body(lines[body_start:]), title, collection)


def split_tunes(abc: str) -> list[str]:
    """An ABC file's text cut into tunes: each starts at an `X:` line."""
    return [
        "X:" + part for part in re.split(r"(?m)^X:", abc)[1:] if part.strip()
    ]  # text before the first X: is the file's own header


def read_collection(name: str) -> list[str]:
    """The raw tunes of one of music21's bundled ABC collections, in file order."""
    if name not in COLLECTIONS:
        raise ValueError(f"collection must be one of {COLLECTIONS}, got {name!r}")
    folder = importlib.resources.files("music21") / "corpus" / name
    files = sorted(path for path in folder.iterdir() if path.name.endswith(".abc"))
    return [tune for path in files for tune in split_tunes(path.read_text(encoding="latin-1"))]


@dataclass(frozen=True)
class TuneSplit:
    """Tunes split by tune: `train` and `validation` lists, and what the rule dropped."""

    train: tuple[Tune, ...]
    validation: tuple[Tune, ...]
    raw_count: int  # tunes in the files
    dropped: dict = field(default_factory=dict)  # reason -> number of tunes

    @staticmethod
    def corpus(tunes) -> str:
        """Tunes as one text, separated by blank lines (how the language models read them)."""
        return "\n".join(tune.text for tune in tunes)

    @property
    def alphabet(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.corpus(self.train + self.validation))))


def load_tunes(
    collections=COLLECTIONS, validation_fraction: float = 0.1, seed: int = 0
) -> TuneSplit:
    """The bundled tunes, reduced, deduplicated and split by tune.

    Args:
        collections: names from `COLLECTIONS`.
        validation_fraction: share of the tunes held out, drawn by a seeded permutation.
        seed: the permutation's seed; the same seed gives the same split.
    """
    check_number("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    check_seed("seed", seed)
    if isinstance(collections, str) or not collections:
        raise ValueError(f"collections must be a non-empty sequence of names, got {collections!r}")
    tunes, seen, dropped, raw_count = [], set(), Counter(), 0
    for name in collections:
        for raw in read_collection(name):
            raw_count += 1
            try:
                tune = reduce_tune(raw, name)
            except TuneRejected as error:
                dropped[re.sub(r"'.*'", "...", error.reason)] += 1
                continue
            if tune.text in seen:
                dropped["duplicate of an earlier tune"] += 1
                continue
            seen.add(tune.text)
            tunes.append(tune)
    order = np.random.default_rng(seed).permutation(len(tunes))
    n_val = int(round(len(tunes) * validation_fraction))
    validation = tuple(tunes[i] for i in sorted(order[:n_val]))
    train = tuple(tunes[i] for i in sorted(order[n_val:]))
    return TuneSplit(train, validation, raw_count, dict(dropped))
