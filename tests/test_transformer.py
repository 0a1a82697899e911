"""Tests of genai_lessons.models.transformer: attention maths against NumPy and Keras's own layer,
causality, the optimizer's weight decay, sliding-window evaluation, training
beating a bigram model, and serialization."""

import dataclasses

import numpy as np
import pytest

from genai_lessons.core import backend, settings

settings.quiet_logs()

import keras  # noqa: E402

from genai_lessons.datasets import text  # noqa: E402
from genai_lessons.measures import ngrams  # noqa: E402
from genai_lessons.models import attention as A  # noqa: E402
from genai_lessons.models import generation as G  # noqa: E402
from genai_lessons.models import transformer as T  # noqa: E402

VOCAB = 11
TINY = T.GPTConfig(vocab_size=VOCAB, context=12, width=16, num_heads=2, num_layers=2)


@pytest.fixture(scope="module")
def gpt():
    keras.utils.set_random_seed(3)
    return T.build_gpt(TINY)


def numpy_attention(q, k, v, allowed=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def test_causal_mask_is_lower_triangular():
    mask = keras.ops.convert_to_numpy(A.causal_mask(5))
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, np.tril(np.ones((5, 5), dtype=bool)))


def test_attention_matches_numpy_rows_sum_to_one_and_respect_mask():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(2, 3, 6, d)).astype("float32") for d in (8, 8, 5))
    allowed = np.tril(np.ones((6, 6), dtype=bool))
    output, weights = A.scaled_dot_product_attention(q, k, v, A.causal_mask(6))
    output, weights = keras.ops.convert_to_numpy(output), keras.ops.convert_to_numpy(weights)
    expected_output, expected_weights = numpy_attention(q, k, v, allowed)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)
    np.testing.assert_allclose(output, expected_output, atol=1e-5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    assert np.all(weights[..., ~allowed] == 0.0)


def test_attention_without_mask_and_scaling():
    q = np.array([[[2.0, 0.0]]], "float32")
    k = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
    v = np.array([[[1.0], [3.0]]], "float32")
    output, weights = A.scaled_dot_product_attention(q, k, v)
    # Scores 2/sqrt(2) and 0: softmax gives sigmoid(sqrt(2)) to the first key.
    first = 1.0 / (1.0 + np.exp(-np.sqrt(2.0)))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(weights)[0, 0], [first, 1 - first], rtol=1e-6
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(output)[0, 0, 0], first + 3 * (1 - first), rtol=1e-6
    )


def test_multi_head_attention_equals_keras_layer_with_same_weights():
    rng = np.random.default_rng(1)
    width, heads, length = 12, 3, 7
    x = rng.normal(size=(2, length, width)).astype("float32")
    ours = A.CausalSelfAttention(width, heads)
    ours(x)
    for variable in ours.weights:  # non-zero biases so a mis-mapped bias would show
        variable.assign(rng.normal(size=variable.shape).astype("float32") * 0.3)
    theirs = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
    theirs(x, x, use_causal_mask=True)
    head_dim = width // heads
    for mine, dense in (
        (ours.query, theirs.query_dense),
        (ours.key, theirs.key_dense),
        (ours.value, theirs.value_dense),
    ):
        dense.kernel.assign(keras.ops.reshape(mine.kernel, (width, heads, head_dim)))
        dense.bias.assign(keras.ops.reshape(mine.bias, (heads, head_dim)))
    theirs.output_dense.kernel.assign(keras.ops.reshape(ours.out.kernel, (heads, head_dim, width)))
    theirs.output_dense.bias.assign(ours.out.bias)
    out, weights = ours(x, return_attention=True)
    expected, expected_weights = theirs(x, x, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(expected), atol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(weights), keras.ops.convert_to_numpy(expected_weights), atol=1e-6
    )


