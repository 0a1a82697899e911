"""Tests of genai_lessons.measures.judge: the trained digit judge, its measures and its cache."""

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
