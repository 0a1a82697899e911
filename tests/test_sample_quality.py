"""Tests of genai_lessons.measures.sample_quality: the shared protocol for generated digits."""

import numpy as np
import pytest
from scipy import ndimage

from genai_lessons.datasets import image_sets
from genai_lessons.measures import judge as judge_module
from genai_lessons.measures import metrics
from genai_lessons.measures import sample_quality as sq

# ------------------------------------------------------------------ independent references


def brute_nearest(queries, pool):
    queries = queries.reshape(len(queries), -1)
    pool = pool.reshape(len(pool), -1)
    return np.array([min(np.linalg.norm(q - p) for p in pool) for q in queries])


def brute_precision_recall(real, fake, k):
    def radii(points):
        out = []
        for i, p in enumerate(points):
            others = [np.linalg.norm(p - q) for j, q in enumerate(points) if j != i]
            out.append(sorted(others)[k - 1])
        return np.array(out)

    def share(points, centres, r):
        return np.mean(
            [any(np.linalg.norm(p - c) <= rc for c, rc in zip(centres, r)) for p in points]
        )

    return share(fake, real, radii(real)), share(real, fake, radii(fake))


# ------------------------------------------------------------------ nearest distances


def test_nearest_distances_match_a_loop():
    rng = np.random.default_rng(0)
    queries, pool = rng.random((37, 4, 5, 1)), rng.random((600, 4, 5, 1))  # pool > one chunk
    np.testing.assert_allclose(
        sq.nearest_distances(queries, pool), brute_nearest(queries, pool), rtol=1e-9, atol=1e-9
    )


def test_nearest_distance_of_a_copy_is_zero():
    pool = np.random.default_rng(1).random((50, 3, 3, 1))
    np.testing.assert_allclose(sq.nearest_distances(pool[::5], pool), 0.0, atol=1e-6)


def test_nearest_distances_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="queries and pool"):
        sq.nearest_distances(np.zeros((2, 3)), np.zeros((2, 4)))


# ------------------------------------------------------------------ precision and recall


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_match_brute_force(k):
    rng = np.random.default_rng(k)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(loc=1.0, scale=0.8, size=(45, 3))
    got = sq.knn_precision_recall(real, fake, k=k)
    want = brute_precision_recall(real, fake, k)
    np.testing.assert_allclose(got, want)
    assert 0.0 < got[0] < 1.0 and 0.0 < got[1] < 1.0  # a case that can fail either way


def test_identical_sets_give_one_and_one():
    real = np.random.default_rng(2).normal(size=(80, 5))
    assert sq.knn_precision_recall(real, real.copy()) == (1.0, 1.0)


def test_disjoint_far_sets_give_zero_and_zero():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(50, 4)), rng.normal(size=(50, 4)) + 100.0
    assert sq.knn_precision_recall(real, fake) == (0.0, 0.0)


def test_collapse_keeps_precision_and_loses_recall():
    """Samples that all sit on one real cluster are all realistic but cover little."""
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    real = np.concatenate([c + rng.normal(size=(50, 2)) for c in centres])
    collapsed = centres[0] + 0.5 * rng.normal(size=(200, 2))
    precision, recall = sq.knn_precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.35


def test_precision_recall_need_more_points_than_k():
    with pytest.raises(ValueError, match="real_features"):
        sq.knn_precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3)


# ------------------------------------------------------------------ two-sample test


@pytest.fixture(scope="module")
def digits():
    return image_sets.load_digits()


def test_two_sample_test_cannot_tell_real_from_real(digits):
    real = digits.x_train[:360]
    accuracies = [sq.two_sample_accuracy(digits.x_test, real, seed=s) for s in range(3)]
    assert 0.4 < np.mean(accuracies) < 0.6, accuracies


def test_two_sample_test_sees_blur(digits):
    blurred = ndimage.gaussian_filter(digits.x_train[:360], sigma=(0, 0.8, 0.8, 0))
    real = sq.two_sample_accuracy(digits.x_test, digits.x_train[:360])
    blur = sq.two_sample_accuracy(digits.x_test, blurred)
    assert blur > 0.75 and blur > real + 0.2, (real, blur)


def test_two_sample_test_is_seeded_and_reads_both_ranges(digits):
    real, fake = digits.x_test[:100], digits.x_train[:100]
    first = sq.two_sample_accuracy(real, fake, seed=5)
    assert sq.two_sample_accuracy(real, fake, seed=5) == first
    symmetric = sq.two_sample_accuracy(2 * real - 1, 2 * fake - 1, seed=5, value_range="symmetric")
    assert symmetric == pytest.approx(first)


def test_two_sample_test_averages_every_fold_of_every_draw(digits):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold

    real, fake = digits.x_test[:60], ndimage.gaussian_filter(digits.x_train[:60], (0, 1, 1, 0))
    x = np.concatenate([real, fake]).reshape(120, -1).astype(np.float64)
    y = np.repeat([0, 1], 60)
    accuracies = []  # one per fold of each of the 3 draws, each fold scoring 40 images
    splits = RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=4)
    for train, test in splits.split(x, y):
        model = LogisticRegression(C=sq.TWO_SAMPLE_C, max_iter=1000).fit(x[train], y[train])
        accuracies.append(model.score(x[test], y[test]))
    assert sq.two_sample_accuracy(real, fake, seed=4, folds=3, repeats=3) == pytest.approx(
        np.mean(accuracies)
    )


