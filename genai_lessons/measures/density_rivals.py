"""Classical generative rivals: what a deep generator or anomaly detector must beat.

- `fit_pca_mixture`: principal components of the pixels, then a full-covariance Gaussian
  mixture in the projection; the number of dimensions and of components chosen on a validation
  split carved from the training images, by the judge's Fréchet distance or by log-likelihood.
  The likelihood is that of the pixels, not of the projection: the discarded directions get one
  isotropic Gaussian (the probabilistic-PCA residual), so models with different numbers of
  dimensions compare fairly.
- `per_class_gaussian`: one Gaussian per class (full covariance in a PCA projection, or diagonal
  in pixels), the rival of a conditional generator;
- `copy_training`: training images drawn at random, the memorisation reference;
- `anomaly_scores`: the rivals of an anomaly detector (distance to the nearest normal image, the
  mixture's negative log-likelihood, the PCA reconstruction error).

    mixture = fit_pca_mixture(split.x_train, judge=judge)  # chosen by validation Fréchet
    samples = mixture.sample(1000, seed=0)                 # shaped and clipped like the input
    mixture.dims, mixture.components, mixture.grid_frechet
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from genai_lessons.core.array_checks import check_array, check_labels
from genai_lessons.core.validation import (
    check_choice,
    check_int,
    check_number,
    check_seed,
    describe,
)
from genai_lessons.measures import metrics
from genai_lessons.measures.sample_quality import nearest_distances

ANOMALY_METHODS = ("nearest_neighbour", "mixture", "pca_reconstruction")


def _images(argument: str, images, min_length: int = 2) -> np.ndarray:
    array = check_array(argument, images, min_length=min_length)
    if array.ndim < 2:
        raise ValueError(f"{argument} must have shape (n, ...), got shape {array.shape}")
    return array


def _ints(argument: str, values) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list)) or not values:
        raise ValueError(
            f"{argument} must be a non-empty tuple of integers, got {describe(values)}"
        )
    return tuple(check_int(argument, v) for v in values)


@dataclass(frozen=True, eq=False)
class PcaMixture:
    """A Gaussian mixture in a PCA projection of the pixels, with an isotropic residual."""

    pca: object  # sklearn.decomposition.PCA, fitted
    mixture: object  # sklearn.mixture.GaussianMixture, fitted in the projection
    residual_variance: float  # per discarded pixel direction (probabilistic PCA)
    image_shape: tuple[int, ...]  # the shape of one image
    low: float  # the data's range: samples are clipped to it
    high: float
    grid_scores: dict = field(default_factory=dict)  # (dims, components) -> validation
    # log-likelihood per image (nats), of every candidate tried
    heldout_log_likelihood: float | None = None  # per image, on `heldout_images` if given
    grid_frechet: dict = field(default_factory=dict)  # (dims, components) -> validation Fréchet
    # distance in the judge's features (when fitted with a judge)
    selected_by: str = "likelihood"  # the criterion that chose dims and components

    @property
    def dims(self) -> int:
        return int(self.pca.n_components_)

    @property
    def components(self) -> int:
        return int(self.mixture.n_components)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n images in random order (not grouped by component), clipped to the data range.

        The residual noise is not added: a sample is a point of the mixture in the projection,
        mapped back to pixels.
        """
        n = check_int("n", n)
        check_seed("seed", seed)
        from threadpoolctl import threadpool_limits

        self.mixture.random_state = seed
        with threadpool_limits(1):  # one summation order on every machine, as in `_fit`
            codes, _ = self.mixture.sample(n)  # scikit-learn returns them grouped by component
            codes = codes[np.random.default_rng(seed).permutation(n)]
            images = self.pca.inverse_transform(codes).astype(np.float32)
        images = np.clip(images, np.float32(self.low), np.float32(self.high))
        return images.reshape((n, *self.image_shape))

    def score(self, images) -> np.ndarray:
        """Log-likelihood (nats) of each image under the model, in pixel space: (n,)."""
        x = _images("images", images, 1).reshape(len(images), -1)
        if x.shape[1] != int(np.prod(self.image_shape)):
            raise ValueError(
                f"images must have shape (n, {', '.join(map(str, self.image_shape))}), "
                f"got shape {np.shape(images)}"
            )
        return _log_likelihood(self.pca, self.mixture, self.residual_variance, x)


