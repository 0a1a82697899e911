"""Argument checks shared by the package's builders and loaders, so that every bad argument
gets the same clear error: which argument, what it must be, and the value received."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np


def check_int(argument: str, value, minimum: int = 1) -> int:
    """Return `value` as an int; raise ValueError unless it is an integer >= `minimum`.

    Booleans are refused even though Python counts them as integers.
    """
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_choice(argument: str, value, choices: Collection):
    """Return `value`; raise ValueError unless it is one of `choices`."""
    if value not in choices:
        raise ValueError(f"{argument} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value
