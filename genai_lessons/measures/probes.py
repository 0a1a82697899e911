"""Reading out what a layer knows: linear probes, receptive fields and top-activating patches.

A *linear probe* fits a linear read-out (here ridge regression, solved in closed form) from a
layer's activations to some ground truth, on training images, and scores it on held-out
images. Whatever a linear read-out recovers, the layer makes explicit; comparing a trained
network with the same network untrained separates what training built from what random
filters already give.

    pooled_train = probes.pool(feature_map_train)           # (batch, 2 * channels)
    score = probes.probe_classes(pooled_train, y_train, pooled_test, y_test)
"""

from __future__ import annotations

import numpy as np

from genai_lessons.core.validation import check_int

RIDGE = 1.0
"""Ridge penalty of the probes, relative to the number of training rows (features standardized)."""


def pool(features: np.ndarray) -> np.ndarray:
    """Summarise each channel of a feature map over positions by its mean and its maximum.

    Args:
        features: (batch, height, width, channels) maps, or (batch, units) which pass through.

    Returns:
        (batch, 2 * channels) float64, or (batch, units) for a dense layer's output.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 2:
        return features
    if features.ndim != 4:
        raise ValueError(
            f"features must be (batch, height, width, channels) or (batch, units), "
            f"got shape {features.shape}"
        )
    return np.concatenate([features.mean(axis=(1, 2)), features.max(axis=(1, 2))], axis=1)


def _ridge(x_train, targets, x_test, penalty: float = RIDGE) -> np.ndarray:
    """Fit ridge regression of `targets` on standardized `x_train`; predict for `x_test`."""
    x_train, x_test = np.asarray(x_train, np.float64), np.asarray(x_test, np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(
            f"features must be (rows, features) with the same width, got "
            f"{x_train.shape} and {x_test.shape}"
        )
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0)
    scale[scale == 0] = 1.0  # a unit that never changes carries nothing; keep it at zero
    a, b = (x_train - mean) / scale, (x_test - mean) / scale
    target_mean = targets.mean(axis=0)
    gram = a.T @ a + penalty * len(a) * np.eye(a.shape[1])
    weights = np.linalg.solve(gram, a.T @ (targets - target_mean))
    return b @ weights + target_mean


def probe_classes(x_train, y_train, x_test, y_test, penalty: float = RIDGE) -> float:
    """Balanced accuracy of a linear read-out of class labels (chance: 1 / classes).

    Args:
        x_train, x_test: (rows, features) activations.
        y_train, y_test: (rows,) integer labels.

    Returns:
        The mean over classes of the share of held-out rows of that class read out correctly.
    """
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    classes = np.unique(y_train)
    scores = _ridge(x_train, (y_train[:, None] == classes).astype(np.float64), x_test, penalty)
    predicted = classes[scores.argmax(axis=1)]
    return float(np.mean([np.mean(predicted[y_test == c] == c) for c in np.unique(y_test)]))


def probe_presence(x_train, present_train, x_test, present_test, penalty: float = RIDGE) -> float:
    """Mean, over columns, of the ROC AUC of a linear read-out of binary presence labels.

    AUC is the probability that a random image with the part scores higher than a random one
    without it: 0.5 is chance, 1.0 a perfect read-out, whatever share of images has the part.

    Args:
        x_train, x_test: (rows, features) activations.
        present_train, present_test: (rows, labels) 0/1 presence of each label.
    """
    from sklearn.metrics import roc_auc_score

    present_train, present_test = np.asarray(present_train), np.asarray(present_test)
    scores = _ridge(x_train, present_train.astype(np.float64), x_test, penalty)
    aucs = [
        roc_auc_score(present_test[:, j], scores[:, j])
        for j in range(present_test.shape[1])
        if 0 < present_test[:, j].sum() < len(present_test)
    ]
    if not aucs:
        raise ValueError("every column of present_test is constant: AUC is undefined")
    return float(np.mean(aucs))


def sample_pixels(orientation: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Pick `per_class` stroke pixels of each orientation bin, at random.

    Args:
        orientation: (batch, height, width) bins, -1 where there is no stroke.

    Returns:
        (rows, 4) int array of (image, row, column, bin), as balanced over the bins as the
        data allow.
    """
    check_int("per_class", per_class)
    rng = np.random.default_rng(seed)
    picks = []
    for value in np.unique(orientation[orientation >= 0]):
        where = np.argwhere(orientation == value)
        chosen = rng.choice(len(where), size=min(per_class, len(where)), replace=False)
        picks.append(np.column_stack([where[chosen], np.full(len(chosen), value)]))
    return np.concatenate(picks)


def features_at(features: np.ndarray, pixels: np.ndarray, image_size: int) -> np.ndarray:
    """A feature map's channels at the position that covers each pixel.

    Args:
        features: (batch, height, width, channels) of the images the pixels index.
        pixels: (rows, >= 3) (image, row, column, ...) as from `sample_pixels`.
        image_size: the input images' height (= width), e.g. 32.

    Returns:
        (rows, channels).
    """
    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must be (batch, height, width, channels), got {features.shape}")
    stride = image_size // features.shape[1]
    return features[pixels[:, 0], pixels[:, 1] // stride, pixels[:, 2] // stride]


def top_patches(
    images: np.ndarray, unit_map: np.ndarray, field: int, jump: int, first: float, top: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """The input patches that excite one unit most, one per image, cropped to what it sees.

    Args:
        images: (batch, size, size, 1) inputs.
        unit_map: (batch, height, width) one channel's activations for those images.
        field, jump, first: the layer's receptive field side, the input pixels between
            neighbouring positions, and the input coordinate of position 0's centre (as from
            `genai_lessons.models.cnn.receptive_fields`).
        top: how many images.

    Returns:
        Patches (top, field, field) zero-padded outside the image, and their activations (top,).
    """
    unit_map = np.asarray(unit_map)
    best = unit_map.reshape(len(unit_map), -1)
    strongest = best.max(axis=1)
    chosen = np.argsort(-strongest, kind="stable")[:top]
    padded = np.pad(images[..., 0], ((0, 0), (field, field), (field, field)))
    patches = []
    for index in chosen:
        row, column = np.unravel_index(best[index].argmax(), unit_map.shape[1:])
        # the patch centred on the position's field centre, shifted by the padding
        top_left = [
            int(np.floor(first + p * jump - (field - 1) / 2)) + field for p in (row, column)
        ]
        patches.append(
            padded[index, top_left[0] : top_left[0] + field, top_left[1] : top_left[1] + field]
        )
    return np.stack(patches), strongest[chosen]
