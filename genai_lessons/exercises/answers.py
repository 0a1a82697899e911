"""Reading what a learner's code returns: any value becomes a float64 NumPy array, or a sentence
that says why it cannot (a string, a generator, a ragged list, a dict...). Tensors of any
backend (TensorFlow, PyTorch, JAX, Keras variables) are read through their own conversions.
Also short, rounded texts of values for the feedback.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterator

import numpy as np


def kind(value) -> str:
    """A short, learner-facing name for the type of a value."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, types.GeneratorType):
        return "a generator"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return "a dict"
    if callable(value):
        return "a function"
    return f"a {type(value).__name__}"


def _tensor_to_numpy(value):
    """NumPy values of a TensorFlow, PyTorch or JAX tensor, or of a Keras variable; else None."""
    if isinstance(
        value, (np.ndarray, np.generic, int, float, complex, bool, str, bytes, list, tuple, dict)
    ):
        return None
    for attempt in (
        lambda v: v.detach().cpu().numpy(),  # PyTorch (also when it needs grad)
        lambda v: v.numpy(),  # TensorFlow, Keras variables
        lambda v: np.asarray(v) if hasattr(v, "__array__") else None,
    ):  # JAX and others
        try:
            converted = attempt(value)
        except Exception:
            continue
        if isinstance(converted, (np.ndarray, np.generic)):
            return np.asarray(converted)
    return None


def has_non_scalar_item(value) -> bool:
    """True for a tuple holding anything but plain numbers (arrays, None, text...): not an array."""
    for item in _safe_items(value):
        if isinstance(item, (int, float, np.integer, np.floating)) and not isinstance(item, bool):
            continue
        if isinstance(item, np.ndarray) and item.ndim == 0:
            continue
        return True
    return False


def _safe_items(value):
    try:
        return list(value)
    except Exception:
        return []


def _ragged_lengths(value) -> list | None:
    """Lengths of the rows when `value` is a list/tuple of sequences of unequal lengths."""
    rows = _safe_items(value)
    lengths = []
    for row in rows:
        if isinstance(row, (list, tuple, np.ndarray)):
            lengths.append(len(row))
        else:
            lengths.append(None)
    known = {n for n in lengths if n is not None}
    if len(known) > 1 or (known and None in lengths):
        return lengths
    for row in rows:
        if isinstance(row, (list, tuple)):
            inner = _ragged_lengths(row)
            if inner:
                return inner
    return None


def to_array(value, *, what: str = "your answer") -> tuple[np.ndarray | None, str]:
    """Convert an answer to a float64 array; on failure return (None, a sentence why)."""
    if value is None:
        return None, f"{what} is None: is a `return` missing?"
    if isinstance(value, (str, bytes)):
        text = value if len(value) <= 20 else value[:17] + "..."
        return None, (
            f"{what} is the text {text!r} (a string), not a number: drop the quotes "
            "so that Python sees a number."
        )
    if isinstance(value, (types.GeneratorType, Iterator)) and not isinstance(value, np.ndarray):
        return None, (
            f"{what} is a generator (or iterator), which computes nothing until it is "
            "consumed: wrap it in np.array(list(...)) or use a list comprehension [...]."
        )
    if isinstance(value, (dict, set, frozenset)):
        return (
            None,
            f"{what} is {kind(value)}; the exercise expects numbers (an array or a number).",
        )
    if callable(value) and not hasattr(value, "__array__"):
        return None, (
            f"{what} is a function, not a value: call it and return (or pass) its result."
        )
    tensor = _tensor_to_numpy(value)
    if tensor is not None:
        value = tensor
    elif isinstance(value, (list, tuple)):
        converted = []
        for item in _safe_items(value):
            item_tensor = _tensor_to_numpy(item)
            converted.append(item_tensor if item_tensor is not None else item)
        lengths = _ragged_lengths(converted)
        if lengths:
            shown = ", ".join("?" if n is None else str(n) for n in lengths[:8])
            return None, (
                f"{what} is a ragged structure: its rows have different lengths ({shown}), "
                "so it is not an array."
            )
        value = converted
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(value)
    except Exception:
        return None, f"{what} ({kind(value)}) cannot be read as an array of numbers."
    if array.dtype.kind == "c":
        return None, f"{what} holds complex numbers; the exercise expects real ones."
    if array.dtype.kind in "OUSV":
        return None, f"{what} ({kind(value)}) does not hold plain numbers (it holds {array.dtype})."
    try:
        return array.astype(np.float64), ""
    except Exception:
        return None, f"{what} ({kind(value)}) cannot be read as numbers."


def short(value, digits: int = 3, width: int = 70) -> str:
    """A short, rounded text for an input or output value (never raises)."""
    try:
        if isinstance(value, (np.ndarray, list, tuple)) and not (
            isinstance(value, tuple) and has_non_scalar_item(value)
        ):
            array, problem = to_array(value)
            if array is not None and np.asarray(value).dtype.kind in "iub":
                array = np.asarray(value)
            if array is not None:
                if array.ndim == 0:
                    return _number(float(array), digits)
                text = np.array2string(
                    array,
                    precision=digits,
                    suppress_small=True,
                    threshold=12,
                    edgeitems=2,
                    max_line_width=10_000,
                    separator=", ",
                )
                text = " ".join(text.split())
                return text if len(text) <= width else text[: width - 3] + "..."
        if isinstance(value, tuple):
            return "(" + ", ".join(short(v, digits, width // 2) for v in value) + ")"
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            return _number(float(value), digits)
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _number(x: float, digits: int) -> str:
    if math.isnan(x) or math.isinf(x) or x == 0:
        return str(x)
    if x == int(x) and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.{digits}g}" if abs(x) < 1e-3 or abs(x) >= 1e5 else f"{x:.{digits + 1}g}"
