"""The warm-up exercise of notebook 00: it shows how every exercise of the course gives feedback,
hints on request and a solution only when asked for."""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.lesson import Lesson
from genai_lessons.exercises.result import Result

LESSON = Lesson(0, "start here")
hint, solution, progress = LESSON.hint, LESSON.solution, LESSON.progress

LESSON.add(
    "scale_pixels",
    "scale_pixels",
    hints=[
        "The digits' pixels go from 0 to 16. Which single operation maps 0 to 0 and 16 to 1?",
        "Divide by a constant. Which one? Not the largest value of this particular array "
        "(an image may have no pixel at 16), but the largest value a pixel can have.",
        "Every pixel value v becomes v / 16; NumPy applies it to the whole array at once.",
    ],
    solution="""
def scale_pixels(pixels):
    return np.asarray(pixels, dtype=np.float64) / 16.0
""",
)

_CASES = (
    (np.array([0.0, 8.0, 16.0]),),
    (np.arange(17, dtype=np.float64).reshape(1, 17),),
    (np.array([[3.0, 12.0], [0.0, 5.0]]),),  # max below 16 exposes dividing by max()
)


def _unit_scale(pixels):
    return np.asarray(pixels, dtype=np.float64) / 16.0


@LESSON.checker("scale_pixels")
def check_scale_pixels(function) -> Result:
    """Check a function mapping the 8x8 digits' raw pixel values (0..16) to [0, 1]."""
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
