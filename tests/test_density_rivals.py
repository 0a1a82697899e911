"""Tests of genai_lessons.measures.density_rivals: the classical generative rivals."""

import numpy as np
import pytest
from scipy import stats

from genai_lessons.measures import density_rivals as dr


def blobs(n_per, centres, scale=0.3, seed=0, shape=(2, 3, 1)):
    """Points around `centres` (k, 6), reshaped as tiny 'images' of `shape`."""
    rng = np.random.default_rng(seed)
    points = np.concatenate([c + scale * rng.normal(size=(n_per, len(c))) for c in centres])
    labels = np.repeat(np.arange(len(centres)), n_per)
    order = rng.permutation(len(points))
    return points[order].reshape((-1, *shape)), labels[order]


CENTRES = np.array([[0.0] * 6, [4.0] * 6, [0.0, 4.0, 0.0, 4.0, 0.0, 4.0]])


def test_mixture_on_two_separated_blobs_samples_both():
    images, _ = blobs(200, CENTRES[:2])
    mixture = dr.fit_pca_mixture(images, dims=(2,), components=(2,))
    samples = mixture.sample(400, seed=1)
    assert samples.shape == (400, 2, 3, 1)
    side = samples.reshape(400, -1).mean(axis=1) > 2.0
    assert 0.35 < side.mean() < 0.65  # both blobs, about equally
    assert 0.35 < side[:200].mean() < 0.65  # in random order, not grouped by component


def test_selection_picks_the_true_number_of_components():
    images, _ = blobs(150, CENTRES)
    mixture = dr.fit_pca_mixture(images, dims=(3,), components=(1, 2, 3, 6))
    assert mixture.components == 3
    assert set(mixture.grid_scores) == {(3, 1), (3, 2), (3, 3), (3, 6)}
    assert max(mixture.grid_scores.values()) == mixture.grid_scores[(3, 3)]


