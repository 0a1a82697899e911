"""The warm-up exercise of notebook 00, and the demonstration that shows how every exercise of the
course gives feedback, hints on request and a solution only when asked for.

The demonstration runs on its own exercise (`demo.check_mirror`, not listed in the course's
progress and never saved), so that running the whole notebook leaves the learner's own
`scale_pixels` unattempted.

This module is what the learner meets (the title, the hints, the solution and the documented
checker); how an answer is judged is in `pixels`, as every lesson keeps its judging apart.
"""

from __future__ import annotations

import types

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


DEMO = Lesson(0, "start here, demonstration", listed=False, handle="ex.demo")
DEMO.add(
    "mirror",
    "mirror (demonstration)",
    hints=[
        "Mirroring left to right keeps every row where it is and reverses the order of the "
        "columns.",
        "A slice with step -1 reverses; apply it to the second axis (the columns) only.",
    ],
    solution="""
def mirror(image):
    return image[:, ::-1]
""",
)


@DEMO.checker("mirror")
def check_mirror(mirror) -> Result:
    """Check a function that mirrors an image (rows, columns) left to right."""
    return pixels.check_mirror(mirror)


demo = types.SimpleNamespace(
    check_mirror=check_mirror, hint=DEMO.hint, solution=DEMO.solution, progress=DEMO.progress
)
"""The notebook's demonstration of the help system: `ex.demo.check_mirror(...)`,
`ex.demo.hint("mirror")`, `ex.demo.solution("mirror")`, `ex.demo.progress()`."""
