"""Tests of genai_lessons.models.cnn: the classifier builder and the feature-map helper."""

import dataclasses

import keras
import numpy as np
import pytest

from genai_lessons.datasets import image_sets
from genai_lessons.models import cnn


def conv_params(in_channels, filters, kernel=3):
    return kernel * kernel * in_channels * filters + filters


def dense_params(inputs, units):
    return inputs * units + units


def test_default_digits_network_shapes_and_parameters():
    model = cnn.build_cnn_classifier()
    assert model.name == "cnn_classifier"
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 10)
    shapes = {layer.name: layer.output.shape[1:] for layer in model.layers[1:]}
    assert shapes["block1_conv1"] == (8, 8, 32) and shapes["block1_pool"] == (4, 4, 32)
    assert shapes["block2_conv1"] == (4, 4, 64) and shapes["block2_pool"] == (2, 2, 64)
    expected = (
        conv_params(1, 32)
        + conv_params(32, 64)
        + dense_params(2 * 2 * 64, 64)
        + dense_params(64, 10)
    )
    assert model.count_params() == expected


def test_mnist_sized_network():
    model = cnn.build_cnn_classifier(
        input_shape=(28, 28, 1), filters=[16, 32, 32], convs_per_block=2, dense_units=32
    )
    pools = [layer.output.shape[1:3] for layer in model.layers if layer.name.endswith("_pool")]
    assert pools == [(14, 14), (7, 7), (3, 3)]  # floor division by the 2x2 pooling
    convs = [layer for layer in model.layers if "conv" in layer.name]
    assert [layer.name for layer in convs[:2]] == ["block1_conv1", "block1_conv2"]
    expected = (
        conv_params(1, 16)
        + conv_params(16, 16)
        + conv_params(16, 32)
        + conv_params(32, 32)
        + 2 * conv_params(32, 32)
        + dense_params(3 * 3 * 32, 32)
        + dense_params(32, 10)
    )
    assert model.count_params() == expected
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_pooling_stops_at_one_pixel_and_can_be_switched_off():
    deep = cnn.build_cnn_classifier(filters=(8, 8, 8, 8))  # 8 -> 4 -> 2 -> 1, then no more
    assert [layer.name for layer in deep.layers if "pool" in layer.name] == [
        "block1_pool",
        "block2_pool",
        "block3_pool",
    ]
    flat = cnn.build_cnn_classifier(filters=(4,), pool=False, dense_units=0)
    assert flat.get_layer("flatten").output.shape[1:] == (8 * 8 * 4,)
    assert flat.count_params() == conv_params(1, 4) + dense_params(256, 10)


def test_config_object_and_overrides():
    config = cnn.CNNConfig(filters=(4, 8), dense_units=16)
    model = cnn.build_cnn_classifier(config, num_classes=3, name="tiny")
    assert model.name == "tiny" and model.output_shape == (None, 3)
    assert model.get_layer(cnn.EMBEDDING_LAYER).units == 16
    # Validated at every construction, dataclasses.replace included, so no bad config exists.
    with pytest.raises(ValueError, match="dropout must be a finite number in \\[0, 1\\), got nan"):
        dataclasses.replace(config, dropout=float("nan"))
    listed = cnn.build_cnn_classifier(config, filters=[4], input_shape=[8, 8, 1])  # lists welcome
    assert listed.get_layer("block1_conv1").filters == 4 and listed.input_shape == (None, 8, 8, 1)


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"input_shape": (8, 8)}, ValueError, "input_shape"),
        ({"num_classes": 1}, ValueError, "num_classes"),
        ({"filters": ()}, ValueError, "filters"),
        ({"filters": (8, 0)}, ValueError, "filters"),
        ({"kernel_size": 9}, ValueError, "kernel_size"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"dense_units": -1}, ValueError, "dense_units"),
        ({"seed": -3}, ValueError, "seed"),
        ({"translate": 0.5}, ValueError, "translate"),
        ({"pool": "yes"}, TypeError, "pool"),
        ({"depth": 3}, TypeError, "depth"),
    ],
)
def test_bad_arguments_are_named(overrides, error, message):
    with pytest.raises(error, match=message):
        cnn.build_cnn_classifier(**overrides)


def test_config_must_be_a_cnnconfig():
    with pytest.raises(TypeError, match="CNNConfig"):
        cnn.build_cnn_classifier({"filters": (8,)})


def test_seed_fixes_weights_and_dropout():
    first = cnn.build_cnn_classifier(seed=5, dropout=0.5)
    second = cnn.build_cnn_classifier(seed=5, dropout=0.5)
    other = cnn.build_cnn_classifier(seed=6, dropout=0.5)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])
    x = image_sets.load_digits().x_test[:8]
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(first(x, training=True)),
        keras.ops.convert_to_numpy(second(x, training=True)),
    )
    # dropout acts in training only
    inference = keras.ops.convert_to_numpy(first(x, training=False))
    np.testing.assert_array_equal(inference, keras.ops.convert_to_numpy(first(x, training=False)))
    assert not np.allclose(inference, keras.ops.convert_to_numpy(first(x, training=True)))


