"""Argument checks shared by the package's builders, configs and loaders, so that every bad
argument gets the same clear error: which argument, what it must be, and the value received.

Each check returns the value in the form the caller should use (an `int`, a `float`, a NumPy
array of a known dtype), so a function's head reads as a list of its arguments' contracts:

    count = check_int("count", count)
    rate = check_number("learning_rate", rate, minimum=0, inclusive=False)
    images = check_images("images", images, shape=(8, 8, 1), value_range="unit")

Why not rely on NumPy's or Keras's own errors: NaN passes every range comparison (`nan < 0`
and `nan > 1` are both False), a label of -1 silently indexes the last class, a float id is
silently truncated, and the errors that do come name arguments of some inner function.

A wrong *type* raises `ArgumentTypeError`, which is both a `TypeError` and a `ValueError`,
so that code catching either (or older tests expecting a ValueError) keeps working.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Collection

import numpy as np

VALUE_RANGES = {"unit": (0.0, 1.0), "symmetric": (-1.0, 1.0)}
"""Documented value ranges of image arrays: [0, 1] ("unit") and [-1, 1] ("symmetric")."""


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a TypeError that is also a ValueError)."""


def describe(value) -> str:
    """A short description of a received value for an error message (arrays by shape and dtype)."""
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- scalars


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(argument: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """Return `value` as an int; raise ValueError unless it is an integer in [minimum, maximum].

    Booleans are refused even though Python counts them as integers, and so are floats with
    an integer value (3.0): a float where a count is expected is usually a mistake.
    """
    bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if not _is_int(value):
        raise ArgumentTypeError(f"{argument} must be an integer {bound}, got {describe(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{argument} must be an integer {bound}, got {describe(value)}")
    return int(value)


def check_seed(argument: str, value, allow_none: bool = False) -> int | None:
    """Return a seed: a non-negative integer (or None when `allow_none`)."""
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < 0:
        kind = ArgumentTypeError if not _is_int(value) else ValueError
        extra = " or None" if allow_none else ""
        raise kind(f"{argument} must be a non-negative integer{extra}, got {describe(value)}")
    return int(value)


def check_number(
    argument: str,
    value,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    inclusive: bool | tuple[bool, bool] = True,
) -> float:
    """Return `value` as a finite float; raise unless it is a real number inside the bounds.

    Args:
        argument: the argument's name, for the message.
        value: the value received; NaN and infinities are refused, and so are booleans.
        minimum, maximum: optional bounds.
        inclusive: whether the bounds are allowed values: one bool for both, or a pair
            (lower, upper), e.g. `(True, False)` for [minimum, maximum).
    """
    low_in, high_in = (inclusive, inclusive) if isinstance(inclusive, bool) else inclusive
    parts = []
    if minimum is not None and maximum is not None:
        parts.append(
            f"in {'[' if low_in else '('}{minimum:g}, {maximum:g}{']' if high_in else ')'}"
        )
    elif minimum is not None:
        parts.append(f"{'>=' if low_in else '>'} {minimum:g}")
    elif maximum is not None:
        parts.append(f"{'<=' if high_in else '<'} {maximum:g}")
    wanted = f"{argument} must be a finite number{' ' + parts[0] if parts else ''}, got {describe(value)}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(wanted)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(wanted)
    if minimum is not None and (number < minimum or (not low_in and number == minimum)):
        raise ValueError(wanted)
    if maximum is not None and (number > maximum or (not high_in and number == maximum)):
        raise ValueError(wanted)
    return number


def check_bool(argument: str, value) -> bool:
    """Return `value`; raise unless it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{argument} must be True or False, got {describe(value)}")
    return bool(value)


def check_choice(argument: str, value, choices: Collection):
    """Return `value`; raise ValueError unless it is one of `choices`."""
    try:
        known = value in choices
    except TypeError:  # an unhashable value cannot be in a set or dict of choices
        known = False
    if not known:
        raise ValueError(
            f"{argument} must be one of {', '.join(map(str, choices))}; got {describe(value)}"
        )
    return value


def check_type(argument: str, value, types, what: str | None = None):
    """Return `value`; raise ArgumentTypeError unless it is an instance of `types`.

    Args:
        what: how to name the expected type in the message (default: the class names).
    """
    if not isinstance(value, types):
        names = what or " or ".join(
            t.__name__ for t in (types if isinstance(types, tuple) else (types,))
        )
        raise ArgumentTypeError(
            f"{argument} must be a {names}, got {type(value).__name__} {describe(value)}"
        )
    return value


def check_name(argument: str, value) -> str:
    """Return `value`; raise unless it is a non-empty string without slashes (a file or layer name)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{argument} must be a non-empty string, got {describe(value)}")
    if not value.strip() or "/" in value or "\\" in value:
        raise ValueError(f"{argument} must be a non-empty name without slashes, got {value!r}")
    return value


# --------------------------------------------------------------------------- arrays


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


# --------------------------------------------------------------------------- configs


def build_config(cls, config=None, overrides: dict | None = None, argument: str = "config"):
    """The one way builders turn `(config=None, **overrides)` into a validated config.

    `config` defaults to `cls()`; `overrides` name fields of `cls` to replace (lists become
    tuples, so that `filters=[8, 16]` works). The result is validated by `cls.__post_init__`.

    Raises:
        TypeError: `config` is not a `cls`, or an override names no field of it.
    """
    overrides = dict(overrides or {})
    fields = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ArgumentTypeError(
            f"{cls.__name__} has no field {', '.join(unknown)} (choose from "
            f"{', '.join(sorted(fields))}); got {describe(overrides)}"
        )
    overrides = {
        key: tuple(value) if isinstance(value, list) else value for key, value in overrides.items()
    }
    if config is None:
        return cls(**overrides)
    check_type(argument, config, cls)
    return dataclasses.replace(config, **overrides) if overrides else config
