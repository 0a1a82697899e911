"""Tests of genai_lessons.measures.metrics: the Fréchet distance and class coverage."""

import numpy as np
import pytest
import scipy.linalg

from genai_lessons.measures import metrics


def reference_frechet(a, b):
    """Textbook FID formula with SciPy's general matrix square root."""
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return float(
        np.sum((mean_a - mean_b) ** 2)
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2.0 * np.trace(root).real
    )


def correlated(rng, n, d, scale=1.0):
    mixing = rng.normal(size=(d, d)) * scale
    return rng.normal(size=(n, d)) @ mixing + rng.normal(size=d)


# --------------------------------------------------------------------------- Fréchet distance


def test_identical_sets_have_zero_distance():
    features = correlated(np.random.default_rng(0), 200, 6)
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("n_a, n_b, d", [(50, 40, 1), (60, 80, 3), (30, 30, 8), (5, 7, 10)])
def test_matches_scipy_reference(n_a, n_b, d):
    rng = np.random.default_rng(d)
    a, b = correlated(rng, n_a, d), correlated(rng, n_b, d, scale=0.5)
    # (5, 7, 10): fewer samples than dimensions, so both covariances are singular.
    expected = reference_frechet(a, b)
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_is_symmetric():
    rng = np.random.default_rng(1)
    a, b = correlated(rng, 100, 5), correlated(rng, 70, 5, scale=2.0)
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a), rel=1e-9)


def test_shift_adds_its_squared_length():
    """Moving a set by a vector v leaves the covariance unchanged: the distance is |v|^2."""
    features = correlated(np.random.default_rng(2), 300, 4)
    distances = []
    for length in [0.0, 0.5, 1.0, 2.0, 4.0]:
        shift = np.full(4, length / 2.0)  # |shift| = length
        distances.append(metrics.frechet_distance(features, features + shift))
        assert distances[-1] == pytest.approx(length**2, rel=1e-6, abs=1e-8)
    assert np.all(np.diff(distances) > 0)


def test_scaling_matches_closed_form():
    """b = k a: mean k mu and covariance k^2 S, so d^2 = (1-k)^2 (|mu|^2 + tr S)."""
    a = correlated(np.random.default_rng(3), 400, 5)
    mean, cov = a.mean(axis=0), np.cov(a, rowvar=False)
    for k in [0.5, 1.5, 3.0]:
        expected = (1 - k) ** 2 * (mean @ mean + np.trace(cov))
        assert metrics.frechet_distance(a, k * a) == pytest.approx(expected, rel=1e-6)


def test_grows_with_noise():
    rng = np.random.default_rng(4)
    features = correlated(rng, 500, 6)
    noise = rng.normal(size=features.shape)
    distances = [
        metrics.frechet_distance(features, features + sigma * noise)
        for sigma in [0.0, 0.3, 1.0, 3.0]
    ]
    assert distances[0] == pytest.approx(0.0, abs=1e-8)
    assert np.all(np.diff(distances) > 0)


@pytest.mark.parametrize(
    "a, b, message",
    [
        (np.zeros((10, 3)), np.zeros((10, 4)), "same width"),
        (np.zeros((1, 3)), np.zeros((10, 3)), "features_a"),
        (np.zeros((10, 3)), np.zeros(10), "features_b"),
        (np.full((10, 3), np.nan), np.zeros((10, 3)), "NaN"),
    ],
)
def test_frechet_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(a, b)


# --------------------------------------------------------------------------- class coverage


def one_hot_probabilities(classes, num_classes=10):
    probabilities = np.full((len(classes), num_classes), 0.01)
    probabilities[np.arange(len(classes)), classes] = 0.91
    return probabilities


def test_histogram_counts_predicted_classes():
    classes = [3] * 50 + [7] * 30 + [0] * 20
    histogram = metrics.class_histogram(one_hot_probabilities(classes))
    expected = np.zeros(10)
    expected[[3, 7, 0]] = [0.5, 0.3, 0.2]
    np.testing.assert_allclose(histogram, expected)
    assert histogram.shape == (10,)


def test_coverage_counts_classes_above_the_share():
    balanced = one_hot_probabilities(np.arange(1000) % 10)
    assert metrics.class_coverage(balanced) == 10
    # 985 samples of class 1, 10 of class 2 (1%), 5 of class 3 (0.5%)
    collapsed = one_hot_probabilities([1] * 985 + [2] * 10 + [3] * 5)
    assert metrics.class_coverage(collapsed) == 1
    assert metrics.class_coverage(collapsed, min_share=0.01) == 2
    assert metrics.class_coverage(collapsed, min_share=0.005) == 3


def test_coverage_rejects_bad_arguments():
    with pytest.raises(ValueError, match="min_share"):
        metrics.class_coverage(one_hot_probabilities([1, 2]), min_share=0.0)
    with pytest.raises(ValueError, match="probabilities"):
        metrics.class_histogram(np.ones(10))


def test_within_class_spread_matches_a_direct_pairwise_mean():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(30, 5)) * 3.0 + 7.0  # far from the origin: rounding would show
    labels = np.repeat([2, 0, 1], 10)[rng.permutation(30)]
    expected = []
    for label in (0, 1, 2):
        p = features[labels == label]
        pairs = [np.linalg.norm(p[i] - p[j]) for i in range(len(p)) for j in range(i + 1, len(p))]
        expected.append(np.mean(pairs))
    np.testing.assert_allclose(metrics.within_class_spread(features, labels), expected, rtol=1e-9)


def test_within_class_spread_is_zero_for_copies_and_grows_with_scale():
    point = np.ones((4, 3))
    np.testing.assert_allclose(metrics.within_class_spread(point, np.zeros(4)), [0.0], atol=1e-6)
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(20, 4)), np.arange(20) % 2
    np.testing.assert_allclose(
        metrics.within_class_spread(3 * features, labels),
        3 * metrics.within_class_spread(features, labels),
        rtol=1e-9,
    )


def test_within_class_spread_rejects_bad_input():
    with pytest.raises(ValueError, match="labels"):
        metrics.within_class_spread(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 points"):
        metrics.within_class_spread(np.zeros((4, 2)), [0, 0, 0, 1])
