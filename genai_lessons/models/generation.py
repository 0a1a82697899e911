"""Using a trained GPT: per-token evaluation, text generation with or without a key/value
cache, and attention maps.

Generating a token needs the keys and values of every earlier position in every block. Without
a cache the model recomputes all of them at each step, so step t costs work for t positions and
n tokens cost work proportional to 1 + 2 + ... + n, about n^2 / 2. With a cache, each step
computes the keys and values of the one new position and appends them (`cached_forward`), so n
tokens cost work proportional to n in the blocks' dense layers (attention still reads the t
cached keys, a smaller term for short texts).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref

import keras
import numpy as np
from keras import ops

from genai_lessons.core.array_checks import check_ids
from genai_lessons.core.validation import check_int, check_number, check_seed, check_type, describe
from genai_lessons.models.transformer import PositionalEmbedding, TransformerBlock


def next_token_losses(model: keras.Model, ids, batch_size: int = 128) -> np.ndarray:
    """-ln p(ids[t] | ids[:t]) for t = 1 .. len(ids) - 1, each token predicted once, (len(ids) - 1,).

    Windows of the model's context overlap by half: the first window scores all its positions,
    each later one only the positions no earlier window reached, so every prediction after the
    first half-window sees at least context/2 earlier tokens (scoring non-overlapping windows
    instead would count the poorly informed first positions of every window). These are the
    same tokens that `ngrams.KneserNey.cross_entropy(ids)` scores.
    """
    context = _context_of(model)
    ids = check_ids("ids", ids, ndim=1, min_length=2)
    check_int("batch_size", batch_size)
    length = min(context, ids.size - 1)
    starts = np.unique(
        np.minimum(np.arange(0, ids.size - 1, max(length // 2, 1)), ids.size - 1 - length)
    )
    losses, scored = [], 0  # predictions of ids[1 .. scored] are done
    for first in range(0, len(starts), batch_size):
        chunk = starts[first : first + batch_size]
        windows = ids[chunk[:, None] + np.arange(length + 1)].astype(np.int32)
        logits = ops.convert_to_numpy(model(windows[:, :-1], training=False)).astype(np.float64)
        log_probs = logits - logits.max(-1, keepdims=True)
        log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
        nll = -np.take_along_axis(log_probs, windows[:, 1:, None].astype(np.int64), -1)[..., 0]
        for start, row in zip(chunk, nll):
            losses.append(row[scored - start :])  # the positions no earlier window reached
            scored = start + length
    return np.concatenate(losses)


def cross_entropy(model: keras.Model, ids, batch_size: int = 128) -> float:
    """The mean of `next_token_losses(model, ids)`: nats per token, every token after the first."""
    return float(next_token_losses(model, ids, batch_size).mean())


def _context_of(model: keras.Model) -> int:
    check_type("model", model, keras.Model, "keras.Model from build_gpt")
    for layer in model.layers:
        if isinstance(layer, PositionalEmbedding):
            return layer.context
    raise ValueError(
        f"model must come from build_gpt (with a PositionalEmbedding), got {model.name!r}"
    )


@contextlib.contextmanager
def _one_key_is_fine():
    """Attention over a single key (the first token) is a softmax over one value, weight 1,
    exactly right here; Keras warns about any softmax over an axis of size 1."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="You are using a softmax over axis")
        yield


def _blocks(model: keras.Model) -> list:
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerBlock)]
    if not blocks:
        raise ValueError(f"model {model.name!r} has no TransformerBlock")
    return blocks


