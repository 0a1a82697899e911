"""One protocol for judging generated digits, shared by the GAN, VAE and diffusion lessons.

Every generator is measured the same way, against one fixed reference built once per lesson:

- the Fréchet distance between the judge's features of `size` samples and of `size` held-out
  real digits, beside the *floor*: the same distance for `size` real training digits (what a
  perfect generator would score at that sample size; the estimator's bias is not zero);
- k-NN precision and recall in the same features (Kynkäänniemi et al., 2019): precision is the
  share of samples that fall inside the real digits' manifold (quality), recall the share of
  real digits inside the samples' manifold (coverage). Each manifold is the union of balls around
  its points, each ball reaching the point's k-th nearest neighbour in its own set;
- a classifier two-sample test (C2ST): a fresh classifier learns to tell held-out real digits
  from samples; its accuracy on the part it did not see is 0.5 when they are indistinguishable
  (averaged over `TWO_SAMPLE_REPEATS` draws of the folds: one draw is too noisy).
  A logistic regression on the pixels: weak on purpose, so that it does not saturate at 1.0 for
  every imperfect generator, yet it sees blur (blurred real digits score well above 0.5). Being
  linear, it mostly compares the two sets' mean images, where ink falls on average (the mix of
  classes, stroke width, blur): on mnist5k, shifting each set to the training digits' mean image
  brings the PCA mixture from 0.66 to 0.55 and latent diffusion from 0.54 to 0.50 (lesson 7
  prints both);
- the classes the judge sees (`metrics.class_coverage`, at least 2% of the samples each);
- memorisation: the median pixel distance from a sample to its nearest training image, read
  against the same median for held-out real digits (a copy of the training set scores 0).

A new draw of samples from the same generator moves its measures too (the two-sample accuracy
of lesson 3's GAN by about a point, standard deviation over 10 draws), so `evaluate_draws`
measures several draws, each of `size` samples, and averages them (lesson 3 uses it).

    reference = Reference.build(judge, split.x_train, split.x_test)   # once per lesson
    report = evaluate(reference, samples, name="gan")   # or, averaged over several draws:
    report = evaluate_draws(reference, more_samples, draws=SAMPLE_DRAWS, name="gan")
    results.record("03_gans", **report.as_record("gan"))
    print(format_table([reference.floor_report, report]))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_lessons.core.array_checks import check_array, check_images
from genai_lessons.core.validation import check_choice, check_int, check_seed, check_type
from genai_lessons.measures import metrics
from genai_lessons.measures.judge import DigitJudge

SAMPLE_SIZE = 1000
"""The fixed sample size of every 28x28 comparison (mnist5k holds 1,000 held-out digits)."""

SAMPLE_DRAWS = 5
"""Draws of `size` samples that `evaluate_draws` averages by default. On mnist5k one draw of 1,000
samples moves the two-sample accuracy by 0.7 to 0.9 points for a GAN and 0.4 for the PCA mixture
(standard deviations over 10 draws, measured), and the Fréchet distance by 1.5 to 2.5 points;
the mean of five draws spreads less than half as much."""

NEIGHBOURS = 3  # k of the k-NN manifolds (the paper's default)
TWO_SAMPLE_C = 0.1  # inverse L2 penalty of the two-sample classifier, on unscaled pixels:
# chosen on mnist5k so that real-against-real scores about 0.5, blurred real digits clearly more,
# and faint invisible noise not far more than blur (standardized pixels magnify the empty border)
TWO_SAMPLE_REPEATS = 5  # draws of the folds, averaged. On mnist5k one draw has a standard deviation
# of about 1 point and spans up to 5 points for the same images (measured), as much as the gaps
# between generators; five draws cut that to about 0.5. (Set after a single draw had decided the
# course's bars; a new draw of samples moves it as well: see `SAMPLE_DRAWS`.)
_CHUNK = 512  # rows of a pairwise-distance block (memory: _CHUNK x pool floats)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances, float64, never negative."""
    a = a.astype(np.float64, copy=False)
    b = b.astype(np.float64, copy=False)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(squared, 0.0)