def test_more_draws_of_the_folds_make_the_test_steadier(digits):
    real, fake = (
        digits.x_test[:200],
        ndimage.gaussian_filter(digits.x_train[:200], (0, 0.6, 0.6, 0)),
    )
    one = [sq.two_sample_accuracy(real, fake, seed=s, repeats=1) for s in range(8)]
    five = [sq.two_sample_accuracy(real, fake, seed=s, repeats=5) for s in range(8)]
    assert np.std(five) < 0.7 * np.std(one), (one, five)
    assert abs(np.mean(five) - np.mean(one)) < 0.03  # the same test, less noise


def test_two_sample_test_needs_equal_sizes(digits):
    with pytest.raises(ValueError, match="same number"):
        sq.two_sample_accuracy(digits.x_test[:10], digits.x_train[:11])


# ------------------------------------------------------------------ the protocol


@pytest.fixture(scope="module")
def reference(digits):
    judge = judge_module.load_judge()
    return sq.Reference.build(judge, digits.x_train, digits.x_test, size=300)


def test_reference_floor_is_the_frechet_of_training_digits(reference, digits):
    assert reference.heldout_images.shape == (300, 8, 8, 1)
    assert len(reference.train_images) == len(digits.x_train)
    floor = reference.floor_report
    assert reference.floor == floor.frechet > 0.0
    assert floor.precision > 0.8 and floor.recall > 0.8
    assert abs(floor.two_sample_accuracy - 0.5) < 0.1
    assert floor.classes_covered == 10
    want = np.median(brute_nearest(reference.heldout_images, digits.x_train))
    assert reference.heldout_nearest_train_distance == pytest.approx(want)


def test_evaluating_the_reference_itself_is_perfect(reference):
    report = sq.evaluate(reference, reference.heldout_images, name="itself")
    assert report.frechet == pytest.approx(0.0, abs=1e-6)
    assert (report.precision, report.recall) == (1.0, 1.0)
    assert report.name == "itself"


def test_copies_of_training_digits_have_zero_nearest_distance(reference, digits):
    report = sq.evaluate(reference, 2 * digits.x_train[:300] - 1, value_range="symmetric")
    assert report.nearest_train_distance == pytest.approx(0.0, abs=1e-5)
    features = reference.judge.embed(digits.x_train[:300])
    want = metrics.frechet_distance(features, reference.heldout_features)
    assert report.frechet == pytest.approx(want)


def test_noise_scores_badly_on_every_measure(reference):
    noise = np.random.default_rng(0).random((300, 8, 8, 1)).astype("float32")
    report = sq.evaluate(reference, noise, name="noise")
    floor = reference.floor_report
    assert report.frechet > 10 * floor.frechet
    assert report.precision < 0.5 * floor.precision and report.recall < 0.1
    assert report.two_sample_accuracy > 0.95
    assert report.nearest_train_distance > reference.heldout_nearest_train_distance


def test_report_as_record_and_table(reference):
    report = reference.floor_report
    record = report.as_record("real")
    assert set(record) == {
        "real_frechet",
        "real_precision",
        "real_recall",
        "real_two_sample_accuracy",
    }
    assert record["real_frechet"] == report.frechet
    table = sq.format_table([report])
    assert table.splitlines()[0] == sq.TABLE_HEADER and "real training digits" in table


def test_evaluate_draws_averages_the_reports_of_its_blocks(reference, digits):
    copies = 2 * digits.x_train[:300] - 1
    noise = np.random.default_rng(0).uniform(-1, 1, (300, 8, 8, 1)).astype("float32")
    blocks = [sq.evaluate(reference, b, value_range="symmetric") for b in (copies, noise)]
    report = sq.evaluate_draws(
        reference, np.concatenate([copies, noise]), draws=2, value_range="symmetric", name="two"
    )
    assert report.name == "two" and [d.name for d in report.draws] == ["two draw 0", "two draw 1"]
    for measure in sq.MEASURES:
        values = [getattr(b, measure) for b in blocks]
        assert getattr(report, measure) == pytest.approx(np.mean(values))
        # The sample standard deviation of two values is their distance over sqrt(2).
        want = abs(values[0] - values[1]) / np.sqrt(2)
        assert report.spread(measure) == pytest.approx(want)
    assert report.classes_covered == min(b.classes_covered for b in blocks)
    assert report.spread("two_sample_accuracy") > 0.2  # copies and noise are far apart


def test_one_draw_is_the_plain_report_of_the_first_block(reference, digits):
    samples = digits.x_train[:600]
    report = sq.evaluate_draws(reference, samples, draws=1, name="one")
    plain = sq.evaluate(reference, samples, name="one")  # measures the first 300 too
    for measure in sq.MEASURES:
        assert getattr(report, measure) == pytest.approx(getattr(plain, measure))
    assert report.classes_covered == plain.classes_covered
    assert np.isnan(report.spread("frechet")) and np.isnan(plain.spread("frechet"))


def test_evaluate_draws_needs_every_block_and_a_known_measure(reference, digits):
    with pytest.raises(ValueError, match=r"3 x 300 = 900 images, got 600"):
        sq.evaluate_draws(reference, digits.x_train[:600], draws=3)
    with pytest.raises(ValueError, match="draws"):
        sq.evaluate_draws(reference, digits.x_train[:600], draws=0)
    report = sq.evaluate_draws(reference, digits.x_train[:600], draws=2)
    with pytest.raises(ValueError, match="measure"):
        report.spread("sharpness")


def test_too_few_samples_is_a_clear_error(reference):
    with pytest.raises(ValueError, match="samples must hold at least"):
        sq.evaluate(reference, reference.heldout_images[:299])


def test_reference_needs_enough_images(digits):
    judge = judge_module.load_judge()
    with pytest.raises(ValueError, match="heldout_images"):
        sq.Reference.build(judge, digits.x_train, digits.x_test, size=sq.SAMPLE_SIZE)
