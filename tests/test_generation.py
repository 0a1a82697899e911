"""Tests of genai_lessons.models.generation: per-token evaluation, sampling, attention maps, and the
key/value cache against the full forward pass."""

import dataclasses

import numpy as np
import pytest

from genai_lessons.core import settings

settings.quiet_logs()

import keras  # noqa: E402

from genai_lessons.models import generation as G  # noqa: E402
from genai_lessons.models import transformer as T  # noqa: E402

VOCAB = 11
TINY = T.GPTConfig(vocab_size=VOCAB, context=12, width=16, num_heads=2, num_layers=2)


@pytest.fixture(scope="module")
def gpt():
    keras.utils.set_random_seed(3)
    return T.build_gpt(TINY)


def full_logits(model, ids):
    return keras.ops.convert_to_numpy(model(np.asarray(ids, "int32")[None]))[0]


def test_cached_forward_equals_full_forward_at_every_split(gpt):
    ids = np.random.default_rng(0).integers(0, VOCAB, TINY.context)
    expected = full_logits(gpt, ids)
    for split in (1, 5, TINY.context - 1):
        first, cache = G.cached_forward(gpt, ids[None, :split])
        np.testing.assert_allclose(first[0], expected[:split], atol=1e-5)
        assert len(cache) == TINY.num_layers
        assert tuple(cache[0][0].shape) == (1, TINY.num_heads, split, TINY.width // TINY.num_heads)
        rest, cache = G.cached_forward(gpt, ids[None, split:], cache)
        np.testing.assert_allclose(rest[0], expected[split:], atol=1e-5)
        assert cache[0][0].shape[2] == TINY.context


def test_one_token_steps_match_the_last_position_of_full_passes(gpt):
    ids = np.random.default_rng(1).integers(0, VOCAB, (2, 9))  # a batch of two
    logits, cache = G.cached_forward(gpt, ids[:, :1])
    for t in range(1, 9):
        logits, cache = G.cached_forward(gpt, ids[:, t : t + 1], cache)
        full = keras.ops.convert_to_numpy(gpt(ids[:, : t + 1].astype("int32")))[:, -1]
        np.testing.assert_allclose(logits[:, -1], full, atol=1e-5)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")  # the reference's 1 key
@pytest.mark.parametrize("prompt_length, steps", [(1, 11), (4, 8), (12, 0)])
def test_greedy_tokens_identical_with_and_without_cache(gpt, prompt_length, steps):
    prompt = (np.arange(prompt_length) * 5) % VOCAB
    plain = G.generate(gpt, prompt, steps, temperature=0)
    cached = G.generate(gpt, prompt, steps, temperature=0, cache=True)
    np.testing.assert_array_equal(cached, plain)
    np.testing.assert_array_equal(plain, manual_greedy(gpt, prompt, steps, TINY.context))


def test_sampling_identical_with_and_without_cache(gpt):
    plain = G.generate(gpt, [1, 2], 9, temperature=1.0, top_k=4, seed=3)
    np.testing.assert_array_equal(
        G.generate(gpt, [1, 2], 9, temperature=1.0, top_k=4, seed=3, cache=True), plain
    )


def test_a_full_cache_restarts_from_the_last_half_context(gpt):
    prompt = (np.arange(TINY.context) * 3) % VOCAB  # fills the cache at once
    out = G.generate(gpt, prompt, 4, temperature=0, cache=True)
    half = TINY.context // 2
    ids = list(prompt)
    ids.append(int(np.argmax(full_logits(gpt, ids)[-1])))  # the first token sees the whole window
    for _ in range(3):  # then the rebuilt cache holds the last half context and grows
        start = len(prompt) + 1 - half
        ids.append(int(np.argmax(full_logits(gpt, ids[start:])[-1])))
    np.testing.assert_array_equal(out, ids)


def test_cached_forward_rejects_more_than_the_context(gpt):
    _, cache = G.cached_forward(gpt, np.zeros((1, TINY.context), "int32"))
    with pytest.raises(ValueError, match="context"):
        G.cached_forward(gpt, np.zeros((1, 1), "int32"), cache)
    with pytest.raises(TypeError, match="cache"):
        G.generate(gpt, [1], 2, cache="yes")


def test_attention_maps_shape_rows_and_agreement(gpt):
    ids = np.arange(8) % VOCAB
    maps = G.attention_maps(gpt, ids)
    assert maps.shape == (TINY.num_layers, TINY.num_heads, 8, 8)
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0, atol=1e-6)
    assert np.all(np.triu(maps, k=1) == 0.0)
    x = gpt.get_layer("embedding")(ids[None].astype("int32"))
    block = gpt.get_layer("block_0")
    _, weights = block.attention(block.norm1(x), return_attention=True)
    np.testing.assert_allclose(maps[0], keras.ops.convert_to_numpy(weights)[0], atol=1e-7)