def _flat(argument: str, values) -> np.ndarray:
    array = check_array(argument, values)
    if array.ndim < 2:
        raise ValueError(f"{argument} must have shape (n, ...) with n rows, got {array.shape}")
    return array.reshape(len(array), -1)


def nearest_distances(queries, pool) -> np.ndarray:
    """Euclidean distance from each query to its nearest row of `pool` (images are flattened).

    Args:
        queries: (n, ...) arrays, e.g. images (n, 28, 28, 1).
        pool: (m, ...) arrays of the same trailing shape, e.g. the training images.

    Returns:
        float64 array of shape (n,).
    """
    queries, pool = _flat("queries", queries), _flat("pool", pool)
    if queries.shape[1] != pool.shape[1]:
        raise ValueError(
            f"queries and pool must have the same size per row, got {queries.shape[1]} "
            f"and pool of {pool.shape[1]}"
        )
    nearest = np.empty(len(queries))
    for start in range(0, len(queries), _CHUNK):
        block = _squared_distances(queries[start : start + _CHUNK], pool)
        nearest[start : start + _CHUNK] = block.min(axis=1)
    return np.sqrt(nearest)


def _kth_neighbour_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (itself excluded once)."""
    radii = np.empty(len(features))
    for start in range(0, len(features), _CHUNK):
        block = _squared_distances(features[start : start + _CHUNK], features)
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = np.inf  # not its own neighbour (duplicates still count)
        radii[start : start + _CHUNK] = np.partition(block, k - 1, axis=1)[:, k - 1]
    return np.sqrt(radii)


def _inside_share(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Share of `points` inside at least one ball (centre, radius)."""
    inside = np.zeros(len(points), dtype=bool)
    squared_radii = radii**2
    for start in range(0, len(points), _CHUNK):
        block = _squared_distances(points[start : start + _CHUNK], centres)
        inside[start : start + _CHUNK] = (block <= squared_radii[None, :]).any(axis=1)
    return float(inside.mean())


def knn_precision_recall(real_features, fake_features, k: int = NEIGHBOURS) -> tuple[float, float]:
    """Improved precision and recall of Kynkäänniemi et al. (2019) in a feature space.

    Precision: the share of fake points inside the real manifold, the union of balls centred on
    the real points, each with the radius of its k-th nearest real neighbour. Recall: the share
    of real points inside the fake manifold, built the same way from the fake points.

    Args:
        real_features: (n, d) features of real data, n > k.
        fake_features: (m, d) features of generated data, m > k.
        k: the neighbour that sets each ball's radius.

    Returns:
        (precision, recall), each in [0, 1].
    """
    k = check_int("k", k)
    real = check_array("real_features", real_features, 2, min_length=k + 1)
    fake = check_array("fake_features", fake_features, 2, min_length=k + 1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real_features and fake_features must have the same width, got {real.shape[1]} "
            f"and fake_features of width {fake.shape[1]}"
        )
    precision = _inside_share(fake, real, _kth_neighbour_radii(real, k))
    recall = _inside_share(real, fake, _kth_neighbour_radii(fake, k))
    return precision, recall


def _unit(argument: str, images, value_range: str, shape=None) -> np.ndarray:
    check_choice("value_range", value_range, ("unit", "symmetric"))
    if np.ndim(images) == 3:  # (n, height, width) is welcome too
        images = np.asarray(images)[..., None]
    array = check_images(argument, images, shape, value_range)
    return array if value_range == "unit" else (array + 1.0) / 2.0