def _residual_variance(pca, x: np.ndarray) -> float:
    rest = x.shape[1] - pca.n_components_
    if rest == 0:
        return 1.0  # nothing discarded: the residual term is zero whatever the variance
    residual = x - pca.inverse_transform(pca.transform(x))
    return max(float(np.sum(residual**2) / (len(x) * rest)), 1e-6)


def _log_likelihood(pca, mixture, variance: float, x: np.ndarray) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # one summation order on every machine, as in `_fit`
        codes = pca.transform(x)
        residual = np.sum((x - pca.inverse_transform(codes)) ** 2, axis=1)
        rest = x.shape[1] - pca.n_components_
        gaussian = -0.5 * (residual / variance + rest * np.log(2.0 * np.pi * variance))
        return mixture.score_samples(codes) + gaussian


def _fit(x: np.ndarray, dims: int, components: int, seed: int, reg_covar: float):
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    # One BLAS and OpenMP thread: the sums then run in one order whatever the machine's thread
    # count (with two threads the fitted samples differ by up to 0.04 in pixel value), and a
    # busy machine does not multiply the cost (measured under load, one 50 x 50 fit on the 4,000
    # 28x28 digits: 2.7 CPU seconds with one thread, 50 with two that wait for each other).
    with threadpool_limits(1):
        pca = PCA(dims, random_state=seed).fit(x)
        mixture = GaussianMixture(
            components, covariance_type="full", reg_covar=reg_covar, random_state=seed
        ).fit(pca.transform(x))
        return pca, mixture, _residual_variance(pca, x)