def manual_greedy(model, prompt, steps, context):
    ids = list(prompt)
    for _ in range(steps):
        window = np.array([ids[-context:]], "int32")
        ids.append(int(np.argmax(keras.ops.convert_to_numpy(model(window))[0, -1])))
    return ids


def test_generate_greedy_is_argmax_and_crops_to_context(gpt):
    prompt = (np.arange(20) * 7) % VOCAB  # longer than the context of 12
    greedy = G.generate(gpt, prompt, steps=6, temperature=0)
    assert greedy.shape == (26,) and greedy.dtype == np.int32
    np.testing.assert_array_equal(greedy[:20], prompt)
    np.testing.assert_array_equal(greedy, manual_greedy(gpt, prompt, 6, TINY.context))
    cropped = G.generate(gpt, prompt[-TINY.context :], steps=6, temperature=0)
    np.testing.assert_array_equal(greedy[20:], cropped[TINY.context :])
    np.testing.assert_array_equal(G.generate(gpt, prompt, 6, temperature=1.0, top_k=1), greedy)


def test_generate_is_seeded_and_top_k_restricts(gpt):
    prompt = [1, 2, 3]
    first = G.generate(gpt, prompt, steps=15, temperature=1.5, seed=7)
    np.testing.assert_array_equal(first, G.generate(gpt, prompt, steps=15, temperature=1.5, seed=7))
    others = [G.generate(gpt, prompt, steps=15, temperature=1.5, seed=s) for s in range(3)]
    assert any(not np.array_equal(first, other) for other in others)
    logits = keras.ops.convert_to_numpy(gpt(np.array([prompt], "int32")))[0, -1]
    top2 = set(np.argsort(logits)[-2:])
    firsts = {
        int(G.generate(gpt, prompt, 1, temperature=5.0, top_k=2, seed=s)[-1]) for s in range(30)
    }
    assert firsts == top2


