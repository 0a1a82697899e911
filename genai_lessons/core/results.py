"""Headline figures of a lesson, reported through one call at the end of each notebook.

`record("01_neural_networks", test_accuracy=0.97)` prints the figures and, when the
environment variable `GENAI_LESSONS_RESULTS` names a folder, also writes them there as JSON,
so that a headless run of the course collects them as data rather than scraping text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from genai_lessons.core import settings
from genai_lessons.core.validation import check_name, check_number

RESULTS_ENV = "GENAI_LESSONS_RESULTS"


def record(lesson: str, **figures: float) -> dict[str, float]:
    """Print a lesson's headline figures and save them if `GENAI_LESSONS_RESULTS` is set.

    Args:
        lesson: the notebook's name without extension, e.g. "03_gans".
        **figures: named numbers, e.g. `test_accuracy=0.97`.

    Returns:
        The figures as floats.
    """
    check_name("lesson", lesson)  # it names the JSON file
    if not figures:
        raise ValueError(
            "record() needs at least one of its **figures, e.g. test_accuracy=0.97; got none"
        )
    values = {}
    for name, value in figures.items():
        if (
            not isinstance(value, (bool, np.bool_, str))
            and hasattr(value, "__float__")
            and np.ndim(value) == 0
        ):
            value = float(value)  # NumPy and Keras scalars, as reductions return them
        values[name] = check_number(name, value)
    print(f"Results of {lesson} ({settings.mode()} mode):")
    for name, value in values.items():
        print(f"  {name:<32} {value:.4g}")
    folder = os.environ.get(RESULTS_ENV)
    if folder:
        path = Path(folder) / f"{lesson}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"lesson": lesson, "mode": settings.mode(), "figures": values}, indent=2)
            + "\n"
        )
    return values