def fit_pca_mixture(
    train_images,
    heldout_images=None,
    dims: tuple[int, ...] = (50, 80),
    components: tuple[int, ...] = (10, 25, 50),
    seed: int = 0,
    validation_fraction: float = 0.2,
    reg_covar: float = 1e-3,
    *,
    judge=None,
    select: str | None = None,
    value_range: str = "unit",
) -> PcaMixture:
    """Fit the strongest PCA + Gaussian-mixture model of a grid, chosen on a validation split.

    Every (dims, components) pair is fitted on the training images less a random
    `validation_fraction` of them and scored on those; the best pair is refitted on all training
    images. The held-out images never take part in the choice. Two criteria:

    - "likelihood": the validation images' mean log-likelihood in pixel space. Measured on
      mnist5k, it prefers many dimensions and few components (it rewards modelling faint pixel
      noise), which draws poor digits;
    - "frechet" (needs `judge`): the Fréchet distance between the judge's features of as many
      samples as validation images and of the validation images: the strongest rival by the
      measure the generators are compared on. More components keep lowering it, towards copying
      the training images: read it with the nearest-training-image distance.

    Args:
        train_images: (n, ...) images, e.g. (4000, 28, 28, 1).
        heldout_images: optional (m, ...) images: their log-likelihood per image is reported
            (`heldout_log_likelihood`), nothing else.
        dims: candidate numbers of principal components (each below the pixel count).
        components: candidate numbers of mixture components.
        seed: the validation split, the PCA solver, the mixture's initialisation, the samples.
        validation_fraction: share of the training images that scores the candidates.
        reg_covar: added to each covariance's diagonal (scikit-learn's regulariser).
        judge: a `DigitJudge` for the images' size (for `select="frechet"`).
        select: "likelihood" or "frechet"; default "frechet" when a judge is given.
        value_range: of the images, for the judge: "unit" ([0, 1]) or "symmetric" ([-1, 1]).

    Returns:
        A `PcaMixture` with the chosen `dims`, `components`, every candidate's validation
        log-likelihood (`grid_scores`) and, with a judge, Fréchet distance (`grid_frechet`).
    """
    x = _images("train_images", train_images)
    image_shape = x.shape[1:]
    x = x.reshape(len(x), -1)
    dims, components = _ints("dims", dims), _ints("components", components)
    for d in dims:
        if d >= x.shape[1]:
            raise ValueError(f"dims must stay below the {x.shape[1]} pixels, got {d}")
    check_seed("seed", seed)
    check_number("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    check_number("reg_covar", reg_covar, 0.0, inclusive=False)
    check_choice("value_range", value_range, ("unit", "symmetric"))
    if select is None:
        select = "likelihood" if judge is None else "frechet"
    check_choice("select", select, ("likelihood", "frechet"))
    if select == "frechet" and judge is None:
        raise ValueError("select='frechet' needs a judge (judge.load_judge(...)), got judge=None")
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(round(len(x) * validation_fraction))
    validation, fitting = x[order[:cut]], x[order[cut:]]
    if cut < 2 or len(fitting) < max(components) or len(fitting) <= max(dims):
        raise ValueError(
            f"train_images must hold enough images for a validation split and the largest "
            f"candidate (dims {max(dims)}, components {max(components)}), got {len(x)}"
        )

    def features(flat):
        images = flat.reshape((len(flat), *image_shape))
        return judge.embed(images if value_range == "unit" else (images + 1.0) / 2.0)

    reference = features(validation) if judge is not None else None
    scores, frechets = {}, {}
    low, high = float(x.min()), float(x.max())
    for d, k in itertools.product(dims, components):
        pca, mixture, variance = _fit(fitting, d, k, seed, reg_covar)
        scores[(d, k)] = float(np.mean(_log_likelihood(pca, mixture, variance, validation)))
        if judge is not None:
            candidate = PcaMixture(pca, mixture, variance, tuple(image_shape), low, high)
            samples = candidate.sample(len(validation), seed).reshape(len(validation), -1)
            frechets[(d, k)] = metrics.frechet_distance(features(samples), reference)
    if select == "likelihood":
        best_dims, best_components = max(scores, key=scores.get)
    else:
        best_dims, best_components = min(frechets, key=frechets.get)
    pca, mixture, variance = _fit(x, best_dims, best_components, seed, reg_covar)
    heldout = None
    if heldout_images is not None:
        held = _images("heldout_images", heldout_images, 1).reshape(len(heldout_images), -1)
        if held.shape[1] != x.shape[1]:
            raise ValueError(
                f"heldout_images must have the training images' shape {image_shape}, "
                f"got shape {np.shape(heldout_images)}"
            )
        heldout = float(np.mean(_log_likelihood(pca, mixture, variance, held)))
    return PcaMixture(
        pca, mixture, variance, tuple(image_shape), low, high, scores, heldout, frechets, select
    )


@dataclass(frozen=True, eq=False)
class PerClassGaussian:
    """One Gaussian per class: full covariance in a PCA projection (`dims` > 0) or diagonal in
    pixels (`dims` == 0)."""

    means: np.ndarray  # (classes, dims or pixels)
    scales: np.ndarray  # (classes, dims, dims) Cholesky factors, or (classes, pixels) std devs
    pca: object | None  # sklearn PCA when dims > 0
    image_shape: tuple[int, ...]
    low: float
    high: float

    def sample(self, labels, seed: int = 0) -> np.ndarray:
        """One image per requested label, clipped to the data range: (len(labels), ...)."""
        labels = check_labels("labels", labels, len(self.means))
        check_seed("seed", seed)
        noise = np.random.default_rng(seed).standard_normal((len(labels), self.means.shape[1]))
        if self.pca is None:
            flat = self.means[labels] + noise * self.scales[labels]
        else:
            codes = self.means[labels] + np.einsum("nij,nj->ni", self.scales[labels], noise)
            flat = self.pca.inverse_transform(codes)
        flat = np.clip(flat.astype(np.float32), np.float32(self.low), np.float32(self.high))
        return flat.reshape((len(labels), *self.image_shape))


def per_class_gaussian(train_images, labels, dims: int = 50, seed: int = 0) -> PerClassGaussian:
    """Fit one Gaussian per class: the conditional rival of a class-conditional generator.

    Args:
        train_images: (n, ...) images.
        labels: (n,) integer classes 0..classes-1, each with more than `dims` images.
        dims: principal components shared by all classes (0: a diagonal Gaussian in pixels).
        seed: the PCA solver's.
    """
    x = _images("train_images", train_images)
    image_shape = x.shape[1:]
    x = x.reshape(len(x), -1)
    labels = check_labels("labels", labels, int(np.max(labels)) + 1, batch=len(x))
    dims = check_int("dims", dims, 0, x.shape[1] - 1)
    check_seed("seed", seed)
    classes = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=classes)
    if counts.min() <= max(dims, 1):
        raise ValueError(
            f"labels must give every class more than max(dims, 1)={max(dims, 1)} images, "
            f"got counts {counts.tolist()}"
        )
    pca = None
    codes = x
    if dims:
        from sklearn.decomposition import PCA

        pca = PCA(dims, random_state=seed).fit(x)
        codes = pca.transform(x)
    means = np.stack([codes[labels == c].mean(0) for c in range(classes)])
    if dims:
        scales = np.stack(
            [
                np.linalg.cholesky(np.cov(codes[labels == c], rowvar=False) + 1e-6 * np.eye(dims))
                for c in range(classes)
            ]
        )
    else:
        scales = np.stack([codes[labels == c].std(0) for c in range(classes)])
    return PerClassGaussian(means, scales, pca, tuple(image_shape), float(x.min()), float(x.max()))


