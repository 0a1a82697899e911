"""The contract every registered layer and model of the package keeps, on every backend.

In the style of keras-hub's `run_layer_test`: each class registered with
`keras.saving.register_keras_serializable(package="genai_lessons")` is found automatically and
goes through the same checks: its config survives a round trip, it builds, a symbolic call
gives the eager call's shapes, the eager call is finite, a training step changes its weights
(where it has any) and a `.keras` save and load in safe mode gives identical outputs. Every one
that holds a `keras.random.SeedGenerator` (found by walking its attributes and sublayers, so a
new class is covered without a list) must also draw, once reloaded, what it would have drawn
next: the same generator states, the same next draws and the same random call.

A new registered class needs one entry in `CASES` (how to make a small instance, its inputs,
and, for a model with its own training, one training step); the first test fails until then.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pytest

import genai_lessons

PACKAGE = "genai_lessons"


def registered_classes() -> dict[str, type]:
    """Every class the package registers with Keras, by name (all modules imported first)."""
    for module in pkgutil.walk_packages(genai_lessons.__path__, f"{PACKAGE}."):
        importlib.import_module(module.name)
    prefix = f"{PACKAGE}>"
    return {
        key[len(prefix) :]: cls
        for key, cls in keras.saving.get_custom_objects().items()
        if key.startswith(prefix)
    }


def _call(layer, inputs):
    return layer(inputs, training=False)


@dataclass
class Case:
    make: Callable[[], Any]  # a small, seeded instance
    inputs: Callable[[], Any]  # eager inputs (NumPy), batch first
    probe: Callable[[Any, Any], Any] = _call  # deterministic outputs, compared after save/load
    train: Callable[[Any], None] | None = None  # one training step, for models with their own


def _rng(seed=0):
    return np.random.default_rng(seed)


def _ids():
    return _rng().integers(0, 11, (2, 6)).astype("int32")


def _sequence():
    return _rng().normal(size=(2, 5, 8)).astype("float32")


def _sampling_inputs():
    return [
        _rng().normal(size=(4, 3)).astype("float32"),
        _rng(1).normal(size=(4, 3)).astype("float32"),
    ]


def _sampling_probe(layer, inputs):
    # A vanishing variance makes z = mean: the deterministic part of the layer.
    mean, _ = inputs
    return layer([mean, np.full_like(mean, -60.0)])


def _gan():
    from genai_lessons.models import gan, gan_networks

    keras.utils.set_random_seed(0)
    networks = gan_networks.PointNetworkConfig(latent_dim=4, units=8, hidden_layers=1)
    return gan.GAN(
        gan_networks.build_point_generator(networks),
        gan_networks.build_point_discriminator(networks),
        gan.GANConfig(latent_dim=4, seed=1),
        name="contract_gan",
    )


def _train_gan(model):
    model.compile()
    model.fit(_rng(2).normal(size=(16, 2)).astype("float32"), batch_size=8, epochs=1, verbose=0)


def _vae():
    from genai_lessons.models import vae

    keras.utils.set_random_seed(0)
    return vae.build_vae(
        vae.VAEConfig(image_shape=(4, 4, 1), latent_dim=2, hidden_units=(8,), seed=1)
    )


def _images():
    return _rng(3).uniform(size=(8, 4, 4, 1)).astype("float32")


def _vae_probe(model, images):
    z_mean, z_log_var = model.encoder(images, training=False)
    return [z_mean, z_log_var, model.decoder(z_mean, training=False)]


def _train_vae(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(_images(), batch_size=4, epochs=1, verbose=0)


def _transformer(class_name, *args, **kwargs):
    from genai_lessons.models import attention, transformer

    module = attention if hasattr(attention, class_name) else transformer
    return lambda: getattr(module, class_name)(*args, **kwargs)


def _sampling():
    from genai_lessons.models import vae

    return vae.Sampling(seed=4, name="sampling")


def _conditional_vae():
    from genai_lessons.models import conditional

    keras.utils.set_random_seed(0)
    return conditional.build_conditional_vae(
        conditional.ConditionalVAEConfig(
            image_shape=(4, 4, 1), num_classes=3, latent_dim=2, hidden_units=(8,), seed=1
        )
    )


def _labelled_images():
    return {"images": _images(), "labels": (np.arange(8) % 3).astype("int32")}


def _conditional_vae_probe(model, inputs):
    # Tensors, not NumPy: a call's list input may not mix the two.
    images, labels = (keras.ops.convert_to_tensor(inputs[k]) for k in ("images", "labels"))
    z_mean, z_log_var = model.encoder([images, labels], training=False)
    return [z_mean, z_log_var, model.decoder([z_mean, labels], training=False)]


def _train_conditional_vae(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(_labelled_images(), batch_size=4, epochs=1, verbose=0)


def _diffusion():
    from genai_lessons.models import diffusion

    keras.utils.set_random_seed(0)
    return diffusion.build_diffusion(
        diffusion.DiffusionConfig(
            data_shape=(2,), steps=10, width=8, depth=1, embedding_dim=4, num_classes=3, seed=1
        )
    )


def _labelled_points():
    return {
        "data": _rng(5).normal(size=(8, 2)).astype("float32"),
        "label": (np.arange(8) % 3).astype("int32"),
    }


def _diffusion_probe(model, inputs):
    # The call draws t and the noise; the denoiser at fixed steps and labels ("no class" too)
    # is the deterministic part.
    steps = (np.arange(8) % 10 + 1).astype("int32")
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3], "int32")
    return model.denoiser([inputs["data"], steps, labels], training=False)


def _train_diffusion(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(_labelled_points(), batch_size=4, epochs=1, verbose=0)


def _step_embedding():
    from genai_lessons.models import diffusion

    return diffusion.StepEmbedding(8, name="step_sines")


CASES: dict[str, Case] = {
    "PositionalEmbedding": Case(_transformer("PositionalEmbedding", 11, 8, 8, name="embed"), _ids),
    "CausalSelfAttention": Case(
        _transformer("CausalSelfAttention", 8, 2, name="attend"), _sequence
    ),
    "TransformerBlock": Case(
        _transformer("TransformerBlock", 8, 2, mlp_ratio=2, dropout=0.1, name="block"), _sequence
    ),
    "SeededDropout": Case(_transformer("SeededDropout", 0.3, name="dropout"), _sequence),
    "Sampling": Case(_sampling, _sampling_inputs, probe=_sampling_probe),
    "GAN": Case(_gan, lambda: _rng(4).normal(size=(3, 4)).astype("float32"), train=_train_gan),
    "VAE": Case(_vae, _images, probe=_vae_probe, train=_train_vae),
    "ConditionalVAE": Case(
        _conditional_vae,
        _labelled_images,
        probe=_conditional_vae_probe,
        train=_train_conditional_vae,
    ),
    "Diffusion": Case(_diffusion, _labelled_points, probe=_diffusion_probe, train=_train_diffusion),
    "StepEmbedding": Case(_step_embedding, lambda: np.array([0, 1, 7, 10], "int32")),
}

NAMES = sorted(registered_classes())


def test_every_registered_class_has_a_contract_case():
    missing = sorted(set(NAMES) - set(CASES))
    assert not missing, (
        f"registered classes without an entry in tests/test_layer_contract.py "
        f"CASES (how to make a small instance and its inputs): {missing}"
    )
    assert {"GAN", "VAE", "TransformerBlock"} <= set(NAMES)  # discovery works


def _case(name) -> Case:
    if name not in CASES:
        pytest.fail(f"{name} has no entry in CASES: add one (see the module docstring)")
    return CASES[name]


def _numpy(outputs):
    return [keras.ops.convert_to_numpy(x) for x in keras.tree.flatten(outputs)]


def _symbolic(inputs):
    return keras.tree.map_structure(
        lambda x: keras.Input(shape=x.shape[1:], dtype=str(x.dtype), batch_size=None), inputs
    )


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    case = _case(name)
    layer = case.make()
    # Copies through JSON: the config must be plain JSON (as in a .keras file), and
    # deserializing nested objects may consume the dicts it is given.
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert type(clone) is type(layer)
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


@pytest.mark.parametrize("name", NAMES)
def test_build_symbolic_and_eager_calls_agree(name):
    case = _case(name)
    layer, inputs = case.make(), case.inputs()
    symbolic = keras.tree.flatten(layer(_symbolic(inputs)))
    assert layer.built
    eager = _numpy(_call(layer, inputs))
    assert len(symbolic) == len(eager)
    for sym, value in zip(symbolic, eager):
        assert tuple(sym.shape[1:]) == value.shape[1:] and sym.shape[0] in (None, value.shape[0])
        assert np.all(np.isfinite(value)), f"{name}: non-finite eager output"


def _weights(layer):
    return [keras.ops.convert_to_numpy(w).copy() for w in layer.trainable_weights]


@pytest.mark.parametrize("name", NAMES)
def test_a_training_step_changes_the_weights(name):
    case = _case(name)
    layer, inputs = case.make(), case.inputs()
    if case.train is not None:  # a model with its own training
        model = layer
        model(inputs)  # builds
        before = _weights(model)
        case.train(model)
    else:
        symbolic = _symbolic(inputs)
        model = keras.Model(symbolic, layer(symbolic))
        if not layer.trainable_weights:
            pytest.skip(f"{name} has no weights to train (only its calls and saving are checked)")
        before = _weights(layer)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
        target = [np.ones_like(x) for x in _numpy(_call(layer, inputs))]
        logs = model.fit(inputs, target[0] if len(target) == 1 else target, epochs=1, verbose=0)
        assert np.isfinite(logs.history["loss"][-1])
    after = _weights(layer)
    assert before and any(not np.array_equal(b, a) for b, a in zip(before, after)), (
        f"{name}: no weight moved in a training step"
    )
    assert all(np.all(np.isfinite(a)) for a in after)


def _saved_and_loaded(name, tmp_path, draw_first=False):
    """(layer, inputs, reloaded layer): trained first if the class has its own training, else
    saved inside a functional wrapper; the round trip is a `.keras` file loaded in safe mode.
    `draw_first` makes one random call before saving, so every seed stream has moved on."""
    case = _case(name)
    layer, inputs = case.make(), case.inputs()
    if case.train is not None:
        layer(inputs)
        case.train(layer)  # saved with trained weights and optimizer state
        saved = layer
    else:
        symbolic = _symbolic(inputs)
        saved = keras.Model(symbolic, layer(symbolic), name="wrapper")
    if draw_first:
        _stochastic_call(layer, inputs)
    path = tmp_path / f"{name}.keras"
    saved.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(saved)
    loaded_layer = loaded if case.train is not None else loaded.get_layer(layer.name)
    assert type(loaded_layer) is type(layer)
    return layer, inputs, loaded_layer


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip_in_safe_mode_gives_identical_outputs(name, tmp_path):
    case = _case(name)
    layer, inputs, loaded_layer = _saved_and_loaded(name, tmp_path)
    for ours, theirs in zip(
        _numpy(case.probe(layer, inputs)), _numpy(case.probe(loaded_layer, inputs))
    ):
        np.testing.assert_array_equal(ours, theirs)


# --------------------------------------------------------------------------- random streams


def seed_generators(obj, path: str = "") -> dict[str, keras.random.SeedGenerator]:
    """Every `SeedGenerator` reachable from a layer or model through its attributes, lists,
    dicts and sublayers (Keras's own included, e.g. a `Dropout` inside a block), by the path of
    attribute names that first reaches it; the same structure gives the same paths."""
    found: dict[str, keras.random.SeedGenerator] = {}
    seen: set[int] = set()

    def walk(value, where):
        if id(value) in seen:
            return
        if isinstance(value, keras.random.SeedGenerator):
            seen.add(id(value))
            found[where] = value
        elif isinstance(value, keras.layers.Layer):
            seen.add(id(value))
            for attribute, item in sorted(vars(value).items()):
                walk(item, f"{where}.{attribute}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        elif isinstance(value, dict):
            for key in sorted(value, key=str):
                walk(value[key], f"{where}[{key!r}]")

    walk(obj, path)
    return found


def _stochastic_call(layer, inputs):
    # In training mode: the call draws whatever the class draws (steps and noise, z, dropout).
    return layer(inputs, training=True)


def _holds_a_seed_generator(name):
    return bool(seed_generators(_case(name).make()))


RANDOM = [name for name in NAMES if name in CASES and _holds_a_seed_generator(name)]


def test_the_walk_finds_the_seed_generators_that_draw():
    assert {"Sampling", "VAE", "ConditionalVAE", "Diffusion", "GAN", "TransformerBlock"} <= set(
        RANDOM
    )
    assert "SeededDropout" in RANDOM
    assert "PositionalEmbedding" not in RANDOM and "StepEmbedding" not in RANDOM
    from genai_lessons.models import vae

    sampling = vae.Sampling(seed=1)
    model = keras.Sequential([keras.layers.Dropout(0.5, seed=2), sampling])
    paths = seed_generators(model, "model")
    assert sampling.seed_generator in paths.values() and len(paths) == 2


@pytest.mark.parametrize("name", RANDOM)
def test_a_reloaded_object_draws_what_the_saved_one_draws_next(name, tmp_path):
    layer, inputs, loaded_layer = _saved_and_loaded(name, tmp_path, draw_first=True)
    ours, theirs = seed_generators(layer), seed_generators(loaded_layer)
    assert ours and sorted(ours) == sorted(theirs)
    for path, generator in ours.items():  # the positions in the streams survive
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(theirs[path].state),
            keras.ops.convert_to_numpy(generator.state),
            err_msg=f"{name}{path}: the seed state restarts after loading",
        )
    # The next random call, then the next draw of every stream, are the same.
    for a, b in zip(
        _numpy(_stochastic_call(layer, inputs)), _numpy(_stochastic_call(loaded_layer, inputs))
    ):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6, err_msg=f"{name}: random call")
    for path, generator in ours.items():
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(keras.random.uniform((6,), seed=theirs[path])),
            keras.ops.convert_to_numpy(keras.random.uniform((6,), seed=generator)),
            err_msg=f"{name}{path}: the next draw differs",
        )
