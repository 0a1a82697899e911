"""Classical rivals: the scikit-learn classifiers a sceptic puts beside a neural network.

Three thin layers over scikit-learn, each choosing its few hyperparameters on a validation split
carved from the training data (stratified, `validation_fraction` of it), never on the test split:

- `logistic_regression`: a linear classifier on the raw pixels; chooses the inverse penalty C;
- `nearest_neighbours`: k-nearest neighbours on the raw pixels (Euclidean); chooses k;
- `rbf_svc`: principal components first (`pca_components` of them, 50 by default: fast, and on
  digits no less accurate than raw pixels), then a support vector classifier with an RBF kernel;
  chooses C and gamma. Gamma is searched as multiples of scikit-learn's "scale" value
  1 / (features * variance) on the training part's components, and reported as a number.

After the choice, the model is refitted on the whole training set with the chosen values; the
returned `RivalResult` holds it, the choice, every candidate's validation accuracy and, when test
data is given, the test accuracy.

    result = rivals.rbf_svc(split.x_train, split.y_train, split.x_test, split.y_test)
    result.params, result.validation_accuracy, result.test_accuracy
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import (
    build_config,
    check_int,
    check_number,
    check_seed,
    describe,
)
from genai_lessons.datasets.image_sets import split_arrays

RIVALS = ("logistic_regression", "nearest_neighbours", "rbf_svc")


def _positive_numbers(argument: str, values) -> tuple[float, ...]:
    if not isinstance(values, (tuple, list)) or not values:
        raise ValueError(f"{argument} must be a non-empty tuple of numbers, got {describe(values)}")
    return tuple(check_number(argument, v, 0.0, inclusive=False) for v in values)


@dataclass(frozen=True)
class RivalConfig:
    """The candidates each rival tries, and how the validation split is carved."""

    validation_fraction: float = 0.2  # share of the training data used to choose
    seed: int = 0  # the validation split (and the PCA's randomized solver, if it uses one)
    logistic_c: tuple[float, ...] = (0.01, 0.1, 1.0)  # inverse L2 penalty of logistic regression
    max_iter: int = 200  # L-BFGS iterations of logistic regression (mnist5k needs about 100)
    neighbours: tuple[int, ...] = (1, 3, 5, 7)  # k of k-nearest neighbours
    svc_c: tuple[float, ...] = (1.0, 3.0, 10.0)  # the SVC's penalty
    gamma_scales: tuple[float, ...] = (1.0, 2.0)  # gamma as multiples of the "scale" value
    pca_components: int = 50  # components before the SVC (0: raw pixels)

    def __post_init__(self):
        check_number("validation_fraction", self.validation_fraction, 0.0, 1.0, inclusive=False)
        check_seed("seed", self.seed)
        object.__setattr__(self, "logistic_c", _positive_numbers("logistic_c", self.logistic_c))
        check_int("max_iter", self.max_iter)
        if not isinstance(self.neighbours, (tuple, list)) or not self.neighbours:
            raise ValueError(
                f"neighbours must be a non-empty tuple of integers, got {describe(self.neighbours)}"
            )
        object.__setattr__(
            self, "neighbours", tuple(check_int("neighbours", k) for k in self.neighbours)
        )
        object.__setattr__(self, "svc_c", _positive_numbers("svc_c", self.svc_c))
        object.__setattr__(
            self, "gamma_scales", _positive_numbers("gamma_scales", self.gamma_scales)
        )
        check_int("pca_components", self.pca_components, 0)


@dataclass(frozen=True)
class RivalResult:
    """A fitted rival: the model (refitted on all training data) and how it was chosen."""

    name: str
    model: object  # a fitted scikit-learn estimator or pipeline; takes flattened images
    params: dict  # the chosen hyperparameters, as the estimator takes them
    validation_accuracy: float  # of the chosen candidate, fitted on the training part only
    candidates: dict = field(repr=False)  # every candidate (a tuple of values): its accuracy
    test_accuracy: float | None = None  # on the test data, when given

    def predict(self, images) -> np.ndarray:
        """Class predictions for images (n, ...) of the kind the rival was trained on."""
        return self.model.predict(_flatten("images", images))


def _flatten(argument: str, images) -> np.ndarray:
    array = check_array(argument, images, min_length=1, dtype=np.float32)
    if array.ndim < 2:
        raise ValueError(
            f"{argument} must be images (n, height, width, channels) or rows (n, features), "
            f"got shape {array.shape}"
        )
    return array.reshape(len(array), -1)


def _labels(argument: str, labels, length: int) -> np.ndarray:
    array = check_array(argument, labels, ndim=1, dtype=None, finite=False)
    if len(array) != length or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{argument} must be {length} integer class labels, got {describe(array)}")
    return array


def _data(x_train, y_train, x_test, y_test):
    x_train = _flatten("x_train", x_train)
    y_train = _labels("y_train", y_train, len(x_train))
    if (x_test is None) != (y_test is None):
        raise ValueError(
            f"x_test and y_test must be given together, got x_test {describe(x_test)} "
            f"and y_test {describe(y_test)}"
        )
    if x_test is not None:
        x_test = _flatten("x_test", x_test)
        if x_test.shape[1] != x_train.shape[1]:
            raise ValueError(
                f"x_test must have {x_train.shape[1]} values per example like x_train, "
                f"got shape {x_test.shape}"
            )
        y_test = _labels("y_test", y_test, len(x_test))
    return x_train, y_train, x_test, y_test


def choose(name, make, grid, x_train, y_train, x_test=None, y_test=None, config=None):
    """Fit `make(*values)` for every tuple of values in `grid` on the training part, keep the
    best on validation (the first of equals, so order the grid from simplest), refit it on all
    the training data and score it on the test data. The shared machinery of the three rivals.
    """
    config = build_config(RivalConfig, config)
    x_train, y_train, x_test, y_test = _data(x_train, y_train, x_test, y_test)
    part = split_arrays(x_train, y_train, config.validation_fraction, config.seed)
    candidates = {}
    for values in grid(part.x_train):
        model = make(*values).fit(part.x_train, part.y_train)
        candidates[values] = float(np.mean(model.predict(part.x_test) == part.y_test))
    best = max(candidates, key=candidates.get)  # max keeps the first of equal values
    model = make(*best).fit(x_train, y_train)
    test = None if x_test is None else float(np.mean(model.predict(x_test) == y_test))
    params = model.get_params() if hasattr(model, "get_params") else {}
    return RivalResult(name, model, _chosen(name, params), candidates[best], candidates, test)


def _chosen(name: str, params: dict) -> dict:
    keys = {
        "logistic_regression": ("C",),
        "nearest_neighbours": ("n_neighbors",),
        "rbf_svc": ("svc__C", "svc__gamma", "pca__n_components"),
    }[name]
    return {key.split("__")[-1]: params[key] for key in keys if key in params}


def logistic_regression(x_train, y_train, x_test=None, y_test=None, config=None, **overrides):
    """Multinomial logistic regression on the raw pixels; C chosen from `config.logistic_c`."""
    from sklearn.linear_model import LogisticRegression

    config = build_config(RivalConfig, config, overrides)

    def make(c):
        return LogisticRegression(C=c, max_iter=config.max_iter)

    return choose(
        "logistic_regression",
        make,
        lambda _: [(c,) for c in config.logistic_c],
        x_train,
        y_train,
        x_test,
        y_test,
        config,
    )


def nearest_neighbours(x_train, y_train, x_test=None, y_test=None, config=None, **overrides):
    """k-nearest neighbours (Euclidean, majority vote) on the raw pixels; k chosen from
    `config.neighbours`."""
    from sklearn.neighbors import KNeighborsClassifier

    config = build_config(RivalConfig, config, overrides)
    return choose(
        "nearest_neighbours",
        lambda k: KNeighborsClassifier(n_neighbors=k),
        lambda _: [(k,) for k in config.neighbours],
        x_train,
        y_train,
        x_test,
        y_test,
        config,
    )


def scale_gamma(x: np.ndarray, components: int, seed: int = 0) -> float:
    """scikit-learn's gamma="scale", 1 / (features * variance), of `x` after `components`
    principal components (0: of `x` itself)."""
    from sklearn.decomposition import PCA

    if components:
        x = PCA(components, random_state=seed).fit_transform(x)
    return float(1.0 / (x.shape[1] * x.var()))


def rbf_svc(x_train, y_train, x_test=None, y_test=None, config=None, **overrides):
    """PCA, then an RBF support vector classifier; C and gamma chosen from `config.svc_c` and
    `config.gamma_scales` (multiples of `scale_gamma` on the training part)."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    config = build_config(RivalConfig, config, overrides)
    components = config.pca_components

    def make(c, gamma):
        steps = [("pca", PCA(components, random_state=config.seed))] if components else []
        return Pipeline(steps + [("svc", SVC(C=c, gamma=gamma))])

    def grid(x_part):
        if components > min(x_part.shape):
            raise ValueError(
                f"pca_components must be at most {min(x_part.shape)} (examples and features of "
                f"the training part), got {components}"
            )
        unit = scale_gamma(x_part, components, config.seed)
        return list(itertools.product(config.svc_c, [s * unit for s in config.gamma_scales]))

    return choose("rbf_svc", make, grid, x_train, y_train, x_test, y_test, config)


def compare(x_train, y_train, x_test, y_test, config=None, **overrides) -> dict[str, RivalResult]:
    """All three rivals on the same split, in the order of `RIVALS`."""
    config = build_config(RivalConfig, config, overrides)
    functions = (logistic_regression, nearest_neighbours, rbf_svc)
    return {f.__name__: f(x_train, y_train, x_test, y_test, config) for f in functions}


def best(results: dict[str, RivalResult]) -> RivalResult:
    """The rival with the best validation accuracy (the test split is not used to choose)."""
    if not results or not all(isinstance(r, RivalResult) for r in results.values()):
        raise ValueError(f"results must map names to RivalResult, got {describe(results)}")
    return max(results.values(), key=lambda r: r.validation_accuracy)