def two_sample_accuracy(
    real_images,
    fake_images,
    seed: int = 0,
    value_range: str = "unit",
    folds: int = 2,
    repeats: int = TWO_SAMPLE_REPEATS,
) -> float:
    """Classifier two-sample test: how well a fresh classifier tells real images from fake ones.

    A logistic regression on the raw pixels (L2 penalty, `TWO_SAMPLE_C`) is trained on part of the
    two sets and scored on the rest, in `folds` stratified folds so that every image is scored
    once by a classifier that did not see it; the folds are drawn `repeats` times and the mean
    accuracy over every fold of every draw is returned. 0.5 means the classifier cannot tell them
    apart; 1.0 that it always can.

    Args:
        real_images, fake_images: (n, height, width, channels), the same number of each (so that
            chance is 0.5), at least `folds` images each.
        seed: which images fall in which fold, in every draw.
        value_range: "unit" ([0, 1]) or "symmetric" ([-1, 1]), for both sets.
        folds: the number of folds (2: half the images train the classifier at a time).
        repeats: how many times the folds are drawn (1: one split, as noisy as its luck).

    Returns:
        Held-out accuracy in [0, 1].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold
    from threadpoolctl import threadpool_limits

    real = _unit("real_images", real_images, value_range)
    fake = _unit("fake_images", fake_images, value_range, real.shape[1:])
    check_seed("seed", seed)
    folds = check_int("folds", folds, 2)
    repeats = check_int("repeats", repeats)
    if len(real) != len(fake):
        raise ValueError(
            f"real_images and fake_images must hold the same number of images, got {len(real)} "
            f"and fake_images of {len(fake)}"
        )
    if len(real) < folds:
        raise ValueError(f"real_images must hold at least folds={folds} images, got {len(real)}")
    x = np.concatenate([real, fake]).reshape(2 * len(real), -1).astype(np.float64)
    y = np.repeat([0, 1], len(real))
    splits = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    correct = 0
    # One BLAS thread: on these small problems a second thread made each fit about 20 times
    # slower on a 2-core machine (measured), and one summation order gives the same accuracy
    # on every machine.
    with threadpool_limits(1):
        for train, test in splits.split(x, y):
            model = LogisticRegression(C=TWO_SAMPLE_C, max_iter=1000).fit(x[train], y[train])
            correct += int(np.sum(model.predict(x[test]) == y[test]))
    return correct / (repeats * len(x))


MEASURES = ("frechet", "precision", "recall", "two_sample_accuracy", "nearest_train_distance")
"""The measures of a `Report` that `evaluate_draws` averages over draws."""


@dataclass(frozen=True)
class Report:
    """The protocol's measures of one set of samples (see the module docstring)."""

    name: str  # what was measured ("gan", "mixture", ...)
    frechet: float  # Fréchet distance to the held-out reference, judge features (lower: closer)
    precision: float  # share of samples inside the real manifold (quality, higher is better)
    recall: float  # share of real digits inside the samples' manifold (coverage)
    two_sample_accuracy: float  # C2ST held-out accuracy: 0.5 = indistinguishable from real
    classes_covered: int  # digits the judge sees in at least 2% of the samples
    nearest_train_distance: float  # median pixel distance to the nearest training image
    # `evaluate_draws`: the report of each draw, whose mean this report is; () for one draw
    draws: tuple[Report, ...] = ()

    def spread(self, measure: str) -> float:
        """Standard deviation of one measure ("frechet", ...) over the draws.

        NaN for a report of one draw: one draw says nothing about how much a new one would move.
        """
        check_choice("measure", measure, MEASURES)
        values = [getattr(draw, measure) for draw in self.draws]
        return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")

    def as_record(self, prefix: str) -> dict[str, float]:
        """The four headline figures keyed for `results.record`: `{prefix}_frechet`, ..."""
        return {
            f"{prefix}_frechet": self.frechet,
            f"{prefix}_precision": self.precision,
            f"{prefix}_recall": self.recall,
            f"{prefix}_two_sample_accuracy": self.two_sample_accuracy,
        }

    def row(self) -> str:
        """One line of `format_table`."""
        return (
            f"{self.name:<24} {self.frechet:9.2f} {self.precision:9.3f} {self.recall:7.3f} "
            f"{self.two_sample_accuracy:10.3f} {self.classes_covered:7d} "
            f"{self.nearest_train_distance:13.2f}"
        )