def test_float64_attention_has_float64_weights_and_matches_numpy_in_float64():
    backend.require_float64()  # JAX computes in 32 bits without its x64 switch
    rng = np.random.default_rng(2)
    width, heads, length = 12, 3, 6
    layer = A.CausalSelfAttention(width, heads, dtype="float64")
    x = rng.normal(size=(2, length, width))
    layer(x)
    for variable in layer.weights:  # non-zero biases so a dropped bias would show
        variable.assign(rng.normal(size=variable.shape) * 0.5)
    assert len(layer.weights) == 8 and all(w.dtype == "float64" for w in layer.weights)
    output = keras.ops.convert_to_numpy(layer(x))
    assert output.dtype == np.float64

    def project(dense, inputs):
        return inputs @ keras.ops.convert_to_numpy(dense.kernel) + keras.ops.convert_to_numpy(
            dense.bias
        )

    def split(y):  # (batch, length, width) -> (batch, heads, length, head_dim)
        return y.reshape(2, length, heads, width // heads).transpose(0, 2, 1, 3)

    q, k, v = (split(project(d, x)) for d in (layer.query, layer.key, layer.value))
    heads_out, _ = numpy_attention(q, k, v, np.tril(np.ones((length, length), dtype=bool)))
    expected = project(layer.out, heads_out.transpose(0, 2, 1, 3).reshape(2, length, width))
    # PyTorch's CPU matmul computes float64 products at about float32 precision (README,
    # "Tested versions and backends"); TensorFlow and JAX (x64 on) in float64.
    atol = 3e-6 if keras.backend.backend() == "torch" else 1e-10
    np.testing.assert_allclose(output, expected, rtol=0, atol=atol)
    # A float64 layer keeps its policy through its config.
    clone = A.CausalSelfAttention.from_config(layer.get_config())
    clone(x)
    assert all(w.dtype == "float64" for w in clone.weights)


def test_gpt_shapes_and_name(gpt):
    ids = np.random.default_rng(0).integers(0, VOCAB, size=(3, 9)).astype("int32")
    logits = keras.ops.convert_to_numpy(gpt(ids))
    assert logits.shape == (3, 9, VOCAB)
    assert gpt.name == "gpt"
    assert [layer.name for layer in gpt.layers if isinstance(layer, T.TransformerBlock)] == [
        "block_0",
        "block_1",
    ]


def test_gpt_is_causal(gpt):
    rng = np.random.default_rng(2)
    ids = rng.integers(0, VOCAB, size=(1, TINY.context)).astype("int32")
    changed = ids.copy()
    changed[0, 7] = (ids[0, 7] + 1) % VOCAB
    before = keras.ops.convert_to_numpy(gpt(ids))
    after = keras.ops.convert_to_numpy(gpt(changed))
    np.testing.assert_allclose(after[:, :7], before[:, :7], atol=1e-6)
    assert np.abs(after[:, 7:] - before[:, 7:]).max(axis=-1).min() > 1e-4  # later ones do change


def test_sequence_longer_than_context_raises(gpt):
    with pytest.raises(ValueError, match="context"):
        gpt(np.zeros((1, TINY.context + 1), "int32"))


def test_sinusoidal_positions_closed_form_and_model():
    table = T.sinusoidal_positions(10, 6)
    np.testing.assert_allclose(table[0], [0, 1, 0, 1, 0, 1], atol=1e-7)
    np.testing.assert_allclose(table[3, 2], np.sin(3 / 10000 ** (2 / 6)), rtol=1e-6)
    np.testing.assert_allclose(table[3, 5], np.cos(3 / 10000 ** (4 / 6)), rtol=1e-6)
    model = T.build_gpt(dataclasses.replace(TINY, positions="sinusoidal"))
    embedding = model.get_layer("embedding")
    ids = np.array([[4, 4, 4]], "int32")
    x = keras.ops.convert_to_numpy(embedding(ids))
    token = embedding.tokens.embeddings.numpy()[4]
    np.testing.assert_allclose(
        x[0], token + T.sinusoidal_positions(TINY.context, TINY.width)[:3], atol=1e-6
    )
    assert len(embedding.trainable_weights) == 1  # only the token table is learned


def test_short_training_beats_the_bigram_baseline():
    # Random words whose third letter is set by their first: after "a" a bigram model can only
    # guess among t, d, g, n, while a model that looks two characters back knows.
    words = "".join(np.random.default_rng(0).choice(["pat ", "bad ", "sag ", "kan "], size=3000))
    chars = sorted(set(words))
    ids = np.array([chars.index(c) for c in words], dtype=np.int32)
    train, held = ids[:10000], ids[10000:]
    keras.utils.set_random_seed(0)
    config = T.GPTConfig(vocab_size=len(chars), context=16, width=32, num_heads=2, num_layers=1)
    model = T.build_gpt(config)
    model.compile(
        keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(text.RandomWindows(train, 16, 32, 150, seed=0), epochs=1, verbose=0)
    loss = model.evaluate(text.ConsecutiveWindows(held, 16, 64), verbose=0)
    bigram = ngrams.bigram_cross_entropy(train, held, len(chars))
    assert loss < 0.85 * bigram, (loss, bigram)
    # The sliding-window measure scores the same tokens as the n-gram models, with more context.
    assert G.cross_entropy(model, held) < loss


# Keras's own saving code converts TensorFlow variables with np.array(x, copy=False), which
# NumPy 2 flags; the warning is about Keras internals, not this package.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "none"])
def test_keras_save_and_load_gives_the_same_logits(tmp_path, positions):
    keras.utils.set_random_seed(4)
    model = T.build_gpt(dataclasses.replace(TINY, positions=positions, dropout=0.1))
    ids = np.random.default_rng(0).integers(0, VOCAB, size=(2, 10)).astype("int32")
    path = tmp_path / "gpt.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode: no Lambda, no pickled code
    assert loaded.name == "gpt"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(ids)), keras.ops.convert_to_numpy(model(ids)), atol=1e-6
    )
    np.testing.assert_array_equal(
        G.generate(loaded, [1, 2], 5, temperature=0), G.generate(model, [1, 2], 5, temperature=0)
    )


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"vocab_size": 0}, "vocab_size"),
        ({"context": -1}, "context"),
        ({"width": 2.5}, "width"),
        ({"width": 30, "num_heads": 4}, "divisible"),
        ({"num_layers": True}, "num_layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"positions": "rotary"}, "positions"),
        ({"mlp_ratio": 0}, "mlp_ratio"),
    ],
)
def test_bad_config_raises(changes, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(TINY, **changes)


def test_bad_arguments_raise(gpt):
    with pytest.raises(TypeError, match="GPTConfig"):
        T.build_gpt({"vocab_size": 10})
    with pytest.raises(ValueError, match="length"):
        A.causal_mask(0)
    with pytest.raises(ValueError, match="same last dimension"):
        A.scaled_dot_product_attention(
            np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")
        )
    with pytest.raises(ValueError, match="as many positions"):
        A.scaled_dot_product_attention(
            np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32"), np.zeros((3, 4), "float32")
        )
    with pytest.raises(ValueError, match="even"):
        T.sinusoidal_positions(4, 5)
    with pytest.raises(ValueError, match="divisible"):
        A.CausalSelfAttention(10, 3)
    with pytest.raises(ValueError, match="width"):
        A.CausalSelfAttention(8, 2)(np.zeros((1, 3, 6), "float32"))
    with pytest.raises(ValueError, match="positions"):
        T.PositionalEmbedding(5, 4, 8, positions="rotary")
    with pytest.raises(ValueError, match="weight_decay"):
        T.make_optimizer(gpt, 1e-3, weight_decay=-1.0)


def test_without_positions_the_model_sees_a_bag_of_earlier_tokens():
    # With one block, the last position attends over a set of tokens: their order is invisible.
    # (With more blocks the earlier positions' own causal views differ, so order leaks back in.)
    keras.utils.set_random_seed(5)
    one_block = dataclasses.replace(TINY, num_layers=1)
    model = T.build_gpt(dataclasses.replace(one_block, positions="none"))
    ids = np.array([[1, 2, 3, 4, 5, 6]], "int32")
    shuffled = np.array([[4, 2, 6, 1, 3, 5]], "int32")  # same tokens, another one last
    same_last = np.array([[3, 1, 5, 4, 2, 6]], "int32")  # earlier tokens permuted, last one kept
    out = keras.ops.convert_to_numpy(model(ids))[0, -1]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(same_last))[0, -1], out, atol=1e-5)
    assert not np.allclose(keras.ops.convert_to_numpy(model(shuffled))[0, -1], out, atol=1e-5)
    learned = T.build_gpt(one_block)  # with positions, order matters
    assert not np.allclose(
        keras.ops.convert_to_numpy(learned(same_last))[0, -1],
        keras.ops.convert_to_numpy(learned(ids))[0, -1],
        atol=1e-5,
    )


