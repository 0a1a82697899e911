"""Running a learner's code safely, and reading what it returns.

A checker must survive anything an answer does: raise, loop forever, print, warn or change its
inputs. This module calls the learner's function under a time limit, with its prints captured
and its warnings silenced, on copies of the inputs; `answers` reads what it returned.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import io
import signal
import sys
import textwrap
import threading
import time
import traceback
import warnings
from collections.abc import Callable
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
    unfinished: str = (
        ""  # a helper the function called that is still a stub (raised NotImplementedError)
    )


_PRINT_LOGS: list[list[str]] = []


@contextlib.contextmanager
def collect_prints():
    """Collect what the learner's code prints in every `call` inside the block (a list of texts),
    so that a lesson can show it with the verdict."""
    log: list[str] = []
    _PRINT_LOGS.append(log)
    try:
        yield log
    finally:
        _PRINT_LOGS.remove(log)


def _in_finalizer(frame) -> bool:
    """True inside a `__del__` or a weakref callback: an exception raised there cannot reach the
    learner's call (Python prints it as "ignored" and goes on), so the alarm waits for its next
    repeat, a moment later."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_filename.endswith("weakref.py"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise `_TimeUp` in this thread once `seconds` have passed.

    SIGALRM where it exists and this is the main thread (a Jupyter kernel runs cells there);
    elsewhere a trace function that checks the clock on every line of Python code.
    """
    armed = [True]
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():

        def on_alarm(signum, frame):
            if armed[0] and not _in_finalizer(frame):
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


def _is_learners(filename: str) -> bool:
    name = filename.replace("\\", "/")
    return not (
        "site-packages" in name
        or "/genai_lessons/" in name
        or "/lib/python" in name
        or not (name.endswith(".py") or name.startswith("<"))
    )


def _learner_line(error: BaseException) -> str:
    """The last line of the traceback that belongs to the learner (not NumPy, not us)."""
    try:
        frames = traceback.extract_tb(error.__traceback__)
    except Exception:
        return ""
    for frame in reversed(frames):
        if _is_learners(frame.filename):
            return (frame.line or "").strip()
    return ""


def _unfinished_helper(error: BaseException, function: Callable) -> str:
    """The name of the learner's function that raised NotImplementedError, when it is not
    `function` itself but a helper it called (a stub the learner has not written yet)."""
    if not isinstance(error, NotImplementedError):
        return ""
    try:
        frames = [(f.f_code, f.f_code.co_name) for f, _ in traceback.walk_tb(error.__traceback__)]
    except Exception:
        return ""
    target = getattr(function, "__code__", None)
    learners = [(code, name) for code, name in frames if _is_learners(code.co_filename)]
    if not learners or learners[-1][0] is target or target is None:
        return ""
    name = learners[-1][1]
    return "" if name.startswith("<") else name  # not a lambda, generator or comprehension


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
        result.unfinished = _unfinished_helper(error, function)
        error.__traceback__ = None  # do not keep the learner's frames (and arrays) alive
    result.seconds = time.perf_counter() - start
    result.printed = out.getvalue()
    if result.printed:
        for log in _PRINT_LOGS:
            log.append(result.printed)
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
            return (
                isinstance(b, np.ndarray)
                and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
            )
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
    definition = next(
        (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))), None
    )
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
