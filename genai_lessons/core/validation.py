"""Argument checks shared by the package's builders, configs and loaders, so that every bad
argument gets the same clear error: which argument, what it must be, and the value received.

This module checks scalars (counts, numbers, seeds, choices, types, names) and builds configs;
`array_checks` checks arrays (images, labels, token ids). Each check returns the value in the
form the caller should use (an `int`, a `float`, a config), so a function's head reads as a list
of its arguments' contracts:

    count = check_int("count", count)
    rate = check_number("learning_rate", rate, minimum=0, inclusive=False)

Why not rely on Python's, NumPy's or Keras's own errors: NaN passes every range comparison
(`nan < 0` and `nan > 1` are both False), `True` counts as the integer 1, and the errors that do
come name arguments of some inner function.

A wrong *type* raises `ArgumentTypeError`, which is both a `TypeError` and a `ValueError`,
so that code catching either (or older tests expecting a ValueError) keeps working.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Collection

import numpy as np


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