def test_optimizer_decays_matrices_only(gpt):
    model = T.build_gpt(TINY)
    optimizer = T.make_optimizer(model, learning_rate=0.1, weight_decay=0.5)
    decayed = {id(v) for v in T.decayed_variables(model)}
    kernels = [v for v in model.trainable_variables if v.path.endswith("kernel")]
    assert decayed == {id(v) for v in kernels}  # dense kernels; no bias, norm or embedding
    before = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
    # With zero gradients Adam's step is zero, so only the decay moves the weights.
    optimizer.apply_gradients([(keras.ops.zeros(v.shape), v) for v in model.trainable_variables])
    for v, old in zip(model.trainable_variables, before):
        factor = 1 - 0.1 * 0.5 if id(v) in decayed else 1.0
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(v), old * factor, rtol=1e-6, atol=1e-7
        )


def test_a_float64_block_is_float64_throughout():
    block = T.TransformerBlock(8, 2, mlp_ratio=2, dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, 5, 8))
    out = keras.ops.convert_to_numpy(block(x))
    assert {str(w.dtype) for w in block.weights} == {"float64"}
    assert out.dtype == np.float64
    # and it computes what a float32 block with the same weights computes, to float32 precision
    single = T.TransformerBlock(8, 2, mlp_ratio=2)
    single(x.astype("float32"))
    single.set_weights([w.astype("float32") for w in block.get_weights()])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(single(x.astype("float32"))), out, rtol=1e-4, atol=1e-5
    )


