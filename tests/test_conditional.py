"""Tests of genai_lessons.models.conditional: the loss against a NumPy reference, that the class is
really an input, training, serialization, generation and the obedience measure."""

import dataclasses

import keras
import numpy as np
import pytest

from genai_lessons.datasets import image_sets
from genai_lessons.models import conditional, latent, vae

TINY = conditional.ConditionalVAEConfig(latent_dim=2, hidden_units=(32,), seed=3)


@pytest.fixture(scope="module")
def digits():
    return image_sets.load_digits()


@pytest.fixture(scope="module")
def trained(digits):
    """A tiny conditional VAE trained briefly on the digits."""
    keras.utils.set_random_seed(0)
    return conditional.train_conditional_vae(
        digits.x_train,
        digits.y_train,
        dataclasses.replace(TINY, hidden_units=(64,)),
        conditional.vae.TrainConfig(epochs=25, batch_size=64, learning_rate=5e-3),
    )


def test_shapes_and_the_class_is_an_input():
    model = conditional.build_conditional_vae(TINY)
    images = np.random.default_rng(0).uniform(size=(5, 8, 8, 1)).astype("float32")
    out = model({"images": images, "labels": np.arange(5, dtype="int32")})
    assert tuple(out["z_mean"].shape) == (5, 2) and tuple(out["reconstruction"].shape) == (
        5,
        8,
        8,
        1,
    )
    z = np.zeros((2, 2), "float32")
    drawn = keras.ops.convert_to_numpy(model.decoder([z, np.array([1, 7], "int32")]))
    assert np.abs(drawn[0] - drawn[1]).max() > 1e-4, "the same code with two classes differs"
    # The one-hot layer is Keras's own: label k switches on exactly input k.
    one_hot = model.decoder.get_layer("one_hot")(np.array([0, 9], "int32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(one_hot), np.eye(10)[[0, 9]])


def test_loss_is_reconstruction_plus_beta_times_kl():
    model = conditional.build_conditional_vae(TINY, beta=0.5)
    images = image_sets.load_digits().x_test[:16]
    inputs = {"images": images, "labels": image_sets.load_digits().y_test[:16].astype("int32")}
    out = model(inputs)
    loss = float(keras.ops.convert_to_numpy(model.compute_loss(x=inputs, y_pred=out)))
    out = {key: keras.ops.convert_to_numpy(value).astype(np.float64) for key, value in out.items()}
    recon = out["reconstruction"].clip(1e-7, 1 - 1e-7)
    bce = -np.sum(images * np.log(recon) + (1 - images) * np.log(1 - recon), axis=(1, 2, 3))
    var = np.exp(out["z_log_var"])
    kl = 0.5 * np.sum(var + out["z_mean"] ** 2 - 1 - np.log(var), axis=1)
    assert loss == pytest.approx(np.mean(bce) + 0.5 * np.mean(kl), rel=1e-4)


def test_a_conditional_vae_is_a_vae_with_labels_that_the_unconditional_helpers_refuse():
    model = conditional.build_conditional_vae(TINY, beta=0.5)
    assert isinstance(model, vae.VAE) and model.beta == 0.5
    config = model.get_config()
    assert {"encoder", "decoder", "beta", "seed"} <= set(config)
    assert type(conditional.ConditionalVAE.from_config(config)) is conditional.ConditionalVAE
    images = image_sets.load_digits().x_test[:4]
    for helper in (latent.encode, latent.reconstruct, latent.negative_elbo):
        with pytest.raises(ValueError, match="a ConditionalVAE also needs labels"):
            helper(model, images)


def test_training_lowers_the_loss_and_obeys_the_class(trained, digits):
    model, history = trained
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert set(history.history) >= {"reconstruction_loss", "kl_loss", "neg_elbo"}
    # Decoded with each class, the mean image is closest to that class's real mean image.
    requested = np.repeat(np.arange(10), 50)
    samples = conditional.generate(model, requested, seed=1)
    real_means = np.stack([digits.x_train[digits.y_train == k].mean(0).ravel() for k in range(10)])
    sample_means = np.stack([samples[requested == k].mean(0).ravel() for k in range(10)])
    distances = ((sample_means[:, None] - real_means[None]) ** 2).sum(-1)
    assert np.mean(distances.argmin(axis=1) == np.arange(10)) >= 0.9


def test_generate_is_seeded_and_in_range(trained):
    model, _ = trained
    a = conditional.generate(model, [7] * 6, seed=4)
    b = conditional.generate(model, [7] * 6, seed=4)
    c = conditional.generate(model, [7] * 6, seed=5)
    assert a.shape == (6, 8, 8, 1) and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


def test_save_and_load_round_trip(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "cvae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, conditional.ConditionalVAE) and loaded.beta == model.beta
    z = np.random.default_rng(0).standard_normal((4, 2)).astype("float32")
    labels = np.array([0, 3, 5, 9], "int32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.decoder([z, labels])),
        keras.ops.convert_to_numpy(model.decoder([z, labels])),
        atol=1e-6,
    )


def test_obedience_against_a_hand_count():
    probabilities = np.eye(3)[[0, 0, 1, 2, 2, 1]]
    requested = np.array([0, 1, 1, 2, 2, 2])
    # class 0: 1 of 1; class 1: 1 of 2; class 2: 2 of 3
    np.testing.assert_allclose(conditional.obedience(probabilities, requested), [1.0, 0.5, 2 / 3])
    assert np.isnan(conditional.obedience(np.eye(3)[[0]], [0])[1])


@pytest.mark.parametrize(
    "overrides", [{"num_classes": 1}, {"latent_dim": 0}, {"beta": -1.0}, {"hidden_units": ()}]
)
def test_bad_config_raises(overrides):
    with pytest.raises(ValueError):
        conditional.ConditionalVAEConfig(**overrides)


def test_bad_labels_raise(trained, digits):
    model, _ = trained
    with pytest.raises(ValueError, match="labels"):
        conditional.generate(model, [10])
    with pytest.raises(ValueError, match="labels"):
        conditional.generate(model, [1.5])
    with pytest.raises(ValueError, match="one entry per image"):
        conditional.train_conditional_vae(digits.x_train[:10], digits.y_train[:9], TINY)
