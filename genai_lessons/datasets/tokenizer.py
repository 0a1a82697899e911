"""Byte-pair encoding (BPE): the tokenizer family of GPT-2 and most language models since.

Text is first split into chunks (a word with its leading space, a run of punctuation, a run of
white space: `pretokenize`), each chunk into its UTF-8 bytes: ids 0-255. Learning repeats one
step: count every pair of adjacent ids inside the chunks (weighted by how often each chunk
occurs), and give the most frequent pair a new id, 256, 257, ... Encoding applies the learned
merges in the order they were learned. Because everything starts from bytes, any text encodes
and decodes back exactly, including characters never seen while learning.

Ties: when several pairs are equally frequent, the pair with the smallest (first id, second id)
is merged first, so learning is deterministic and independent of dictionary order.

    tokenizer = BytePairTokenizer.learn(corpus, vocab_size=512)
    ids = tokenizer.encode("Hello, world")     # int32 (tokens,)
    assert tokenizer.decode(ids) == "Hello, world"
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_lessons.core.array_checks import check_ids
from genai_lessons.core.validation import ArgumentTypeError, check_int, describe

BYTES = 256  # ids 0..255 are the bytes themselves
# A word with its leading space, a number, a run of other symbols, or white space: every
# character falls in exactly one branch, so the chunks put back together are the text.
_CHUNK = re.compile(r" ?[^\W\d_]+| ?\d+| ?[^\w\s]+|_+|\s+(?!\S)|\s")


def _check_text(argument: str, text) -> str:
    if not isinstance(text, str):
        raise ArgumentTypeError(f"{argument} must be a string, got {describe(text)}")
    return text


def pretokenize(text: str) -> list[str]:
    """Split text into the chunks merges never cross: ''.join(pretokenize(t)) == t."""
    return _CHUNK.findall(_check_text("text", text))


def count_pairs(ids, counts: Counter | None = None, weight: int = 1) -> Counter:
    """Counts of adjacent pairs in one sequence of ids (overlaps counted: 'aaa' has two 'aa')."""
    counts = Counter() if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] += weight
    return counts


def merge_pair(ids, pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of `pair` in `ids` by `new_id`, scanning left to right."""
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def _learn_merges(chunk_counts: Counter, merges: int) -> list[tuple[int, int]]:
    """The BPE merges, with pair counts kept up to date incrementally.

    Only the chunks that contain the merged pair are touched: their old pairs are subtracted
    and their new pairs added, which gives exactly the counts a full recount would give. A heap
    of (-count, pair) entries, with stale ones skipped when popped, finds the most frequent pair
    (smallest pair first on ties) without scanning all pairs at every step.
    """
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    weights = list(chunk_counts.values())
    counts: Counter = Counter()
    where = defaultdict(set)  # pair -> indices of the words that (may) contain it
    for index, (word, weight) in enumerate(zip(words, weights)):
        count_pairs(word, counts, weight)
        for pair in zip(word, word[1:]):
            where[pair].add(index)
    heap = [(-count, pair) for pair, count in counts.items()]
    heapq.heapify(heap)
    learned = []
    while len(learned) < merges and heap:
        negative, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative or negative == 0:
            continue  # stale entry: the count changed since it was pushed
        new_id = BYTES + len(learned)
        learned.append(pair)
        changed = set()
        for index in where.pop(pair, ()):
            word, weight = words[index], weights[index]
            merged = merge_pair(word, pair, new_id)
            if len(merged) == len(word):
                continue
            for old in zip(word, word[1:]):
                counts[old] -= weight
                changed.add(old)
            for new in zip(merged, merged[1:]):
                counts[new] += weight
                where[new].add(index)
                changed.add(new)
            words[index] = merged
        for changed_pair in changed:
            if counts[changed_pair] > 0:
                heapq.heappush(heap, (-counts[changed_pair], changed_pair))
            else:
                del counts[changed_pair]
    return learned


