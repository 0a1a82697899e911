"""Text for the language-model lesson: a real corpus, a character vocabulary, training windows.

The default corpus needs no download: the Python reference documentation that ships with
every CPython installation (`pydoc_data`, about 460,000 characters of human-written English
prose and examples). Tiny Shakespeare (about 1.1 million characters) is an optional, larger
corpus fetched once with a checksum; offline, the loader says so and uses the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_lessons import data
from genai_lessons.data import DownloadError, Remote, _cache_folder, fetch
from genai_lessons.validation import (
    ArgumentTypeError, check_choice, check_ids, check_int, check_number, describe)

CORPORA = ("python_docs", "shakespeare")

SHAKESPEARE = Remote(
    "tiny_shakespeare.txt",
    "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
)


def _python_docs() -> str:
    """The topics of Python's own reference documentation, in a fixed order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"


def load_corpus(name: str = "python_docs", cache_dir: str | Path | None = None) -> str:
    """Return a real text corpus as one string.

    Args:
        name: "python_docs" (bundled with Python, no download) or "shakespeare"
            (downloaded once, checksum-verified, cached; falls back to "python_docs" offline).
        cache_dir: where the download is cached (default: Keras's cache, ~/.keras).
    """
    check_choice("name", name, CORPORA)
    _cache_folder(cache_dir)
    if name == "python_docs":
        return _python_docs()
    try:
        return fetch(SHAKESPEARE, cache_dir).read_text(encoding="utf-8")
    except DownloadError:
        print(f"shakespeare could not be downloaded (offline, or no answer within {data.DOWNLOAD_TIMEOUT:g} s), "
              f"so python_docs is used instead.")
        return _python_docs()


@dataclass(frozen=True)
class CharVocab:
    """A character-level vocabulary: each distinct character gets an integer id."""

    chars: tuple[str, ...]  # sorted distinct characters; a character's id is its index

    def __post_init__(self):
        chars = self.chars
        if not isinstance(chars, (tuple, list)) or not chars \
                or not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise ValueError(f"chars must be a non-empty tuple of single characters, got {describe(chars)}")
        if len(set(chars)) != len(chars):
            raise ValueError(f"chars must be distinct (a character needs one id), got {describe(chars)}")
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
            raise ValueError(f"text contains character {error.args[0]!r}, which is not in the "
                             f"vocabulary; got {describe(text)}") from None

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
        raise ValueError(f"validation_fraction leaves an empty part of {len(ids)} ids, "
                         f"got {validation_fraction!r}")
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
    ids = np.asarray(ids)
    stride = context if stride is None else stride
    check_int("context", context)
    check_int("stride", stride)
    if ids.ndim != 1 or len(ids) < context + 1:
        raise ValueError(f"ids must be 1D with more than context={context} tokens, got shape {ids.shape}")
    starts = np.arange(0, len(ids) - context, stride)
    offsets = np.arange(context)
    inputs = ids[starts[:, None] + offsets]
    targets = ids[starts[:, None] + offsets + 1]
    return inputs.astype(np.int32), targets.astype(np.int32)
