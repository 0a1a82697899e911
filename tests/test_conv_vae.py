"""Tests of genai_lessons.models.conv_vae: shapes, the loss against a NumPy closed form, that a few
training steps lower the loss on a fixed batch, the anomaly scores of a 28x28 model against NumPy,
the save/load round trip (with the sampling layer's seed state), the conditional variant and
argument checks."""

import keras
import numpy as np
import pytest
from keras.ops import convert_to_numpy

from genai_lessons.models import conditional, conv_vae, latent, vae

TINY = conv_vae.ConvVAEConfig(
    image_shape=(12, 8, 1), latent_dim=3, filters=(4, 6), dense_units=16, seed=5
)


def _images(n=16, shape=(12, 8, 1), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 1.0, (n, *shape)).astype("float32")


def test_shapes_of_the_networks_and_the_model():
    encoder = conv_vae.build_conv_encoder(TINY)
    decoder = conv_vae.build_conv_decoder(TINY)
    images = _images(5)
    z_mean, z_log_var = encoder(images)
    assert tuple(z_mean.shape) == (5, 3) and tuple(z_log_var.shape) == (5, 3)
    decoded = convert_to_numpy(decoder(np.zeros((5, 3), "float32")))
    assert decoded.shape == (5, 12, 8, 1)
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0
    model = conv_vae.build_conv_vae(TINY)
    assert isinstance(model, vae.VAE) and not isinstance(model, conditional.ConditionalVAE)
    outputs = model(images)
    assert tuple(outputs["reconstruction"].shape) == (5, 12, 8, 1)
    assert tuple(outputs["z"].shape) == (5, 3)
    # The default is the 28x28 digits' model.
    default = conv_vae.build_conv_vae()
    assert default.decoder.output_shape == (None, 28, 28, 1)


def test_the_loss_is_reconstruction_plus_beta_kl_against_numpy():
    config = conv_vae.ConvVAEConfig(**{**TINY.__dict__, "beta": 0.5})
    model = conv_vae.build_conv_vae(config)
    images = _images(6, seed=1)
    outputs = model(images)
    loss = float(convert_to_numpy(model.compute_loss(images, None, outputs)))
    mean = convert_to_numpy(outputs["z_mean"]).astype(np.float64)
    log_var = convert_to_numpy(outputs["z_log_var"]).astype(np.float64)
    recon = np.clip(convert_to_numpy(outputs["reconstruction"]).astype(np.float64), 1e-7, 1 - 1e-7)
    x = images.astype(np.float64)
    bce = -(x * np.log(recon) + (1 - x) * np.log(1 - recon)).reshape(6, -1).sum(axis=1)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=1)  # closed form
    np.testing.assert_allclose(
        convert_to_numpy(vae.kl_divergence(outputs["z_mean"], outputs["z_log_var"])),
        kl,
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(loss, bce.mean() + 0.5 * kl.mean(), rtol=1e-4)


def test_training_steps_lower_the_loss_on_a_fixed_batch():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(2)
    # Structured images: bright blobs at a few places, which a VAE can learn to rebuild.
    images = np.zeros((32, 12, 8, 1), "float32")
    for i in range(32):
        r, c = rng.integers(0, 9), rng.integers(0, 5)
        images[i, r : r + 3, c : c + 3] = 1.0
    model = conv_vae.build_conv_vae(TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = float(convert_to_numpy(model.compute_loss(images, None, model(images))))
    # 100 steps: the loss falls to about 0.37 of its start on TensorFlow and 0.62 on JAX (whose
    # initial weights differ), so 0.8 holds on every backend with a margin.
    for _ in range(100):
        model.train_on_batch(images)
    after = float(convert_to_numpy(model.compute_loss(images, None, model(images))))
    assert after < 0.8 * before, (before, after)


def test_anomaly_scores_of_a_28x28_conv_vae_against_numpy():
    # Lesson 4 scores 28x28 digits with a convolutional VAE: both scores, from NumPy alone.
    config = conv_vae.ConvVAEConfig(latent_dim=3, filters=(4, 6), dense_units=16, seed=2)
    model = conv_vae.build_conv_vae(config)
    # A near-zero posterior variance makes every draw of z its mean, so the negative ELBO has an
    # exact value to check instead of a Monte-Carlo estimate.
    layer = model.encoder.get_layer("z_log_var")
    kernel, bias = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.full_like(bias, -30.0)])
    images = _images(6, shape=(28, 28, 1), seed=4)
    mean, log_var = (convert_to_numpy(t).astype(np.float64) for t in model.encoder(images))
    decoded = convert_to_numpy(model.decoder(mean.astype("float32"))).astype(np.float64)
    x = images.astype(np.float64)
    squared_error = ((decoded - x) ** 2).reshape(6, -1).sum(axis=1)
    p = np.clip(decoded, 1e-7, 1 - 1e-7)
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(6, -1).sum(axis=1)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=1)
    np.testing.assert_allclose(
        latent.anomaly_scores(model, images, "reconstruction"), squared_error, rtol=1e-5
    )
    np.testing.assert_allclose(
        latent.anomaly_scores(model, images, "neg_elbo", samples=3), bce + kl, rtol=1e-4
    )


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
@pytest.mark.parametrize("num_classes", [None, 3])
def test_save_and_load_round_trip_keeps_weights_and_seed_state(num_classes, tmp_path):
    config = conv_vae.ConvVAEConfig(**{**TINY.__dict__, "num_classes": num_classes})
    model = conv_vae.build_conv_vae(config)
    images = _images(4, seed=3)
    inputs = images if num_classes is None else {"images": images, "labels": np.r_[0, 1, 2, 1]}
    model(inputs)  # advance the sampling layer's stream past its start
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model) and loaded.beta == model.beta
    original, restored = model(inputs), loaded(inputs)
    for key in ("z_mean", "z_log_var", "z", "reconstruction"):
        np.testing.assert_allclose(
            convert_to_numpy(original[key]), convert_to_numpy(restored[key]), rtol=1e-6, atol=1e-6
        )


