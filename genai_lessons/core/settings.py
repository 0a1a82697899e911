"""Course-wide settings: quick or full mode, seeding, quiet logs, plot style, environment report.

Every notebook's first code cell calls :func:`setup`, which must run before Keras is imported
so that TensorFlow's C++ log lines can be silenced. This module therefore imports Keras only
inside functions; everything backend-specific is in `genai_lessons.core.backend`.
"""

from __future__ import annotations

import os
import platform
import random
from typing import TypeVar

import numpy as np

from genai_lessons.core import backend
from genai_lessons.core.validation import check_bool, check_int

QUICK_ENV = "GENAI_LESSONS_QUICK"
"""Environment variable that selects quick mode when set to 1 (CI and the test suite do)."""

XLA_ENV = "GENAI_LESSONS_XLA"
"""Environment variable: 1 makes `setup` turn `use_xla` on (off by default: see `use_xla`)."""

DEFAULT_SEED = 42

INSTALL_SOURCE = "genai-lessons @ git+https://github.com/genai-lessons/genai-lessons@main"
"""What `pip install` receives on Colab: the branch the notebooks' Colab badges open (`main`),
so a notebook opened from GitHub gets the package it was written for. The notebooks' setup
cells use exactly this string (tests/test_colab_setup.py checks it), so moving the repository
or the branch means changing it here and there only."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def _flag(variable: str, default: bool) -> bool:
    raw = os.environ.get(variable)
    if raw is None:
        return default
    raw = raw.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{variable} must be 1 or 0 (or true/false), got {raw!r}")


def is_quick() -> bool:
    """Return True when quick mode is selected by `GENAI_LESSONS_QUICK`.

    Raises:
        ValueError: if the variable holds something other than a yes/no value.
    """
    return _flag(QUICK_ENV, default=False)


def xla_wanted() -> bool:
    """Whether `setup` turns `use_xla` on: only when `GENAI_LESSONS_XLA` is 1.

    Off by default: measured on the course's 2-core CPU, XLA made the DCGAN's epochs faster but
    the diffusion model's slower, and its compile time doubled lesson 2's full run (many small
    models, each compiled once); see the README's performance section.
    """
    return _flag(XLA_ENV, default=False)


def mode() -> str:
    """Return "quick" or "full"."""
    return "quick" if is_quick() else "full"


def pick(*, quick: T, full: T) -> T:
    """Return `quick` in quick mode and `full` otherwise.

    Used in a notebook's parameters cell: `EPOCHS = settings.pick(quick=2, full=40)`.
    """
    return quick if is_quick() else full


def quiet_logs() -> None:
    """Import Keras and its backend without log noise (see `backend.quiet`)."""
    backend.quiet()


def seed_everything(seed: int = DEFAULT_SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy and Keras (and its backend) so that re-runs give identical results.

    Args:
        seed: a non-negative integer.
        deterministic: also ask the backend for deterministic kernels (`backend.enable_determinism`);
            on a GPU runs are seeded but may differ in the last digits.
    """
    check_int("seed", seed, minimum=0)
    check_bool("deterministic", deterministic)
    quiet_logs()
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        backend.enable_determinism()


_keras_auto_jit = None  # Keras's own resolution of jit_compile="auto", while `use_xla` replaces it


def _draws_dropout_masks(model) -> bool:
    """Whether a model holds a dropout layer with a rate above 0 (it draws random masks)."""
    import keras

    return any(
        isinstance(layer, keras.layers.Dropout) and layer.rate > 0
        for layer in model._flatten_layers()
    )


def use_xla(enabled: bool = True) -> None:
    """Make `compile(jit_compile="auto")`, Keras's default, mean XLA where it pays and is supported.

    Keras resolves "auto" to no XLA on a CPU-only TensorFlow machine, although XLA cuts the CPU
    time of some of the course's training steps there (`genai-lessons bench`: the DCGAN's by
    10-20%) and, like TensorFlow's CPU kernels, gives the same numbers on rerun with
    the same seed (checked bit for bit when this was written; tests/test_reproducibility.py checks
    the default policy on every run). It costs compile time per model, so `setup` turns it on
    only when asked (`xla_wanted`). The exception is a
    model with dropout: XLA's random numbers cost TensorFlow on a CPU more than fusion saves
    (the lesson-5 GPT's step takes about 15% more CPU time), so such a model keeps Keras's
    default there. On JAX "auto" means XLA already; on PyTorch it stays eager (Keras would use
    `torch.compile`, whose compile time outweighs the gain for the course's small models).
    A model compiled with an explicit `jit_compile=False` (or True) keeps its choice.

    Args:
        enabled: False gives "auto" back its Keras meaning.
    """
    global _keras_auto_jit
    check_bool("enabled", enabled)
    quiet_logs()
    import keras

    try:  # Keras's resolution of "auto" is a private method: without it, Keras's default stays
        from keras.src.trainers import trainer
    except ImportError:
        return
    resolve = getattr(trainer.Trainer, "_resolve_auto_jit_compile", None)
    supports = getattr(trainer, "model_supports_jit", None)
    if resolve is None or supports is None:
        return
    if _keras_auto_jit is None:
        _keras_auto_jit = resolve
    if not enabled:
        trainer.Trainer._resolve_auto_jit_compile = _keras_auto_jit
        return
    original = _keras_auto_jit

    def resolve_auto_jit(model):
        name = keras.backend.backend()
        if name == "torch" or (name == "tensorflow" and _draws_dropout_masks(model)):
            return original(model)
        return bool(supports(model))

    trainer.Trainer._resolve_auto_jit_compile = resolve_auto_jit


def gpu_names() -> list[str]:
    """Names of the GPUs the Keras backend can use (empty on a CPU-only machine)."""
    quiet_logs()
    return backend.gpu_names()


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
    """Versions, backend, device and mode, as short strings.

    The backend's framework version is under the backend's name ("tensorflow", "jax" or
    "torch"). Raises `backend.BackendError` on a backend the course does not support.
    """
    quiet_logs()
    import keras

    gpus = gpu_names()
    name = backend.check_supported()
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": name,
        name: backend.framework_version(name),
        "device": f"GPU ({len(gpus)})" if gpus else f"CPU ({os.cpu_count()} cores)",
        "mode": mode(),
    }


def format_report(report: dict[str, str]) -> str:
    """One line: `python 3.11.7 | keras 3.13.0 | ... | mode full`."""
    return " | ".join(f"{key} {value}" for key, value in report.items())


def _time_fits() -> None:
    """Under `genai-lessons run`, time every `fit` (see `timing.time_fits`)."""
    from genai_lessons.core import timing  # imports Keras: only after `quiet_logs`

    path = os.environ.get(timing.TIMING_ENV)
    if path:
        timing.time_fits(path)


def setup(seed: int = DEFAULT_SEED, *, report: bool = True) -> None:
    """The one call of a notebook's setup cell.

    Quiets the backend's logs, makes float64 mean float64 on every backend (JAX needs a switch
    for it; models stay float32, Keras's default), seeds Python, NumPy and Keras, compiles
    models with XLA where they support it only if `GENAI_LESSONS_XLA=1` (`use_xla`), sets the
    plot style and prints a one-line environment report (see `environment_report` for the
    same as data).
    """
    quiet_logs()
    backend.check_supported()
    backend.require_float64()  # NumPy float64 stays float64 on JAX too, as on TensorFlow and PyTorch
    seed_everything(seed)
    use_xla(xla_wanted())
    _time_fits()
    set_plot_style()
    if report:
        print(format_report({**environment_report(), "seed": str(seed)}))
