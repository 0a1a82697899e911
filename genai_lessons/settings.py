"""Course-wide settings: quick or full mode, seeding, quiet logs, plot style, environment report.

Every notebook's first code cell calls :func:`setup`, which must run before TensorFlow is
imported so that its C++ log lines can be silenced. This module therefore imports TensorFlow
and Keras only inside functions.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys
import warnings
from typing import TypeVar

import numpy as np

from genai_lessons.validation import check_bool, check_int

QUICK_ENV = "GENAI_LESSONS_QUICK"
"""Environment variable that selects quick mode when set to 1 (CI and the test suite do)."""

DEFAULT_SEED = 42

INSTALL_SOURCE = "genai-lessons @ git+https://github.com/genai-lessons/genai-lessons"
"""What `pip install` receives on Colab. The notebooks' setup cells use exactly this string
(a course test checks it), so moving the repository means changing it here and there only."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")

_FRAMEWORK_MODULES = r"(tensorflow|keras|tf_keras|absl|google\.protobuf|h5py|jax|jaxlib|torch|optree)(\.|$)"
"""Modules whose DeprecationWarnings and FutureWarnings `quiet_tensorflow` hides."""


def is_quick() -> bool:
    """Return True when quick mode is selected by `GENAI_LESSONS_QUICK`.

    Raises:
        ValueError: if the variable holds something other than a yes/no value.
    """
    raw = os.environ.get(QUICK_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{QUICK_ENV} must be 1 or 0 (or true/false), got {raw!r}")


def mode() -> str:
    """Return "quick" or "full"."""
    return "quick" if is_quick() else "full"


def pick(*, quick: T, full: T) -> T:
    """Return `quick` in quick mode and `full` otherwise.

    Used in a notebook's parameters cell: `EPOCHS = settings.pick(quick=2, full=40)`.
    """
    return quick if is_quick() else full


@contextlib.contextmanager
def _stderr_to_devnull():
    """Send the process's C-level standard error to /dev/null for a moment.

    TensorFlow's GPU build prints "Could not find cuda drivers" and "failed call to cuInit"
    lines on a machine without a GPU before its log level applies, whatever
    TF_CPP_MIN_LOG_LEVEL says; Jupyter would show them in the notebook. Python exceptions
    raised inside the block still propagate and are shown.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras without log noise, and keep them quiet afterwards.

    The first call imports TensorFlow with C-level standard error muted and initialises its
    devices; later calls only reapply the Python-side log levels.
    """
    # Level 3 hides TensorFlow's C++ INFO, WARNING and ERROR lines: at level 2, a Keras fit on
    # arrays whose last batch is partial still prints a harmless "use_unbounded_threadpool"
    # ERROR line. Real failures still raise Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # Only the framework's own deprecation noise: a learner's DeprecationWarning still shows.
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=_FRAMEWORK_MODULES)
    if "tensorflow" not in sys.modules:
        with _stderr_to_devnull():
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery prints its own lines
    import absl.logging  # ships with TensorFlow
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    absl.logging.set_verbosity(absl.logging.ERROR)


def seed_everything(seed: int = DEFAULT_SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy and Keras (and its backend) so that re-runs give identical results.

    Args:
        seed: a non-negative integer.
        deterministic: also ask TensorFlow for deterministic kernels. Only applied on CPU,
            where every op the course uses has one; on a GPU runs are seeded but may differ
            in the last digits.
    """
    check_int("seed", seed, minimum=0)
    check_bool("deterministic", deterministic)
    quiet_tensorflow()
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(int(seed))
    if deterministic and keras.backend.backend() == "tensorflow" and not gpu_names():
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def gpu_names() -> list[str]:
    """Names of the GPUs TensorFlow can use (empty on a CPU-only machine)."""
    quiet_tensorflow()
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]


def set_plot_style() -> None:
    """A consistent, readable matplotlib style for every figure of the course."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "image.cmap": "gray_r",
        }
    )


def environment_report() -> dict[str, str]:
    """Versions, backend, device and mode, as short strings."""
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    gpus = gpu_names()
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "backend": keras.backend.backend(),
        "device": f"GPU ({len(gpus)})" if gpus else f"CPU ({os.cpu_count()} cores)",
        "mode": mode(),
    }


def format_report(report: dict[str, str]) -> str:
    """One line: `python 3.11.7 | keras 3.13.0 | ... | mode full`."""
    return " | ".join(f"{key} {value}" for key, value in report.items())


def setup(seed: int = DEFAULT_SEED, *, report: bool = True) -> None:
    """The one call of a notebook's setup cell.

    Quiets TensorFlow, seeds Python, NumPy and Keras, sets the plot style and prints a
    one-line environment report (see `environment_report` for the same as data).
    """
    quiet_tensorflow()
    seed_everything(seed)
    set_plot_style()
    if report:
        print(format_report({**environment_report(), "seed": str(seed)}))
