"""How the warm-up exercise (notebook 00) is judged: scaling the 8x8 digits' raw pixel values
(0 to 16) to [0, 1].

The usual mistakes (dividing by 255 as for MNIST, by the array's own maximum, integer division,
the [-1, 1] range of the GAN lesson) get their own diagnosis. The learner-facing part is in
`genai_lessons.exercises.start`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result

_CASES = (
    (np.array([0.0, 8.0, 16.0]),),
    (np.arange(17, dtype=np.float64).reshape(1, 17),),
    (np.array([[3.0, 12.0], [0.0, 5.0]]),),  # max below 16 exposes dividing by max()
)


def _unit_scale(pixels):
    return np.asarray(pixels, dtype=np.float64) / 16.0


def check_scale_pixels(function) -> Result:
    """The check behind `start.check_scale_pixels` (documented there)."""
    return check_function(
        "scale_pixels",
        function,
        _CASES,
        _unit_scale,
        arg_names=["pixels"],
        mistakes=[
            (
                lambda p: np.asarray(p) / 255.0,
                "the 8x8 digits' pixels go up to 16, not 255 (that is MNIST).",
            ),
            (
                lambda p: np.asarray(p) / 16.0 * 2 - 1,
                "that is the [-1, 1] range used for GANs; here we want [0, 1].",
            ),
            (
                lambda p: np.asarray(p) / np.max(p),
                "divide by the largest possible value (16), not by the largest "
                "value in this particular array.",
            ),
            (
                lambda p: np.asarray(p) / 15.0,
                "a pixel at 16 must become exactly 1: check the divisor.",
            ),
            (
                lambda p: np.asarray(p) // 16,
                "// is integer division: everything below 16 becomes 0. Use /.",
            ),
            (
                lambda p: 1.0 - np.asarray(p) / 16.0,
                "the scale is upside down: 0 must stay 0 (white) and 16 become 1 (black).",
            ),
        ],
        hint="Which value must become 1?",
    )


# --------------------------------------------------------------------------- the demonstration

_MIRROR_CASES = (
    (np.array([[0.0, 8.0, 16.0]]),),
    (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),),
    (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),),
)


def _mirror(image):
    rows, cols = np.shape(image)
    return np.array([[image[r][cols - 1 - c] for c in range(cols)] for r in range(rows)], float)


def check_mirror(function) -> Result:
    """The check behind `start.demo.check_mirror`: the notebook's demonstration exercise,
    mirroring an image left to right."""
    return check_function(
        "mirror (demonstration)",
        function,
        _MIRROR_CASES,
        _mirror,
        arg_names=["image"],
        mistakes=[
            (
                lambda i: np.asarray(i)[::-1],
                "that turns the image upside down: the rows swapped "
                "places; mirroring swaps the columns.",
            ),
            (
                lambda i: np.asarray(i)[::-1, ::-1],
                "that flips it both ways (a half turn): mirroring swaps the columns only.",
            ),
            (lambda i: np.asarray(i), "the image came back unchanged."),
        ],
        hint="Mirroring left to right: the first column becomes the last.",
    )
