"""Checking gradients against finite differences.

Backpropagation is easy to get subtly wrong; central finite differences are slow but almost
impossible to get wrong, so comparing the two is the standard test of a hand-written backward
pass. `gradient_check` does that for NumPy parameters (float64, so that the finite
differences are accurate) and returns the largest `relative_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import ArgumentTypeError, check_number, describe


def numerical_gradient(
    loss_fn: Callable[[], float], param: np.ndarray, epsilon: float = 1e-6
) -> np.ndarray:
    """Central finite differences (L(p + eps) - L(p - eps)) / (2 eps) for every entry of `param`.

    `loss_fn` takes no arguments and must read `param`, which is nudged in place and restored.
    """
    _check_gradient_args(loss_fn, [param], epsilon, "param")
    grad = np.zeros_like(param, dtype=np.float64)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + epsilon
        plus = loss_fn()
        param[index] = saved - epsilon
        minus = loss_fn()
        param[index] = saved
        grad[index] = (plus - minus) / (2.0 * epsilon)
    return grad


def _check_gradient_args(loss_fn, params, epsilon, argument: str) -> None:
    if not callable(loss_fn):
        raise ArgumentTypeError(
            f"loss_fn must be a function of no arguments, got {describe(loss_fn)}"
        )
    for param in params:
        if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
            raise ArgumentTypeError(
                f"{argument} must be a float NumPy array (nudged in place), got {describe(param)}"
            )
    check_number("epsilon", epsilon, 0.0, inclusive=False)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): 0 when equal, about 1e-8 or less for a correct float64 backprop."""
    a = check_array("a", a, min_length=0)
    b = check_array("b", b, min_length=0)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and b of shape {b.shape}"
        )
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def gradient_check(
    loss_fn: Callable[[], float],
    params: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    epsilon: float = 1e-6,
) -> float:
    """Compare analytic gradients with central finite differences.

    Args:
        loss_fn: no-argument function returning the loss computed from `params`.
        params: the parameter arrays (modified in place during the check, then restored).
        grads: the gradients to check, one per parameter, same shapes.
        epsilon: the finite-difference step (1e-6 suits float64).

    Returns:
        The largest `relative_error` over the parameter arrays.
    """
    if len(params) != len(grads):
        raise ValueError(
            f"params and grads must pair up, got {len(params)} params but {len(grads)} grads"
        )
    _check_gradient_args(loss_fn, params, epsilon, "params")
    for param, grad in zip(params, grads):
        if param.dtype != np.float64:
            raise ValueError(f"params must be float64 for a gradient check, got {param.dtype}")
        if np.shape(grad) != param.shape:
            raise ValueError(
                f"grads must match the params' shapes, got {np.shape(grad)} for {param.shape}"
            )
    return max(
        relative_error(grad, numerical_gradient(loss_fn, param, epsilon))
        for param, grad in zip(params, grads)
    )
