"""Text for the language-model lessons: a real corpus, a character vocabulary, training windows.

The default corpus needs no download: the Python reference documentation that ships with
every CPython installation (`pydoc_data`), cleaned to its English prose by `clean_prose`
(the raw topics also hold grammar productions, tables and code). Tiny Shakespeare is an
optional, larger corpus fetched once with a checksum; offline, the loader says so and uses the
default. Counting models of the same text are in `genai_lessons.measures.ngrams`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from genai_lessons.core import downloads
from genai_lessons.core.array_checks import check_ids
from genai_lessons.core.downloads import DownloadError, Remote, cache_folder, fetch
from genai_lessons.core.validation import (
    ArgumentTypeError,
    check_choice,
    check_int,
    check_number,
    check_seed,
    describe,
)

CORPORA = ("python_docs", "shakespeare")

SHAKESPEARE = Remote(
    "tiny_shakespeare.txt",
    "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
)


# Typographic characters mapped to ASCII: the same sentence should not be spelled two ways.
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
_UNDERLINE = re.compile(r"^([*=\-~^])\1{2,}$")  # the line under a heading
_BULLET = re.compile(r"^(\*|\d+\.)\s+")  # "* item" or "2. item"
_FOOTNOTE = re.compile(r"\s*\[\d+\]")  # "[3]" footnote references
_EMPHASIS = re.compile(r"\*{1,2}([^*\s][^*]*?)\*{1,2}")  # *word* and **word** markup
_NOT_PROSE = ("::=", ">>>", "+--", "|", "{", "}", "\\")  # grammar, sessions, tables, code


def _join_lines(lines: list[str]) -> str:
    """One paragraph's lines as one line: layout indentation and line breaks removed,
    words hyphenated across a line break put back together."""
    joined = ""
    for line in (line.strip() for line in lines):
        if joined.endswith("-") and line[:1].islower():
            joined += line
        else:
            joined += (" " if joined else "") + line
    return joined


def _prose(paragraph: str) -> str | None:
    """The paragraph as one line of cleaned English, or None if it is not prose."""
    lines = [line for line in paragraph.split("\n") if line.strip()]
    if not lines or any(_UNDERLINE.match(line.strip()) for line in lines):
        return None  # empty, or a heading
    sentence = _EMPHASIS.sub(r"\1", _FOOTNOTE.sub("", _BULLET.sub("", _join_lines(lines))))
    sentence = re.sub(r"\s{2,}", " ", sentence.translate(_ASCII))
    if any(marker in sentence for marker in _NOT_PROSE) or len(sentence.split()) < 6:
        return None
    if not sentence[0].isupper() or not sentence.endswith((".", "?", "!", ":")):
        return None  # a fragment, a signature such as "str.capitalize()", or a code line
    if sum(char.isalpha() or char == " " for char in sentence) < 0.88 * len(sentence):
        return None  # mostly symbols: code or a formula
    return sentence


def clean_prose(raw: str) -> str:
    """Keep the English sentences of reStructuredText-like documentation, one paragraph a line.

    Headings, grammar productions, tables, code blocks, interactive sessions and fragments are
    dropped; layout indentation, line wrapping, footnote marks and *emphasis* stars are removed;
    typographic quotes and dashes become ASCII; a paragraph seen before is not repeated (the
    documentation repeats some, which would let a counting model copy across the split).
    """
    seen, kept = set(), []
    for paragraph in re.split(r"\n\s*\n", raw):
        sentence = _prose(paragraph)
        if sentence is not None and sentence not in seen:
            seen.add(sentence)
            kept.append(sentence)
    return "\n".join(kept) + "\n"


def python_docs(clean: bool = True) -> str:
    """The topics of Python's own reference documentation, in a fixed order.

    Args:
        clean: keep only the English prose (`clean_prose`); False gives the raw topics.
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"
    return clean_prose(text) if clean else text


def load_corpus(name: str = "python_docs", cache_dir: str | Path | None = None) -> str:
    """Return a real text corpus as one string.

    Args:
        name: "python_docs" (the prose of Python's documentation, bundled, no download) or "shakespeare"
            (downloaded once, checksum-verified, cached; falls back to "python_docs" offline).
        cache_dir: where the download is cached (default: Keras's cache, ~/.keras).
    """
    check_choice("name", name, CORPORA)
    cache_folder(cache_dir)
    if name == "python_docs":
        return python_docs()
    try:
        return fetch(SHAKESPEARE, cache_dir).read_text(encoding="utf-8")
    except DownloadError:
        print(
            f"shakespeare could not be downloaded (offline, or no answer within {downloads.DOWNLOAD_TIMEOUT:g} s), "
            f"so python_docs is used instead."
        )
        return python_docs()


