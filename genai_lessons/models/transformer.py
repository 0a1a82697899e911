"""A small GPT: position codes, the transformer block, a decoder-only language model and its
training optimizer. Attention itself is in `genai_lessons.models.attention`; evaluation and text
generation (with a key/value cache) are in `genai_lessons.models.generation`.

Shapes: token ids (batch, length); activations (batch, length, width); attention weights
(batch, heads, queries, keys). The model math is in `keras.ops`, so it runs on any backend.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from genai_lessons.core import backend
from genai_lessons.core.seed_state import KeepsSeedState
from genai_lessons.core.validation import (
    build_config,
    check_bool,
    check_choice,
    check_int,
    check_number,
)
from genai_lessons.models.attention import CausalSelfAttention, check_heads

POSITIONS = ("learned", "sinusoidal", "none")


def _check_dropout(dropout) -> float:
    return check_number("dropout", dropout, 0.0, 1.0, inclusive=(True, False))


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
        positions: "learned" (a trained vector per position), "sinusoidal" (fixed) or
            "none" (no position information, to measure what it is worth).
    """

    def __init__(
        self, vocab_size: int, context: int, width: int, positions: str = "learned", **kwargs
    ):
        super().__init__(**kwargs)
        self.vocab_size, self.context = (
            check_int("vocab_size", vocab_size),
            check_int("context", context),
        )
        self.width = check_int("width", width)
        self.positions = check_choice("positions", positions, POSITIONS)
        self.tokens = keras.layers.Embedding(vocab_size, width, name="tokens")
        if positions == "sinusoidal":
            self.table = sinusoidal_positions(context, width)
        elif positions == "none":  # an ablation: nothing tells the model where a token is
            self.table = np.zeros((context, width), dtype=np.float32)

    def build(self, input_shape):
        self.tokens.build(input_shape)
        if self.positions == "learned":
            self.table = self.add_weight(
                shape=(self.context, self.width),
                name="positions",
                initializer=keras.initializers.RandomNormal(stddev=0.02),
            )

    def call(self, ids, start: int = 0):
        """`start`: the position of the first id (with a key/value cache, the tokens before)."""
        # A known length is checked now; an unknown one (None on TensorFlow, a symbolic
        # dimension on JAX, which cannot be compared with an int) when the model runs.
        length = backend.known_length(ids)
        if length is not None and length + start > self.context:
            raise ValueError(
                f"sequence length {length} from position {start} exceeds the context {self.context}"
            )
        # Positions counted along the ids themselves, not sliced by `length`: JAX can then
        # tell that the result has exactly the ids' shape even when it is symbolic.
        positions = ops.cumsum(ops.ones_like(ids[:1]), axis=-1) - 1 + start  # (1, length)
        return self.tokens(ids) + ops.take(
            ops.cast(self.table, self.compute_dtype), positions, axis=0
        )

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "context": self.context,
            "width": self.width,
            "positions": self.positions,
        }


@keras.saving.register_keras_serializable(package="genai_lessons")
class SeededDropout(KeepsSeedState, keras.layers.Dropout):
    """Keras's `Dropout` that also saves its random-number position with the weights, so that a
    reloaded model, or a resumed training run, drops what the saved one would have dropped next
    (Keras's own layer draws a fresh seed when it is rebuilt)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        # Without a seed, draw one as Keras draws its default (from Python's `random`, which
        # `keras.utils.set_random_seed` seeds): the same masks as Keras's own layer on TensorFlow
        # and JAX, while on PyTorch Keras would otherwise use torch's global generator, which no
        # saved state restores. The seed goes into the config, so a reloaded layer starts there.
        if seed is None and rate > 0:
            seed = random.randint(1, int(1e9))
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)


@keras.saving.register_keras_serializable(package="genai_lessons")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x)).

    The residual path lets each block add to the representation instead of replacing it;
    layer normalization keeps the inputs of attention and MLP at a steady scale. With
    `mlp=False` the block is attention only (x + attention(norm(x))), the kind of model in which
    Olsson et al. (2022) study induction heads.
    """

    def __init__(
        self,
        width: int,
        num_heads: int,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
        mlp: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_heads(width, num_heads)
        self.width, self.num_heads = width, num_heads
        self.mlp_ratio, self.dropout = check_int("mlp_ratio", mlp_ratio), _check_dropout(dropout)
        self.mlp = check_bool("mlp", mlp)
        dtype = self.dtype_policy  # the sublayers follow it: a float64 block is float64 throughout
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm1", dtype=dtype)
        self.attention = CausalSelfAttention(width, num_heads, name="attention", dtype=dtype)
        if self.mlp:
            self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm2", dtype=dtype)
            self.hidden = keras.layers.Dense(
                mlp_ratio * width, activation="gelu", name="mlp_hidden", dtype=dtype
            )
            self.project = keras.layers.Dense(width, name="mlp_out", dtype=dtype)
        self.drop = SeededDropout(dropout, dtype=dtype)

    def build(self, input_shape):
        for layer in (self.norm1, self.attention):
            layer.build(input_shape)
        if self.mlp:
            self.norm2.build(input_shape)
            self.hidden.build(input_shape)
            self.project.build((*input_shape[:-1], self.mlp_ratio * self.width))

    def _mlp(self, x):
        return self.project(self.hidden(self.norm2(x)))

    def call(self, x, training=None):
        x = x + self.drop(self.attention(self.norm1(x)), training=training)
        if not self.mlp:
            return x
        return x + self.drop(self._mlp(x), training=training)

    def call_with_cache(self, x, past=None, position=None):
        """The block for new positions given the cached keys and values of earlier ones:
        `(output, (keys, values))`, see `CausalSelfAttention.call_with_cache` (inference only,
        no dropout)."""
        attended, present = self.attention.call_with_cache(self.norm1(x), past, position)
        x = x + attended
        return (x + self._mlp(x) if self.mlp else x), present

    def attention_weights(self, x):
        """The block's attention weights for input x: (batch, heads, length, length)."""
        return self.attention(self.norm1(x), return_attention=True)[1]

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "num_heads": self.num_heads,
            "mlp_ratio": self.mlp_ratio,
            "dropout": self.dropout,
            "mlp": self.mlp,
        }


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
    positions: str = "learned"  # "learned", "sinusoidal" or "none"
    mlp: bool = True  # False: attention-only blocks, no MLP
    # The output layer's initial kernel: None, Keras's default (Glorot uniform); a number, a
    # normal with this standard deviation. Small (0.02) starts the loss near ln(vocab_size).
    output_stddev: float | None = None

    def __post_init__(self):
        for name in ("vocab_size", "context", "num_layers", "mlp_ratio"):
            check_int(name, getattr(self, name))
        check_heads(self.width, self.num_heads)
        _check_dropout(self.dropout)
        check_choice("positions", self.positions, POSITIONS)
        check_bool("mlp", self.mlp)
        if self.output_stddev is not None:
            check_number("output_stddev", self.output_stddev, minimum=0.0)