def cached_forward(model: keras.Model, ids, past=None):
    """Logits for new tokens, given the key/value cache of the tokens before them.

    Args:
        model: a model from `build_gpt`.
        ids: the new token ids, (batch, new).
        past: the cache returned by the previous call (None: no earlier tokens). It holds one
            `(keys, values)` pair per block, each (batch, heads, earlier, head_dim).

    Returns:
        `(logits, cache)`: (batch, new, vocab) as a NumPy array, equal to the full model's
        logits at these positions; and the cache with the new positions appended.
    """
    context = _context_of(model)
    blocks = _blocks(model)
    ids = ops.convert_to_tensor(np.asarray(ids, dtype=np.int32))
    earlier = 0 if past is None else int(ops.shape(past[0][0])[2])
    if earlier + int(ops.shape(ids)[1]) > context:
        raise ValueError(
            f"ids: {earlier} cached plus {ops.shape(ids)[1]} new tokens exceed the context "
            f"{context}; start a new cache from the last tokens"
        )
    with _one_key_is_fine():
        x = model.get_layer("embedding")(ids, start=earlier)
        present = []
        for i, block in enumerate(blocks):
            x, kv = block.call_with_cache(x, None if past is None else past[i])
            present.append(kv)
        logits = model.get_layer("logits")(model.get_layer("final_norm")(x))
    return ops.convert_to_numpy(logits), present