@pytest.mark.parametrize("length", [5, 13, 40])
def test_sliding_cross_entropy_scores_each_token_once_with_enough_context(gpt, length):
    ids = np.random.default_rng(length).integers(0, VOCAB, length)
    context, half = TINY.context, TINY.context // 2
    window = min(context, length - 1)
    starts = sorted(
        {min(s, length - 1 - window) for s in range(0, length - 1, max(window // 2, 1))}
    )
    nll = []
    for t in range(1, length):  # reference: token t from the first window that reaches it
        start = next(s for s in starts if s + window >= t)
        logits = keras.ops.convert_to_numpy(gpt(ids[None, start : start + window].astype("int32")))
        row = logits[0, t - start - 1].astype(np.float64)
        nll.append(np.log(np.exp(row - row.max()).sum()) + row.max() - row[ids[t]])
        if t >= context:
            assert t - start >= half  # at least half a context of history
    expected = float(np.mean(nll))
    assert G.cross_entropy(gpt, ids) == pytest.approx(expected, rel=1e-5)
    assert G.cross_entropy(gpt, ids, batch_size=1) == pytest.approx(expected, rel=1e-5)


def test_bad_arguments_raise(gpt):
    with pytest.raises(ValueError, match="prompt_ids"):
        G.generate(gpt, [], 3)
    with pytest.raises(ValueError, match="steps"):
        G.generate(gpt, [1], -1)
    with pytest.raises(ValueError, match="temperature"):
        G.generate(gpt, [1], 3, temperature=-0.5)
    with pytest.raises(ValueError, match="top_k"):
        G.generate(gpt, [1], 3, top_k=0)
    with pytest.raises(ValueError, match="PositionalEmbedding"):
        G.generate(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), [1], 3)
    with pytest.raises(ValueError, match="ids"):
        G.attention_maps(gpt, np.zeros((2, 3), "int32"))
    with pytest.raises(ValueError, match="ids"):
        G.cross_entropy(gpt, [3])


def test_compiled_decoder_steps_match_the_full_forward_pass(gpt):
    decoder = G.CachedDecoder(gpt)
    buffers = decoder.empty(batch=2)
    assert buffers[0].shape == (2, TINY.num_heads, TINY.context, TINY.width // TINY.num_heads)
    ids = np.random.default_rng(4).integers(0, VOCAB, (2, TINY.context)).astype("int32")
    full = keras.ops.convert_to_numpy(gpt(ids))
    for t in range(TINY.context):
        logits, *buffers = decoder.predict_on_batch(
            [ids[:, t : t + 1], np.full(2, t, "int32"), *buffers]
        )
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)


def test_heads_removed_zeroes_one_head_and_restores_the_weights():
    keras.utils.set_random_seed(11)
    config = dataclasses.replace(TINY, mlp=False, num_layers=1)
    model = T.build_gpt(config)
    for variable in model.weights:  # random biases too, so that zeroing them is tested
        if variable.path.endswith("bias"):
            variable.assign(np.random.default_rng(1).normal(size=variable.shape).astype("float32"))
    ids = np.random.default_rng(0).integers(0, VOCAB, size=(2, 9)).astype("int32")
    before = [v.numpy().copy() for v in model.weights]
    full = keras.ops.convert_to_numpy(model(ids))
    block = model.get_layer("block_0")
    x = model.get_layer("embedding")(ids)
    # Reference: the block by hand, with head 1's output (its slice of the merged heads) zeroed.
    att = block.attention
    _, weights = att(block.norm1(x), return_attention=True)
    values = keras.ops.convert_to_numpy(att.value(block.norm1(x)))
    batch, length, width = values.shape
    values = values.reshape(batch, length, att.num_heads, att.head_dim).transpose(0, 2, 1, 3)
    heads = keras.ops.convert_to_numpy(weights) @ values
    heads[:, 1] = 0
    merged = heads.transpose(0, 2, 1, 3).reshape(batch, length, width)
    hidden = keras.ops.convert_to_numpy(x) + keras.ops.convert_to_numpy(att.out(merged))
    expected = keras.ops.convert_to_numpy(
        model.get_layer("logits")(model.get_layer("final_norm")(hidden))
    )
    with G.heads_removed(model, [(0, 1)]):
        ablated = keras.ops.convert_to_numpy(model(ids))
    np.testing.assert_allclose(ablated, expected, atol=1e-5)
    assert np.abs(ablated - full).max() > 1e-3  # the head mattered
    for v, old in zip(model.weights, before):  # every weight restored exactly
        np.testing.assert_array_equal(v.numpy(), old)
    with pytest.raises(ValueError, match="head"):
        with G.heads_removed(model, [(0, 2)]):
            pass
    with pytest.raises(ValueError, match="block"):
        with G.heads_removed(model, [(1, 0)]):
            pass


def reference_probs(logits, temperature=1.0, top_k=None, top_p=None, penalty=1.0, previous=()):
    """An independent NumPy reference: the penalty token by token, then a loop over tokens
    sorted by probability for top-p."""
    z = [float(v) for v in logits]
    for token in set(int(t) for t in previous):
        z[token] = z[token] / penalty if z[token] > 0 else z[token] * penalty
    z = np.array(z)
    if top_k is not None:
        kth = sorted(z, reverse=True)[top_k - 1]
        z = np.where(z >= kth, z, -np.inf)
    p = np.exp(z / temperature - np.max(z / temperature))
    p = p / p.sum()
    if top_p is not None:
        kept, total = [], 0.0
        for token in sorted(range(len(p)), key=lambda t: (-p[t], t)):
            if total >= top_p:
                break
            kept.append(token)
            total += p[token]
        mask = np.zeros_like(p)
        mask[kept] = 1.0
        p = p * mask / (p * mask).sum()
    return p


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"temperature": 0.7},
        {"top_p": 0.5},
        {"top_p": 0.9, "temperature": 1.3},
        {"top_p": 1e-6},
        {"top_k": 3, "top_p": 0.8},
        {"penalty": 1.5, "previous": [0, 2, 2, 5]},
        {"penalty": 2.0, "previous": [1, 3], "top_p": 0.7, "temperature": 0.8},
    ],
)
def test_next_token_probs_match_a_numpy_reference(options):
    logits = np.random.default_rng(4).normal(0, 2, VOCAB)
    logits[1], logits[3] = -1.5, 2.5  # one negative and one positive penalised logit
    expected = reference_probs(logits, **options)
    if "penalty" in options:
        options = dict(options)
        options["repetition_penalty"] = options.pop("penalty")
    got = G.next_token_probs(logits, **options)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert got.sum() == pytest.approx(1.0)