def test_augmentation_shifts_training_images_only():
    model = cnn.build_cnn_classifier(filters=(4,), translate=0.125, seed=2)
    assert model.layers[1].name == "augment" and model.count_params() == (
        cnn.build_cnn_classifier(filters=(4,), seed=2).count_params()
    )
    augment = model.get_layer("augment")
    x = image_sets.load_digits().x_test[:16]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augment(x, training=False)), x)
    shifted = keras.ops.convert_to_numpy(augment(x, training=True))
    assert not np.allclose(shifted, x)
    # the uncovered border is filled with background (0), so values stay in the image's range
    assert np.all(shifted >= -1e-6) and np.all(shifted <= 1 + 1e-6)


def test_save_and_load_round_trip(tmp_path):
    model = cnn.build_cnn_classifier(
        filters=(8, 16), dense_units=16, dropout=0.2, translate=0.1, seed=1
    )
    path = tmp_path / "classifier.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode: no Lambda layers or custom code
    x = image_sets.load_digits().x_test[:16]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
        rtol=1e-6,
        atol=1e-7,
    )
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_training_learns_the_digits():
    digits = image_sets.load_digits()
    model = cnn.build_cnn_classifier(filters=(8, 16), dense_units=32, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    before = model.evaluate(digits.x_test, digits.y_test, verbose=0)
    model.fit(digits.x_train, digits.y_train, epochs=4, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(digits.x_test, digits.y_test, verbose=0)
    assert loss < before[0] / 3
    assert accuracy > 0.85


# --------------------------------------------------------------------------- feature maps


def correlate_valid(image, kernel):
    """Plain NumPy 2D cross-correlation (what deep-learning 'convolution' computes)."""
    k = kernel.shape[0]
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + k, j : j + k] * kernel)
    return out


def test_feature_maps_default_layers_and_shapes():
    model = cnn.build_cnn_classifier(seed=0)
    images = image_sets.load_digits().x_test[:5]
    maps = cnn.feature_maps(model, images)
    assert list(maps) == ["block1_conv1", "block1_pool", "block2_conv1", "block2_pool"]
    assert [m.shape for m in maps.values()] == [
        (5, 8, 8, 32),
        (5, 4, 4, 32),
        (5, 4, 4, 64),
        (5, 2, 2, 64),
    ]


def test_feature_maps_match_a_numpy_convolution_and_pooling():
    model = cnn.build_cnn_classifier(seed=3)
    images = image_sets.load_digits().x_test[:3]
    maps = cnn.feature_maps(model, images, ["block1_conv1", "block1_pool"])
    kernel, bias = model.get_layer("block1_conv1").get_weights()  # (3, 3, 1, 32), (32,)
    padded = np.pad(images[..., 0], ((0, 0), (1, 1), (1, 1)))  # 'same' padding for a 3x3 kernel
    for n in range(3):
        for c in [0, 7, 31]:
            expected = np.maximum(correlate_valid(padded[n], kernel[:, :, 0, c]) + bias[c], 0)
            np.testing.assert_allclose(maps["block1_conv1"][n, :, :, c], expected, atol=1e-5)
    conv = maps["block1_conv1"]
    pooled = conv.reshape(3, 4, 2, 4, 2, 32).max(axis=(2, 4))
    np.testing.assert_allclose(maps["block1_pool"], pooled)


def test_feature_maps_of_one_dense_layer_in_batches():
    model = cnn.build_cnn_classifier(seed=0)
    images = image_sets.load_digits().x_test[:10]
    maps = cnn.feature_maps(model, images, [cnn.EMBEDDING_LAYER, "probabilities"], batch_size=3)
    assert maps[cnn.EMBEDDING_LAYER].shape == (10, 64)
    np.testing.assert_allclose(
        maps["probabilities"], keras.ops.convert_to_numpy(model(images)), rtol=1e-5, atol=1e-7
    )
    single = cnn.feature_maps(model, images, ["block2_conv1"])
    assert list(single) == ["block2_conv1"] and single["block2_conv1"].shape == (10, 4, 4, 64)


def test_feature_maps_reject_bad_arguments():
    model = cnn.build_cnn_classifier()
    images = np.zeros((2, 8, 8, 1), dtype="float32")
    with pytest.raises(ValueError, match="nope"):
        cnn.feature_maps(model, images, ["nope"])
    with pytest.raises(ValueError, match="images"):
        cnn.feature_maps(model, np.zeros((2, 28, 28, 1)))
    with pytest.raises(TypeError, match="model"):
        cnn.feature_maps("model", images)