def copy_training(train_images, n: int, seed: int = 0) -> np.ndarray:
    """n training images drawn at random (without replacement while n <= their number): a
    "generator" that memorised its data, the reference for memorisation measures."""
    x = _images("train_images", train_images, 1)
    n = check_int("n", n)
    check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    return x[rng.choice(len(x), n, replace=n > len(x))].astype(np.float32)


def anomaly_scores(
    method: str, train_normal, queries, dims: int = 30, components: int = 10, seed: int = 0
) -> np.ndarray:
    """Anomaly scores of `queries` (higher: more anomalous) from normal training images alone.

    Args:
        method: "nearest_neighbour" (pixel distance to the nearest normal image), "mixture"
            (negative log-likelihood of a PCA mixture with `dims` and `components`, see
            `fit_pca_mixture`) or "pca_reconstruction" (distance to the `dims`-dimensional
            principal subspace of the normal images).
        train_normal: (n, ...) normal images.
        queries: (m, ...) images to score, the same shape.
        dims, components, seed: of the mixture and the PCA.

    Returns:
        float64 array of shape (m,).
    """
    check_choice("method", method, ANOMALY_METHODS)
    normal = _images("train_normal", train_normal)
    queries = _images("queries", queries, 1)
    if normal.shape[1:] != queries.shape[1:]:
        raise ValueError(
            f"queries must have the shape of train_normal's images {normal.shape[1:]}, "
            f"got shape {queries.shape}"
        )
    if method == "nearest_neighbour":
        return nearest_distances(queries, normal)
    flat_normal = normal.reshape(len(normal), -1)
    flat_queries = queries.reshape(len(queries), -1)
    dims = check_int("dims", dims, 1, flat_normal.shape[1] - 1)
    if method == "mixture":
        pca, mixture, variance = _fit(
            flat_normal, dims, check_int("components", components), seed, 1e-4
        )
        return -_log_likelihood(pca, mixture, variance, flat_queries)
    from sklearn.decomposition import PCA

    pca = PCA(dims, random_state=seed).fit(flat_normal)
    reconstruction = pca.inverse_transform(pca.transform(flat_queries))
    return np.linalg.norm(flat_queries - reconstruction, axis=1)
