"""Tests of genai_lessons.measures.judge: the trained digit judge, its measures and its cache."""

import dataclasses

import numpy as np
import pytest

from genai_lessons.datasets import image_sets
from genai_lessons.measures import judge as judge_module
from genai_lessons.measures import metrics


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("judge_cache")


@pytest.fixture(scope="module")
def judge(cache_dir):
    judge_module.clear_memory_cache()
    return judge_module.load_judge(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def digits():
    return image_sets.load_digits()


def test_judge_is_accurate(judge, digits):
    assert judge.test_accuracy >= 0.97
    predicted = judge.predict_proba(digits.x_test).argmax(axis=1)
    assert np.mean(predicted == digits.y_test) == pytest.approx(judge.test_accuracy)


def test_judge_outputs(judge, digits):
    probabilities = judge.predict_proba(digits.x_test[:20])
    assert probabilities.shape == (20, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    embedding = judge.embed(digits.x_test[:20])
    assert embedding.shape == (20, judge.recipe.dense_units) and embedding.dtype == np.float64
    # 2D images (no channel axis) and [-1, 1] images are accepted and mean the same thing
    np.testing.assert_allclose(judge.predict_proba(digits.x_test[:20, ..., 0]), probabilities)
    np.testing.assert_allclose(
        judge.predict_proba(digits.x_test[:20] * 2 - 1, value_range="symmetric"),
        probabilities,
        rtol=1e-5,
        atol=1e-6,
    )


def test_judge_rejects_bad_images(judge):
    with pytest.raises(ValueError, match="8, 8, 1"):
        judge.predict_proba(np.zeros((3, 28, 28, 1)))
    with pytest.raises(ValueError, match="value_range"):
        judge.embed(np.zeros((3, 8, 8, 1)), value_range="bytes")


def test_judge_covers_the_real_digits(judge, digits):
    probabilities = judge.predict_proba(digits.x_test)
    assert metrics.class_coverage(probabilities) == 10
    # all-zero images (a collapsed generator) land in one or two classes
    assert metrics.class_coverage(judge.predict_proba(np.zeros((50, 8, 8, 1)))) <= 2


def test_real_digits_score_far_better_than_noise_and_corruption(judge, digits):
    rng = np.random.default_rng(0)
    real = digits.x_test
    reference = digits.x_train
    noise = rng.uniform(0, 1, real.shape).astype(np.float32)
    corrupted = np.clip(real + rng.normal(0, 0.3, real.shape), 0, 1).astype(np.float32)
    fd_real = judge.frechet_distance(real, reference)
    fd_corrupted = judge.frechet_distance(corrupted, reference)
    fd_noise = judge.frechet_distance(noise, reference)
    assert fd_real * 5 < fd_corrupted < fd_noise
    assert fd_real * 20 < fd_noise
    # more corruption, larger distance
    distances = [
        judge.frechet_distance(np.clip(real + sigma * rng.normal(size=real.shape), 0, 1), reference)
        for sigma in [0.1, 0.3, 0.6]
    ]
    assert fd_real < distances[0] < distances[1] < distances[2]


def test_judge_is_cached_in_memory(judge, cache_dir):
    assert judge_module.load_judge(cache_dir=cache_dir) is judge


def test_judge_is_deterministic_and_disk_cached(judge, cache_dir, digits):
    expected = judge.predict_proba(digits.x_test)
    assert list(cache_dir.glob("digit_judge-*.weights.h5"))
    state = np.random.get_state()[1].copy()
    judge_module.clear_memory_cache()
    retrained = judge_module.load_judge(disk_cache=False)
    # trained again from scratch: same weights, and the global NumPy random state untouched
    assert retrained is not judge
    np.testing.assert_allclose(retrained.predict_proba(digits.x_test), expected, atol=1e-6)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    judge_module.clear_memory_cache()
    reloaded = judge_module.load_judge(cache_dir=cache_dir)
    np.testing.assert_array_equal(reloaded.predict_proba(digits.x_test), expected)
    assert reloaded.test_accuracy == judge.test_accuracy


def test_corrupt_cache_file_is_replaced(tmp_path, digits):
    recipe = judge_module.JudgeRecipe(epochs=1)  # a cheap judge: this test is about the cache file
    path = tmp_path / f"digit_judge-{recipe.key()}.weights.h5"
    path.write_bytes(b"not a weights file")
    judge_module.clear_memory_cache()
    try:
        trained = judge_module.load_judge(recipe, cache_dir=tmp_path)
        assert path.stat().st_size > 1000  # retrained and cached again
        judge_module.clear_memory_cache()
        reloaded = judge_module.load_judge(recipe, cache_dir=tmp_path)
        np.testing.assert_array_equal(
            reloaded.predict_proba(digits.x_test[:50]), trained.predict_proba(digits.x_test[:50])
        )
    finally:
        judge_module.clear_memory_cache()


def test_load_judge_rejects_bad_recipe():
    with pytest.raises(TypeError, match="recipe"):
        judge_module.load_judge({"epochs": 3})


# --------------------------------------------------------------------------- the 28x28 judge


@pytest.fixture(scope="module")
def mnist5k():
    return image_sets.load_images("mnist5k")


@pytest.fixture(scope="module")
def mnist_judge(cache_dir):
    """The 28x28 judge at its real recipe, trained once here (about a minute on 2 CPU cores)."""
    judge_module.clear_memory_cache()
    return judge_module.load_judge(judge_module.MNIST5K, cache_dir=cache_dir)


def test_mnist_judge_is_accurate_on_the_held_out_digits(mnist_judge, mnist5k):
    # measured 98.0% (seed 0, TensorFlow, 2 CPU cores); a margin for other machines and backends
    assert mnist_judge.test_accuracy >= 0.975
    predicted = mnist_judge.predict_proba(mnist5k.x_test).argmax(axis=1)
    assert np.mean(predicted == mnist5k.y_test) == pytest.approx(mnist_judge.test_accuracy)
    per_class = [np.mean(predicted[mnist5k.y_test == c] == c) for c in range(10)]
    assert min(per_class) >= 0.9  # no digit left behind


def test_mnist_judge_features_and_distances(mnist_judge, mnist5k):
    features = mnist_judge.embed(mnist5k.x_test[:30])
    assert features.shape == (30, judge_module.MNIST5K.dense_units) == (30, 128)
    assert features.dtype == np.float64 and np.isfinite(features).all()
    rng = np.random.default_rng(0)
    real, reference = mnist5k.x_test[:500], mnist5k.x_train[:1000]
    noise = rng.uniform(0, 1, real.shape).astype(np.float32)
    fd_real = mnist_judge.frechet_distance(real, reference)
    assert fd_real * 20 < mnist_judge.frechet_distance(noise, reference)
    assert metrics.class_coverage(mnist_judge.predict_proba(real)) == 10
    with pytest.raises(ValueError, match="28, 28, 1"):
        mnist_judge.predict_proba(np.zeros((3, 8, 8, 1)))


def test_mnist_judge_round_trips_through_the_disk_cache(
    mnist_judge, cache_dir, mnist5k, monkeypatch
):
    expected = mnist_judge.predict_proba(mnist5k.x_test[:200])
    judge_module.clear_memory_cache()

    def no_training(*args):
        raise AssertionError("the cached weights should have been loaded, not retrained")

    monkeypatch.setattr(judge_module, "train_judge_model", no_training)
    reloaded = judge_module.load_judge(judge_module.MNIST5K, cache_dir=cache_dir)
    np.testing.assert_array_equal(reloaded.predict_proba(mnist5k.x_test[:200]), expected)
    assert reloaded.test_accuracy == mnist_judge.test_accuracy
    assert reloaded.recipe.image_shape == (28, 28, 1)


def test_mnist_judge_learns_from_the_training_split_only(monkeypatch, tmp_path, mnist5k):
    seen = {}
    train = judge_module.train_judge_model

    def spy(recipe, split):
        seen["split"] = split
        return train(recipe, split)

    monkeypatch.setattr(judge_module, "train_judge_model", spy)
    tiny = dataclasses.replace(judge_module.MNIST5K, filters=(4,), dense_units=8, epochs=1)
    judge_module.clear_memory_cache()
    try:
        judge_module.load_judge(tiny, disk_cache=False)
    finally:
        judge_module.clear_memory_cache()
    np.testing.assert_array_equal(seen["split"].x_train, mnist5k.x_train)
    np.testing.assert_array_equal(seen["split"].x_test, mnist5k.x_test)


def test_older_8x8_cache_keys_are_unchanged():
    """Fields added for the 28x28 judge stay out of the key at their defaults."""
    import hashlib
    import json

    import keras

    recipe = judge_module.JudgeRecipe()
    old_fields = {
        "filters": [32, 64],
        "dense_units": 64,
        "dropout": 0.25,
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 2e-3,
        "seed": 0,
        "split_seed": 0,
    }
    text = json.dumps([old_fields, keras.__version__, 1], sort_keys=True)
    assert recipe.key() == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert judge_module.MNIST5K.key() != recipe.key()


@pytest.mark.parametrize(
    "field, value",
    [("dataset", "cifar"), ("translate", 0.6), ("cosine_decay", 1), ("kernel_size", 0)],
)
def test_bad_recipe_fields_are_clear_errors(field, value):
    with pytest.raises(ValueError, match=f"{field}.*got"):
        judge_module.JudgeRecipe(**{field: value})
