"""Headline figures of a lesson, reported through one call at the end of each notebook.

`record("01_neural_networks", test_accuracy=0.97)` prints the figures and, when the
environment variable `GENAI_LESSONS_RESULTS` names a folder, also writes them there as JSON,
so that a headless run of the course collects them as data rather than scraping text.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from genai_lessons import settings

RESULTS_ENV = "GENAI_LESSONS_RESULTS"


def record(lesson: str, **figures: float) -> dict[str, float]:
    """Print a lesson's headline figures and save them if `GENAI_LESSONS_RESULTS` is set.

    Args:
        lesson: the notebook's name without extension, e.g. "03_gans".
        **figures: named numbers, e.g. `test_accuracy=0.97`.

    Returns:
        The figures as floats.
    """
    if not lesson or not isinstance(lesson, str):
        raise ValueError(f"lesson must be a non-empty string, got {lesson!r}")
    if not figures:
        raise ValueError("record() needs at least one figure, e.g. test_accuracy=0.97")
    values = {}
    for name, value in figures.items():
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"figure {name} must be a number, got {value!r}") from None
        if not math.isfinite(values[name]):
            raise ValueError(f"figure {name} must be finite, got {value!r}")
    print(f"Results of {lesson} ({settings.mode()} mode):")
    for name, value in values.items():
        print(f"  {name:<32} {value:.4g}")
    folder = os.environ.get(RESULTS_ENV)
    if folder:
        path = Path(folder) / f"{lesson}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"lesson": lesson, "mode": settings.mode(), "figures": values},
                                   indent=2) + "\n")
    return values