@dataclass(frozen=True)
class CharVocab:
    """A character-level vocabulary: each distinct character gets an integer id."""

    chars: tuple[str, ...]  # sorted distinct characters; a character's id is its index

    def __post_init__(self):
        chars = self.chars
        if (
            not isinstance(chars, (tuple, list))
            or not chars
            or not all(isinstance(c, str) and len(c) == 1 for c in chars)
        ):
            raise ValueError(
                f"chars must be a non-empty tuple of single characters, got {describe(chars)}"
            )
        if len(set(chars)) != len(chars):
            raise ValueError(
                f"chars must be distinct (a character needs one id), got {describe(chars)}"
            )
        object.__setattr__(self, "chars", tuple(chars))

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        if not isinstance(text, str):
            raise ArgumentTypeError(f"text must be a non-empty string, got {describe(text)}")
        if not text:
            raise ValueError("text must be a non-empty string, got ''")
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Text to an int32 array of ids. Raises ValueError on a character not in the vocabulary."""
        if not isinstance(text, str):
            raise ArgumentTypeError(f"text must be a string, got {describe(text)}")
        index = {char: i for i, char in enumerate(self.chars)}
        try:
            return np.fromiter((index[char] for char in text), dtype=np.int32, count=len(text))
        except KeyError as error:
            raise ValueError(
                f"text contains character {error.args[0]!r}, which is not in the "
                f"vocabulary; got {describe(text)}"
            ) from None

    def decode(self, ids) -> str:
        """An iterable of ids back to text. Raises ValueError on an id outside the vocabulary."""
        ids = check_ids("ids", ids, self.size, ndim=None, min_length=0).ravel()
        return "".join(self.chars[i] for i in ids)


def split_ids(ids: np.ndarray, validation_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split a token sequence into a leading training part and a trailing validation part.

    Contiguous, not shuffled: shuffled windows would leak overlapping text into validation.
    """
    check_number("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    checked = check_ids("ids", ids, ndim=1, min_length=2)
    ids = ids if isinstance(ids, np.ndarray) else checked  # an array keeps its dtype
    cut = int(round(len(ids) * (1.0 - validation_fraction)))
    if not 0 < cut < len(ids):
        raise ValueError(
            f"validation_fraction leaves an empty part of {len(ids)} ids, "
            f"got {validation_fraction!r}"
        )
    return ids[:cut], ids[cut:]


def make_windows(ids: np.ndarray, context: int, stride: int | None = None):
    """Cut a token sequence into (input, next-token target) training pairs.

    Each target is its input shifted by one position, so every position of a window is a
    next-token prediction: `targets[i, t] == ids[start_i + t + 1]`.

    Args:
        ids: 1D array of token ids.
        context: window length (the model's context).
        stride: step between window starts (default: `context`, non-overlapping).

    Returns:
        `(inputs, targets)`, int32 arrays of shape (windows, context).
    """
    context = check_int("context", context)
    stride = context if stride is None else check_int("stride", stride)
    ids = check_ids("ids", ids, ndim=1, min_length=context + 1)
    starts = np.arange(0, len(ids) - context, stride)
    offsets = np.arange(context)
    inputs = ids[starts[:, None] + offsets]
    targets = ids[starts[:, None] + offsets + 1]
    return inputs.astype(np.int32), targets.astype(np.int32)


class RandomWindows(keras.utils.PyDataset):
    """Training batches of (inputs, next-token targets) windows drawn at random places of the
    text; batch `index` is a pure function of (seed, index), so training is reproducible.

    Args:
        ids: 1D training token ids.
        context: window length.
        batch_size: windows per batch.
        batches: number of batches (the total training steps).
        seed: sampling seed.
    """

    def __init__(self, ids, context: int, batch_size: int, batches: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.context, self.batch_size = (
            check_int("context", context),
            check_int("batch_size", batch_size),
        )
        self.batches, self.seed = check_int("batches", batches), check_seed("seed", seed)
        self.ids = check_ids("ids", ids, ndim=1, min_length=context + 1).astype(np.int32)

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        if not 0 <= index < self.batches:
            raise IndexError(f"batch index {index} out of range 0..{self.batches - 1}")
        rng = np.random.default_rng([self.seed, index])
        positions = rng.integers(0, self.ids.size - self.context, self.batch_size)[
            :, None
        ] + np.arange(self.context)
        return self.ids[positions], self.ids[positions + 1]


class ConsecutiveWindows(keras.utils.PyDataset):
    """Evaluation batches: the text cut into consecutive windows (`text.make_windows`), in order.

    A `PyDataset` rather than arrays, so that `fit` and `evaluate` feed it without building
    a tf.data pipeline (whose TensorFlow build logs a harmless error line in notebooks).
    """

    def __init__(self, ids, context: int, batch_size: int, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = check_int("batch_size", batch_size)
        self.inputs, self.targets = make_windows(ids, context)

    def __len__(self):
        return -(-len(self.inputs) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range 0..{len(self) - 1}")
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.inputs[batch], self.targets[batch]
