import os
import random

import numpy as np
import pytest

from genai_lessons.core import settings


@pytest.mark.parametrize(
    "raw, quick", [("1", True), ("true", True), ("0", False), ("", False), ("no", False)]
)
def test_quick_mode_follows_the_environment_variable(monkeypatch, raw, quick):
    monkeypatch.setenv(settings.QUICK_ENV, raw)
    assert settings.is_quick() is quick
    assert settings.mode() == ("quick" if quick else "full")
    assert settings.pick(quick="small", full="large") == ("small" if quick else "large")


def test_unset_variable_means_full_mode(monkeypatch):
    monkeypatch.delenv(settings.QUICK_ENV, raising=False)
    assert settings.pick(quick=2, full=40) == 40


def test_a_garbled_quick_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(settings.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="GENAI_LESSONS_QUICK.*'maybe'"):
        settings.is_quick()


def test_pick_takes_keywords_only():
    with pytest.raises(TypeError):
        settings.pick(1, 2)


def test_seed_everything_makes_python_numpy_and_keras_repeat():
    import keras

    def sample():
        layer = keras.layers.Dense(2)
        layer.build((None, 3))
        return (
            random.random(),
            np.random.rand(),
            float(keras.random.uniform((1,))[0]),
            np.asarray(layer.kernel),
        )

    settings.seed_everything(7)
    first = sample()
    settings.seed_everything(7)
    second = sample()
    settings.seed_everything(8)
    third = sample()
    assert first[:3] == second[:3]
    np.testing.assert_array_equal(first[3], second[3])
    assert first[:3] != third[:3]


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="seed"):
        settings.seed_everything(seed)


def test_setup_prints_one_line_report_and_sets_the_style(capsys, monkeypatch):
    import matplotlib as mpl

    monkeypatch.setenv(settings.QUICK_ENV, "1")
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")  # conftest.py sets it: setup must set it itself
    settings.setup(seed=3)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    import keras

    backend = keras.backend.backend()
    for key in (
        "python",
        "keras",
        f"backend {backend} | {backend} ",
        "device",
        "mode quick",
        "seed 3",
    ):
        assert key in lines[0]
    assert mpl.rcParams["axes.spines.top"] is False
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_quiet_logs_hides_framework_deprecations_but_not_the_learners():
    import warnings

    settings.quiet_logs()
    shown = []
    for module in (
        "__main__",
        "genai_lessons.models.nn",
        "keras.src.saving",
        "tensorflow.python.ops",
    ):
        with warnings.catch_warnings(record=True) as caught:  # keeps the filters just set
            warnings.warn_explicit(
                "old API", DeprecationWarning, f"{module}.py", 1, module=module, registry={}
            )
            warnings.warn_explicit(
                "changes soon", FutureWarning, f"{module}.py", 2, module=module, registry={}
            )
        shown += [(module, w.category.__name__) for w in caught]
    assert shown == [
        ("__main__", "DeprecationWarning"),
        ("__main__", "FutureWarning"),
        ("genai_lessons.models.nn", "DeprecationWarning"),
        ("genai_lessons.models.nn", "FutureWarning"),
    ]


def test_environment_report_names_device_and_versions():
    import keras

    report = settings.environment_report()
    assert report["keras"] == keras.__version__
    assert report["device"].startswith(("CPU", "GPU"))
    assert report["backend"] == keras.backend.backend()
    assert report[report["backend"]][0].isdigit()  # the backend framework's version


def test_an_unsupported_backend_is_a_clear_error_naming_keras_backend(monkeypatch):
    from genai_lessons.core import backend

    monkeypatch.setattr(backend, "name", lambda: "numpy")
    with pytest.raises(backend.BackendError, match="KERAS_BACKEND='numpy'"):
        settings.environment_report()
    with pytest.raises(backend.BackendError, match="KERAS_BACKEND"):
        settings.setup(report=False)


def test_install_source_points_at_the_course_repository():
    assert settings.INSTALL_SOURCE.startswith("genai-lessons @ git+https://")


def test_the_old_quiet_tensorflow_alias_is_gone():
    assert not hasattr(settings, "quiet_tensorflow")


def _tiny_model():
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")  # jit_compile="auto", Keras's default
    return model


def test_use_xla_makes_auto_compile_with_xla_and_can_be_undone():
    import keras

    try:
        settings.use_xla()
        expected = keras.backend.backend() != "torch"  # PyTorch keeps Keras's eager default
        assert _tiny_model().jit_compile is expected
        explicit = _tiny_model()
        explicit.compile(optimizer="sgd", loss="mse", jit_compile=False)
        assert explicit.jit_compile is False  # an explicit choice is kept
        settings.use_xla(False)
        if keras.backend.backend() == "tensorflow" and not settings.gpu_names():
            assert _tiny_model().jit_compile is False  # Keras's own CPU default
    finally:
        settings.use_xla(False)


def test_setup_turns_xla_on_only_when_the_environment_asks(monkeypatch):
    import keras

    if keras.backend.backend() != "tensorflow" or settings.gpu_names():
        pytest.skip("Keras's own default differs from use_xla only on a CPU-only TensorFlow")
    try:
        monkeypatch.setenv(settings.XLA_ENV, "1")
        settings.setup(report=False)
        assert _tiny_model().jit_compile is True
        monkeypatch.delenv(settings.XLA_ENV)
        settings.setup(report=False)
        assert _tiny_model().jit_compile is False
        monkeypatch.setenv(settings.XLA_ENV, "perhaps")
        with pytest.raises(ValueError, match="GENAI_LESSONS_XLA.*'perhaps'"):
            settings.setup(report=False)
    finally:
        settings.use_xla(False)


def test_use_xla_leaves_models_with_dropout_to_keras_on_tensorflow():
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dropout(0.1)(keras.layers.Dense(2)(inputs)))
    try:
        settings.use_xla()
        model.compile(optimizer="sgd", loss="mse")
        if keras.backend.backend() == "jax":
            assert model.jit_compile is True  # JAX always compiles
        elif keras.backend.backend() == "tensorflow" and not settings.gpu_names():
            assert model.jit_compile is False
    finally:
        settings.use_xla(False)


def test_determinism_does_not_switch_xla_off_on_a_cpu():
    import keras

    if keras.backend.backend() != "tensorflow" or settings.gpu_names():
        pytest.skip("TensorFlow on a CPU only")
    from tensorflow.python.framework.config import is_op_determinism_enabled

    settings.seed_everything(0, deterministic=True)
    assert not is_op_determinism_enabled()  # Keras would refuse XLA with it on
