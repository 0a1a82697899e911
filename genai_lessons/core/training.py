"""Training helpers shared by the lessons: resumable runs and compact progress lines.

Resuming must only ever continue *the same* run. Keras's `BackupAndRestore` restores whatever
state it finds in its folder, so the folder name here is a hash of everything that determines
the run (the lesson, the mode, the backend, the model config, the data, the training settings):
change any of them and a fresh run starts; rerun the identical cell and it resumes.

    callbacks = [training.backup("03_gans", "digits", config=config, data=x_train, epochs=60),
                 training.progress(every=10)]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from genai_lessons.core import settings
from genai_lessons.core.validation import check_int

SAVE_EVERY_SECONDS = 10.0
"""A `Backup` saves the training state at the end of an epoch once this long has passed since
its last save."""


def _canonical(value):
    """A JSON-able, order-independent description of `value`; arrays by their content hash."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"dataclass": type(value).__name__, "fields": _canonical(dataclasses.asdict(value))}
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") and not np.isscalar(value):
        array = np.ascontiguousarray(np.asarray(value))
        digest = hashlib.sha256(array.tobytes()).hexdigest()
        return {"array": [list(array.shape), str(array.dtype), digest]}
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"cannot describe a run by a value of type {type(value).__name__}: "
        f"pass numbers, strings, arrays, dataclasses, lists or dicts of them"
    )


def run_key(**determinants) -> str:
    """A 16-hex-digit hash of everything that determines a run (plus the mode and backend)."""
    described = {"mode": settings.mode(), "backend": keras.backend.backend()}
    for name, value in determinants.items():
        try:
            described[str(name)] = _canonical(value)
        except TypeError as error:  # name the determinant that cannot be described
            raise TypeError(f"{name}: {error}; got {value!r}"[:300]) from None
    text = json.dumps(described, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def backup_folder(lesson: str, name: str, **determinants) -> Path:
    """The folder in the temporary directory where this exact run keeps its backup."""
    for argument, value in (("lesson", lesson), ("name", name)):
        if not isinstance(value, str) or not value or "/" in value or "\\" in value:
            raise ValueError(f"{argument} must be a non-empty name without slashes, got {value!r}")
    key = run_key(lesson=lesson, name=name, **determinants)
    return Path(tempfile.gettempdir()) / "genai_lessons" / f"{lesson}_{name}_{key}"


class Backup(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore`, made whole for a lesson's resumed run.

    Keras restores the weights and the optimizer but not what the lesson plots: `fit`'s
    returned `History` would hold only the epochs after the interruption. This callback also
    keeps each epoch's logged numbers in its folder and puts the restored ones back in front
    of the History at the end. Other callbacks can keep arrays of their own with it
    (`save_arrays`, `load_arrays`; `gan.SampleSnapshots` does). It also clears the resumed
    start epoch Keras leaves on the model, so that a later `fit` of it starts at epoch 0.

    Saving the weights and the optimizer state takes tens of milliseconds, as long as a whole
    epoch of a small model, so they are saved at the end of an epoch only when
    `SAVE_EVERY_SECONDS` have passed since the last save: an interruption loses at most that
    much training, and the lessons' many short epochs no longer pay for a save each.
    """

    _LOGS = "epoch_logs.json"

    def __init__(self, backup_dir: str):
        super().__init__(backup_dir)
        self._logs: list[dict[str, float]] = []
        self._restored_epochs = 0
        self._last_save = 0.0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._last_save = time.perf_counter()
        self._restored_epochs = self.model._initial_epoch or 0
        path = Path(self.backup_dir) / self._LOGS
        kept = json.loads(path.read_text()) if self._restored_epochs and path.exists() else []
        # Logs are written before the weights, so an interruption between the two can leave
        # one epoch too many: keep those of the restored epochs only.
        self._logs = kept[: self._restored_epochs]

    def on_epoch_end(self, epoch, logs=None):
        numbers = {k: float(v) for k, v in (logs or {}).items() if np.ndim(v) == 0}
        self._logs.append(numbers)
        if time.perf_counter() - self._last_save >= SAVE_EVERY_SECONDS:
            Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
            _write_atomically(Path(self.backup_dir) / self._LOGS, json.dumps(self._logs))
            super().on_epoch_end(epoch, logs)  # saves the weights and the optimizer state
            self._last_save = time.perf_counter()

    def on_train_end(self, logs=None):
        history = getattr(self.model, "history", None)
        restored = self._logs[: self._restored_epochs]
        if restored and isinstance(history, keras.callbacks.History):
            later = history.history
            names = list(dict.fromkeys([*restored[0], *later]))
            history.history = {
                name: [log.get(name, np.nan) for log in restored] + list(later.get(name, []))
                for name in names
            }
            history.epoch = list(range(len(restored))) + list(history.epoch)
        self.model._initial_epoch = None
        super().on_train_end(logs)

    def save_arrays(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        """Keep named arrays with this run's backup (deleted with it when the run completes)."""
        Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        path = Path(self.backup_dir) / f"{name}.npz"
        with open(path.with_suffix(".tmp"), "wb") as file:
            np.savez(file, **arrays)
        os.replace(path.with_suffix(".tmp"), path)

    def load_arrays(self, name: str) -> dict[str, np.ndarray]:
        """The arrays `save_arrays` kept under `name` for this run, or {} if there are none."""
        path = Path(self.backup_dir) / f"{name}.npz"
        if not path.exists():
            return {}
        with np.load(path) as arrays:
            return {key: arrays[key] for key in arrays.files}


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file: an interrupted write leaves the old file whole."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def backup(lesson: str, name: str, **determinants) -> Backup:
    """A `BackupAndRestore` callback for one run, resuming it only if nothing changed.

    Args:
        lesson: the notebook, e.g. "03_gans".
        name: the run within the lesson, e.g. "digits".
        **determinants: everything that determines the run: configs (dataclasses), training
            data (arrays, hashed by content), epochs, batch size, learning rate, seed...

    Returns:
        The callback (a `Backup`). Keras deletes the backup when the run completes.
    """
    return Backup(str(backup_folder(lesson, name, **determinants)))


def progress(every: int = 1, metrics=None) -> keras.callbacks.Callback:
    """A callback that prints one compact line per `every` epochs (and the first and last).

    Args:
        every: print every this many epochs.
        metrics: names of the logged values to show, in this order (default: all, sorted).
    """
    every = check_int("every", every)
    if metrics is not None and (isinstance(metrics, str) or not hasattr(metrics, "__iter__")):
        raise TypeError(f"metrics must be a list of metric names, e.g. ['loss'], got {metrics!r}")
    metrics = None if metrics is None else list(metrics)

    class _Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            last = self.params.get("epochs")
            if epoch != 0 and (epoch + 1) % every != 0 and epoch + 1 != last:
                return
            names = sorted(logs) if metrics is None else [m for m in metrics if m in logs]
            values = "  ".join(f"{name} {float(logs[name]):.4g}" for name in names)
            print(f"epoch {epoch + 1:4d}  {values}")

    return _Progress()
