"""Tests of genai_lessons.measures.rivals: the classical classifiers, checked against
scikit-learn called directly (and NumPy for nearest neighbours)."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from genai_lessons.datasets import image_sets
from genai_lessons.measures import rivals

FAST = rivals.RivalConfig(
    logistic_c=(0.01, 1.0), neighbours=(1, 5), svc_c=(1.0, 10.0), pca_components=20
)


@pytest.fixture(scope="module")
def data():
    """600 training and 200 test 8x8 digits: small enough to fit every rival in a second."""
    digits = image_sets.load_digits()
    return digits.x_train[:600], digits.y_train[:600], digits.x_test[:200], digits.y_test[:200]


@pytest.fixture(scope="module")
def results(data):
    return rivals.compare(*data, FAST)


def validation_part(x, y, config=FAST):
    """The validation split, drawn here with scikit-learn itself."""
    return train_test_split(
        x.reshape(len(x), -1),
        y,
        test_size=config.validation_fraction,
        random_state=config.seed,
        stratify=y,
    )


def check_choice(result, data, make):
    """Every candidate's validation accuracy, the choice and the refitted model, recomputed."""
    x, y, x_test, y_test = data
    x_part, x_val, y_part, y_val = validation_part(x, y)
    for values, accuracy in result.candidates.items():
        model = make(*values).fit(x_part, y_part)
        assert np.mean(model.predict(x_val) == y_val) == pytest.approx(accuracy)
    assert result.validation_accuracy == max(result.candidates.values())
    chosen = next(v for v, a in result.candidates.items() if a == result.validation_accuracy)
    direct = make(*chosen).fit(x.reshape(len(x), -1), y).predict(x_test.reshape(len(x_test), -1))
    np.testing.assert_array_equal(result.predict(x_test), direct)
    assert result.test_accuracy == pytest.approx(np.mean(direct == y_test))
    return chosen


def test_logistic_regression_matches_scikit_learn(results, data):
    result = results["logistic_regression"]
    chosen = check_choice(result, data, lambda c: LogisticRegression(C=c, max_iter=FAST.max_iter))
    assert set(result.candidates) == {(0.01,), (1.0,)} and result.params == {"C": chosen[0]}
    assert result.test_accuracy > 0.9


def test_nearest_neighbours_match_scikit_learn_and_numpy(results, data):
    result = results["nearest_neighbours"]
    chosen = check_choice(result, data, lambda k: KNeighborsClassifier(n_neighbors=k))
    assert result.params == {"n_neighbors": chosen[0]}
    x, y, x_test, _ = data
    one = rivals.nearest_neighbours(x, y, neighbours=(1,))
    flat, flat_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    distances = ((flat_test[:, None, :] - flat[None]) ** 2).sum(axis=-1)
    np.testing.assert_array_equal(one.predict(x_test), y[distances.argmin(axis=1)])
    assert one.test_accuracy is None  # no test data given


def test_rbf_svc_matches_scikit_learn(results, data):
    result = results["rbf_svc"]
    x, y, _, _ = data
    x_part = validation_part(x, y)[0]
    projected = PCA(20, random_state=0).fit_transform(x_part)
    unit = 1.0 / (projected.shape[1] * projected.var())  # scikit-learn's gamma="scale"
    gammas = sorted({gamma for _, gamma in result.candidates})
    np.testing.assert_allclose(gammas, [unit, 2 * unit], rtol=1e-5)
    np.testing.assert_allclose(rivals.scale_gamma(x_part, 20), unit, rtol=1e-6)
    chosen = check_choice(result, data, make_pipeline_like)
    assert result.params == {"C": chosen[0], "gamma": chosen[1], "n_components": 20}


def make_pipeline_like(c, gamma):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(PCA(20, random_state=0), SVC(C=c, gamma=gamma))


def test_svc_on_raw_pixels_with_unit_gamma_is_scikit_learns_scale_default(data):
    x, y, x_test, y_test = data
    result = rivals.rbf_svc(
        x, y, x_test, y_test, pca_components=0, svc_c=(1.0,), gamma_scales=(1.0,)
    )
    direct = SVC(C=1.0, gamma="scale").fit(x.reshape(len(x), -1), y)
    np.testing.assert_array_equal(result.predict(x_test), direct.predict(x_test.reshape(200, -1)))


def test_the_test_split_never_chooses(data):
    x, y, x_test, y_test = data
    shuffled = np.random.default_rng(0).permutation(y_test)
    honest = rivals.nearest_neighbours(x, y, x_test, y_test, FAST)
    fooled = rivals.nearest_neighbours(x, y, x_test, shuffled, FAST)
    assert fooled.params == honest.params and fooled.candidates == honest.candidates
    assert fooled.test_accuracy < 0.3 < honest.test_accuracy


def test_best_is_chosen_on_validation(results):
    winner = rivals.best(results)
    assert winner.validation_accuracy == max(r.validation_accuracy for r in results.values())
    assert list(results) == list(rivals.RIVALS)


def test_ties_keep_the_first_candidate(data):
    x, y, _, _ = data
    result = rivals.nearest_neighbours(x, y, neighbours=(1, 1, 1))
    assert list(result.candidates) == [(1,)] and result.params == {"n_neighbors": 1}


@pytest.mark.parametrize(
    "overrides, argument",
    [
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"logistic_c": ()}, "logistic_c"),
        ({"logistic_c": (0.1, -1.0)}, "logistic_c"),
        ({"neighbours": (0,)}, "neighbours"),
        ({"neighbours": 3}, "neighbours"),
        ({"svc_c": (float("nan"),)}, "svc_c"),
        ({"gamma_scales": (0.0,)}, "gamma_scales"),
        ({"pca_components": -1}, "pca_components"),
        ({"seed": -1}, "seed"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_config_is_a_clear_error(overrides, argument):
    with pytest.raises(ValueError, match=f"{argument}.*got"):
        rivals.RivalConfig(**overrides)


def test_bad_data_is_a_clear_error(data):
    x, y, x_test, y_test = data
    with pytest.raises(ValueError, match="y_train must be 600 integer class labels"):
        rivals.logistic_regression(x, y[:-1])
    with pytest.raises(ValueError, match="y_train must be 600 integer class labels"):
        rivals.logistic_regression(x, y.astype(float))
    with pytest.raises(ValueError, match="x_test and y_test must be given together"):
        rivals.nearest_neighbours(x, y, x_test)
    with pytest.raises(ValueError, match="x_test must have 64 values per example"):
        rivals.nearest_neighbours(x, y, x_test[:, :4], y_test)
    with pytest.raises(ValueError, match="x_train must be images .*got shape"):
        rivals.nearest_neighbours(y.astype(np.float32), y)
    with pytest.raises(ValueError, match="pca_components must be at most 64.*got 100"):
        rivals.rbf_svc(x, y, pca_components=100)
    with pytest.raises(ValueError, match="results must map names to RivalResult"):
        rivals.best({"svc": 0.9})
    with pytest.raises(TypeError, match="config"):
        rivals.rbf_svc(x, y, config={"svc_c": (1.0,)})