def test_score_is_the_pixel_density_of_a_gaussian():
    """One component in all but one dimension: the model is a Gaussian whose covariance is the
    data's in the principal subspace plus the residual variance in the rest."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    mixture = dr.fit_pca_mixture(x.reshape(-1, 2, 2, 1), dims=(3,), components=(1,), reg_covar=1e-9)
    pca, gauss = mixture.pca, mixture.mixture
    projection = pca.components_  # (3, 4), orthonormal rows
    covariance = projection.T @ gauss.covariances_[0] @ projection
    covariance += mixture.residual_variance * (np.eye(4) - projection.T @ projection)
    mean = pca.mean_ + projection.T @ gauss.means_[0]
    want = stats.multivariate_normal(mean, covariance).logpdf(x[:20])
    np.testing.assert_allclose(mixture.score(x[:20].reshape(-1, 2, 2, 1)), want, rtol=1e-6)


def test_samples_are_clipped_to_the_data_range():
    images = np.random.default_rng(0).random((300, 2, 3, 1)).astype("float32")
    samples = dr.fit_pca_mixture(images, dims=(2,), components=(2,)).sample(500, seed=0)
    assert samples.min() >= images.min() and samples.max() <= images.max()


def test_heldout_likelihood_is_reported_not_used():
    images, _ = blobs(150, CENTRES, seed=0)
    heldout, _ = blobs(50, CENTRES, seed=1)
    with_heldout = dr.fit_pca_mixture(images, heldout, dims=(3,), components=(2, 3))
    without = dr.fit_pca_mixture(images, dims=(3,), components=(2, 3))
    assert with_heldout.grid_scores == without.grid_scores
    assert with_heldout.heldout_log_likelihood == pytest.approx(
        np.mean(with_heldout.score(heldout))
    )
    assert without.heldout_log_likelihood is None


def test_mixture_rejects_too_many_dims():
    with pytest.raises(ValueError, match="dims"):
        dr.fit_pca_mixture(np.zeros((50, 2, 2, 1)), dims=(4,))


@pytest.mark.parametrize("dims", [0, 3])
def test_per_class_gaussian_draws_the_requested_class(dims):
    images, labels = blobs(100, CENTRES)
    sampler = dr.per_class_gaussian(images, labels, dims=dims)
    requested = np.array([0, 1, 2] * 30)
    samples = sampler.sample(requested, seed=0).reshape(90, -1)
    nearest = np.argmin(np.linalg.norm(samples[:, None, :] - CENTRES[None, :, :], axis=-1), axis=1)
    np.testing.assert_array_equal(nearest, requested)


def test_copy_training_draws_training_images():
    images = np.arange(40.0).reshape(10, 2, 2, 1)
    copies = dr.copy_training(images, 6, seed=3)
    assert copies.shape == (6, 2, 2, 1)
    assert len({float(c[0, 0, 0]) for c in copies}) == 6  # without replacement
    assert all(any(np.array_equal(c, i) for i in images) for c in copies)


@pytest.mark.parametrize("method", dr.ANOMALY_METHODS)
def test_anomaly_scores_put_a_planted_outlier_last(method):
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(3, 16))
    normal = (rng.normal(size=(300, 3)) @ basis).reshape(-1, 4, 4, 1)
    queries = (rng.normal(size=(20, 3)) @ basis).reshape(-1, 4, 4, 1)
    outlier = rng.normal(size=(1, 4, 4, 1)) * 3.0
    scores = dr.anomaly_scores(
        method, normal, np.concatenate([queries, outlier]), dims=3, components=2
    )
    assert scores.shape == (21,)
    assert np.argmax(scores) == 20


def test_anomaly_scores_reject_an_unknown_method():
    with pytest.raises(ValueError, match="method"):
        dr.anomaly_scores("isolation_forest", np.zeros((5, 4)), np.zeros((2, 4)))


def test_selection_by_the_judges_frechet_distance():
    from genai_lessons.datasets import image_sets
    from genai_lessons.measures import judge as judge_module

    digits = image_sets.load_digits()
    judge = judge_module.load_judge()
    mixture = dr.fit_pca_mixture(digits.x_train, dims=(20,), components=(1, 10), judge=judge)
    assert mixture.selected_by == "frechet" and set(mixture.grid_frechet) == {(20, 1), (20, 10)}
    assert mixture.components == min(mixture.grid_frechet, key=mixture.grid_frechet.get)[1]
    # one Gaussian draws blends of digits: the judge's distance prefers ten components
    assert mixture.grid_frechet[(20, 10)] < mixture.grid_frechet[(20, 1)]
    assert mixture.sample(5, seed=0).shape == (5, 8, 8, 1)
    symmetric = dr.fit_pca_mixture(
        2 * digits.x_train - 1, dims=(20,), components=(1, 10), judge=judge, value_range="symmetric"
    )
    assert symmetric.components == mixture.components
    with pytest.raises(ValueError, match="judge"):
        dr.fit_pca_mixture(digits.x_train, dims=(20,), components=(1,), select="frechet")


def test_the_same_seed_gives_the_same_mixture_twice_and_on_any_thread_count():
    from threadpoolctl import threadpool_limits

    from genai_lessons.datasets import image_sets

    digits = image_sets.load_mnist5k(value_range="symmetric").x_train[:1500]
    fits = []
    for threads in (1, 2, 2):  # the caller's BLAS and OpenMP thread count, as on other machines
        with threadpool_limits(threads):
            mixture = dr.fit_pca_mixture(digits, dims=(40,), components=(8, 16))
            fits.append((mixture.sample(300, seed=0), mixture.score(digits[:300]), mixture))
    for samples, scores, mixture in fits[1:]:  # bit for bit, not approximately
        np.testing.assert_array_equal(samples, fits[0][0])
        np.testing.assert_array_equal(scores, fits[0][1])
        assert mixture.grid_scores == fits[0][2].grid_scores
    assert not np.array_equal(fits[0][0], fits[0][2].sample(300, seed=1))  # the seed matters
