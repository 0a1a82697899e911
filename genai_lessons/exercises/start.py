"""The warm-up exercise of notebook 00: it shows how every exercise of the course gives feedback,
hints on request and a solution only when asked for.

This module is what the learner meets (the title, the hints, the solution and the documented
checker); how an answer is judged is in `pixels`, as every lesson keeps its judging apart.
"""

from __future__ import annotations

from genai_lessons.exercises import pixels
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


@LESSON.checker("scale_pixels")
def check_scale_pixels(function) -> Result:
    """Check a function mapping the 8x8 digits' raw pixel values (0..16) to [0, 1]."""
    return pixels.check_scale_pixels(function)
