"""Attention and a small GPT: scaled dot-product attention, the causal mask, a transformer
block, a decoder-only language model, text generation and the baselines it must beat.

Shapes: token ids (batch, length); activations (batch, length, width); attention weights
(batch, heads, queries, keys). The model math is in `keras.ops`, so it runs on any backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from genai_lessons import backend
from genai_lessons.text import make_windows
from genai_lessons.validation import check_choice, check_int

_MASKED = -1e9  # added to forbidden scores: exp() underflows to exactly 0, with no inf - inf NaN


def _check_dropout(dropout) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    return float(dropout)


def _check_heads(width: int, num_heads: int) -> None:
    if check_int("width", width) % check_int("num_heads", num_heads):
        raise ValueError(f"width ({width}) must be divisible by num_heads ({num_heads})")


def causal_mask(length: int):
    """Boolean (length, length) mask, True where query i may attend to key j, i.e. j <= i."""
    return _causal(check_int("length", length))


def _causal(length):  # also takes a length known only when the graph runs
    positions = ops.arange(length)
    return ops.greater_equal(ops.expand_dims(positions, 1), ops.expand_dims(positions, 0))


def scaled_dot_product_attention(query, key, value, mask=None):
    """softmax(Q K^T / sqrt(d) + masked) V.

    Args:
        query: (..., queries, d).
        key: (..., keys, d).
        value: (..., keys, d_value).
        mask: optional boolean tensor broadcastable to (..., queries, keys); True = may attend.

    Returns:
        `(output, weights)`: (..., queries, d_value) and (..., queries, keys); each row of
        `weights` sums to 1.
    """
    if len(query.shape) < 2 or len(key.shape) < 2 or len(value.shape) < 2:
        raise ValueError(f"query, key and value need at least 2 dimensions, got shapes "
                         f"{query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] is not None and key.shape[-1] is not None and query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must have the same last dimension, got {query.shape} "
                         f"and {key.shape}")
    if key.shape[-2] is not None and value.shape[-2] is not None and key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value must have as many positions, got {key.shape} and {value.shape}")
    depth = ops.cast(ops.shape(query)[-1], query.dtype)
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) / ops.sqrt(depth)
    if mask is not None:
        scores = ops.where(mask, scores, ops.cast(_MASKED, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


def sinusoidal_positions(length: int, width: int) -> np.ndarray:
    """The fixed position code of "Attention is all you need": sines and cosines of
    geometrically spaced frequencies, (length, width) float32."""
    length, width = check_int("length", length), check_int("width", width)
    if width % 2:
        raise ValueError(f"width must be even for sinusoidal positions, got {width}")
    angles = np.arange(length)[:, None] / 10000.0 ** (np.arange(0, width, 2)[None, :] / width)
    table = np.empty((length, width), dtype=np.float32)
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


@keras.saving.register_keras_serializable(package="genai_lessons")
class PositionalEmbedding(keras.layers.Layer):
    """Token embedding plus position embedding: ids (batch, length) -> (batch, length, width).

    Args:
        vocab_size: number of distinct tokens.
        context: the longest sequence the model accepts.
        width: embedding size.
        positions: "learned" (a trained vector per position) or "sinusoidal" (fixed).
    """

    def __init__(self, vocab_size: int, context: int, width: int, positions: str = "learned", **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.context = check_int("vocab_size", vocab_size), check_int("context", context)
        self.width = check_int("width", width)
        self.positions = check_choice("positions", positions, ("learned", "sinusoidal"))
        self.tokens = keras.layers.Embedding(vocab_size, width, name="tokens")
        if positions == "sinusoidal":
            self.table = sinusoidal_positions(context, width)

    def build(self, input_shape):
        self.tokens.build(input_shape)
        if self.positions == "learned":
            self.table = self.add_weight(shape=(self.context, self.width), name="positions",
                                         initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, ids):
        # A known length is checked now; an unknown one (None on TensorFlow, a symbolic
        # dimension on JAX, which cannot be compared with an int) when the model runs.
        length = backend.known_length(ids)
        if length is not None and length > self.context:
            raise ValueError(f"sequence length {length} exceeds the context {self.context}")
        # Positions 0..length-1 counted along the ids themselves, not sliced by `length`: JAX
        # can then tell that the result has exactly the ids' shape even when it is symbolic.
        positions = ops.cumsum(ops.ones_like(ids[:1]), axis=-1) - 1  # (1, length)
        return self.tokens(ids) + ops.take(ops.cast(self.table, self.compute_dtype), positions, axis=0)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "context": self.context,
                "width": self.width, "positions": self.positions}


@keras.saving.register_keras_serializable(package="genai_lessons")
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head causal self-attention: (batch, length, width) -> (batch, length, width).

    Each head projects the input to its own queries, keys and values of size width/heads,
    attends with the causal mask, and the heads' outputs are concatenated and projected back.
    """

    def __init__(self, width: int, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        _check_heads(width, num_heads)
        self.width, self.num_heads, self.head_dim = width, num_heads, width // num_heads
        self.query, self.key, self.value, self.out = (
            keras.layers.Dense(width, name=name) for name in ("query", "key", "value", "out"))

    def build(self, input_shape):
        if input_shape[-1] != self.width:
            raise ValueError(f"expected inputs of width {self.width}, got shape {input_shape}")
        for layer in (self.query, self.key, self.value, self.out):
            layer.build(input_shape)

    def _heads(self, x):  # (batch, length, width) -> (batch, heads, length, head_dim)
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        return ops.transpose(ops.reshape(x, (batch, length, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def call(self, x, return_attention: bool = False):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        heads, weights = scaled_dot_product_attention(q, k, v, _causal(length))
        merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, self.width))
        output = self.out(merged)
        return (output, weights) if return_attention else output

    def get_config(self):
        return {**super().get_config(), "width": self.width, "num_heads": self.num_heads}


@keras.saving.register_keras_serializable(package="genai_lessons")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x)).

    The residual path lets each block add to the representation instead of replacing it;
    layer normalization keeps the inputs of attention and MLP at a steady scale.
    """

    def __init__(self, width: int, num_heads: int, mlp_ratio: int = 4, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        _check_heads(width, num_heads)
        self.width, self.num_heads = width, num_heads
        self.mlp_ratio, self.dropout = check_int("mlp_ratio", mlp_ratio), _check_dropout(dropout)
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm1")
        self.attention = CausalSelfAttention(width, num_heads, name="attention")
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm2")
        self.hidden = keras.layers.Dense(mlp_ratio * width, activation="gelu", name="mlp_hidden")
        self.project = keras.layers.Dense(width, name="mlp_out")
        self.drop = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        for layer in (self.norm1, self.attention, self.norm2, self.hidden):
            layer.build(input_shape)
        self.project.build((*input_shape[:-1], self.mlp_ratio * self.width))

    def call(self, x, training=None):
        x = x + self.drop(self.attention(self.norm1(x)), training=training)
        return x + self.drop(self.project(self.hidden(self.norm2(x))), training=training)

    def attention_weights(self, x):
        """The block's attention weights for input x: (batch, heads, length, length)."""
        return self.attention(self.norm1(x), return_attention=True)[1]

    def get_config(self):
        return {**super().get_config(), "width": self.width, "num_heads": self.num_heads,
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout}


