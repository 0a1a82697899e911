"""Pure measures of generated samples: a Fréchet distance, class histograms, class coverage,
the spread of samples within each class, and the modes of a 2D mixture that samples cover.

Backend-free NumPy functions of feature vectors and class probabilities. The trained digit
classifier that produces those features and probabilities is `genai_lessons.measures.judge`.

    probabilities = judge.predict_proba(samples)           # (n, 10), see genai_lessons.measures.judge
    class_coverage(probabilities)                          # how many digits appear
    frechet_distance(features_a, features_b)               # lower is closer
    within_class_spread(features, labels)                  # diversity within each class
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import check_number


def _features(argument: str, features) -> np.ndarray:
    array = check_array(argument, features, 2, min_length=2)
    if array.shape[1] < 1:
        raise ValueError(f"{argument} must have shape (n, d) with d >= 1, got shape {array.shape}")
    return array


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix through its eigendecomposition
    (tiny negative eigenvalues from rounding are treated as zero)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors.

    d^2 = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)).
    The last trace is computed as tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)): the same eigenvalues,
    but of a symmetric matrix, so `numpy.linalg.eigh` is exact and stable.

    Args:
        features_a, features_b: arrays of shape (n_a, d) and (n_b, d), n >= 2.

    Returns:
        The squared distance d^2 (as in FID), a float >= 0.
    """
    a = _features("features_a", features_a)
    b = _features("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_a and features_b must have the same width, "
            f"got {a.shape[1]} and features_b of width {b.shape[1]}"
        )
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False, ddof=1), np.cov(b, rowvar=False, ddof=1)
    cov_a, cov_b = np.atleast_2d(cov_a), np.atleast_2d(cov_b)
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2.0), 0.0, None)).sum()
    value = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross
    return float(max(value, 0.0))


def _probabilities(probabilities) -> np.ndarray:
    array = check_array("probabilities", probabilities, 2)
    if array.shape[1] < 2:
        raise ValueError(
            f"probabilities must have shape (n, classes >= 2), got shape {array.shape}"
        )
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(
            f"probabilities must lie in [0, 1], got values from {array.min():.4g} "
            f"to {array.max():.4g}"
        )
    return array


def class_histogram(probabilities) -> np.ndarray:
    """Share of the samples assigned (by largest probability) to each class; sums to 1.

    Args:
        probabilities: array of shape (n, classes), e.g. from `DigitJudge.predict_proba`.

    Returns:
        float64 array of shape (classes,).
    """
    array = _probabilities(probabilities)
    counts = np.bincount(array.argmax(axis=1), minlength=array.shape[1])
    return counts / float(len(array))


def class_coverage(probabilities, min_share: float = 0.02) -> int:
    """How many classes receive at least `min_share` of the samples: 10 for a generator that
    draws every digit, fewer when it has collapsed onto some of them."""
    check_number("min_share", min_share, 0.0, 1.0, inclusive=(False, True))
    return int(np.sum(class_histogram(probabilities) >= min_share))


def within_class_spread(features, labels) -> np.ndarray:
    """Per class, the mean Euclidean distance between two different points of it: how varied a
    conditional generator's samples of one requested class are (read against real data's).

    Args:
        features: (n, d) points, e.g. a judge's features or flattened pixels.
        labels: (n,) the class of each point; every class present needs at least 2 points.

    Returns:
        (classes,) float64, one mean distance per class in sorted order of the labels.
    """
    points = _features("features", features).astype(np.float64)
    labels = np.asarray(labels)
    if labels.shape != (len(points),):
        raise ValueError(
            f"labels must have shape ({len(points)},), one per point, got shape {labels.shape}"
        )
    spreads = []
    for label in np.unique(labels):
        p = points[labels == label]
        if len(p) < 2:
            raise ValueError(f"every class needs at least 2 points, got 1 of class {label!r}")
        squared = (p**2).sum(axis=1)  # pairwise distances without an (n, n, d) array
        distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2.0 * p @ p.T, 0.0))
        spreads.append(distances[np.triu_indices(len(p), 1)].mean())
    return np.array(spreads)


@dataclass(frozen=True)
class ModeCoverage:
    """How a set of 2D samples covers the modes of a mixture."""

    covered: int  # modes holding at least min_share of the samples within max_distance
    high_quality: float  # share of samples within max_distance of some centre
    shares: np.ndarray  # (modes,) share of all samples near each centre


def count_modes(
    samples, centres, max_distance: float = 0.15, min_share: float = 0.02
) -> ModeCoverage:
    """Count the modes covered by `samples`.

    Rule: a sample is "high quality" when it lies within `max_distance` of its nearest centre
    (0.15 is three standard deviations of the default ring); a mode counts as covered when at
    least `min_share` of all samples are high-quality samples near it.

    Args:
        samples: (n, d) generated points.
        centres: (modes, d) centres of the mixture, e.g. `points2d.ring_centres()`.
    """
    samples = check_array("samples", samples, 2)
    centres = check_array("centres", centres, 2)
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"samples (n, d) and centres (modes, d) must agree, "
            f"got samples of shape {samples.shape} and centres of shape {centres.shape}"
        )
    check_number("max_distance", max_distance, 0.0, inclusive=False)
    check_number("min_share", min_share, 0.0, 1.0, inclusive=(False, True))
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) <= max_distance
    shares = np.bincount(nearest[close], minlength=len(centres)) / len(samples)
    return ModeCoverage(int((shares >= min_share).sum()), float(close.mean()), shares)