@dataclass(frozen=True)
class BytePairTokenizer:
    """A learned byte-pair encoding: merge i turns the pair merges[i] into id 256 + i."""

    merges: tuple[tuple[int, int], ...] = ()  # in the order they were learned

    def __post_init__(self):
        try:
            merges = tuple((int(a), int(b)) for a, b in self.merges)
        except (TypeError, ValueError):
            raise ValueError(
                f"merges must be a sequence of id pairs, got {describe(self.merges)}"
            ) from None
        for i, (a, b) in enumerate(merges):
            if not (0 <= a < BYTES + i and 0 <= b < BYTES + i):
                raise ValueError(
                    f"merges[{i}] must pair ids already defined (below {BYTES + i}), got {(a, b)}"
                )
        object.__setattr__(self, "merges", merges)
        table = [bytes([i]) for i in range(BYTES)]
        for a, b in merges:
            table.append(table[a] + table[b])
        object.__setattr__(self, "_bytes", tuple(table))
        object.__setattr__(self, "_ranks", {pair: i for i, pair in enumerate(merges)})
        object.__setattr__(self, "_cache", {})

    @classmethod
    def learn(cls, text: str, vocab_size: int) -> BytePairTokenizer:
        """Learn `vocab_size - 256` merges from `text` (fewer if no pair is left to merge)."""
        _check_text("text", text)
        check_int("vocab_size", vocab_size, BYTES)
        return cls(tuple(_learn_merges(Counter(pretokenize(text)), vocab_size - BYTES)))

    @property
    def vocab_size(self) -> int:
        return BYTES + len(self.merges)

    def token_bytes(self, token: int) -> bytes:
        """The bytes one id stands for."""
        return self._bytes[check_int("token", token, 0, self.vocab_size - 1)]

    def token_text(self, token: int) -> str:
        """One id's bytes as text (a replacement mark where it holds part of a character)."""
        return self.token_bytes(token).decode("utf-8", errors="replace")

    def _encode_chunk(self, chunk: str) -> list[int]:
        ids = self._cache.get(chunk)
        if ids is None:
            ids = list(chunk.encode("utf-8"))
            while len(ids) > 1:  # apply the earliest-learned merge present, as learning did
                pair = min(zip(ids, ids[1:]), key=lambda p: self._ranks.get(p, len(self.merges)))
                if pair not in self._ranks:
                    break
                ids = merge_pair(ids, pair, BYTES + self._ranks[pair])
            self._cache[chunk] = ids
        return ids

    def encode(self, text: str) -> np.ndarray:
        """Text to token ids, int32 (tokens,)."""
        ids = [i for chunk in pretokenize(text) for i in self._encode_chunk(chunk)]
        return np.asarray(ids, dtype=np.int32)

    def decode(self, ids) -> str:
        """Token ids back to text; bytes that do not form valid UTF-8 (possible only for ids
        that no `encode` produced, such as sampled ones) become the replacement mark."""
        ids = check_ids("ids", ids, self.vocab_size, ndim=None, min_length=0).ravel()
        return b"".join(self._bytes[i] for i in ids).decode("utf-8", errors="replace")

    def chars_per_token(self, text: str) -> float:
        """Compression: characters of `text` per token."""
        if not _check_text("text", text):
            raise ValueError("text must be a non-empty string, got ''")
        return len(text) / len(self.encode(text))

    def get_config(self) -> dict:
        return {"merges": [list(pair) for pair in self.merges]}

    @classmethod
    def from_config(cls, config: dict) -> BytePairTokenizer:
        return cls(tuple(tuple(pair) for pair in config["merges"]))

    def save(self, path) -> None:
        """Write the merges as JSON."""
        Path(path).write_text(json.dumps(self.get_config()), encoding="utf-8")

    @classmethod
    def load(cls, path) -> BytePairTokenizer:
        return cls.from_config(json.loads(Path(path).read_text(encoding="utf-8")))
