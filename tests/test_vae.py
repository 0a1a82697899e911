"""Tests of genai_lessons.models.vae: the maths against independent references, the sampling layer's
statistics, training, serialization, anomaly scores and argument checks."""

import dataclasses

import keras
import numpy as np
import pytest
from keras.ops import convert_to_numpy
from sklearn.metrics import roc_auc_score

from genai_lessons.core import autodiff, inference
from genai_lessons.datasets import image_sets
from genai_lessons.models import latent, vae

TINY = vae.VAEConfig(latent_dim=2, hidden_units=(32,), seed=3)


@pytest.fixture(scope="module")
def digits():
    return image_sets.load_digits()


@pytest.fixture(scope="module")
def trained(digits):
    """A tiny VAE trained briefly on the digits, shared by the tests that need one."""
    keras.utils.set_random_seed(0)
    model, history = vae.train_vae(
        digits.x_train,
        dataclasses.replace(TINY, latent_dim=4),
        vae.TrainConfig(epochs=20, batch_size=128, learning_rate=5e-3),
    )
    return model, history


# --------------------------------------------------------------------------- the maths


def test_kl_closed_form_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean = np.array([[0.0, 0.0], [1.5, -0.5], [-0.3, 2.0]])
    log_var = np.array([[0.0, 0.0], [-1.0, 0.7], [1.2, -2.0]])
    std = np.exp(log_var / 2)
    z = mean[:, None, :] + std[:, None, :] * rng.standard_normal((3, 400_000, 2))
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from samples of q.
    log_q = -0.5 * (
        ((z - mean[:, None]) / std[:, None]) ** 2 + np.log(2 * np.pi) + log_var[:, None]
    )
    log_p = -0.5 * (z**2 + np.log(2 * np.pi))
    monte_carlo = np.mean(np.sum(log_q - log_p, axis=-1), axis=1)
    closed = convert_to_numpy(vae.kl_divergence(mean.astype("float32"), log_var.astype("float32")))
    assert closed.shape == (3,)
    np.testing.assert_allclose(closed, monte_carlo, atol=0.01, rtol=0.01)
    assert closed[0] == pytest.approx(0.0, abs=1e-7)  # q equal to the prior


def test_kl_is_non_negative_and_zero_only_at_the_prior():
    rng = np.random.default_rng(1)
    mean = rng.normal(scale=2.0, size=(1000, 5)).astype("float32")
    log_var = rng.normal(scale=2.0, size=(1000, 5)).astype("float32")
    kl = convert_to_numpy(vae.kl_divergence(mean, log_var))
    assert kl.shape == (1000,) and np.all(kl >= 0) and np.all(kl > 0)
    zero = convert_to_numpy(
        vae.kl_divergence(np.zeros((2, 5), "float32"), np.zeros((2, 5), "float32"))
    )
    np.testing.assert_allclose(zero, 0.0, atol=1e-7)


def test_reconstruction_loss_is_binary_cross_entropy_summed_over_pixels():
    rng = np.random.default_rng(2)
    images = rng.uniform(size=(4, 8, 8, 1)).astype("float32")
    recon = rng.uniform(0.05, 0.95, size=(4, 8, 8, 1)).astype("float32")
    expected = -np.sum(images * np.log(recon) + (1 - images) * np.log(1 - recon), axis=(1, 2, 3))
    np.testing.assert_allclose(
        convert_to_numpy(vae.reconstruction_loss(images, recon)), expected, rtol=1e-4
    )


def test_vae_loss_is_reconstruction_plus_beta_times_kl():
    model = vae.build_vae(dataclasses.replace(TINY, beta=0.25))
    images = image_sets.load_digits().x_test[:16]
    out = model(images)
    loss = float(convert_to_numpy(model.compute_loss(x=images, y_pred=out)))
    recon = convert_to_numpy(out["reconstruction"]).astype(np.float64).clip(1e-7, 1 - 1e-7)
    bce = -np.sum(images * np.log(recon) + (1 - images) * np.log(1 - recon), axis=(1, 2, 3))
    var = np.exp(convert_to_numpy(out["z_log_var"]).astype(np.float64))
    kl = 0.5 * np.sum(
        var + convert_to_numpy(out["z_mean"]).astype(np.float64) ** 2 - 1 - np.log(var), axis=1
    )
    assert loss == pytest.approx(np.mean(bce) + 0.25 * np.mean(kl), rel=1e-4)


# --------------------------------------------------------------------------- sampling


def test_sampling_reproduces_the_requested_mean_and_variance():
    mean = np.tile(np.array([[2.0, -1.0, 0.0]], "float32"), (50_000, 1))
    log_var = np.tile(np.log(np.array([[0.25, 4.0, 1.0]], "float32")), (50_000, 1))
    z = convert_to_numpy(vae.Sampling(seed=7)([mean, log_var]))
    assert z.shape == (50_000, 3)
    # Standard errors: std / sqrt(n) for the mean, about var * sqrt(2 / n) for the variance.
    np.testing.assert_allclose(z.mean(axis=0), [2.0, -1.0, 0.0], atol=0.03)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0, 1.0], rtol=0.03)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.02  # independent dimensions


