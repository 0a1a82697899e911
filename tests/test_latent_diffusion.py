"""Tests of the convolutional autoencoder (`conv_vae.build_conv_autoencoder`) and of
`latent_diffusion.LatentCodec`: shapes, that training lowers the loss, the codes' standardisation
against NumPy, that decoding an encoding is the autoencoder's own reconstruction, a diffusion
model fitted on the codes, the save/load round trip and argument checks."""

import keras
import numpy as np
import pytest

from genai_lessons.models import conv_vae, diffusion, diffusion_samplers, latent_diffusion, vae

TINY = conv_vae.ConvVAEConfig(
    image_shape=(12, 8, 1), latent_dim=3, filters=(4, 6), dense_units=16, seed=5
)


def _images(n=16, seed=0):
    # Bars at random heights: a family of images a 3-number code can hold.
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 12, 8, 1), "float32")
    for image, row in zip(images, rng.integers(0, 12, n)):
        image[row, :, 0] = 1.0
    return images


def _trained(epochs=5):
    keras.utils.set_random_seed(0)
    return conv_vae.train_conv_autoencoder(
        _images(32), TINY, vae.TrainConfig(epochs=epochs, batch_size=8, learning_rate=5e-3)
    )


def test_the_autoencoder_is_deterministic_and_shaped():
    model = conv_vae.build_conv_autoencoder(TINY)
    encoder = model.get_layer("conv_ae_encoder")
    assert encoder.output_shape == (None, 3)  # a point code, no log-variance
    images = _images(5)
    first = keras.ops.convert_to_numpy(model(images))
    assert first.shape == (5, 12, 8, 1) and first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, keras.ops.convert_to_numpy(model(images)))
    with pytest.raises(ValueError, match="num_classes"):
        conv_vae.build_conv_autoencoder(TINY, num_classes=10)


def test_training_lowers_the_reconstruction_loss():
    model, history = _trained(epochs=30)
    losses = history.history["loss"]
    assert len(losses) == 30
    assert losses[-1] < 0.8 * losses[0]


def test_codes_are_standardised_like_numpy_and_decode_to_the_reconstruction():
    model, _ = _trained()
    images = _images(32)
    codec = latent_diffusion.LatentCodec.fit(model, images)
    raw = keras.ops.convert_to_numpy(model.get_layer("conv_ae_encoder")(images)).astype(np.float64)
    expected = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    codes = codec.encode(images)
    assert codes.dtype == np.float32 and codes.shape == (32, 3) and codec.dims == 3
    np.testing.assert_allclose(codes, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(codes.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(codes.std(axis=0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(
        codec.decode(codes), keras.ops.convert_to_numpy(model(images)), atol=1e-5
    )
    assert codec.image_shape == (12, 8, 1)


def test_a_dead_code_dimension_does_not_divide_by_zero():
    model, _ = _trained()
    same = np.repeat(_images(1), 4, axis=0)  # identical images: every code dimension constant
    codec = latent_diffusion.LatentCodec.fit(model, same)
    codes = codec.encode(same)
    assert np.isfinite(codes).all() and np.allclose(codes, 0.0, atol=1e-3)


def test_a_diffusion_model_learns_the_codes_and_its_samples_decode_to_images():
    model, _ = _trained()
    codec = latent_diffusion.LatentCodec.fit(model, _images(32))
    codes = codec.encode(_images(256, seed=1))
    keras.utils.set_random_seed(0)
    prior = diffusion.build_diffusion(data_shape=(3,), steps=20, width=32, depth=2)
    prior.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = prior.fit(codes, epochs=30, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    sampled = diffusion_samplers.ddim_sample(
        diffusion_samplers.noise_predictor(prior), prior.schedule, (50, 3), 10, seed=0, eta=1.0
    )
    images = codec.decode(sampled)
    assert images.shape == (50, 12, 8, 1) and images.min() >= 0.0 and images.max() <= 1.0


def test_the_codec_survives_saving_the_autoencoder(tmp_path):
    model, _ = _trained()
    path = tmp_path / "autoencoder.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    images = _images(32)
    np.testing.assert_allclose(
        latent_diffusion.LatentCodec.fit(loaded, images).encode(images),
        latent_diffusion.LatentCodec.fit(model, images).encode(images),
        atol=1e-6,
    )


def test_bad_arguments_are_named():
    model, _ = _trained(epochs=1)
    codec = latent_diffusion.LatentCodec.fit(model, _images(8))
    with pytest.raises(ValueError, match="conv_ae_encoder"):
        latent_diffusion.LatentCodec.fit(keras.Sequential([keras.layers.Dense(2)]), _images(8))
    with pytest.raises(TypeError, match="autoencoder"):
        latent_diffusion.LatentCodec.fit("model", _images(8))
    with pytest.raises(ValueError, match="at least 2"):
        latent_diffusion.LatentCodec.fit(model, _images(1))
    with pytest.raises(ValueError, match="codes"):
        codec.decode(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="codes"):
        codec.decode(np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="images"):
        codec.encode(_images(4) * 2.0)
