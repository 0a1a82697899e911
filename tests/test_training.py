"""Tests of genai_lessons.core.training: run-keyed backups (resume only the same run) and progress."""

import dataclasses

import keras
import numpy as np
import pytest

from genai_lessons.core import timing, training


@dataclasses.dataclass(frozen=True)
class Config:
    units: int = 4
    rate: float = 0.1


def test_run_key_is_stable_and_sensitive_to_every_determinant():
    data = np.arange(12.0).reshape(6, 2)
    key = training.run_key(config=Config(), data=data, epochs=3)
    assert key == training.run_key(config=Config(), data=data.copy(), epochs=3)
    assert key == training.run_key(epochs=3, data=data, config=Config())  # order does not matter
    changed = [
        training.run_key(config=Config(units=5), data=data, epochs=3),
        training.run_key(config=Config(rate=0.2), data=data, epochs=3),
        training.run_key(config=Config(), data=data + 1e-6, epochs=3),
        training.run_key(config=Config(), data=data.astype(np.float32), epochs=3),
        training.run_key(config=Config(), data=data, epochs=4),
    ]
    assert len({key, *changed}) == 6


def test_run_key_depends_on_the_mode(monkeypatch):
    monkeypatch.setenv("GENAI_LESSONS_QUICK", "1")
    quick = training.run_key(epochs=3)
    monkeypatch.setenv("GENAI_LESSONS_QUICK", "0")
    assert training.run_key(epochs=3) != quick


def test_bad_names_and_values_are_rejected():
    with pytest.raises(ValueError, match="lesson"):
        training.backup_folder("", "run")
    with pytest.raises(ValueError, match="name"):
        training.backup_folder("03_gans", "a/b")
    with pytest.raises(TypeError, match="object"):
        training.run_key(model=object())
    with pytest.raises(ValueError, match="every"):
        training.progress(every=0)