def _untrained_loss(config, seed):
    keras.utils.set_random_seed(seed)
    model = T.build_gpt(config)
    ids = np.random.default_rng(seed).integers(0, config.vocab_size, size=400)
    return G.cross_entropy(model, ids)


def test_small_output_init_starts_the_loss_near_ln_vocab():
    # Untrained, every token should be about equally likely: the loss of a uniform guess, ln V.
    # Keras's default output kernel spreads the logits about one unit, which costs about half
    # their variance more (the same model, the same seeds, without the option).
    config = T.GPTConfig(vocab_size=92, context=32, width=128, num_heads=4, num_layers=2)
    small = dataclasses.replace(config, output_stddev=0.02)
    for seed in (0, 1, 2):
        assert abs(_untrained_loss(small, seed) - np.log(92)) < 0.05
        assert _untrained_loss(config, seed) > np.log(92) + 0.2
    # Zero: every logit 0, exactly the uniform guess.
    zero = dataclasses.replace(config, output_stddev=0.0)
    np.testing.assert_allclose(_untrained_loss(zero, 0), np.log(92), rtol=1e-6)


def test_default_output_init_is_unchanged_by_the_option():
    # Lessons that do not use the option build the same model, weight for weight.
    keras.utils.set_random_seed(7)
    before = [v.numpy() for v in T.build_gpt(TINY).weights]
    keras.utils.set_random_seed(7)
    after = [v.numpy() for v in T.build_gpt(dataclasses.replace(TINY, output_stddev=None)).weights]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_attention_only_blocks_have_no_mlp_and_still_work(tmp_path):
    keras.utils.set_random_seed(8)
    config = dataclasses.replace(TINY, mlp=False)
    model = T.build_gpt(config)
    block = model.get_layer("block_0")
    width = TINY.width
    attention_params = 4 * (width * width + width) + 2 * width  # projections and one layer norm
    assert block.count_params() == attention_params
    assert not any("mlp" in v.path for v in model.weights)
    ids = np.random.default_rng(0).integers(0, VOCAB, size=(1, 10)).astype("int32")
    # The block is x + attention(norm(x)): computed by hand from its own sublayers.
    x = model.get_layer("embedding")(ids)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(block(x)),
        keras.ops.convert_to_numpy(x + block.attention(block.norm1(x))),
        atol=1e-6,
    )
    # The key/value cache gives the same logits, and a save/load round trip keeps the option.
    logits, _ = G.cached_forward(model, ids)
    np.testing.assert_allclose(logits, keras.ops.convert_to_numpy(model(ids)), atol=1e-5)
    model.save(tmp_path / "attention_only.keras")
    loaded = keras.saving.load_model(tmp_path / "attention_only.keras")
    assert loaded.get_layer("block_1").mlp is False
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(ids)), keras.ops.convert_to_numpy(model(ids)), atol=1e-6
    )


@pytest.mark.parametrize(
    "changes, match", [({"mlp": 1}, "mlp"), ({"output_stddev": -0.1}, "output_stddev")]
)
def test_bad_new_options_raise(changes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        dataclasses.replace(TINY, **changes)
