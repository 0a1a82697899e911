"""Everything that differs between Keras's backends (TensorFlow, JAX, PyTorch), in one place.

Models, layers and losses are written in `keras.ops` and run on every backend unchanged. What
cannot be written that way lives here: the gradient of a loss with respect to some variables
inside a custom training step (the GAN's two-player step), listing GPUs, deterministic kernels,
quieting TensorFlow's log lines, and JAX's switch for 64-bit floats. The backend is chosen by
the environment variable `KERAS_BACKEND` before Keras is first imported; nothing else in the
package imports a backend framework.

Backend frameworks are imported inside functions only, so that `settings.setup()` can silence
TensorFlow before its first import.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import sys
import warnings
from collections.abc import Callable, Sequence

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
    is told not to warn about a missing CUDA build on a CPU-only machine. Later calls only
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


# --------------------------------------------------------------------------- gradients


def value_and_grad(fn: Callable[[], object], variables: Sequence, has_aux: bool = False):
    """Evaluate `fn()` and its gradient with respect to `variables`, on the active backend.

    `fn` takes no arguments and returns a scalar tensor computed from Keras variables (a loss
    from a model's forward pass). On JAX, where gradients are taken of pure functions, this
    works inside `train_step` (see `stateless_train_step`); TensorFlow and PyTorch also allow
    it anywhere, e.g. in a notebook cell.

    Args:
        fn: the scalar function; with `has_aux`, it returns `(scalar, aux)` where `aux` holds
            other tensors computed on the way (e.g. the model's outputs), not differentiated.
        variables: the `keras.Variable`s to differentiate with respect to.
        has_aux: whether `fn` returns `(scalar, aux)`.

    Returns:
        `(value, gradients)`, or `((value, aux), gradients)` with `has_aux`: one gradient per
        variable, in order (zeros for a variable `fn` does not depend on).
    """
    import keras

    variables = list(variables)
    backend = check_supported()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            result = fn()
        grads = tape.gradient(result[0] if has_aux else result, variables)
    elif backend == "torch":
        import torch

        with torch.enable_grad():
            result = fn()
            grads = torch.autograd.grad(
                result[0] if has_aux else result, [v.value for v in variables], allow_unused=True
            )
    else:
        result, grads = _jax_value_and_grad(fn, variables, has_aux)
    # The value and aux go on to metrics and logs: no graph attached (PyTorch would keep one).
    result = keras.tree.map_structure(keras.ops.stop_gradient, result)
    return result, [keras.ops.zeros_like(v) if g is None else g for v, g in zip(variables, grads)]


def gradients(fn: Callable[[], object], variables: Sequence) -> list:
    """Just the gradients of `value_and_grad`: d fn() / d variable, for each variable."""
    return value_and_grad(fn, variables)[1]


def grad_of_inputs(fn: Callable, inputs: Sequence) -> tuple[object, list]:
    """`fn(*inputs)` and the gradient of its sum with respect to each input (plain arrays).

    Shows automatic differentiation on the active backend, eagerly, outside any training step:
    for an elementwise `fn` the gradient of the sum is the elementwise derivative. `fn` is
    written in `keras.ops` (and may call layers; their side effects, such as a `SeedGenerator`
    advancing, are kept).

    Returns:
        (output, gradients) as NumPy arrays, one gradient per input.
    """
    import keras
    import numpy as np

    backend = check_supported()
    inputs = [keras.ops.convert_to_tensor(x) for x in inputs]
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            output = fn(*inputs)
            total = keras.ops.sum(output)
        grads = tape.gradient(total, inputs)
    elif backend == "torch":
        import torch

        inputs = [x.detach().clone().requires_grad_(True) for x in inputs]
        with torch.enable_grad():
            output = fn(*inputs)
            grads = torch.autograd.grad(keras.ops.sum(output), inputs, allow_unused=True)
        output = output.detach()
    else:
        output, grads = _jax_grad_of_inputs(fn, inputs)
    grads = [
        np.zeros(keras.ops.shape(x)) if g is None else keras.ops.convert_to_numpy(g)
        for x, g in zip(inputs, grads)
    ]
    return keras.ops.convert_to_numpy(output), grads


# --------------------------------------------------------------------------- JAX training steps
#
# Keras's JAX trainer calls `train_step(state, data)` inside `jax.jit`, passing every variable's
# value in `state` (the variables themselves hold nothing while an epoch runs). A custom step
# written statefully (read weights, take gradients, `optimizer.apply`, update metrics) runs
# unchanged inside a `keras.StatelessScope` that maps each variable to its value in `state`;
# assignments are recorded in the scope and returned as the new state.

_active_jax_step: list = []  # stack of (scope, all variables) of the running stateless steps


class OptimizerGroup:
    """Several optimizers seen as one by Keras's JAX trainer, which carries the variables of
    `model.optimizer` through its jitted steps (a GAN has one optimizer per network)."""

    def __init__(self, *optimizers):
        self.optimizers = list(optimizers)

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]

    @property
    def built(self):
        return all(optimizer.built for optimizer in self.optimizers)

    @property
    def iterations(self):
        return self.optimizers[0].iterations

    def build(self, variables):  # each optimizer is built for its own network already
        if not self.built:
            raise BackendError("build each optimizer of the group before fit")


def attach_optimizers(model, *optimizers) -> None:
    """Let `fit` on JAX carry the state of a model's own optimizers (no-op elsewhere).

    Call at the end of `compile` of a model whose `train_step` applies several optimizers
    through `stateless_train_step`; the optimizers must be built.
    """
    if name() == "jax":
        model.optimizer = OptimizerGroup(*optimizers)


def _state_variables(model) -> list[list]:
    optimizer = getattr(model, "optimizer", None)
    if name() == "jax" and optimizer is None:
        raise BackendError(
            f"{type(model).__name__} has no optimizer for Keras's JAX trainer (KERAS_BACKEND=jax): "
            "call backend.attach_optimizers(model, ...) in its compile"
        )
    return [
        model.trainable_variables,
        model.non_trainable_variables,
        list(optimizer.variables),
        model.metrics_variables,
    ]


def stateless_train_step(model, step: Callable, *args):
    """Run a statefully written training step on any backend; call it from `train_step`.

    Usage in a model: `def train_step(self, *args): return backend.stateless_train_step(self,
    self.stateful_step, *args)`, where `stateful_step(data)` takes gradients with
    `value_and_grad`, applies optimizers and updates metrics, and returns the logs.

    On TensorFlow and PyTorch, `args` is `(data,)` and the step runs as it is. On JAX, `args`
    is `(state, data)`: the step runs with every variable mapped to its value in `state`, and
    returns `(logs, new_state)` as Keras's JAX trainer expects.
    """
    if name() != "jax":
        (data,) = args
        return step(data)
    import keras

    state, data = args
    groups = _state_variables(model)
    mapping = [
        (v, value)
        for variables, values in zip(groups, state)
        for v, value in zip(variables, values)
    ]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        _active_jax_step.append((scope, [v for variables in groups for v in variables]))
        try:
            logs = step(data)
        finally:
            _active_jax_step.pop()
    new_state = tuple([scope.get_current_value(v) for v in variables] for variables in groups)
    return logs, new_state


def _recording_scope(mapping):
    """A `keras.StatelessScope` that also remembers which variables were assigned in it."""
    import keras

    class RecordingScope(keras.StatelessScope):
        def __init__(self):
            super().__init__(state_mapping=mapping)
            self.updated = {}

        def add_update(self, update):
            super().add_update(update)
            self.updated[id(update[0])] = update[0]

    return RecordingScope()


def _jax_pure(fn, variables, has_aux):
    """`fn` as a pure function of the values of `variables`, for `jax.value_and_grad`.

    Every other variable is read from the running training step's state (or, outside a step,
    from the variable itself); what `fn` assigns to them (batch-norm statistics, random seeds)
    is returned as auxiliary output and collected in `changed`, so the caller can assign it.
    """
    outer = _active_jax_step[-1] if _active_jax_step else None
    ids = {id(v) for v in variables}
    base = (
        []
        if outer is None
        else [(v, outer[0].get_current_value(v)) for v in outer[1] if id(v) not in ids]
    )
    changed = []

    def pure(*values):
        with _recording_scope(base + list(zip(variables, values))) as scope:
            result = fn()
        value, aux = result if has_aux else (result, None)
        changed[:] = [v for v in scope.updated.values() if id(v) not in ids]
        return value, (aux, [scope.get_current_value(v) for v in changed])

    start = [outer[0].get_current_value(v) if outer else v.value for v in variables]
    return pure, start, changed


def _jax_value_and_grad(fn, variables, has_aux):
    import jax

    pure, start, changed = _jax_pure(fn, variables, has_aux)
    argnums = tuple(range(len(variables)))
    (value, (aux, updates)), grads = jax.value_and_grad(pure, argnums, has_aux=True)(*start)
    for v, update in zip(changed, updates):
        v.assign(update)  # inside a step: recorded by the step's scope
    return ((value, aux) if has_aux else value), list(grads)


def _jax_grad_of_inputs(fn, inputs):
    import jax
    import keras

    changed = []

    def pure(*xs):  # eager use only: other variables are read from themselves
        with _recording_scope([]) as scope:
            output = fn(*xs)
        changed[:] = list(scope.updated.values())
        return keras.ops.sum(output), (output, [scope.get_current_value(v) for v in changed])

    argnums = tuple(range(len(inputs)))
    (_, (output, updates)), grads = jax.value_and_grad(pure, argnums, has_aux=True)(*inputs)
    for v, update in zip(changed, updates):
        v.assign(update)  # e.g. a layer's SeedGenerator moves on, as it would without autodiff
    return output, list(grads)
