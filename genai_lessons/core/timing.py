"""How long a notebook spends inside `fit`: `genai-lessons run` reports it as the training share.

Kept apart from `training` so that `settings.setup` can switch it on without importing the
training helpers (which need `settings` themselves).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras

TIMING_ENV = "GENAI_LESSONS_TIMING"
"""Environment variable naming a file: `genai-lessons run` sets it for each notebook's kernel,
and `settings.setup` then has every `fit` add the seconds its epochs took (see `time_fits`)."""


class _EpochClock(keras.callbacks.Callback):
    """Adds the wall seconds between each epoch's start and end (steps and validation) to a
    file, one number per `fit`: what the training itself took, without `fit`'s set-up."""

    def __init__(self, path: str):
        super().__init__()
        self.path, self.seconds = path, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self.start

    def on_train_end(self, logs=None):
        with open(self.path, "a") as file:
            file.write(f"{self.seconds:.6f}\n")


_keras_fit = None  # Keras's own `fit`, while `time_fits` wraps it


def time_fits(path: str | os.PathLike | None) -> None:
    """Make every `Model.fit` of this process append its epochs' wall seconds to `path`.

    `settings.setup` calls it with the file named by `GENAI_LESSONS_TIMING` when that is set;
    `genai-lessons run` then reports the share of a notebook's time spent training. None
    restores Keras's own `fit`.
    """
    global _keras_fit
    if _keras_fit is None:
        _keras_fit = keras.Model.fit
    if path is None:
        keras.Model.fit = _keras_fit
        return
    path, fit = os.fspath(path), _keras_fit

    def timed_fit(self, *args, callbacks=None, **kwargs):
        clock = [_EpochClock(path)]
        return fit(self, *args, callbacks=[*(callbacks or []), *clock], **kwargs)

    timed_fit.__doc__ = fit.__doc__
    keras.Model.fit = timed_fit


def training_seconds(path: str | os.PathLike) -> float:
    """The total of the seconds `time_fits` wrote to `path` (0 if it holds none)."""
    path = Path(path)
    if not path.exists():
        return 0.0
    return float(sum(float(line) for line in path.read_text().split()))