def test_the_conditional_model_takes_the_class_as_an_input():
    config = conv_vae.ConvVAEConfig(**{**TINY.__dict__, "num_classes": 3})
    model = conv_vae.build_conv_vae(config)
    assert isinstance(model, conditional.ConditionalVAE)
    z = np.zeros((3, 3), "float32")
    decoded = convert_to_numpy(model.decoder([z, np.array([0, 1, 2], "int32")]))
    assert decoded.shape == (3, 12, 8, 1)
    assert np.abs(decoded[0] - decoded[1]).max() > 0  # same code, another class, another image
    samples = conditional.generate(model, [2, 0, 1, 1], seed=4)
    assert samples.shape == (4, 12, 8, 1)
    np.testing.assert_array_equal(samples, conditional.generate(model, [2, 0, 1, 1], seed=4))


def test_train_conv_vae_fits_both_kinds_and_checks_labels():
    images = _images(16, seed=4)
    small = vae.TrainConfig(epochs=1, batch_size=8, learning_rate=1e-3)
    model, history = conv_vae.train_conv_vae(images, config=TINY, train=small)
    assert isinstance(model, vae.VAE) and len(history.history["neg_elbo"]) == 1
    labelled = conv_vae.ConvVAEConfig(**{**TINY.__dict__, "num_classes": 2})
    model, _ = conv_vae.train_conv_vae(images, np.arange(16) % 2, labelled, small)
    assert isinstance(model, conditional.ConditionalVAE)
    with pytest.raises(ValueError, match="labels"):
        conv_vae.train_conv_vae(images, np.arange(16) % 2, TINY, small)
    with pytest.raises(ValueError, match="labels"):
        conv_vae.train_conv_vae(images, None, labelled, small)
    with pytest.raises(ValueError, match="labels"):
        conv_vae.train_conv_vae(images, np.arange(16) % 5, labelled, small)


@pytest.mark.parametrize(
    "overrides, argument",
    [
        ({"image_shape": (10, 8, 1)}, "divisible by 4"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"filters": (8,)}, "filters"),
        ({"filters": (8, 0)}, "filters"),
        ({"dense_units": -1}, "dense_units"),
        ({"num_classes": 1}, "num_classes"),
        ({"beta": -1.0}, "beta"),
        ({"seed": -2}, "seed"),
    ],
)
def test_bad_config_raises_naming_the_problem(overrides, argument):
    with pytest.raises(ValueError, match=argument):
        conv_vae.ConvVAEConfig(**overrides)