@dataclass(frozen=True)
class GPTConfig:
    """Hyperparameters of a decoder-only (GPT-style) character language model."""

    vocab_size: int  # number of distinct tokens (CharVocab.size)
    context: int = 64  # tokens the model sees at once
    width: int = 128  # size of each token's vector
    num_heads: int = 4  # attention heads per block; width must be divisible by it
    num_layers: int = 3  # transformer blocks
    mlp_ratio: int = 4  # hidden size of each block's MLP, as a multiple of width
    dropout: float = 0.0  # after the embedding and on each residual branch while training
    positions: str = "learned"  # "learned" or "sinusoidal"

    def __post_init__(self):
        for name in ("vocab_size", "context", "num_layers", "mlp_ratio"):
            check_int(name, getattr(self, name))
        _check_heads(self.width, self.num_heads)
        _check_dropout(self.dropout)
        check_choice("positions", self.positions, ("learned", "sinusoidal"))


def build_gpt(config: GPTConfig) -> keras.Model:
    """A GPT: token ids (batch, length <= context) -> next-token logits (batch, length, vocab)."""
    if not isinstance(config, GPTConfig):
        raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = PositionalEmbedding(config.vocab_size, config.context, config.width, config.positions,
                            name="embedding")(ids)
    x = keras.layers.Dropout(config.dropout, name="embedding_dropout")(x)
    for i in range(config.num_layers):
        x = TransformerBlock(config.width, config.num_heads, config.mlp_ratio, config.dropout,
                             name=f"block_{i}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = keras.layers.Dense(config.vocab_size, name="logits")(x)
    return keras.Model(ids, logits, name="gpt")


def _context_of(model: keras.Model) -> int:
    for layer in model.layers:
        if isinstance(layer, PositionalEmbedding):
            return layer.context
    raise ValueError(f"model {model.name!r} has no PositionalEmbedding; build it with build_gpt")


def generate(model: keras.Model, prompt_ids, steps: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int = 0) -> np.ndarray:
    """Continue a prompt one token at a time.

    Args:
        model: a model from `build_gpt`.
        prompt_ids: 1D sequence of at least one token id.
        steps: how many tokens to add.
        temperature: 0 picks the most likely token (greedy); otherwise logits are divided by
            it before sampling (below 1 sharper, above 1 flatter).
        top_k: sample only among the k most likely tokens (None: all).
        seed: the sampling seed; the same seed gives the same text.

    Returns:
        The prompt followed by the `steps` new ids, int32 (len(prompt_ids) + steps,).
    """
    context = _context_of(model)
    prompt = np.asarray(prompt_ids)
    if prompt.ndim != 1 or prompt.size == 0 or not np.issubdtype(prompt.dtype, np.integer):
        raise ValueError(f"prompt_ids must be a non-empty 1D sequence of ids, got shape {prompt.shape}")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.number)) \
            or not 0.0 <= temperature < math.inf:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    if top_k is not None:
        check_int("top_k", top_k)
    rng = np.random.default_rng(seed)
    ids = [int(i) for i in prompt]
    window = np.zeros((1, context), dtype=np.int32)
    for _ in range(steps):
        recent = ids[-context:]  # crop: the model never sees more than its context
        # Pad on the right to a fixed shape (one compiled function); the causal mask makes
        # the padding invisible to the positions we read.
        window[0, :len(recent)], window[0, len(recent):] = recent, 0
        logits = np.asarray(model.predict_on_batch(window), dtype=np.float64)[0, len(recent) - 1]
        if temperature == 0:
            ids.append(int(np.argmax(logits)))
            continue
        logits = logits / temperature
        if top_k is not None and top_k < logits.size:
            logits[logits < np.sort(logits)[-top_k]] = -np.inf
        probs = np.exp(logits - logits.max())
        ids.append(int(rng.choice(logits.size, p=probs / probs.sum())))
    return np.asarray(ids, dtype=np.int32)


