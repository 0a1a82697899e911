"""Reading out what a layer knows: linear probes, receptive fields and top-activating patches.

A *linear probe* fits a linear read-out (here ridge regression, solved in closed form, its
penalty chosen on a validation split of the training rows) from a layer's activations to some
ground truth, on training images, and scores it on held-out images. Whatever a linear
read-out recovers, the layer makes explicit; comparing a trained network with the same network
untrained, and with the raw input (`patches_at`), separates what training built from what random
filters, or the pixels themselves, already give.

    pooled_train = probes.pool(feature_map_train)           # (batch, 2 * channels)
    score = probes.probe_classes(pooled_train, y_train, pooled_test, y_test)
"""

from __future__ import annotations

import numpy as np

from genai_lessons.core.validation import check_int

PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
"""Ridge penalties a probe chooses from, relative to the number of training rows (features
standardized): the choice is made on a validation split of the training rows, never fixed,
because a fixed penalty can flatter one layer and handicap another."""

VALIDATION_SHARE = 0.25
"""Share of a probe's training rows held out to choose its penalty."""


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


def ridge_predictions(x_train, targets, x_test, penalties) -> np.ndarray:
    """Ridge regression of `targets` on standardized `x_train`, predicted for `x_test`.

    One eigendecomposition serves every penalty: with a^T a = V diag(e) V^T, the weights for
    penalty p are V diag(1 / (e + p * rows)) V^T a^T (targets - mean).

    Args:
        x_train, x_test: (rows, features); targets: (rows, outputs).
        penalties: penalties relative to the number of training rows.

    Returns:
        (penalties, test rows, outputs) predictions.
    """
    x_train, x_test = np.asarray(x_train, np.float64), np.asarray(x_test, np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(
            f"features must be (rows, features) with the same width, got "
            f"{x_train.shape} and {x_test.shape}"
        )
    penalties = np.atleast_1d(np.asarray(penalties, np.float64))
    if penalties.ndim != 1 or not np.all(np.isfinite(penalties)) or np.any(penalties <= 0):
        raise ValueError(f"penalties must be positive finite numbers, got {penalties.tolist()}")
    targets = np.asarray(targets, np.float64)
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0)
    scale[scale == 0] = 1.0  # a unit that never changes carries nothing; keep it at zero
    a, b = (x_train - mean) / scale, (x_test - mean) / scale
    target_mean = targets.mean(axis=0)
    eigenvalues, basis = np.linalg.eigh(a.T @ a)
    eigenvalues = np.clip(eigenvalues, 0.0, None)  # round-off can leave tiny negatives
    projected = basis.T @ (a.T @ (targets - target_mean))  # (features, outputs)
    shrink = 1.0 / (eigenvalues + penalties[:, None] * len(a))  # (penalties, features)
    test_basis = b @ basis  # (test rows, features)
    return np.einsum("tr,pr,ro->pto", test_basis, shrink, projected, optimize=True) + target_mean


def _balanced_accuracy(scores, y, classes) -> float:
    predicted = classes[scores.argmax(axis=1)]
    return float(np.mean([np.mean(predicted[y == c] == c) for c in np.unique(y)]))


def _mean_auc(scores, present) -> float:
    from sklearn.metrics import roc_auc_score

    aucs = [
        roc_auc_score(present[:, j], scores[:, j])
        for j in range(present.shape[1])
        if 0 < present[:, j].sum() < len(present)
    ]
    if not aucs:
        raise ValueError("every column of the held-out labels is constant: AUC is undefined")
    return float(np.mean(aucs))