def test_sampling_is_seeded_and_reproducible():
    mean, log_var = np.zeros((5, 4), "float32"), np.zeros((5, 4), "float32")
    first = convert_to_numpy(vae.Sampling(seed=11)([mean, log_var]))
    again = convert_to_numpy(vae.Sampling(seed=11)([mean, log_var]))
    other = convert_to_numpy(vae.Sampling(seed=12)([mean, log_var]))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    layer = vae.Sampling(seed=11)
    assert not np.allclose(layer([mean, log_var]), layer([mean, log_var]))  # fresh noise each call


def test_gradients_flow_through_the_sampling_step():
    layer = vae.Sampling(seed=5)
    mean = np.array([[0.5, -1.0]], "float32")
    log_var = np.array([[0.2, -0.4]], "float32")
    z, (d_mean, d_log_var) = autodiff.grad_of_inputs(lambda m, v: layer([m, v]), [mean, log_var])
    eps = (z - mean) / np.exp(log_var / 2)
    np.testing.assert_allclose(d_mean, 1.0)  # dz/dmean = 1
    np.testing.assert_allclose(d_log_var, 0.5 * np.exp(log_var / 2) * eps, rtol=1e-5)


# --------------------------------------------------------------------------- builders and training


def test_builders_give_the_documented_shapes():
    config = vae.VAEConfig(image_shape=(8, 8, 1), latent_dim=3, hidden_units=(16, 8))
    images = np.zeros((2, 8, 8, 1), "float32")
    encoder, decoder = vae.build_encoder(config), vae.build_decoder(config)
    z_mean, z_log_var = encoder(images)
    assert z_mean.shape == (2, 3) and z_log_var.shape == (2, 3)
    decoded = convert_to_numpy(decoder(np.zeros((2, 3), "float32")))
    assert decoded.shape == (2, 8, 8, 1) and decoded.min() >= 0 and decoded.max() <= 1
    assert vae.build_encoder(config, variational=False)(images).shape == (2, 3)
    autoencoder = vae.build_autoencoder(config)
    assert autoencoder.name == "autoencoder" and autoencoder(images).shape == (2, 8, 8, 1)
    outputs = vae.build_vae(config)(images)
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        "z_mean": (2, 3),
        "z_log_var": (2, 3),
        "z": (2, 3),
        "reconstruction": (2, 8, 8, 1),
    }


def test_training_lowers_the_loss_and_reports_its_parts(trained, digits):
    _, history = trained
    h = {k: np.array(v) for k, v in history.history.items()}
    assert {"loss", "reconstruction_loss", "kl_loss", "neg_elbo"} <= set(h)
    assert h["loss"][-1] < 0.8 * h["loss"][0]
    assert np.all(h["kl_loss"] >= 0)
    np.testing.assert_allclose(h["neg_elbo"], h["reconstruction_loss"] + h["kl_loss"], rtol=1e-4)
    np.testing.assert_allclose(h["loss"], h["neg_elbo"], rtol=1e-4)  # beta = 1


def test_beta_weights_the_kl_term_in_the_reported_loss(digits):
    config = dataclasses.replace(TINY, beta=0.1)
    _, history = vae.train_vae(digits.x_train[:256], config, vae.TrainConfig(epochs=1))
    h = {k: np.array(v) for k, v in history.history.items()}
    np.testing.assert_allclose(h["loss"], h["reconstruction_loss"] + 0.1 * h["kl_loss"], rtol=1e-4)


def test_decay_to_follows_a_cosine_from_the_start_rate_to_its_fraction(digits):
    train = vae.TrainConfig(epochs=3, batch_size=100, learning_rate=4e-3, decay_to=0.1)
    optimizer = train.optimizer(1000)  # 3 epochs of 10 steps
    for step in (0, 7, 15, 30):  # the closed form of a cosine from 1 to 0.1 over 30 steps
        optimizer.iterations.assign(step)
        expected = 4e-3 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * step / 30)))
        assert float(optimizer.learning_rate) == pytest.approx(expected, rel=1e-5), step
    constant = vae.TrainConfig(learning_rate=4e-3).optimizer(1000)
    assert float(constant.learning_rate) == pytest.approx(4e-3)
    # compile_and_fit uses it: after fitting, the step size is the last step's (10% of 4e-3).
    model = vae.build_vae(TINY)
    images = digits.x_train[:250]
    vae.compile_and_fit(model, images, dataclasses.replace(train, batch_size=50, epochs=2))
    assert int(model.optimizer.iterations) == 10
    assert float(model.optimizer.learning_rate) == pytest.approx(4e-4, rel=1e-4)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