TABLE_HEADER = (
    f"{'samples':<24} {'Fréchet':>9} {'precision':>9} {'recall':>7} {'two-sample':>10} "
    f"{'classes':>7} {'nearest train':>13}"
)


def format_table(reports) -> str:
    """The reports as a fixed-width table, one row each, under `TABLE_HEADER`."""
    return "\n".join([TABLE_HEADER, *(check_type("reports", r, Report).row() for r in reports)])


@dataclass(frozen=True, eq=False)
class Reference:
    """The fixed reference of the protocol: held-out real digits, the training images, the floor.

    Build it once per lesson with `Reference.build`; every `evaluate` compares against it.
    """

    judge: DigitJudge
    size: int  # samples per comparison
    heldout_images: np.ndarray  # (size, h, w, 1) in [0, 1]: the held-out reference
    heldout_features: np.ndarray  # (size, d) the judge's features of them
    train_images: np.ndarray  # (n, h, w, 1) in [0, 1]: the pool for memorisation distances
    floor_report: Report  # `size` real training digits measured like samples (see `build`)
    k: int = NEIGHBOURS  # of the precision and recall

    @property
    def floor(self) -> float:
        """Fréchet distance of `size` real training digits to the reference: the real floor."""
        return self.floor_report.frechet

    @property
    def heldout_nearest_train_distance(self) -> float:
        """Median pixel distance from a held-out real digit to its nearest training image."""
        return self.floor_report.nearest_train_distance

    @classmethod
    def build(
        cls,
        judge: DigitJudge,
        train_images,
        heldout_images,
        value_range: str = "unit",
        size: int = SAMPLE_SIZE,
        seed: int = 0,
        k: int = NEIGHBOURS,
    ) -> Reference:
        """Fix the reference and measure the real floor.

        Args:
            judge: a `DigitJudge` of the images' size (`judge.load_judge(judge.MNIST5K)` for
                28x28, `judge.load_judge()` for 8x8).
            train_images: (n, h, w, 1) the generators' training images, n >= size.
            heldout_images: (m, h, w, 1) real images no generator saw, m >= size; a seeded
                subset of `size` of them is the reference when m > size.
            value_range: of both image sets, "unit" or "symmetric".
            size: the sample size of every comparison (`SAMPLE_SIZE` for mnist5k; 8x8 digits
                hold 360 test images, so lessons on them use a smaller size).
            seed: the subsets drawn, and the two-sample test's folds.
            k: the neighbour of the precision and recall balls.

        The floor report measures `size` training digits (a seeded subset) exactly as
        `evaluate` measures samples, except its `nearest_train_distance`, which is that of the
        held-out digits (a training digit's own is 0): what an unseen real digit scores.
        """
        check_type("judge", judge, DigitJudge)
        size = check_int("size", size, 2)
        check_seed("seed", seed)
        k = check_int("k", k)
        shape = judge.recipe.image_shape
        train = _unit("train_images", train_images, value_range, shape)
        heldout = _unit("heldout_images", heldout_images, value_range, shape)
        for argument, array in (("train_images", train), ("heldout_images", heldout)):
            if len(array) < size:
                raise ValueError(
                    f"{argument} must hold at least size={size} images, got {len(array)}"
                )
        if size <= k:
            raise ValueError(f"size must exceed k={k}, got {size}")
        rng = np.random.default_rng(seed)
        if len(heldout) > size:
            heldout = heldout[np.sort(rng.choice(len(heldout), size, replace=False))]
        real = train[np.sort(rng.choice(len(train), size, replace=False))]
        heldout_features = judge.embed(heldout)
        real_features, real_probabilities = judge._run(real, "unit")
        precision, recall = knn_precision_recall(heldout_features, real_features, k)
        floor_report = Report(
            name="real training digits",
            frechet=metrics.frechet_distance(real_features, heldout_features),
            precision=precision,
            recall=recall,
            two_sample_accuracy=two_sample_accuracy(heldout, real, seed=seed),
            classes_covered=metrics.class_coverage(real_probabilities),
            nearest_train_distance=float(np.median(nearest_distances(heldout, train))),
        )
        return cls(judge, size, heldout, heldout_features, train, floor_report, k)