def choose_penalty(x_train, targets, score, penalties=PENALTIES, seed: int = 0) -> float:
    """The penalty whose probe scores best on a validation split of the training rows.

    Args:
        x_train: (rows, features); targets: (rows, outputs) what the probe regresses on.
        score: `score(predictions, rows)` -> float, higher is better, for the predictions on
            the validation rows (given by index into x_train).
        penalties: candidates, relative to the number of rows.
        seed: which rows are held out (`VALIDATION_SHARE` of them).

    Returns:
        The best penalty (ties go to the larger one: the simpler read-out).
    """
    rows = len(x_train)
    held = max(1, int(round(VALIDATION_SHARE * rows)))
    if rows - held < 2:
        raise ValueError(f"x_train must have at least 3 rows to choose a penalty, got {rows}")
    order = np.random.default_rng(seed).permutation(rows)
    validation, fit = order[:held], order[held:]
    x_train, targets = np.asarray(x_train, np.float64), np.asarray(targets, np.float64)
    predictions = ridge_predictions(x_train[fit], targets[fit], x_train[validation], penalties)
    scores = [score(p, validation) for p in predictions]
    ranked = sorted(zip(scores, penalties), key=lambda pair: (pair[0], pair[1]))
    return float(ranked[-1][1])


def probe_classes(x_train, y_train, x_test, y_test, penalty: float | None = None) -> float:
    """Balanced accuracy of a linear read-out of class labels (chance: 1 / classes).

    Args:
        x_train, x_test: (rows, features) activations.
        y_train, y_test: (rows,) integer labels.
        penalty: the ridge penalty (relative to the rows); None chooses it from `PENALTIES` on
            a validation split of the training rows (`choose_penalty`).

    Returns:
        The mean over classes of the share of held-out rows of that class read out correctly.
    """
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    classes = np.unique(y_train)
    targets = (y_train[:, None] == classes).astype(np.float64)
    if penalty is None:
        penalty = choose_penalty(
            x_train,
            targets,
            lambda scores, rows: _balanced_accuracy(scores, y_train[rows], classes),
        )
    scores = ridge_predictions(x_train, targets, x_test, [penalty])[0]
    return _balanced_accuracy(scores, y_test, classes)


def probe_presence(
    x_train, present_train, x_test, present_test, penalty: float | None = None
) -> float:
    """Mean, over columns, of the ROC AUC of a linear read-out of binary presence labels.

    AUC is the probability that a random image with the part scores higher than a random one
    without it: 0.5 is chance, 1.0 a perfect read-out, whatever share of images has the part.

    Args:
        x_train, x_test: (rows, features) activations.
        present_train, present_test: (rows, labels) 0/1 presence of each label.
        penalty: as for `probe_classes`; None chooses it on a validation split.
    """
    present_train, present_test = np.asarray(present_train), np.asarray(present_test)
    targets = present_train.astype(np.float64)
    if penalty is None:
        penalty = choose_penalty(
            x_train, targets, lambda scores, rows: _mean_auc(scores, present_train[rows])
        )
    scores = ridge_predictions(x_train, targets, x_test, [penalty])[0]
    return _mean_auc(scores, present_test)


def patches_at(images: np.ndarray, pixels: np.ndarray, size: int) -> np.ndarray:
    """The raw input patch of side `size` centred on each pixel (zeros outside the image).

    The "layer 0" read-out: what a linear probe gets from the pixels themselves.

    Args:
        images: (batch, height, width, 1) or (batch, height, width).
        pixels: (rows, >= 3) (image, row, column, ...) as from `sample_pixels`.
        size: odd side of the patch, e.g. 3.

    Returns:
        (rows, size * size) float64.
    """
    check_int("size", size)
    if size % 2 == 0:
        raise ValueError(f"size must be odd (a patch centred on the pixel), got {size}")
    images = np.asarray(images, np.float64)
    if images.ndim == 4:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (batch, height, width[, 1]), got {images.shape}")
    half = size // 2
    padded = np.pad(images, ((0, 0), (half, half), (half, half)))
    offsets = np.arange(size)
    rows = pixels[:, 1, None, None] + offsets[None, :, None]
    columns = pixels[:, 2, None, None] + offsets[None, None, :]
    return padded[pixels[:, 0, None, None], rows, columns].reshape(len(pixels), size * size)


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