def test_top_p_keeps_the_smallest_set_reaching_p_and_the_penalty_lowers_repeats():
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    assert np.count_nonzero(G.next_token_probs(logits, top_p=0.5)) == 1
    assert np.count_nonzero(G.next_token_probs(logits, top_p=0.79)) == 2
    assert np.count_nonzero(G.next_token_probs(logits, top_p=0.81)) == 3
    np.testing.assert_allclose(G.next_token_probs(logits, top_p=1.0), [0.5, 0.3, 0.15, 0.05])
    plain = G.next_token_probs([2.0, -1.0, 0.5])
    penalised = G.next_token_probs([2.0, -1.0, 0.5], repetition_penalty=2.0, previous=[0, 1])
    assert penalised[0] < plain[0] and penalised[1] < plain[1] and penalised[2] > plain[2]
    greedy = G.next_token_probs([2.0, -1.0, 1.5], 0, repetition_penalty=2.0, previous=[0])
    np.testing.assert_array_equal(greedy, [0.0, 0.0, 1.0])  # 2.0 / 2 falls below 1.5


def test_generate_with_top_p_and_penalty(gpt):
    prompt = [1, 2, 3]
    plain = G.generate(gpt, prompt, steps=10, temperature=1.2, seed=5)
    same = G.generate(gpt, prompt, 10, temperature=1.2, seed=5, top_p=1.0, repetition_penalty=1)
    np.testing.assert_array_equal(plain, same)  # the defaults change nothing
    logits = keras.ops.convert_to_numpy(gpt(np.array([prompt], "int32")))[0, -1]
    nucleus = set(np.flatnonzero(G.next_token_probs(logits, 2.0, top_p=0.4)))
    firsts = {
        int(G.generate(gpt, prompt, 1, temperature=2.0, top_p=0.4, seed=s)[-1]) for s in range(40)
    }
    assert firsts <= nucleus and len(nucleus) < VOCAB
    for cache in (False, True):
        np.testing.assert_array_equal(
            G.generate(
                gpt,
                prompt,
                8,
                temperature=0.9,
                top_p=0.8,
                repetition_penalty=1.3,
                seed=2,
                cache=cache,
            ),
            G.generate(gpt, prompt, 8, temperature=0.9, top_p=0.8, repetition_penalty=1.3, seed=2),
        )
    with pytest.raises(ValueError, match="top_p"):
        G.generate(gpt, prompt, 3, top_p=0.0)
    with pytest.raises(ValueError, match="repetition_penalty"):
        G.generate(gpt, prompt, 3, repetition_penalty=0.5)


