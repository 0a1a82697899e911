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

The split is by tune, never inside one, and versions of one tune stay on one side: tunes that
share at least half of one's bars, in order, are grouped (`version_groups`), and a seeded
permutation of the groups puts 10% of the tunes in validation. `Tune.text` is the reduced tune;
a corpus is tunes joined by blank lines.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from genai_lessons.core.validation import (
    ArgumentTypeError,
    check_bool,
    check_number,
    check_seed,
    describe,
)

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
_BAR_SEPARATOR = re.compile(r"\|\]|\[\||[|:]+|\[(?=\d)")
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


# --------------------------------------------------------------------------- bars, and versions of a tune


def bars(body: str, as_written: bool = False) -> list[str]:
    """The bars of an ABC body, spaces and line breaks removed, ending numbers stripped; bars
    without a note are skipped. With `as_written`, each bar is every character between its bar
    lines as a character model reads them (spaces kept, a line break read as a space)."""
    if not isinstance(body, str):
        raise ArgumentTypeError(f"body must be a string of ABC text, got {describe(body)}")
    pieces = _BAR_SEPARATOR.split(body.replace("\n", " "))
    if as_written:
        return [piece for piece in pieces if re.search(r"[A-Ga-g]", piece)]
    cleaned = [re.sub(r"\s+", "", piece).lstrip("0123456789,") for piece in pieces]
    return [piece for piece in cleaned if re.search(r"[A-Ga-g]", piece)]


class BarIndex:
    """Every bar of some tunes with where it occurs, to find runs of bars copied from them.

    Args:
        bodies: the tunes' bodies (ABC text after the header).
    """

    def __init__(self, bodies):
        self.tunes = [bars(body) for body in bodies]
        self.where = defaultdict(list)
        for t, tune_bars in enumerate(self.tunes):
            for i, bar in enumerate(tune_bars):
                self.where[bar].append((t, i))

    def longest_runs(self, sample: list[str], min_length: int = 1) -> dict[int, int]:
        """For each indexed tune holding at least `min_length` consecutive bars of `sample` (a
        list of bars) in the same order, the longest such run: {tune number: bars}."""
        runs: dict[int, int] = {}
        for start in range(len(sample) - max(min_length, 1) + 1):
            for t, i in self.where.get(sample[start], ()):
                source = self.tunes[t]
                if start and i and source[i - 1] == sample[start - 1]:
                    continue  # inside a run that starts earlier, already measured
                length = 1
                while (
                    start + length < len(sample)
                    and i + length < len(source)
                    and sample[start + length] == source[i + length]
                ):
                    length += 1
                if length >= min_length and length > runs.get(t, 0):
                    runs[t] = length
        return runs

    def longest_copied_run(self, body: str) -> int:
        """The most consecutive bars of `body` that also occur consecutively in one indexed tune."""
        return max(self.longest_runs(bars(body)).values(), default=0)


# A tune with this share of its bars, in order, inside another is a version of it.
VERSION_SHARE = 0.5


def version_groups(tunes, share: float = VERSION_SHARE) -> np.ndarray:
    """A group number per tune, joining versions of one tune: two tunes are joined when at least
    `share` of one's bars occur consecutively, in the same order, in the other (collections print
    the same tune with other ornaments, endings or titles), and groups chain (a version of a
    version is in the same group). Group numbers count from 0 in order of first appearance."""
    check_number("share", share, 0.0, 1.0, inclusive=False)
    tunes = list(tunes)
    index = BarIndex([tune.body for tune in tunes])
    parent = list(range(len(tunes)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, tune_bars in enumerate(index.tunes):
        needed = max(1, int(np.ceil(share * len(tune_bars))))
        for b in index.longest_runs(tune_bars, needed):
            if b != a:
                parent[root(a)] = root(b)
    roots = [root(node) for node in range(len(tunes))]
    numbers = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([numbers[r] for r in roots], dtype=np.int64)


@dataclass(frozen=True)
class TuneSplit:
    """Tunes split by tune: `train` and `validation` lists, and what the rule dropped."""

    train: tuple[Tune, ...]
    validation: tuple[Tune, ...]
    raw_count: int  # tunes in the files
    dropped: dict = field(default_factory=dict)  # reason -> number of tunes
    versions: int = 0  # tunes kept that are in a group of versions of one tune (see version_groups)

    @staticmethod
    def corpus(tunes) -> str:
        """Tunes as one text, separated by blank lines (how the language models read them)."""
        return "\n".join(tune.text for tune in tunes)

    @property
    def alphabet(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.corpus(self.train + self.validation))))


def load_tunes(
    collections=COLLECTIONS,
    validation_fraction: float = 0.1,
    seed: int = 0,
    group_versions: bool = True,
) -> TuneSplit:
    """The bundled tunes, reduced, deduplicated and split by tune.

    Args:
        collections: names from `COLLECTIONS`.
        validation_fraction: share of the tunes held out, drawn by a seeded permutation of the
            groups of versions (whole groups, until the share is reached).
        seed: the permutation's seed; the same seed gives the same split.
        group_versions: keep versions of one tune (`version_groups`) on one side of the split, so
            that held-out tunes are not near-copies of training tunes; False splits tune by tune.
    """
    check_number("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    check_seed("seed", seed)
    check_bool("group_versions", group_versions)
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
    groups = version_groups(tunes) if group_versions else np.arange(len(tunes))
    members = defaultdict(list)
    for number, group in enumerate(groups):
        members[group].append(number)
    n_val, held_out = int(round(len(tunes) * validation_fraction)), []
    for group in np.random.default_rng(seed).permutation(len(members)):
        if len(held_out) >= n_val:
            break
        held_out.extend(members[group])
    held = set(held_out)
    validation = tuple(tunes[i] for i in sorted(held))
    train = tuple(tune for i, tune in enumerate(tunes) if i not in held)
    versions = sum(len(m) for m in members.values() if len(m) > 1)
    return TuneSplit(train, validation, raw_count, dict(dropped), versions)