class _StopAt(keras.callbacks.Callback):
    """Simulates a disconnect: raises at the end of the given epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs_run = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run.append(epoch)


def _fit(units, x, y, epochs, callbacks):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks)


def test_identical_rerun_resumes_and_a_changed_setting_starts_fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 0.0)  # a save at every epoch's end
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))

    def callback(units):
        return training.backup("test", "resume", units=units, data=x, epochs=5)

    with pytest.raises(KeyboardInterrupt):
        _fit(4, x, y, 5, [callback(4), _StopAt(1)])  # epochs 0 and 1 done, then "disconnect"
    assert training.backup_folder("test", "resume", units=4, data=x, epochs=5).exists()

    changed = _fit(8, x, y, 5, [callback(8)])  # another width: a fresh run of all 5 epochs
    assert changed.epoch == [0, 1, 2, 3, 4]

    recorder = _Recorder()
    resumed = _fit(4, x, y, 5, [callback(4), recorder])  # the same run again: 3 epochs left
    assert recorder.epochs_run == [2, 3, 4]
    assert resumed.epoch == [0, 1, 2, 3, 4]  # the History also holds the restored epochs
    assert not training.backup_folder("test", "resume", units=4, data=x, epochs=5).exists()


def test_a_resumed_history_is_the_uninterrupted_one_and_a_later_fit_starts_at_zero(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 0.0)  # a save at every epoch's end
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    whole = _fit(4, x, y, 5, [training.backup("test", "whole", data=x)]).history["loss"]

    with pytest.raises(KeyboardInterrupt):
        _fit(4, x, y, 5, [training.backup("test", "cut", data=x), _StopAt(2)])
    recorder = _Recorder()
    resumed = _fit(4, x, y, 5, [training.backup("test", "cut", data=x), recorder])
    assert recorder.epochs_run == [3, 4]  # only the missing epochs were trained
    assert len(resumed.history["loss"]) == 5
    # The restored epochs' losses are the ones logged before the interruption, and the same
    # seed makes them equal to the uninterrupted run's.
    np.testing.assert_allclose(resumed.history["loss"][:3], whole[:3], rtol=1e-6)

    # Keras leaves the resumed start epoch on the model; the backup clears it.
    again = resumed.model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert again.epoch == [0, 1]


def test_the_state_is_saved_only_once_the_interval_has_passed(tmp_path, monkeypatch):
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 3600.0)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    with pytest.raises(KeyboardInterrupt):
        _fit(4, x, y, 5, [training.backup("test", "rare", data=x), _StopAt(2)])
    recorder = _Recorder()
    rerun = _fit(4, x, y, 5, [training.backup("test", "rare", data=x), recorder])
    assert recorder.epochs_run == [0, 1, 2, 3, 4]  # nothing was saved within the hour
    assert rerun.epoch == [0, 1, 2, 3, 4]  # and no logs of unsaved epochs were put back


def test_arrays_kept_with_a_backup_are_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 0.0)  # a save at every epoch's end
    callback = training.backup("test", "arrays", epochs=3)
    assert callback.load_arrays("snapshots") == {}
    callback.save_arrays("snapshots", {"0": np.arange(3.0), "2": np.ones((2, 2))})
    kept = callback.load_arrays("snapshots")
    assert sorted(kept) == ["0", "2"]
    np.testing.assert_array_equal(kept["2"], np.ones((2, 2)))


def test_progress_prints_every_n_epochs_and_the_last(capsys):
    rng = np.random.default_rng(0)
    _fit(
        2,
        rng.normal(size=(16, 2)),
        rng.normal(size=(16, 1)),
        5,
        [training.progress(every=2, metrics=["loss"])],
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1", "2", "4", "5"]
    assert all(line.split()[2] == "loss" for line in lines)


def test_same_architecture_but_changed_data_or_rate_starts_fresh(tmp_path, monkeypatch):
    """The silent case: nothing would crash if a changed run resumed the old one's weights."""
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 0.0)  # a save at every epoch's end
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    with pytest.raises(KeyboardInterrupt):
        _fit(4, x, y, 5, [training.backup("test", "silent", data=x, rate=0.1), _StopAt(2)])
    assert _fit(
        4, x[::-1], y, 5, [training.backup("test", "silent", data=x[::-1], rate=0.1)]
    ).epoch == [0, 1, 2, 3, 4]
    assert _fit(4, x, y, 5, [training.backup("test", "silent", data=x, rate=0.2)]).epoch == [
        0,
        1,
        2,
        3,
        4,
    ]
    recorder = _Recorder()
    _fit(4, x, y, 5, [training.backup("test", "silent", data=x, rate=0.1), recorder])
    assert recorder.epochs_run == [3, 4]  # the unchanged run resumed


def test_configs_are_told_apart_by_type_and_nested_values():
    @dataclasses.dataclass(frozen=True)
    class Other:
        units: int = 4
        rate: float = 0.1

    assert training.run_key(config=Config()) != training.run_key(config=Other())
    assert training.run_key(sizes=[4, 8]) != training.run_key(sizes=[8, 4])
    assert training.run_key(value=1) != training.run_key(value="1") != training.run_key(value=True)


def test_time_fits_appends_each_fits_epoch_seconds_and_can_be_undone(tmp_path):
    import time

    class Slow(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.2)  # the clock stops after the other callbacks' epoch ends

    path = tmp_path / "fits.txt"
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    try:
        timing.time_fits(path)
        model.fit(x, y, epochs=2, verbose=0, callbacks=[Slow()])
        model.fit(x, y, epochs=1, verbose=0)
    finally:
        timing.time_fits(None)
    model.fit(x, y, epochs=1, verbose=0)  # no longer timed
    lines = path.read_text().split()
    assert len(lines) == 2
    assert float(lines[0]) >= 0.4 and 0 < float(lines[1]) < float(lines[0])
    assert timing.training_seconds(path) == pytest.approx(float(lines[0]) + float(lines[1]))
    assert timing.training_seconds(tmp_path / "missing.txt") == 0.0
