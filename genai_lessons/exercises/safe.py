"""Running a learner's code safely, and reading what it returns.

A checker must survive anything an answer does: raise, loop forever, print, warn, change its
inputs, or return a tuple, a generator, a ragged list, a string or a tensor of any backend. This
module calls the learner's function under a time limit with its prints captured and its NumPy
warnings silenced, and turns its return value into a NumPy array, or into a sentence that says
why that is impossible.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import io
import math
import signal
import sys
import textwrap
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

TIME_LIMIT_S = 3.0
"""Default limit for one call of a learner's function, in seconds (a checker's own may differ)."""


class _TimeUp(BaseException):
    """Raised inside the learner's code when the time limit passes. A BaseException, so that the
    learner's own `except Exception:` cannot swallow it."""


@dataclass
class Call:
    """What happened when the learner's function was called once."""

    value: object = None
    error: BaseException | None = None
    error_line: str = ""  # the learner's source line that raised, when it can be found
    timed_out: bool = False
    printed: str = ""
    seconds: float = 0.0


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise `_TimeUp` in this thread once `seconds` have passed.

    SIGALRM where it exists and this is the main thread (a Jupyter kernel runs cells there);
    elsewhere a trace function that checks the clock on every line of Python code.
    """
    armed = [True]
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum, frame):
            if armed[0]:
                raise _TimeUp

        previous = signal.signal(signal.SIGALRM, on_alarm)
        pending, started = signal.getitimer(signal.ITIMER_REAL), time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)  # repeat, in case one is swallowed
        try:
            yield
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if pending[0] > 0:  # someone else's alarm (a test timeout, say) keeps its deadline
                left = pending[0] - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), pending[1])
    else:  # pragma: no cover - Windows, or a checker called from a thread
        end = time.monotonic() + seconds

        def tracer(frame, event, arg):
            if armed[0] and time.monotonic() > end:
                raise _TimeUp
            return tracer

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            yield
        finally:
            armed[0] = False
            sys.settrace(previous)


def _learner_line(error: BaseException) -> str:
    """The last line of the traceback that belongs to the learner (not NumPy, not us)."""
    try:
        frames = traceback.extract_tb(error.__traceback__)
    except Exception:
        return ""
    for frame in reversed(frames):
        name = frame.filename.replace("\\", "/")
        if "site-packages" in name or "/genai_lessons/" in name or "/lib/python" in name \
                or not (name.endswith(".py") or name.startswith("<")):
            continue
        return (frame.line or "").strip()
    return ""


def call(function: Callable, args: tuple, time_limit: float | None = None) -> Call:
    """Call `function(*args)` under a time limit, capturing prints and silencing warnings."""
    limit = TIME_LIMIT_S if time_limit is None else time_limit
    out = io.StringIO()
    result = Call()
    start = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(out))
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            stack.enter_context(np.errstate(all="ignore"))
            stack.enter_context(_deadline(limit))
            result.value = function(*args)
    except _TimeUp:
        result.timed_out = True
    except (Exception, SystemExit) as error:  # the learner's code may fail in any way
        result.error = error
        result.error_line = _learner_line(error)
        error.__traceback__ = None  # do not keep the learner's frames (and arrays) alive
    result.seconds = time.perf_counter() - start
    result.printed = out.getvalue()
    return result


def copies(args: tuple) -> tuple:
    """Deep copies of the arguments, so that the learner cannot change the checker's cases."""
    out = []
    for arg in args:
        try:
            out.append(copy.deepcopy(arg))
        except Exception:
            out.append(arg)
    return tuple(out)


def same(a, b) -> bool:
    """Whether two argument values are still identical (used to detect changed inputs)."""
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return isinstance(b, np.ndarray) and a.shape == b.shape and bool(
                np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return bool(a == b) or (a is b)
    except Exception:
        return True  # cannot tell: do not accuse the learner


def is_placeholder(function: Callable) -> bool:
    """True when the function's body is still a placeholder: only a docstring, comments,
    `pass`, `...` or `raise NotImplementedError`."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except Exception:
        return False
    definition = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))), None)
    if not isinstance(definition, ast.FunctionDef):
        return False
    for statement in definition.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring or `...`
        if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.dump(statement):
            continue
        return False
    return True


def positional_arity(function: Callable) -> tuple[int, int] | None:
    """(fewest, most) positional arguments the function accepts; most is -1 for *args."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return sum(p.default is p.empty for p in positional), -1
    return sum(p.default is p.empty for p in positional), len(positional)


# --------------------------------------------------------------------------- reading answers


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
    if isinstance(value, (np.ndarray, np.generic, int, float, complex, bool, str, bytes, list,
                          tuple, dict)):
        return None
    for attempt in (lambda v: v.detach().cpu().numpy(),  # PyTorch (also when it needs grad)
                    lambda v: v.numpy(),  # TensorFlow, Keras variables
                    lambda v: np.asarray(v) if hasattr(v, "__array__") else None):  # JAX and others
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
        return None, (f"{what} is the text {text!r} (a string), not a number: drop the quotes "
                      "so that Python sees a number.")
    if isinstance(value, (types.GeneratorType, Iterator)) and not isinstance(value, np.ndarray):
        return None, (f"{what} is a generator (or iterator), which computes nothing until it is "
                      "consumed: wrap it in np.array(list(...)) or use a list comprehension [...].")
    if isinstance(value, (dict, set, frozenset)):
        return None, f"{what} is {kind(value)}; the exercise expects numbers (an array or a number)."
    if callable(value) and not hasattr(value, "__array__"):
        return None, (f"{what} is a function, not a value: call it and return (or pass) its "
                      "result.")
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
            return None, (f"{what} is a ragged structure: its rows have different lengths ({shown}), "
                          "so it is not an array.")
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
                isinstance(value, tuple) and has_non_scalar_item(value)):
            array, problem = to_array(value)
            if array is not None and np.asarray(value).dtype.kind in "iub":
                array = np.asarray(value)
            if array is not None:
                if array.ndim == 0:
                    return _number(float(array), digits)
                text = np.array2string(array, precision=digits, suppress_small=True, threshold=12,
                                       edgeitems=2, max_line_width=10_000, separator=", ")
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
