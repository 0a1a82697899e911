"""Checks of array arguments (images, class labels, token ids, any numeric array), with the same
clear errors as `validation`: which argument, what it must be, and the value received.

Each check returns a NumPy array of a known dtype, so a function's head reads as a list of its
arguments' contracts:

    images = check_images("images", images, shape=(8, 8, 1), value_range="unit")
    labels = check_labels("labels", labels, classes=10, batch=len(images))

Why not rely on NumPy's or Keras's own errors: NaN passes every range comparison, a label of -1
silently indexes the last class, and a float token id is silently truncated.
"""

from __future__ import annotations

import numbers

import numpy as np

from genai_lessons.core.validation import ArgumentTypeError, describe

VALUE_RANGES = {"unit": (0.0, 1.0), "symmetric": (-1.0, 1.0)}
"""Documented value ranges of image arrays: [0, 1] ("unit") and [-1, 1] ("symmetric")."""


def _as_array(argument: str, value) -> np.ndarray:
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise ArgumentTypeError(f"{argument} must be an array of numbers, got {describe(value)}")
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        raise ValueError(
            f"{argument} must be a rectangular array of numbers, got {describe(value)}"
        ) from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ArgumentTypeError(f"{argument} must be an array of numbers, got {describe(value)}")
    return array


def check_array(
    argument: str,
    value,
    ndim: int | None = None,
    *,
    min_length: int = 1,
    dtype="float64",
    finite: bool = True,
) -> np.ndarray:
    """Return `value` as a NumPy array of `dtype` (None: keep its own); raise unless it has
    `ndim` dimensions, at least `min_length` rows and (when `finite`) no NaN or infinity."""
    array = _as_array(argument, value)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{argument} must have {ndim} dimension{'s' * (ndim != 1)}, got shape {array.shape}"
        )
    if array.ndim and len(array) < min_length:
        raise ValueError(
            f"{argument} must hold at least {min_length} row{'s' * (min_length != 1)}, "
            f"got shape {array.shape}"
        )
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(
            f"{argument} must contain only finite numbers, got "
            f"{int(np.sum(~np.isfinite(array)))} NaN or infinite values"
        )
    return array


def check_ids(
    argument: str,
    value,
    vocab_size: int | None = None,
    *,
    ndim: int | None = 1,
    min_length: int = 1,
) -> np.ndarray:
    """Return token ids as an int64 array; raise unless they are integers in [0, vocab_size),
    in an array of `ndim` dimensions (None: any) whose last axis holds >= `min_length` ids.

    Float arrays are refused, even with integer values: NumPy would silently truncate 1.7 to 1
    and turn NaN into a huge negative number.
    """
    array = _as_array(argument, value)
    if array.size == 0 and array.dtype == np.float64:  # `np.asarray([])` is float64
        array = array.astype(np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise ArgumentTypeError(
            f"{argument} must be integer token ids, got dtype {array.dtype}: {describe(value)}"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{argument} must have {ndim} dimension{'s' * (ndim != 1)}, got shape {array.shape}"
        )
    if array.ndim and array.shape[-1] < min_length:
        raise ValueError(
            f"{argument} must hold at least {min_length} id{'s' * (min_length != 1)}, "
            f"got shape {array.shape}"
        )
    if array.size and (array.min() < 0 or (vocab_size is not None and array.max() >= vocab_size)):
        upper = f"{vocab_size - 1}" if vocab_size is not None else "..."
        raise ValueError(
            f"{argument} must lie in [0, {upper}], got ids from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64, copy=False)


def check_labels(argument: str, value, classes: int, batch: int | None = None) -> np.ndarray:
    """Return class labels as a 1D int64 array; raise unless they are integers in
    [0, classes) and (when `batch` is given) there is one per example.

    Shape (batch,) or (batch, 1). Floats with integer values (1.0) are accepted, as
    scikit-learn and Keras accept them; 0.5, NaN and -1 are not.
    """
    array = _as_array(argument, value)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{argument} must have shape (batch,), got shape {array.shape}")
    if batch is not None and len(array) != batch:
        raise ValueError(f"{argument} must hold one label per example ({batch}), got {len(array)}")
    if len(array) == 0:
        raise ValueError(f"{argument} must not be empty, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{argument} must be integer class indices, got {describe(value)}")
    if array.min() < 0 or array.max() >= classes:
        raise ValueError(
            f"{argument} must lie in [0, {classes - 1}], "
            f"got labels from {array.min():g} to {array.max():g}"
        )
    return array.astype(np.int64)


def check_images(
    argument: str,
    value,
    shape: tuple | None = None,
    value_range: str | tuple[float, float] | None = "unit",
) -> np.ndarray:
    """Return images as a float32 array (batch, height, width, channels); raise unless the
    batch is non-empty, finite, of the given (height, width, channels) and in `value_range`.

    Args:
        shape: the expected (height, width, channels); None in a place accepts any size.
        value_range: "unit" for [0, 1], "symmetric" for [-1, 1], a (low, high) pair, or None.
    """
    array = _as_array(argument, value).astype(np.float32, copy=False)
    if array.ndim != 4:
        raise ValueError(
            f"{argument} must have shape (batch, height, width, channels), got shape {array.shape}"
        )
    if len(array) == 0:
        raise ValueError(f"{argument} must hold at least one image, got shape {array.shape}")
    if shape is not None and any(
        want is not None and want != got for want, got in zip(shape, array.shape[1:])
    ):
        wanted = ", ".join("any" if s is None else str(s) for s in shape)
        raise ValueError(
            f"{argument} must have image shape ({wanted}), i.e. (batch, {wanted}); "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{argument} must contain only finite values, got "
            f"{int(np.sum(~np.isfinite(array)))} NaN or infinite pixels"
        )
    if value_range is not None:
        low, high = VALUE_RANGES[value_range] if isinstance(value_range, str) else value_range
        if array.min() < low or array.max() > high:
            raise ValueError(
                f"{argument} must have values in [{low:g}, {high:g}], "
                f"got values from {array.min():.4g} to {array.max():.4g}"
            )
    return array


def check_concrete(argument: str, value, value_range: tuple[float, float] | None = None):
    """For maths that also runs on backend tensors inside a traced graph (losses, attention):
    when `value` is concrete NumPy data (an array, list or number), raise on NaN and on values
    outside `value_range`; anything else (a Keras or backend tensor) passes unchecked.

    Returns `value` unchanged, so the maths sees exactly what it was given.
    """
    if isinstance(value, (np.ndarray, np.generic, list, tuple, numbers.Number)):
        array = _as_array(argument, value)
        if array.dtype.kind in "fc" and np.isnan(array).any():
            raise ValueError(
                f"{argument} must not contain NaN, got {int(np.isnan(array).sum())} NaN values"
            )
        if (
            value_range is not None
            and array.size
            and (array.min() < value_range[0] or array.max() > value_range[1])
        ):
            raise ValueError(
                f"{argument} must lie in [{value_range[0]:g}, {value_range[1]:g}], "
                f"got values from {array.min():.4g} to {array.max():.4g}"
            )
    return value
