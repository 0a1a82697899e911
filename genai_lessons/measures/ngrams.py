"""Counting models of text: character n-grams with interpolated (modified) Kneser-Ney smoothing.

These are the baselines a language model must beat. An order-n model predicts the next token
from the n-1 before it, from counts on the training text. Kneser-Ney (Chen & Goodman, 1998)
subtracts a small discount from every seen count and hands the freed probability to the
next-shorter context, down to a uniform distribution, so an unseen n-gram never gets
probability 0. The shorter contexts count *in how many different contexts* a token follows
them (continuation counts), not how often. Its discounts come from the training counts
themselves (how many n-grams were seen once, twice, three and four times), so nothing is tuned
on validation text.

Shapes: token ids are 1D integer arrays; `contexts` are (n, order - 1) arrays of the previous
ids, oldest first, left-padded with -1 where the text starts.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.core.validation import check_int


def _check_ids(name, ids, vocab_size, minimum=1):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size < minimum or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1D integer array of at least {minimum} ids, got shape {ids.shape}"
        )
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"{name} must lie in [0, {vocab_size - 1}], got {ids.min()}..{ids.max()}")
    return ids.astype(np.int64)


def _discounts(counts):
    """Modified Kneser-Ney discounts (D1, D2, D3+) from the count-of-counts n1..n4."""
    n = [np.count_nonzero(counts == c) for c in (1, 2, 3, 4)]
    if min(n) == 0:  # tiny texts: fall back to one safe discount
        return np.array([0.0, 0.5, 0.5, 0.5])
    y = n[0] / (n[0] + 2 * n[1])
    d = [1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]]
    return np.array([0.0, *np.clip(d, 0.05, None)])  # index = min(count, 3)


def _baseline_args(train_ids, eval_ids, vocab_size, smoothing, minimum):
    check_int("vocab_size", vocab_size)
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not smoothing > 0:
        raise ValueError(f"smoothing must be a positive number, got {smoothing!r}")
    checked = []
    for name, ids in (("train_ids", train_ids), ("eval_ids", eval_ids)):
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size < minimum or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"{name} must be a 1D integer array of at least {minimum} ids, got shape {ids.shape}"
            )
        if ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(
                f"{name} must lie in [0, {vocab_size - 1}], got {ids.min()}..{ids.max()}"
            )
        checked.append(ids)
    return checked


def unigram_cross_entropy(train_ids, eval_ids, vocab_size: int, smoothing: float = 0.1) -> float:
    """Cross-entropy (nats per token) on eval_ids of token frequencies counted on train_ids,
    with `smoothing` added to every count so unseen tokens keep a small probability."""
    train, held = _baseline_args(train_ids, eval_ids, vocab_size, smoothing, minimum=1)
    counts = np.bincount(train, minlength=vocab_size) + smoothing
    return float(-np.log(counts / counts.sum())[held].mean())


def bigram_cross_entropy(train_ids, eval_ids, vocab_size: int, smoothing: float = 0.1) -> float:
    """Cross-entropy (nats per token) of predicting each eval token from the one before it,
    with next-token frequencies counted on train_ids (add-`smoothing`)."""
    train, held = _baseline_args(train_ids, eval_ids, vocab_size, smoothing, minimum=2)
    counts = np.full((vocab_size, vocab_size), smoothing)
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-log_probs[held[:-1], held[1:]].mean())


class _Level:
    """The counts of one n-gram length k: for each seen k-gram a count, for each (k-1)-gram
    history the total and the summed discounts (the probability passed to shorter contexts)."""

    def __init__(self, codes, vocab_size):
        self.grams, counts = np.unique(codes, return_counts=True)
        self.counts = counts.astype(np.float64)
        self.discount = _discounts(counts)
        history = self.grams // vocab_size
        self.histories, first = np.unique(history, return_index=True)
        self.totals = np.add.reduceat(self.counts, first)
        freed = self.discount[np.minimum(counts, 3)]
        self.freed = np.add.reduceat(freed, first)

    @staticmethod
    def _find(table, queries):
        where = np.clip(np.searchsorted(table, queries), 0, len(table) - 1)
        return where, table[where] == queries

    def interpolate(self, gram_codes, history_codes, lower):
        """p(w | h) for the queried (h, w) codes, falling back to `lower` where h is unseen."""
        gram_at, seen = self._find(self.grams, gram_codes)
        count = np.where(seen, self.counts[gram_at], 0.0)
        hist_at, known = self._find(self.histories, history_codes)
        total = np.where(known, self.totals[hist_at], 1.0)
        kept = np.maximum(count - self.discount[np.minimum(count, 3).astype(int)], 0.0) / total
        mixed = kept + np.where(known, self.freed[hist_at], 0.0) / total * lower
        return np.where(known, mixed, lower)


class KneserNey:
    """An interpolated modified Kneser-Ney character n-gram model.

    Args:
        order: n, the n-gram length (1 = token frequencies only).
        vocab_size: number of distinct tokens.

    Call `fit(train_ids)` first; then `cross_entropy(ids)`, `probabilities(contexts, targets)`,
    `next_distribution(history)` and `sample(prompt, steps)`.
    """

    def __init__(self, order: int, vocab_size: int):
        self.order, self.vocab_size = check_int("order", order), check_int("vocab_size", vocab_size)
        if vocab_size**order >= 2**62:
            raise ValueError(
                f"order {order} is too long to code in 64 bits for vocab_size {vocab_size}"
            )
        self.levels = None

    def fit(self, train_ids) -> KneserNey:
        ids = _check_ids("train_ids", train_ids, self.vocab_size, minimum=self.order)
        codes = ids.copy()  # codes of the k-grams ending at each position, k = 1, 2, ...
        by_length = [codes]
        for k in range(2, self.order + 1):
            codes = codes[:-1] * self.vocab_size + ids[k - 1 :]
            by_length.append(codes)
        self.levels = []
        for k in range(1, self.order + 1):
            if k == self.order:  # the longest context counts occurrences
                level_codes = by_length[k - 1]
            else:  # shorter ones count the distinct tokens seen just before the k-gram
                level_codes = np.unique(by_length[k]) % self.vocab_size**k
            self.levels.append(_Level(level_codes, self.vocab_size))
        return self

    def probabilities(self, contexts, targets) -> np.ndarray:
        """p(target | context) for each row: contexts (n, order-1) left-padded with -1, targets (n,)."""
        if self.levels is None:
            raise ValueError("call fit(train_ids) before using the model")
        targets = np.asarray(targets, dtype=np.int64)
        contexts = np.asarray(contexts, dtype=np.int64).reshape(len(targets), self.order - 1)
        probs = np.full(len(targets), 1.0 / self.vocab_size)
        history = np.zeros(len(targets), dtype=np.int64)
        for k, level in enumerate(self.levels, start=1):
            if k > 1:  # extend the history one token further back
                column = contexts[:, self.order - k]
                available = column >= 0
                history = history + np.maximum(column, 0) * self.vocab_size ** (k - 2)
            else:
                available = np.ones(len(targets), dtype=bool)
            grams = history * self.vocab_size + targets
            probs = np.where(available, level.interpolate(grams, history, probs), probs)
        return probs

    def contexts_of(self, ids) -> np.ndarray:
        """The (len(ids), order-1) contexts of every position of a text, -1 before its start."""
        ids = np.asarray(ids, dtype=np.int64)
        padded = np.concatenate([np.full(self.order - 1, -1), ids])
        return (
            np.stack([padded[i : i + len(ids)] for i in range(self.order - 1)], axis=1)
            if self.order > 1
            else np.zeros((len(ids), 0), dtype=np.int64)
        )

    def cross_entropy(self, ids) -> float:
        """Mean -ln p(ids[t] | earlier ids of `ids`) over t >= 1, in nats per token."""
        ids = _check_ids("ids", ids, self.vocab_size, minimum=2)
        return float(-np.log(self.probabilities(self.contexts_of(ids)[1:], ids[1:])).mean())

    def next_distribution(self, history) -> np.ndarray:
        """p(next token | the last order-1 ids of history), shape (vocab_size,)."""
        history = np.asarray(history, dtype=np.int64)[-(self.order - 1) :] if self.order > 1 else []
        context = np.full(self.order - 1, -1, dtype=np.int64)
        if len(history):
            context[-len(history) :] = history
        targets = np.arange(self.vocab_size)
        return self.probabilities(np.tile(context, (self.vocab_size, 1)), targets)

    def sample(self, prompt_ids, steps: int, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
        """Continue a prompt by sampling from p ** (1 / temperature), renormalised.

        Returns the prompt followed by `steps` new ids, int32.
        """
        check_int("steps", steps, minimum=0)
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, (int, float))
            or not temperature > 0
        ):
            raise ValueError(f"temperature must be a positive number, got {temperature!r}")
        rng = np.random.default_rng(seed)
        ids = [int(i) for i in _check_ids("prompt_ids", prompt_ids, self.vocab_size)]
        for _ in range(steps):
            logits = np.log(self.next_distribution(ids)) / temperature
            p = np.exp(logits - logits.max())
            ids.append(int(rng.choice(self.vocab_size, p=p / p.sum())))
        return np.asarray(ids, dtype=np.int32)