def build_gpt(config: GPTConfig | None = None, **overrides) -> keras.Model:
    """A GPT: token ids (batch, length <= context) -> next-token logits (batch, length, vocab).

    Give a `GPTConfig`, or its fields as keywords (`build_gpt(vocab_size=65, width=64)`), or
    both (keywords then replace the config's fields).

    With Keras's default output kernel the untrained logits spread about one unit (the final
    layer norm gives each feature unit variance), so the untrained loss lies well above the
    uniform guess's ln(vocab_size); `output_stddev=0.02` makes the first logits almost equal,
    and the loss starts near ln(vocab_size), the least a model that knows nothing should pay.
    """
    config = build_config(GPTConfig, config, overrides)
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = PositionalEmbedding(
        config.vocab_size, config.context, config.width, config.positions, name="embedding"
    )(ids)
    x = SeededDropout(config.dropout, name="embedding_dropout")(x)
    for i in range(config.num_layers):
        x = TransformerBlock(
            config.width,
            config.num_heads,
            config.mlp_ratio,
            config.dropout,
            mlp=config.mlp,
            name=f"block_{i}",
        )(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    kernel = "glorot_uniform"  # Keras's default
    if config.output_stddev is not None:
        kernel = keras.initializers.RandomNormal(stddev=config.output_stddev)
    logits = keras.layers.Dense(config.vocab_size, kernel_initializer=kernel, name="logits")(x)
    return keras.Model(ids, logits, name="gpt")


def decayed_variables(model: keras.Model) -> list:
    """The weights that weight decay should shrink: the matrices of the dense layers.

    Biases, layer-norm scales and shifts, and the token and position embeddings are left out,
    as minGPT does (nanoGPT decays every 2-D weight, embeddings included): decaying a layer
    norm's scale or a rarely seen token's vector towards zero fights what they are for, while
    shrinking matrices regularises the maps between them.
    """
    embedding = {
        id(v)
        for layer in model.layers
        if isinstance(layer, PositionalEmbedding)
        for v in layer.weights
    }
    return [v for v in model.trainable_variables if len(v.shape) >= 2 and id(v) not in embedding]


def make_optimizer(
    model: keras.Model, learning_rate, weight_decay: float = 0.1, **kwargs
) -> keras.optimizers.AdamW:
    """AdamW that applies `weight_decay` to `decayed_variables(model)` only.

    Args:
        model: the model the optimizer will train (already built).
        learning_rate: a number or a `keras.optimizers.schedules` schedule.
        weight_decay: the decoupled decay rate of the matrices.
        **kwargs: passed on to `keras.optimizers.AdamW` (beta_2, clipnorm...).
    """
    weight_decay = check_number("weight_decay", weight_decay, minimum=0.0)
    optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay, **kwargs)
    decayed = {id(v) for v in decayed_variables(model)}
    optimizer.exclude_from_weight_decay(
        var_list=[v for v in model.trainable_variables if id(v) not in decayed]
    )
    return optimizer
