"""The warm-up exercise of notebook 00: it shows how every exercise of the course gives feedback."""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import Result, check_function

_CASES = (
    (np.array([0.0, 8.0, 16.0]),),
    (np.arange(17, dtype=np.float64).reshape(1, 17),),
    (np.array([[3.0, 12.0], [0.0, 5.0]]),),  # max below 16 exposes dividing by max()
)


def _unit_scale(pixels):
    return np.asarray(pixels, dtype=np.float64) / 16.0


def check_scale_pixels(function) -> Result:
    """Check a function mapping the 8x8 digits' raw pixel values (0..16) to [0, 1]."""
    return check_function(
        "scale_pixels",
        function,
        _CASES,
        _unit_scale,
        mistakes=[
            (lambda p: np.asarray(p) / 255.0, "the 8x8 digits' pixels go up to 16, not 255 (that is MNIST)."),
            (lambda p: np.asarray(p) / 16.0 * 2 - 1, "that is the [-1, 1] range used for GANs; here we want [0, 1]."),
            (lambda p: np.asarray(p) / np.max(p), "divide by the largest possible value (16), not by the largest "
             "value in this particular array."),
        ],
        hint="divide every pixel value by the largest possible value.",
    )
