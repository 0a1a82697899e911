"""Attention: scaled dot-product attention, the causal mask and multi-head causal
self-attention (with the key/value cache that generation uses).

Shapes: activations (batch, length, width); attention weights (batch, heads, queries, keys).
The maths is in `keras.ops`, so it runs on any backend. The transformer block and the GPT
built from these are in `genai_lessons.models.transformer`.
"""

from __future__ import annotations

import keras
from keras import ops

from genai_lessons.core.array_checks import check_concrete
from genai_lessons.core.validation import check_int

_MASKED = -1e9  # added to forbidden scores: exp() underflows to exactly 0, with no inf - inf NaN


def check_heads(width: int, num_heads: int) -> None:
    """Raise ValueError unless `num_heads` divides `width` (each head gets width/heads)."""
    if check_int("width", width) % check_int("num_heads", num_heads):
        raise ValueError(
            f"num_heads must divide width: width ({width}) must be divisible by "
            f"num_heads, got num_heads={num_heads!r}"
        )


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
    for argument, tensor in (("query", query), ("key", key), ("value", value)):
        check_concrete(argument, tensor)
    if len(query.shape) < 2 or len(key.shape) < 2 or len(value.shape) < 2:
        raise ValueError(
            f"query, key and value need at least 2 dimensions, got shapes "
            f"{query.shape}, {key.shape}, {value.shape}"
        )
    if (
        query.shape[-1] is not None
        and key.shape[-1] is not None
        and query.shape[-1] != key.shape[-1]
    ):
        raise ValueError(
            f"query and key must have the same last dimension, got query {query.shape} "
            f"and key {key.shape}"
        )
    if (
        key.shape[-2] is not None
        and value.shape[-2] is not None
        and key.shape[-2] != value.shape[-2]
    ):
        raise ValueError(
            f"key and value must have as many positions, got key {key.shape} and "
            f"value {value.shape}"
        )
    depth = ops.cast(ops.shape(query)[-1], query.dtype)
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) / ops.sqrt(depth)
    if mask is not None:
        scores = ops.where(mask, scores, ops.cast(_MASKED, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


@keras.saving.register_keras_serializable(package="genai_lessons")
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head causal self-attention: (batch, length, width) -> (batch, length, width).

    Each head projects the input to its own queries, keys and values of size width/heads,
    attends with the causal mask, and the heads' outputs are concatenated and projected back.
    """

    def __init__(self, width: int, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        check_heads(width, num_heads)
        self.width, self.num_heads, self.head_dim = width, num_heads, width // num_heads
        # The projections follow this layer's dtype policy: float64 attention has float64 weights.
        self.query, self.key, self.value, self.out = (
            keras.layers.Dense(width, name=name, dtype=self.dtype_policy)
            for name in ("query", "key", "value", "out")
        )

    def build(self, input_shape):
        if input_shape[-1] != self.width:
            raise ValueError(f"expected inputs of width {self.width}, got shape {input_shape}")
        for layer in (self.query, self.key, self.value, self.out):
            layer.build(input_shape)

    def _heads(self, x):  # (batch, length, width) -> (batch, heads, length, head_dim)
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        return ops.transpose(
            ops.reshape(x, (batch, length, self.num_heads, self.head_dim)), (0, 2, 1, 3)
        )

    def call(self, x, return_attention: bool = False):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        heads, weights = scaled_dot_product_attention(q, k, v, _causal(length))
        merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, self.width))
        output = self.out(merged)
        return (output, weights) if return_attention else output

    def call_with_cache(self, x, past=None, position=None):
        """Attention for new positions that also attends to the keys and values of earlier ones.

        Args:
            x: the new positions' inputs, (batch, new, width).
            past: `(keys, values)` of the earlier positions, each (batch, heads, earlier,
                head_dim), or None when there are none.
            position: None, or the slot (batch,) int of one new position (new == 1) in
                fixed-size buffers: `past` then holds (batch, heads, context, head_dim)
                buffers, the new key and value are written at `position` and later slots are
                masked. Fixed shapes let a compiled function serve every step.

        Returns:
            `(output, (keys, values))`: (batch, new, width), and the keys and values of all
            positions (earlier then new, or the updated buffers) to pass as `past` next time.
        """
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        if position is not None:  # write slot `position` of the buffers
            slots = ops.arange(ops.shape(past[0])[2])
            here = ops.reshape(ops.equal(slots[None], position[:, None]), (batch, 1, -1, 1))
            k, v = ops.where(here, k, past[0]), ops.where(here, v, past[1])
            allowed = ops.reshape(ops.less_equal(slots[None], position[:, None]), (batch, 1, 1, -1))
        else:
            if past is not None:
                k = ops.concatenate([past[0], k], axis=2)
                v = ops.concatenate([past[1], v], axis=2)
            earlier = ops.shape(k)[2] - length
            # New position i sits at earlier + i and may attend to every key j <= earlier + i.
            allowed = ops.greater_equal(
                ops.expand_dims(ops.arange(length) + earlier, 1),
                ops.expand_dims(ops.arange(ops.shape(k)[2]), 0),
            )
        heads, _ = scaled_dot_product_attention(q, k, v, allowed)
        merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, self.width))
        return self.out(merged), (k, v)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "num_heads": self.num_heads}
