"""Tests of genai_lessons.measures.probes and cnn.receptive_fields."""

import keras
import numpy as np
import pytest

from genai_lessons.measures import probes
from genai_lessons.models import cnn


def test_pool_is_mean_and_max_per_channel():
    x = np.random.default_rng(0).normal(size=(3, 4, 5, 2))
    np.testing.assert_allclose(
        probes.pool(x), np.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2))], axis=1)
    )
    np.testing.assert_array_equal(probes.pool(x[:, 0, 0]), x[:, 0, 0])
    with pytest.raises(ValueError, match="features"):
        probes.pool(x[0, 0, 0])


def test_class_probe_reads_what_is_there_and_nothing_else():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 1000)
    informative = np.eye(5)[y] + rng.normal(0, 0.3, (1000, 5))
    noise = rng.normal(size=(1000, 5))
    assert probes.probe_classes(informative[:600], y[:600], informative[600:], y[600:]) > 0.95
    assert abs(probes.probe_classes(noise[:600], y[:600], noise[600:], y[600:]) - 0.2) < 0.08


def test_presence_probe_auc():
    rng = np.random.default_rng(1)
    present = rng.integers(0, 2, (1000, 3))
    informative = present + rng.normal(0, 0.3, present.shape)
    noise = rng.normal(size=(1000, 4))
    assert (
        probes.probe_presence(informative[:600], present[:600], informative[600:], present[600:])
        > 0.97
    )
    chance = probes.probe_presence(noise[:600], present[:600], noise[600:], present[600:])
    assert abs(chance - 0.5) < 0.08


def test_sample_pixels_is_balanced_and_points_at_the_right_bins():
    rng = np.random.default_rng(2)
    orientation = rng.integers(-1, 4, (5, 8, 8)).astype(np.int8)
    picked = probes.sample_pixels(orientation, 20, seed=0)
    assert np.bincount(picked[:, 3]).tolist() == [20] * 4
    np.testing.assert_array_equal(
        orientation[picked[:, 0], picked[:, 1], picked[:, 2]], picked[:, 3]
    )


def test_features_at_maps_pixels_to_the_covering_position():
    features = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    pixels = np.array([[1, 0, 0, 0], [1, 7, 3, 0], [0, 31, 31, 0]])
    got = probes.features_at(features, pixels, image_size=32)[:, 0]
    assert got.tolist() == [features[1, 0, 0, 0], features[1, 0, 0, 0], features[0, 3, 3, 0]]


def test_receptive_fields_by_hand_and_by_impulse():
    model = cnn.build_cnn_classifier(input_shape=(16, 16, 1), filters=(2, 2), kernel_size=3)
    fields = cnn.receptive_fields(model)
    assert fields["block1_conv1"] == (3, 1, 0.0)
    assert fields["block1_pool"] == (4, 2, 0.5)
    assert fields["block2_conv1"] == (8, 2, 0.5)
    # independent check on a linear chain: an impulse at pixel p changes output q iff p is in
    # q's field
    inputs = keras.Input((11, 11, 1))
    x = keras.layers.Conv2D(1, 3, padding="same", kernel_initializer="ones", name="a")(inputs)
    x = keras.layers.Conv2D(1, 5, padding="same", kernel_initializer="ones", name="b")(x)
    chain = keras.Model(inputs, x)
    field, jump, first = cnn.receptive_fields(chain)["b"]
    impulse = np.zeros((1, 11, 11, 1), np.float32)
    impulse[0, 5, 5] = 1
    seen = keras.ops.convert_to_numpy(chain(impulse))[0, :, :, 0] != 0
    rows = np.flatnonzero(seen[:, 5])
    assert field == len(rows) == 7 and jump == 1
    assert rows.min() == 5 - (field - 1) // 2 + first


def test_top_patches_crop_the_strongest_place():
    images = np.zeros((3, 10, 10, 1), np.float32)
    images[1, 4, 6] = 1.0  # the image and place where the unit fires most
    unit_map = np.zeros((3, 5, 5))
    unit_map[1, 2, 3] = 5.0  # position (2, 3) of a layer with jump 2, first 0.5: centre (4.5, 6.5)
    unit_map[0, 0, 0] = 1.0
    patches, strength = probes.top_patches(images, unit_map, field=4, jump=2, first=0.5, top=2)
    assert patches.shape == (2, 4, 4) and strength.tolist() == [5.0, 1.0]
    assert patches[0].sum() == 1.0 and patches[0][1:3, 1:3].sum() == 1.0  # the ink is central


def test_ridge_predictions_match_scikit_learn_for_every_penalty():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    x, x_new = rng.normal(size=(80, 6)) * [1, 2, 3, 1, 5, 0.5], rng.normal(size=(20, 6))
    targets = rng.normal(size=(80, 2))
    penalties = [1e-3, 0.1, 10.0]
    got = probes.ridge_predictions(x, targets, x_new, penalties)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    for p, predicted in zip(penalties, got):
        reference = Ridge(alpha=p * len(x)).fit((x - mean) / scale, targets)
        np.testing.assert_allclose(predicted, reference.predict((x_new - mean) / scale), atol=1e-8)
    with pytest.raises(ValueError, match="penalties"):
        probes.ridge_predictions(x, targets, x_new, [0.0])


def test_penalty_is_chosen_by_the_data():
    rng = np.random.default_rng(4)

    def negative_error(targets):
        return lambda predicted, rows: -float(np.mean((predicted - targets[rows]) ** 2))

    # targets unrelated to the features: the flattest read-out (the largest penalty) wins
    x = rng.normal(size=(200, 20))
    noise = rng.normal(size=(200, 2))
    assert probes.choose_penalty(x, noise, negative_error(noise)) == max(probes.PENALTIES)
    # targets an exact linear function of the features: the least shrinkage wins
    exact = x @ rng.normal(size=(20, 2))
    assert probes.choose_penalty(x, exact, negative_error(exact)) == min(probes.PENALTIES)


def test_chosen_penalty_never_scores_much_worse_than_a_fixed_one():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 5, 1500)
    x = np.eye(5)[y] @ rng.normal(size=(5, 30)) + rng.normal(0, 2.0, (1500, 30))
    chosen = probes.probe_classes(x[:1000], y[:1000], x[1000:], y[1000:])
    fixed = [
        probes.probe_classes(x[:1000], y[:1000], x[1000:], y[1000:], penalty=p)
        for p in probes.PENALTIES
    ]
    assert chosen >= max(fixed) - 0.03


def test_patches_at_are_the_pixels_around_each_pixel():
    images = np.arange(2 * 5 * 5, dtype=np.float64).reshape(2, 5, 5, 1)
    pixels = np.array([[1, 2, 2, 0], [0, 0, 4, 3]])
    got = probes.patches_at(images, pixels, 3)
    np.testing.assert_array_equal(got[0], images[1, 1:4, 1:4, 0].ravel())
    corner = np.zeros((3, 3))
    corner[1:, :2] = images[0, 0:2, 3:5, 0]  # zeros outside the image
    np.testing.assert_array_equal(got[1], corner.ravel())
    with pytest.raises(ValueError, match="size"):
        probes.patches_at(images, pixels, 4)
