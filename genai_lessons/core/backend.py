"""What differs between Keras's backends (TensorFlow, JAX, PyTorch), except gradients.

Models, layers and losses are written in `keras.ops` and run on every backend unchanged. What
cannot be written that way lives here and in `autodiff` (gradients in custom training steps and
notebook cells): which backend runs and its version, quieting TensorFlow's log lines, listing
GPUs, deterministic kernels, JAX's switch for 64-bit floats and sizes known before tracing. The
backend is chosen by the environment variable `KERAS_BACKEND` before Keras is first imported;
no module but these two imports a backend framework.

Backend frameworks are imported inside functions only, so that `settings.setup()` can silence
TensorFlow before its first import.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import sys
import warnings

BACKENDS = ("tensorflow", "jax", "torch")
"""The backends the course is tested on."""

_FRAMEWORK_DISTRIBUTIONS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


# Modules whose DeprecationWarning/FutureWarning noise `quiet` hides (and only theirs).
_FRAMEWORK_MODULES = (
    r"(tensorflow|keras|tf_keras|absl|google\.protobuf|h5py|jax|jaxlib|torch|optree)(\.|$)"
)


class BackendError(RuntimeError):
    """Raised when the selected backend cannot do what was asked; names `KERAS_BACKEND`."""


def name() -> str:
    """The active Keras backend: "tensorflow", "jax" or "torch" (Keras's own name for it)."""
    import keras

    return keras.backend.backend()


def check_supported() -> str:
    """Return the active backend's name, or raise `BackendError` if the course does not run on it."""
    backend = name()
    if backend not in BACKENDS:
        raise BackendError(
            f"KERAS_BACKEND={backend!r} is not supported by the course: set KERAS_BACKEND to one "
            f"of {', '.join(BACKENDS)} before the first `import keras` (then restart the kernel)"
        )
    return backend


def framework_version(backend: str | None = None) -> str:
    """The installed version of the backend's framework ("2.20.0"), or "not installed"."""
    backend = backend or name()
    try:
        return importlib.metadata.version(_FRAMEWORK_DISTRIBUTIONS.get(backend, backend))
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- logs


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


def quiet() -> None:
    """Import Keras and its backend without log noise, and keep them quiet afterwards.

    Must run before the first `import keras` to take full effect (Keras imports its backend).
    TensorFlow is imported with C-level standard error muted and its devices initialised; JAX
    is told not to warn about a missing CUDA build on a CPU-only machine, and on JAX or PyTorch
    seeding no longer imports TensorFlow (see `_seed_without_tensorflow`). Later calls only
    reapply the Python-side log levels.
    """
    # Level 3 hides TensorFlow's C++ INFO, WARNING and ERROR lines: at level 2, a Keras fit on
    # arrays whose last batch is partial still prints a harmless "use_unbounded_threadpool"
    # ERROR line. Real failures still raise Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # Only the frameworks' own deprecation noise: a learner's DeprecationWarning still shows.
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=_FRAMEWORK_MODULES)
    import logging

    logging.getLogger("jax._src.xla_bridge").setLevel(logging.ERROR)  # "no GPU/TPU found" lines
    backend = os.environ["KERAS_BACKEND"]
    if backend == "tensorflow" or "tensorflow" in sys.modules:
        if "tensorflow" not in sys.modules:
            with _stderr_to_devnull():
                import tensorflow as tf

                tf.config.list_physical_devices()  # device discovery prints its own lines
        import absl.logging  # ships with TensorFlow
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        absl.logging.set_verbosity(absl.logging.ERROR)
    import keras  # noqa: F401  (imports the chosen backend now, quietly)

    if backend != "tensorflow" and "tensorflow" not in sys.modules:
        _seed_without_tensorflow()


def _seed_without_tensorflow() -> None:
    """Stop `keras.utils.set_random_seed` importing TensorFlow on JAX or PyTorch.

    Keras seeds TensorFlow too whenever TensorFlow is installed, whatever the backend, and
    importing it only for that costs about 460 MB of resident memory in a JAX kernel (lesson 4
    on JAX peaked at 2.6 GiB with it, 2.2 GiB without). Keras seeds it for `tf.data`
    pipelines, which the course never uses off TensorFlow: no JAX or PyTorch computation draws
    from TensorFlow's generator. Keras asks its lazy `tensorflow` module whether TensorFlow is
    `available`; the seeding function gets its own copy of that module that answers no (every
    other use of TensorFlow in Keras is left as it is). A Keras without that module is left
    alone.
    """
    try:
        from keras.src.utils import module_utils, rng_utils
    except ImportError:
        return
    lazy = getattr(rng_utils, "tf", None)
    if isinstance(lazy, module_utils.LazyModule) and lazy.name == "tensorflow":
        unavailable = module_utils.LazyModule("tensorflow")
        unavailable._available = False
        rng_utils.tf = unavailable


# --------------------------------------------------------------------------- devices, determinism


def gpu_names() -> list[str]:
    """Names of the GPUs the active backend can use (empty on a CPU-only machine)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return [device.name for device in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(device) for device in jax.devices() if device.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def enable_determinism() -> None:
    """Ask the backend for deterministic kernels where its defaults are not deterministic.

    TensorFlow on a GPU: op determinism (GPU kernels such as scatter-adds race otherwise).
    TensorFlow on a CPU: nothing. Its CPU kernels and XLA's compiled CPU programs give the same
    numbers on rerun with the same seed (tests/test_reproducibility.py checks it bit for bit),
    while op determinism would make Keras silently refuse XLA (`settings.use_xla`).
    PyTorch: deterministic algorithms (warning, not failing, where one has none). JAX is
    deterministic on CPU already.
    """
    backend = name()
    if backend == "tensorflow" and gpu_names():
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


def require_float64() -> None:
    """Make float64 computations really run in float64 on the active backend.

    JAX computes in 32 bits unless its `jax_enable_x64` flag is on: a float64 Keras layer then
    silently holds float32 weights. This turns the flag on for the rest of the process (it only
    changes the default of newly created arrays; existing float32 models are unaffected).
    TensorFlow and PyTorch need nothing.
    """
    if name() == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)


def known_length(x, axis: int = -1) -> int | None:
    """The size of `x` along `axis` when it is known now, else None.

    None for a symbolic size: None on TensorFlow, a symbolic dimension on JAX, and any size
    while PyTorch infers shapes on its "meta" device (Keras fills unknown sizes with a
    placeholder there, which must not be checked).
    """
    if getattr(x, "is_meta", False):  # PyTorch shape inference
        return None
    size = x.shape[axis]
    return size if isinstance(size, int) else None
