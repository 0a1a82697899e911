"""Gradients on every Keras backend, and custom training steps that take them.

Keras's own `fit` differentiates a model's loss on any backend; what it does not offer is the
gradient of some scalar with respect to chosen variables inside a custom `train_step` (the GAN's
two-player step) or of a function with respect to its inputs in a notebook cell (the
reparameterization trick, checked by autodiff). Each backend has its own mechanism
(`tf.GradientTape`, `torch.autograd`, `jax.value_and_grad` of a pure function); this module,
with `backend`, is the only place that uses them. JAX needs the most care: its trainer calls
`train_step` with the variables' values in a `state` argument, so a step written statefully runs
inside a scope that maps each variable to its value (`stateless_train_step`).

Backend frameworks are imported inside functions only, so that `settings.setup()` can silence
TensorFlow before its first import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras

from genai_lessons.core import backend

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

    variables = list(variables)
    active = backend.check_supported()
    if active == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            result = fn()
        grads = tape.gradient(result[0] if has_aux else result, variables)
    elif active == "torch":
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
    import numpy as np

    active = backend.check_supported()
    inputs = [keras.ops.convert_to_tensor(x) for x in inputs]
    if active == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            output = fn(*inputs)
            total = keras.ops.sum(output)
        grads = tape.gradient(total, inputs)
    elif active == "torch":
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
            raise backend.BackendError("build each optimizer of the group before fit")


def attach_optimizers(model, *optimizers) -> None:
    """Let `fit` on JAX carry the state of a model's own optimizers (no-op elsewhere).

    Call at the end of `compile` of a model whose `train_step` applies several optimizers
    through `stateless_train_step`; the optimizers must be built.
    """
    if backend.name() == "jax":
        model.optimizer = OptimizerGroup(*optimizers)


def _state_variables(model) -> list[list]:
    optimizer = getattr(model, "optimizer", None)
    if backend.name() == "jax" and optimizer is None:
        raise backend.BackendError(
            f"{type(model).__name__} has no optimizer for Keras's JAX trainer (KERAS_BACKEND=jax): "
            "call autodiff.attach_optimizers(model, ...) in its compile"
        )
    return [
        model.trainable_variables,
        model.non_trainable_variables,
        list(optimizer.variables),
        model.metrics_variables,
    ]


def stateless_train_step(model, step: Callable, *args):
    """Run a statefully written training step on any backend; call it from `train_step`.

    Usage in a model: `def train_step(self, *args): return autodiff.stateless_train_step(self,
    self.stateful_step, *args)`, where `stateful_step(data)` takes gradients with
    `value_and_grad`, applies optimizers and updates metrics, and returns the logs.

    On TensorFlow and PyTorch, `args` is `(data,)` and the step runs as it is. On JAX, `args`
    is `(state, data)`: the step runs with every variable mapped to its value in `state`, and
    returns `(logs, new_state)` as Keras's JAX trainer expects.
    """
    if backend.name() != "jax":
        (data,) = args
        return step(data)

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