class CachedDecoder(keras.Model):
    """One generation step of a GPT with fixed-size key/value buffers, for `predict_on_batch`.

    Inputs `[ids (batch, 1), position (batch,), keys_0, values_0, keys_1, ...]`, the buffers
    each (batch, heads, context, head_dim); outputs `[logits (batch, vocab), keys_0, ...]` with
    the new token's key and value written at `position`. The shapes never change, so Keras
    compiles the step once, and each step computes one token instead of the whole window.
    It shares the GPT's layers and weights and is not saved on its own (rebuild it).
    """

    def __init__(self, gpt: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.context, self.blocks = _context_of(gpt), _blocks(gpt)
        self.embedding = gpt.get_layer("embedding")
        self.final_norm, self.logits = gpt.get_layer("final_norm"), gpt.get_layer("logits")
        attention = self.blocks[0].attention
        self.buffer_shape = (attention.num_heads, self.context, attention.head_dim)

    def empty(self, batch: int = 1) -> list[np.ndarray]:
        """Zeroed buffers for `batch` sequences: keys and values for every block."""
        return [
            np.zeros((batch, *self.buffer_shape), np.float32) for _ in range(2 * len(self.blocks))
        ]

    def call(self, inputs):
        ids, position, buffers = inputs[0], inputs[1], inputs[2:]
        position = ops.cast(position, "int32")
        table = ops.cast(self.embedding.table, self.compute_dtype)
        x = self.embedding.tokens(ids) + ops.expand_dims(ops.take(table, position, axis=0), 1)
        updated = []
        for i, block in enumerate(self.blocks):
            x, kv = block.call_with_cache(x, (buffers[2 * i], buffers[2 * i + 1]), position)
            updated.extend(kv)
        return [self.logits(self.final_norm(x))[:, 0], *updated]


_DECODERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its decoder


def next_token_probs(
    logits,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float = 1.0,
    previous=(),
) -> np.ndarray:
    """The distribution `generate` samples the next token from, (vocab,) float64.

    In this order: a repetition penalty (CTRL's: the logit of every token in `previous` is
    divided by `repetition_penalty` where positive and multiplied by it where negative, so
    a repeated token becomes less likely), top-k (keep the k largest logits), the temperature,
    then top-p (nucleus sampling: keep the most probable tokens whose probabilities, largest
    first, add up to at least `top_p`, always at least one). Temperature 0 puts all the
    probability on the largest penalised logit. With the defaults this is a plain softmax.
    """
    logits = np.array(logits, dtype=np.float64)
    if repetition_penalty != 1.0:
        seen = np.unique(np.asarray(previous, dtype=np.int64))
        values = logits[seen]
        logits[seen] = np.where(
            values > 0, values / repetition_penalty, values * repetition_penalty
        )
    if temperature == 0:
        probs = np.zeros_like(logits)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    if top_k is not None and top_k < logits.size:
        logits[logits < np.sort(logits)[-top_k]] = -np.inf
    # Shift before dividing: the largest logit becomes exactly 0, so a tiny temperature
    # sends the others to -inf (probability 0) instead of overflowing to inf - inf = NaN.
    with np.errstate(over="ignore"):
        probs = np.exp((logits - logits.max()) / temperature)
    probs /= probs.sum()
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        before = np.cumsum(probs[order]) - probs[order]  # mass of the tokens ranked above
        probs[order[before >= top_p]] = 0.0
        probs /= probs.sum()
    return probs


def _pick(logits: np.ndarray, temperature: float, top_k, rng, **options) -> int:
    if temperature == 0 and not options:
        return int(np.argmax(logits))
    probs = next_token_probs(logits, temperature, top_k, **options)
    if temperature == 0:
        return int(np.argmax(probs))
    return int(rng.choice(probs.size, p=probs))


def generate(
    model: keras.Model,
    prompt_ids,
    steps: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
    cache: bool = False,
    top_p: float | None = None,
    repetition_penalty: float = 1.0,
) -> np.ndarray:
    """Continue a prompt one token at a time.

    Args:
        model: a model from `build_gpt`.
        prompt_ids: 1D sequence of at least one token id.
        steps: how many tokens to add.
        temperature: 0 picks the most likely token (greedy); otherwise logits are divided by
            it before sampling (below 1 sharper, above 1 flatter).
        top_k: sample only among the k most likely tokens (None: all).
        seed: the sampling seed; the same seed gives the same text.
        cache: False runs the model on the last `context` tokens at every step. True keeps
            the keys and values of earlier tokens (`CachedDecoder`, compiled once per model)
            and computes only the new token's: the same tokens while the text fits the context. When the cache is full,
            it is rebuilt from the last context/2 tokens (positions are absolute, so old keys
            cannot slide), after which each step again attends to all cached tokens.
        top_p: sample only among the most likely tokens whose probabilities add up to at
            least top_p (nucleus sampling; None: all), see `next_token_probs`.
        repetition_penalty: above 1, tokens already in the text (prompt included) are made
            less likely (1: no penalty), see `next_token_probs`.

    Returns:
        The prompt followed by the `steps` new ids, int32 (len(prompt_ids) + steps,).
    """
    context = _context_of(model)
    prompt = check_ids("prompt_ids", prompt_ids, model.output_shape[-1])
    check_int("steps", steps, 0)
    temperature = check_number("temperature", temperature, 0.0)
    if top_k is not None:
        check_int("top_k", top_k)
    check_seed("seed", seed)
    options = {}
    if top_p is not None:
        options["top_p"] = check_number("top_p", top_p, 0.0, 1.0, inclusive=(False, True))
    repetition_penalty = check_number("repetition_penalty", repetition_penalty, 1.0)
    if repetition_penalty != 1.0:
        options["repetition_penalty"], options["previous"] = repetition_penalty, None
    if not isinstance(cache, bool):
        raise TypeError(f"cache must be True or False, got {cache!r}")
    rng = np.random.default_rng(seed)
    ids = [int(i) for i in prompt]
    if cache:
        decoder = _DECODERS.get(model) or _DECODERS.setdefault(model, CachedDecoder(model))
        buffers, filled = decoder.empty(), 0
    else:
        window = np.zeros((1, context), dtype=np.int32)
    for _ in range(steps):
        if cache:
            if filled == context:  # full: positions are absolute, so restart from the last half
                buffers, filled, feed = decoder.empty(), 0, ids[-(context // 2) :]
            else:  # the prompt (cropped to the context) at first, then the token just added
                feed = ids[-context:] if filled == 0 else ids[-1:]
            for token in feed:  # one compiled step per token
                logits, *buffers = decoder.predict_on_batch(
                    [np.array([[token]], np.int32), np.array([filled], np.int32), *buffers]
                )
                filled += 1
            logits = np.asarray(logits)[0]
        else:  # the whole window again, cropped: the model never sees more than its context
            recent = ids[-context:]
            # Padded on the right to a fixed shape (one compiled function); the causal mask
            # makes the padding invisible to the positions we read.
            window[0, : len(recent)], window[0, len(recent) :] = recent, 0
            with _one_key_is_fine():
                logits = np.asarray(model.predict_on_batch(window))[0, len(recent) - 1]
        if "previous" in options:
            options["previous"] = ids
        ids.append(_pick(logits, temperature, top_k, rng, **options))
    return np.asarray(ids, dtype=np.int32)


def attention_maps(model: keras.Model, ids) -> np.ndarray:
    """Every head's attention weights for one sequence, (layers, heads, length, length)."""
    context = _context_of(model)
    ids = check_ids("ids", ids, model.output_shape[-1]).astype(np.int32)
    if ids.size > context:
        raise ValueError(
            f"ids must hold at most the model's context ({context}) ids, got {ids.size}"
        )
    blocks = _blocks(model)
    x = model.get_layer("embedding")(ids[None])
    maps = []
    for block in blocks:
        maps.append(ops.convert_to_numpy(block.attention_weights(x))[0])
        x = block(x, training=False)
    return np.stack(maps)


@contextlib.contextmanager
def heads_removed(model: keras.Model, heads):
    """Within the `with` block, the model runs with the given attention heads switched off.

    A head is switched off by zeroing its slice of the value projection (kernel and bias), so
    it adds nothing to the output projection, whatever it attends to: the loss change measures
    what the trained model needs that head for. The weights are restored on leaving the block.

    Args:
        model: a model from `build_gpt`.
        heads: `(block, head)` pairs, e.g. `[(1, 2)]`.
    """
    blocks = _blocks(model)
    pairs = [tuple(pair) for pair in heads]
    for block, head in pairs:
        check_int("block", block, 0, len(blocks) - 1)
        check_int("head", head, 0, blocks[block].num_heads - 1)
    saved = []
    try:
        for block, head in pairs:
            attention = blocks[block].attention
            cut = slice(head * attention.head_dim, (head + 1) * attention.head_dim)
            for variable in (attention.value.kernel, attention.value.bias):
                values = ops.convert_to_numpy(variable)
                saved.append((variable, values))
                zeroed = values.copy()
                zeroed[..., cut] = 0
                variable.assign(zeroed)
        yield model
    finally:
        for variable, values in reversed(saved):
            variable.assign(values)


def _prefill(model: keras.Model, ids, buffers: list, row: int) -> int:
    """Write the keys and values of `ids` (all but a row's last token) into slots 0, 1, ...
    of row `row` of `sample_many`'s buffers, in one forward pass instead of one step per
    token; returns how many slots it filled."""
    if len(ids) == 0:
        return 0
    _, present = cached_forward(model, [_padded(ids, _context_of(model))])
    for b, (keys, values) in enumerate(present):
        for j, tensor in ((2 * b, keys), (2 * b + 1, values)):
            if not buffers[j].flags.writeable:
                buffers[j] = np.array(buffers[j])
            buffers[j][row, :, : len(ids)] = ops.convert_to_numpy(tensor)[0, :, : len(ids)]
    return len(ids)


def _padded(ids, context: int) -> list[int]:
    """`ids` padded on the right with token 0 to the next power of two (at least 8, at most
    `context`). The causal mask keeps the padding out of the real positions' keys and values;
    the few widths matter on JAX, which compiles every operation again for each new input
    shape (measured on lesson 8's GPT: about 70 MB and 2.5 s more for each new length)."""
    width = min(context, max(8, 1 << (len(ids) - 1).bit_length()))
    return list(ids) + [0] * (width - len(ids))


def sample_many(
    model: keras.Model,
    prompts,
    max_new: int,
    temperature: float = 1.0,
    seed: int = 0,
    stop=None,
    rewind=None,
) -> list[np.ndarray]:
    """Continue several prompts at once, one token per step each, with the key/value cache.

    Every row runs through one compiled `CachedDecoder` step per token, with the rule of
    `generate(cache=True)`: a row's cache holds at most `context` tokens, and when it is full
    it is rebuilt from the row's last context/2 tokens (in one forward pass, `cached_forward`,
    as is a prompt's start). So each prediction sees at least context/2 tokens back (fewer only at the
    start) and at most `context`, as in `next_token_losses`.

    Args:
        model: a model from `build_gpt`.
        prompts: a list of 1D sequences of token ids, at least one id each.
        max_new: the most tokens a row may add (a row is cut there).
        temperature: logits are divided by it before sampling (0: the most likely token).
        seed: the sampling seed; one generator draws for the rows in order at each step.
        stop: None, or `stop(ids) -> bool` called after each new token with the row's ids
            (a list); True ends the row.
        rewind: None, or `rewind(row, ids) -> int | None` called after each new token (before
            `stop`): an int shortens the row to that many ids (never into its prompt), and
            generation goes on from there, e.g. to reject a span and sample it again.

    Returns:
        One int32 array per prompt: the prompt followed by its new ids.
    """
    context = _context_of(model)
    vocab_size = model.output_shape[-1]
    rows = [
        [int(i) for i in check_ids(f"prompts[{n}]", p, vocab_size)] for n, p in enumerate(prompts)
    ]
    check_int("max_new", max_new, 0)
    temperature = check_number("temperature", temperature, 0.0)
    check_seed("seed", seed)
    for name, function in (("stop", stop), ("rewind", rewind)):
        if function is not None and not callable(function):
            raise TypeError(f"{name} must be a function or None, got {describe(function)}")
    rng = np.random.default_rng(seed)
    decoder = _DECODERS.get(model) or _DECODERS.setdefault(model, CachedDecoder(model))
    fixed = [len(ids) for ids in rows]
    limit = [len(ids) + max_new for ids in rows]
    done = [max_new == 0 for _ in rows]
    start = [max(0, len(ids) - context) for ids in rows]  # ids[start:] feed the cache
    fed = [0] * len(rows)  # how many of them it holds
    buffers = decoder.empty(len(rows))
    tokens, positions = np.zeros((len(rows), 1), np.int32), np.zeros(len(rows), np.int32)
    while not all(done):
        for i, ids in enumerate(rows):
            if not done[i] and fed[i] == context:  # full: restart from the last half
                start[i], fed[i] = len(ids) - context // 2, 0
            if not done[i] and fed[i] == 0:  # an empty cache: fill it in one call
                fed[i] = _prefill(model, ids[start[i] : -1], buffers, i)
            tokens[i, 0] = ids[start[i] + fed[i]] if not done[i] else 0
            positions[i] = fed[i] if not done[i] else 0
        logits, *buffers = decoder.predict_on_batch([tokens, positions, *buffers])
        logits = np.asarray(logits, dtype=np.float64)
        for i, ids in enumerate(rows):
            if done[i]:
                continue
            fed[i] += 1
            if start[i] + fed[i] < len(ids):  # still feeding the prompt or a restart
                continue
            ids.append(_pick(logits[i], temperature, None, rng))
            if rewind is not None:
                back = rewind(i, ids)
                if back is not None:
                    back = max(int(back), fixed[i])
                    del ids[back:]
                    if back - 1 < start[i]:  # before the cache's first token: refill
                        start[i], fed[i] = max(0, back - context // 2), 0
                    else:  # the cache still holds ids[start:back - 1]: feed the last again
                        fed[i] = min(fed[i], back - 1 - start[i])
            done[i] = len(ids) >= limit[i] or (stop is not None and bool(stop(ids)))
    return [np.asarray(ids, dtype=np.int32) for ids in rows]
