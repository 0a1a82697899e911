"""Tests of genai_lessons.measures.ngrams: the counting baselines against closed forms and against a
plain-Python Kneser-Ney written from the textbook definition."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from genai_lessons.measures import ngrams


def markov_text(length, vocab=5, seed=0):
    """Ids where the next token depends on the two before it, plus noise."""
    rng = np.random.default_rng(seed)
    ids = [0, 1]
    for _ in range(length - 2):
        ids.append(
            (ids[-1] + 2 * ids[-2]) % vocab if rng.random() < 0.7 else int(rng.integers(vocab))
        )
    return np.array(ids)


def reference_kneser_ney(train, order, vocab):
    """p(w | context) by the definition: dictionaries of counts, one level at a time."""
    train = [int(i) for i in train]
    grams = [
        Counter(tuple(train[i : i + k]) for i in range(len(train) - k + 1))
        for k in range(order + 2)
    ]
    levels = []
    for k in range(1, order + 1):
        if k == order:
            counts = dict(grams[k])
        else:  # continuation counts: how many distinct tokens precede the k-gram
            counts = Counter(gram[1:] for gram in grams[k + 1])
        n = [sum(1 for c in counts.values() if c == j) for j in (1, 2, 3, 4)]
        if min(n) == 0:  # too few counts to estimate discounts: the module's fixed fallback
            discount = [0.0, 0.5, 0.5, 0.5]
        else:  # Chen & Goodman's estimates, never below 0.05
            y = n[0] / (n[0] + 2 * n[1])
            discount = [0.0] + [
                max(d, 0.05)
                for d in (1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2])
            ]
        totals, freed = defaultdict(float), defaultdict(float)
        for gram, c in counts.items():
            totals[gram[:-1]] += c
            freed[gram[:-1]] += discount[min(c, 3)]
        levels.append((counts, discount, totals, freed))

    def prob(context, w):
        p = 1.0 / vocab
        for k, (counts, discount, totals, freed) in enumerate(levels, start=1):
            history = tuple(context[len(context) - (k - 1) :]) if k > 1 else ()
            if len(history) < k - 1 or totals.get(history, 0) == 0:
                continue  # unseen (or unavailable) context: keep the shorter one's estimate
            c = counts.get(history + (w,), 0)
            p = (max(c - discount[min(c, 3)], 0) + freed[history] * p) / totals[history]
        return p

    return prob


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_kneser_ney_matches_the_definition(order):
    train, held = markov_text(4000), markov_text(300, seed=1)
    model = ngrams.KneserNey(order, 5).fit(train)
    reference = reference_kneser_ney(train, order, 5)
    contexts = model.contexts_of(held)
    ours = model.probabilities(contexts, held)
    for t in range(len(held)):
        history = [int(i) for i in held[max(0, t - order + 1) : t]]
        assert ours[t] == pytest.approx(reference(history, int(held[t])), rel=1e-9)
    expected = -np.mean(
        np.log(
            [
                reference([int(i) for i in held[max(0, t - order + 1) : t]], int(held[t]))
                for t in range(1, len(held))
            ]
        )
    )
    assert model.cross_entropy(held) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("order", [1, 3, 5])
def test_distributions_sum_to_one_even_for_unseen_contexts(order):
    model = ngrams.KneserNey(order, 7).fit(markov_text(2000, vocab=6))  # token 6 never occurs
    for history in ([], [0], [1, 2, 3, 4], [6, 6, 6, 6], [5, 0, 6, 1]):
        p = model.next_distribution(history)
        assert p.shape == (7,) and np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_longer_contexts_predict_better_up_to_what_the_data_supports():
    train, held = markov_text(20000), markov_text(3000, seed=2)
    losses = [ngrams.KneserNey(n, 5).fit(train).cross_entropy(held) for n in (1, 2, 3, 4)]
    assert losses[0] > losses[1] > losses[2]  # the text depends on two tokens back
    assert losses[3] == pytest.approx(losses[2], abs=0.02)  # and not on a third
    assert losses[0] == pytest.approx(np.log(5), abs=0.01)  # tokens are about equally frequent


def test_sampling_is_seeded_and_follows_the_model():
    train = markov_text(5000)
    model = ngrams.KneserNey(3, 5).fit(train)
    a = model.sample([0, 1], 200, temperature=1.0, seed=3)
    assert a.dtype == np.int32 and len(a) == 202 and list(a[:2]) == [0, 1]
    np.testing.assert_array_equal(a, model.sample([0, 1], 200, seed=3))
    assert not np.array_equal(a, model.sample([0, 1], 200, seed=4))
    # At a low temperature the rule "next = last + 2 * the one before" is followed every time.
    cold = model.sample([0, 1], 100, temperature=0.05, seed=0)
    assert all(cold[t] == (cold[t - 1] + 2 * cold[t - 2]) % 5 for t in range(2, len(cold)))


def test_unigram_and_bigram_baselines_closed_form():
    train, held = np.array([0, 1, 0, 1, 0, 2]), np.array([0, 1, 2])
    counts = np.array([3, 2, 1]) + 0.5
    expected = -np.mean(np.log(counts[[0, 1, 2]] / counts.sum()))
    assert ngrams.unigram_cross_entropy(train, held, 3, smoothing=0.5) == pytest.approx(expected)
    # Pairs in train: 0->1 twice, 1->0 twice, 0->2 once. Held pairs: 0->1, 1->2.
    p01 = (2 + 0.5) / (3 + 1.5)
    p12 = 0.5 / (2 + 1.5)
    assert ngrams.bigram_cross_entropy(train, held, 3, smoothing=0.5) == pytest.approx(
        -(np.log(p01) + np.log(p12)) / 2
    )


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="eval_ids"):
        ngrams.bigram_cross_entropy([0, 1, 2], [0, 5], vocab_size=3)
    with pytest.raises(ValueError, match="smoothing"):
        ngrams.unigram_cross_entropy([0, 1], [0], vocab_size=3, smoothing=0)
    with pytest.raises(ValueError, match="order"):
        ngrams.KneserNey(0, 5)
    with pytest.raises(ValueError, match="64 bits"):
        ngrams.KneserNey(12, 100)
    with pytest.raises(ValueError, match="fit"):
        ngrams.KneserNey(2, 5).cross_entropy([0, 1, 2])
    model = ngrams.KneserNey(2, 5).fit(markov_text(100))
    with pytest.raises(ValueError, match="train_ids"):
        ngrams.KneserNey(2, 5).fit([0, 7])
    with pytest.raises(ValueError, match="temperature"):
        model.sample([0], 3, temperature=0)
    with pytest.raises(ValueError, match="steps"):
        model.sample([0], -1)


@pytest.mark.parametrize("order", [5, 9])
def test_estimated_discounts_are_as_good_as_tuned_ones_on_held_out_training_text(
    order, monkeypatch
):
    """The discounts come from count-of-counts; scaling them all up or down, judged on held-out
    *training* text (the honest way to tune a baseline), should not find better ones."""
    from genai_lessons.datasets import text

    vocab = text.CharVocab.from_text(text.load_corpus())
    train, _ = text.split_ids(vocab.encode(text.load_corpus()), 0.1)
    fit, held = text.split_ids(train, 0.1)  # never the validation split
    estimated = ngrams._discounts
    losses = {}
    for scale in (0.8, 1.0, 1.2):
        monkeypatch.setattr(
            ngrams,
            "_discounts",  # D_c below c: a count of c keeps some probability
            lambda counts, s=scale: np.minimum(estimated(counts) * s, 0.99 * np.arange(4)),
        )
        losses[scale] = ngrams.KneserNey(order, vocab.size).fit(fit).cross_entropy(held)
    assert losses[1.0] < min(losses[0.8], losses[1.2])