def attention_maps(model: keras.Model, ids) -> np.ndarray:
    """Every head's attention weights for one sequence, (layers, heads, length, length)."""
    ids = np.asarray(ids, dtype=np.int32)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"ids must be a non-empty 1D sequence, got shape {ids.shape}")
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerBlock)]
    if not blocks:
        raise ValueError(f"model {model.name!r} has no TransformerBlock")
    x = model.get_layer("embedding")(ids[None])
    maps = []
    for block in blocks:
        maps.append(ops.convert_to_numpy(block.attention_weights(x))[0])
        x = block(x, training=False)
    return np.stack(maps)


def _baseline_args(train_ids, eval_ids, vocab_size, smoothing, minimum):
    check_int("vocab_size", vocab_size)
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not smoothing > 0:
        raise ValueError(f"smoothing must be a positive number, got {smoothing!r}")
    checked = []
    for name, ids in (("train_ids", train_ids), ("eval_ids", eval_ids)):
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size < minimum or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{name} must be a 1D integer array of at least {minimum} ids, got shape {ids.shape}")
        if ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(f"{name} must lie in [0, {vocab_size - 1}], got {ids.min()}..{ids.max()}")
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
        self.context, self.batch_size = check_int("context", context), check_int("batch_size", batch_size)
        self.batches, self.seed = check_int("batches", batches), seed
        self.ids = np.asarray(ids, dtype=np.int32)
        if self.ids.ndim != 1 or self.ids.size <= context:
            raise ValueError(f"ids must be 1D with more than context={context} ids, got shape {self.ids.shape}")

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        if not 0 <= index < self.batches:
            raise IndexError(f"batch index {index} out of range 0..{self.batches - 1}")
        rng = np.random.default_rng([self.seed, index])
        positions = rng.integers(0, self.ids.size - self.context, self.batch_size)[:, None] + np.arange(self.context)
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
