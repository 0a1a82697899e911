"""Tests of genai_lessons.core.backend: the active backend and its version, clear errors for an
unsupported one, float64 on every backend, and no backend framework imported elsewhere. They run
on whichever backend KERAS_BACKEND selects (CI runs them on TensorFlow and JAX)."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from genai_lessons.core import autodiff, backend


def test_the_active_backend_is_one_of_the_tested_ones():
    assert backend.check_supported() == keras.backend.backend() in backend.BACKENDS
    assert backend.framework_version()[0].isdigit()
    assert isinstance(backend.gpu_names(), list)


def test_an_unsupported_backend_raises_an_error_naming_keras_backend(monkeypatch):
    monkeypatch.setattr(backend, "name", lambda: "numpy")
    with pytest.raises(backend.BackendError, match="KERAS_BACKEND='numpy'.*tensorflow, jax, torch"):
        autodiff.value_and_grad(lambda: 0.0, [])


def test_require_float64_makes_a_float64_layer_compute_in_float64():
    backend.require_float64()
    layer = keras.layers.Dense(2, dtype="float64")
    y = layer(np.ones((1, 3)))
    assert layer.kernel.dtype == "float64" and keras.backend.standardize_dtype(y.dtype) == "float64"
    x = np.array([1.0 + 1e-12], "float64")  # invisible in float32
    assert float(keras.ops.convert_to_numpy(keras.ops.convert_to_tensor(x, "float64"))[0]) != 1.0


def test_seeding_on_jax_does_not_import_tensorflow():
    # Keras seeds TensorFlow whenever it is installed: 460 MB of memory in a JAX kernel for
    # nothing. After `quiet`, seeding on JAX still seeds NumPy, without importing TensorFlow.
    pytest.importorskip("jax")
    code = (
        "import sys\n"
        "from genai_lessons.core import backend\n"
        "backend.quiet()\n"
        "import keras, numpy\n"
        "keras.utils.set_random_seed(3)\n"
        "print('tensorflow' in sys.modules, numpy.random.rand())\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["False", str(np.random.RandomState(3).rand())]


def test_seeding_without_tensorflow_seeds_everything_else(monkeypatch):
    # The same switch, in this process on any backend: TensorFlow's seed is left alone, while
    # Python, NumPy and Keras's own generators are seeded as before.
    import random

    from keras.src.utils import rng_utils

    monkeypatch.setattr(rng_utils, "tf", rng_utils.tf)  # put back after the test
    backend._seed_without_tensorflow()
    assert not rng_utils.tf.available
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        monkeypatch.setattr(tf.random, "set_seed", lambda seed: pytest.fail("seeded TensorFlow"))
    keras.utils.set_random_seed(3)
    first = (random.random(), np.random.rand(), float(keras.random.uniform(())))
    keras.utils.set_random_seed(3)
    assert first == (random.random(), np.random.rand(), float(keras.random.uniform(())))
    assert first[1] == np.random.RandomState(3).rand()


def test_no_backend_framework_is_imported_outside_the_backend_modules():
    import json
    import re
    from pathlib import Path

    import genai_lessons

    package = Path(genai_lessons.__file__).parent
    sources = {
        path: path.read_text(encoding="utf-8")
        for path in package.rglob("*.py")
        if path.name not in ("backend.py", "autodiff.py")
    }
    for path in (package.parent / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources[path] = "\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
        )
    pattern = re.compile(r"^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.MULTILINE)
    offenders = [path.name for path, text in sources.items() if pattern.search(text)]
    assert not offenders, (
        f"backend frameworks imported outside genai_lessons/backend.py and autodiff.py: {offenders}"
    )