def _cached_reference(model, prompt, max_new, temperature, seed, banned=None):
    """The rule of `sample_many` for one row, written with full forward passes: the window
    starts at `start`; when it would exceed the context, it restarts at the last context/2
    tokens; a banned token is cut and the next one drawn again from the shorter row (the
    window start kept, or moved back to the last context/2 tokens if the cut passes it)."""
    context, ids = TINY.context, [int(i) for i in prompt]
    rng = np.random.default_rng(seed)
    start = max(0, len(ids) - context)
    while len(ids) < len(prompt) + max_new:
        if len(ids) - start > context:
            start = len(ids) - context // 2
        ids.append(
            G._pick(full_logits(model, ids[start:])[-1].astype(float), temperature, None, rng)
        )
        if ids[-1] == banned:
            del ids[-1]
            if len(ids) - 1 < start:
                start = max(0, len(ids) - context // 2)
    return ids


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
def test_sample_many_greedy_rows_equal_generate_with_the_cache_restarts_included(gpt):
    prompts = [[1], [2, 3, 4, 5], list((np.arange(TINY.context) * 7) % VOCAB)]  # the last: full
    rows = G.sample_many(gpt, prompts, 3 * TINY.context, temperature=0)
    for prompt, row in zip(prompts, rows):
        expected = G.generate(gpt, prompt, 3 * TINY.context, temperature=0, cache=True)
        np.testing.assert_array_equal(row, expected)
        reference = _cached_reference(gpt, prompt, 3 * TINY.context, 0.0, 0)
        np.testing.assert_array_equal(row, reference)


def test_sample_many_stops_rows_and_is_seeded(gpt):
    prompts = [[1, 2], [3], [4, 4, 4]]

    def stop(ids):
        return ids[-1] == 0

    first = G.sample_many(gpt, prompts, 20, temperature=1.5, seed=5, stop=stop)
    again = G.sample_many(gpt, prompts, 20, temperature=1.5, seed=5, stop=stop)
    for prompt, row, other in zip(prompts, first, again):
        np.testing.assert_array_equal(row, other)
        np.testing.assert_array_equal(row[: len(prompt)], prompt)
        new = list(row[len(prompt) :])
        assert 1 <= len(new) <= 20 and (len(new) == 20 or new[-1] == 0)
        assert 0 not in new[:-1]  # a row ends at its first stop
    assert any(len(row) - len(p) < 20 for p, row in zip(prompts, first))  # some rows stopped


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@pytest.mark.parametrize("prompt", [[1], [4, 9, 2, 2, 7]])
def test_sample_many_rewind_draws_again_and_keeps_the_cache_right(gpt, prompt):
    """A rewind that cuts every banned token: the row equals a reference with full forward
    passes and the same draws, over rows long enough to restart the cache; the banned token
    never stays, and a rewind asking to cut into the prompt stops at the prompt."""
    steps = 3 * TINY.context
    (free,) = G.sample_many(gpt, [prompt], steps, temperature=1.0, seed=2)
    banned, calls = int(np.bincount(free[len(prompt) :]).argmax()), []  # the most drawn token

    def reject(row, ids):
        calls.append(row)
        if ids[-1] != banned:
            return None
        return 0 if len(ids) == len(prompt) + 1 else len(ids) - 1  # 0: into the prompt

    (row,) = G.sample_many(gpt, [prompt], steps, temperature=1.0, seed=2, rewind=reject)
    np.testing.assert_array_equal(row[: len(prompt)], prompt)
    assert banned not in list(row[len(prompt) :]) and len(row) == len(prompt) + steps
    reference = _cached_reference(gpt, prompt, steps, 1.0, 2, banned)
    np.testing.assert_array_equal(row, reference)
    assert len(calls) > steps  # some draws were rejected and drawn again


def test_sample_many_bad_arguments(gpt):
    with pytest.raises(TypeError, match="stop"):
        G.sample_many(gpt, [[1]], 3, stop="yes")
    with pytest.raises(TypeError, match="rewind"):
        G.sample_many(gpt, [[1]], 3, rewind=3)
    with pytest.raises(ValueError, match="prompts"):
        G.sample_many(gpt, [[]], 3)


def test_sample_many_prefills_at_few_widths(gpt, monkeypatch):
    """Prompts of every length from 1 to the context fill the cache through a handful of input
    widths (powers of two), not one per length: JAX compiles every operation again for each new
    shape. The rows still equal `generate`'s."""
    widths, forward = set(), G.cached_forward

    def recording(model, ids, past=None):
        widths.add(np.shape(ids)[1])
        return forward(model, ids, past)

    monkeypatch.setattr(G, "cached_forward", recording)
    prompts = [list((np.arange(n) * 5) % VOCAB) for n in range(1, TINY.context + 1)]
    rows = G.sample_many(gpt, prompts, 2, temperature=0)
    assert widths and widths <= {8, TINY.context}, widths
    for prompt, row in zip(prompts, rows):
        expected = G.generate(gpt, prompt, 2, temperature=0, cache=True)
        np.testing.assert_array_equal(row, expected)