def evaluate(
    reference: Reference, samples, value_range: str = "unit", name: str = "model", seed: int = 0
) -> Report:
    """Measure generated images against the reference.

    Args:
        reference: from `Reference.build`.
        samples: (n, h, w, 1) generated images, n >= reference.size; the first
            `reference.size` are measured (draw them in random order, not sorted by class).
        value_range: of the samples, "unit" ([0, 1]) or "symmetric" ([-1, 1]).
        name: the report's name (a row of `format_table`).
        seed: the two-sample test's folds.

    Returns:
        A `Report`.
    """
    check_type("reference", reference, Reference)
    check_type("name", name, str)
    check_seed("seed", seed)
    images = _unit("samples", samples, value_range, reference.judge.recipe.image_shape)
    if len(images) < reference.size:
        raise ValueError(
            f"samples must hold at least the reference's size={reference.size} images, "
            f"got {len(images)}"
        )
    images = images[: reference.size]
    features, probabilities = reference.judge._run(images, "unit")
    precision, recall = knn_precision_recall(reference.heldout_features, features, reference.k)
    return Report(
        name=name,
        frechet=metrics.frechet_distance(features, reference.heldout_features),
        precision=precision,
        recall=recall,
        two_sample_accuracy=two_sample_accuracy(reference.heldout_images, images, seed=seed),
        classes_covered=metrics.class_coverage(probabilities),
        nearest_train_distance=float(np.median(nearest_distances(images, reference.train_images))),
    )


def evaluate_draws(
    reference: Reference,
    samples,
    draws: int = SAMPLE_DRAWS,
    value_range: str = "unit",
    name: str = "model",
    seed: int = 0,
) -> Report:
    """Measure `draws` draws of samples against the reference, and average them.

    Draw i is the block `samples[i * size : (i + 1) * size]` (`size = reference.size`), measured by
    `evaluate`; samples after the last block are not measured. The report holds the mean of each
    of `MEASURES` over the draws, the classes that every draw covers (the fewest over draws), and
    each draw's own report in `draws`, so that `report.spread("two_sample_accuracy")` says how
    much one draw moves a measure.

    Args:
        reference: from `Reference.build`.
        samples: (n, h, w, 1) generated images in random order, n >= draws * reference.size.
        draws: how many blocks of `reference.size` samples are measured.
        value_range: of the samples, "unit" ([0, 1]) or "symmetric" ([-1, 1]).
        name: the report's name (a row of `format_table`).
        seed: the two-sample test's folds, the same for every draw.

    Returns:
        A `Report` of the means, with the draws' reports in `draws`.
    """
    check_type("reference", reference, Reference)
    draws = check_int("draws", draws)
    images = _unit("samples", samples, value_range, reference.judge.recipe.image_shape)
    size = reference.size
    if len(images) < draws * size:
        raise ValueError(
            f"samples must hold at least draws x the reference's size = {draws} x {size} = "
            f"{draws * size} images, got {len(images)}"
        )
    reports = tuple(
        evaluate(reference, images[i * size : (i + 1) * size], "unit", f"{name} draw {i}", seed)
        for i in range(draws)
    )
    means = {m: float(np.mean([getattr(r, m) for r in reports])) for m in MEASURES}
    covered = min(r.classes_covered for r in reports)
    return Report(name=name, classes_covered=covered, draws=reports, **means)