def test_save_and_load_in_safe_mode_gives_the_same_outputs(trained, digits, tmp_path):
    model, _ = trained
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, vae.VAE) and loaded.beta == model.beta
    images = digits.x_test[:20]
    for a, b in zip(model.encoder(images), loaded.encoder(images)):
        np.testing.assert_allclose(convert_to_numpy(a), convert_to_numpy(b), rtol=1e-6, atol=1e-6)
    # The sampling layer's seed state is saved too: the next random draws agree.
    original, restored = model(images), loaded(images)
    for key in ("z", "reconstruction"):
        np.testing.assert_allclose(
            convert_to_numpy(original[key]), convert_to_numpy(restored[key]), rtol=1e-6, atol=1e-6
        )


def test_reconstruct_decodes_the_mean_code_in_chunks(trained, digits):
    model, _ = trained
    images = digits.x_test[:30]
    z_mean, z_log_var = latent.encode(model, images)
    assert z_mean.shape == z_log_var.shape == (30, 4)
    expected = convert_to_numpy(model.decoder(convert_to_numpy(model.encoder(images)[0])))
    np.testing.assert_allclose(latent.reconstruct(model, images), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        inference.predict(model.decoder, z_mean, batch_size=7), expected, rtol=1e-5, atol=1e-6
    )


def test_sample_prior_is_reproducible_and_in_range(trained):
    model, _ = trained
    samples = latent.sample_prior(model.decoder, 6, seed=1)
    assert samples.shape == (6, 8, 8, 1) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, latent.sample_prior(model.decoder, 6, seed=1))


# --------------------------------------------------------------------------- anomaly scores


def test_anomaly_scores_separate_a_synthetic_anomaly_set(trained, digits):
    model, _ = trained
    normal = digits.x_test[:100]
    rng = np.random.default_rng(3)
    # Anomalies: digits drawn upside down with part of the strokes erased, and pure noise.
    flipped = digits.x_test[100:150, ::-1] * (rng.uniform(size=(50, 8, 8, 1)) > 0.3)
    noise = rng.uniform(0, 1, size=(50, 8, 8, 1)).astype("float32")
    images = np.concatenate([normal, flipped.astype("float32"), noise])
    labels = np.r_[np.zeros(100), np.ones(100)]
    for method in latent.SCORE_METHODS:
        scores = latent.anomaly_scores(model, images, method=method)
        assert scores.shape == (200,) and np.all(np.isfinite(scores))
        assert roc_auc_score(labels, scores) > 0.8, method


def test_negative_elbo_is_at_least_its_reconstruction_term(trained, digits):
    model, _ = trained
    images = digits.x_test[:50]
    neg_elbo = latent.negative_elbo(model, images, samples=4)
    z_mean, z_log_var = model.encoder(images)
    kl = convert_to_numpy(vae.kl_divergence(z_mean, z_log_var))
    assert neg_elbo.shape == (50,) and np.all(neg_elbo > kl)


def test_plain_autoencoder_scores_by_reconstruction_error(digits):
    autoencoder = vae.build_autoencoder(TINY)
    images = digits.x_test[:10]
    scores = latent.anomaly_scores(autoencoder, images, method="reconstruction")
    expected = ((convert_to_numpy(autoencoder(images)) - images) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "field, value",
    [
        ("image_shape", (8, 8)),
        ("image_shape", (8, 0, 1)),
        ("latent_dim", 0),
        ("latent_dim", 2.5),
        ("hidden_units", ()),
        ("hidden_units", (16, -1)),
        ("beta", -0.1),
        ("beta", True),
        ("seed", -1),
    ],
)
def test_bad_config_raises_naming_the_argument(field, value):
    with pytest.raises(ValueError, match=field):
        vae.VAEConfig(**{field: value})


@pytest.mark.parametrize(
    "field, value",
    [
        ("epochs", 0),
        ("batch_size", -2),
        ("learning_rate", 0.0),
        ("decay_to", 0.0),
        ("decay_to", 1.5),
    ],
)
def test_bad_train_config_raises_naming_the_argument(field, value):
    with pytest.raises(ValueError, match=field):
        vae.TrainConfig(**{field: value})


def test_bad_arguments_to_functions_raise(trained, digits):
    model, _ = trained
    with pytest.raises(ValueError, match="method"):
        latent.anomaly_scores(model, digits.x_test[:4], method="likelihood")
    with pytest.raises(ValueError, match="needs a VAE"):
        latent.anomaly_scores(vae.build_autoencoder(TINY), digits.x_test[:4], method="neg_elbo")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        latent.anomaly_scores(model, digits.x_test[:4] * 2 - 1)
    with pytest.raises(ValueError, match="shape"):
        latent.negative_elbo(model, digits.x_test[:4, :, :, 0])
    with pytest.raises(ValueError, match="samples"):
        latent.negative_elbo(model, digits.x_test[:4], samples=0)
    with pytest.raises(ValueError, match="image shape"):
        vae.train_vae(np.zeros((4, 6, 6, 1), "float32"), TINY)
    with pytest.raises(ValueError, match="seed"):
        vae.Sampling(seed=-3)
    with pytest.raises(ValueError, match="beta"):
        vae.VAE(vae.build_encoder(TINY), vae.build_decoder(TINY), beta=-1.0)
    with pytest.raises(ValueError, match="n must"):
        latent.sample_prior(model.decoder, 0)
