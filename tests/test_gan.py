"""Tests of genai_lessons.models.gan, gan_networks and dcgan: builders and their configs, losses,
the alternating training step, snapshots, mode counting, save/load, resuming an interrupted run
and the lesson's recipe."""

import math
from dataclasses import replace

import keras
import numpy as np
import pytest

from genai_lessons.core import autodiff, training
from genai_lessons.datasets import image_sets, points2d
from genai_lessons.measures import metrics
from genai_lessons.models import dcgan, gan, gan_networks
from genai_lessons.models.gan_networks import ImageNetworkConfig, PointNetworkConfig

TINY_POINTS = PointNetworkConfig(latent_dim=4, units=16, hidden_layers=2)
TINY_IMAGES = ImageNetworkConfig(latent_dim=4, image_size=8, filters=8)


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def tiny_point_gan(seed=0, **config) -> gan.GAN:
    keras.utils.set_random_seed(seed)
    cfg = gan.GANConfig(latent_dim=4, seed=seed, **config)
    model = gan.GAN(
        gan_networks.build_point_generator(TINY_POINTS),
        gan_networks.build_point_discriminator(TINY_POINTS),
        cfg,
    )
    model.compile()
    return model


def tiny_image_gan(seed=0) -> gan.GAN:
    keras.utils.set_random_seed(seed)
    cfg = gan.GANConfig(latent_dim=4, seed=seed)
    model = gan.GAN(
        gan_networks.build_image_generator(TINY_IMAGES),
        gan_networks.build_image_discriminator(TINY_IMAGES),
        cfg,
    )
    model.compile()
    return model


def values(variables):
    return [numpy(v).copy() for v in variables]


def changed(before, variables):
    return [not np.array_equal(b, a) for b, a in zip(before, values(variables))]


# --------------------------------------------------------------------------- builders


def test_point_networks_shapes_and_ranges():
    generator = gan_networks.build_point_generator(latent_dim=3, data_dim=2, units=8)
    discriminator = gan_networks.build_point_discriminator(data_dim=2, units=8)
    points = generator(np.random.default_rng(0).normal(size=(5, 3)).astype("float32"))
    assert points.shape == (5, 2)
    p_real = numpy(discriminator(10 * np.ones((5, 2), "float32")))
    assert p_real.shape == (5, 1) and np.all((p_real >= 0) & (p_real <= 1))


@pytest.mark.parametrize(
    "size, value_range, low, high",
    [
        (8, "symmetric", -1.0, 1.0),
        (28, "unit", 0.0, 1.0),
        (12, "symmetric", -1.0, 1.0),
    ],
)
def test_image_generator_shape_and_output_range_match_the_data(size, value_range, low, high):
    generator = gan_networks.build_image_generator(
        latent_dim=5, image_size=size, filters=8, value_range=value_range
    )
    # Large noise drives the output activation into saturation: the range must still hold.
    images = numpy(generator(50 * np.random.default_rng(1).normal(size=(6, 5)).astype("float32")))
    assert images.shape == (6, size, size, 1)
    assert images.min() >= low and images.max() <= high
    assert images.min() < (low + high) / 2 < images.max()  # both halves of the range are used
    discriminator = gan_networks.build_image_discriminator(image_size=size, filters=8)
    p_real = numpy(discriminator(images))
    assert p_real.shape == (6, 1) and np.all((p_real > 0) & (p_real < 1))


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: gan_networks.build_image_generator(image_size=10), "image_size"),
        (lambda: gan_networks.build_image_generator(value_range="0-255"), "value_range"),
        (lambda: gan_networks.build_image_generator(latent_dim=0), "latent_dim"),
        (lambda: gan_networks.build_image_discriminator(dropout=1.0), "dropout"),
        (lambda: gan_networks.build_point_generator(units=2.5), "units"),
        (lambda: gan_networks.build_point_discriminator(hidden_layers=True), "hidden_layers"),
        (lambda: gan_networks.build_point_generator(width=8), "width"),  # no such field
        (lambda: gan_networks.build_point_generator(TINY_IMAGES), "PointNetworkConfig"),
        (lambda: gan_networks.build_image_generator(4), "config"),  # positional: not a config
        (lambda: ImageNetworkConfig(image_size=8.0), "image_size"),
        (lambda: gan.GANConfig(label_smoothing=0.7), "label_smoothing"),
        (lambda: gan.GANConfig(generator_loss="wasserstein"), "generator_loss"),
        (lambda: gan.GANConfig(discriminator_lr=0), "discriminator_lr"),
        (lambda: gan.GANConfig(beta_1=1.0), "beta_1"),
        (
            lambda: gan.GAN(
                gan_networks.build_point_generator(latent_dim=3),
                gan_networks.build_point_discriminator(),
                gan.GANConfig(latent_dim=4),
            ),
            "latent_dim",
        ),
        (
            lambda: gan.GAN(
                gan_networks.build_point_generator(), gan_networks.build_image_discriminator()
            ),
            "shape",
        ),
        (lambda: gan.generator_loss(np.ones((2, 1)), kind="hinge"), "kind"),
        (lambda: metrics.count_modes(np.zeros((4, 3)), points2d.ring_centres()), "centres"),
        (
            lambda: metrics.count_modes(np.zeros((4, 2)), points2d.ring_centres(), min_share=0),
            "min_share",
        ),
        (lambda: gan.SampleSnapshots([-1]), "epochs"),
        (lambda: dcgan.train_digit_gan(epochs=0), "epochs"),
        (lambda: dcgan.train_digit_gan(epochs=1, images=np.zeros((40, 8, 6, 1))), "images"),
        (lambda: dcgan.train_digit_gan(epochs=1, images=np.zeros((4, 8, 8, 1))), "batch_size"),
        (
            lambda: dcgan.train_digit_gan(epochs=1, images=np.full((40, 8, 8, 1), 16.0)),
            r"\[-1, 1\]",
        ),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_builders_take_a_config_and_overrides_alike():
    config = ImageNetworkConfig(latent_dim=5, image_size=12, filters=4, value_range="unit")
    by_config = gan_networks.build_image_generator(config)
    by_overrides = gan_networks.build_image_generator(
        latent_dim=5, image_size=12, filters=4, value_range="unit"
    )
    assert by_config.input_shape == by_overrides.input_shape == (None, 5)
    assert by_config.output_shape == by_overrides.output_shape == (None, 12, 12, 1)
    assert by_config.count_params() == by_overrides.count_params()
    # An override replaces one field of the given config and leaves the others.
    wider = gan_networks.build_image_discriminator(config, filters=8)
    assert wider.input_shape == (None, 12, 12, 1)
    assert wider.count_params() > gan_networks.build_image_discriminator(config).count_params()
    points = gan_networks.build_point_discriminator(TINY_POINTS, data_dim=3)
    assert points.input_shape == (None, 3)
    # The discriminator's weights: hidden Dense layers plus the output unit, counted by hand.
    units = TINY_POINTS.units
    assert points.count_params() == (3 * units + units) + (units * units + units) + (units + 1)


def test_config_is_validated_on_every_construction_replace_included():
    import dataclasses

    config = gan.GANConfig(generator_lr=1e-3)
    with pytest.raises(ValueError, match="generator_lr must be a finite number > 0, got nan"):
        dataclasses.replace(config, generator_lr=float("nan"))  # NaN fails every comparison
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        dataclasses.replace(config, seed=-1)
    assert dataclasses.replace(config, seed=4).generator_lr == 1e-3


# --------------------------------------------------------------------------- losses


def test_losses_match_the_binary_cross_entropy_written_out():
    p_real, p_fake = np.array([[0.9], [0.6], [0.7]]), np.array([[0.2], [0.4]])
    expected_d = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
    np.testing.assert_allclose(float(gan.discriminator_loss(p_real, p_fake)), expected_d, rtol=1e-6)
    smoothed = -np.mean(0.9 * np.log(p_real) + 0.1 * np.log(1 - p_real)) - np.mean(
        np.log(1 - p_fake)
    )
    np.testing.assert_allclose(
        float(gan.discriminator_loss(p_real, p_fake, 0.1)), smoothed, rtol=1e-6
    )
    np.testing.assert_allclose(
        float(gan.generator_loss(p_fake)), -np.mean(np.log(p_fake)), rtol=1e-6
    )
    np.testing.assert_allclose(
        float(gan.generator_loss(p_fake, "minimax")), np.mean(np.log(1 - p_fake)), rtol=1e-6
    )
    half = np.full((4, 1), 0.5)  # D cannot tell: its loss is log 4, the game's equilibrium
    np.testing.assert_allclose(float(gan.discriminator_loss(half, half)), math.log(4), rtol=1e-6)


def test_minimax_loss_saturates_where_the_non_saturating_one_does_not():
    # D confidently rejects the fake: logit -6, D(G(z)) ~ 0.0025. Gradient w.r.t. the logit.
    grads = {}
    for kind in gan.GENERATOR_LOSSES:
        _, (grad,) = autodiff.grad_of_inputs(
            lambda logit, kind=kind: gan.generator_loss(keras.activations.sigmoid(logit), kind),
            [np.array([[-6.0]], "float32")],
        )
        grads[kind] = abs(float(grad[0, 0]))
    sigma = 1 / (1 + math.exp(6.0))
    np.testing.assert_allclose(grads["minimax"], sigma, rtol=1e-4)  # d/dl log(1 - s) = -s
    np.testing.assert_allclose(grads["non_saturating"], 1 - sigma, rtol=1e-4)  # d/dl -log s = s - 1
    assert grads["non_saturating"] > 100 * grads["minimax"]


# --------------------------------------------------------------------------- training step


def test_each_phase_updates_only_its_own_network():
    model = tiny_point_gan()
    real = points2d.make_ring(32, seed=1)
    d_vars, g_vars = model.discriminator.trainable_variables, model.generator.trainable_variables
    d_before, g_before = values(d_vars), values(g_vars)
    loss, p_real, p_fake = model.discriminator_step(real)
    assert np.isfinite(float(loss)) and p_real.shape == (32, 1) and p_fake.shape == (32, 1)
    assert all(changed(d_before, d_vars)) and not any(changed(g_before, g_vars))

    d_before, g_before = values(d_vars), values(g_vars)
    loss = model.generator_step(32)
    assert np.isfinite(float(loss))
    assert all(changed(g_before, g_vars)) and not any(changed(d_before, d_vars))


def test_fit_reports_finite_losses_and_accuracy_for_images():
    model = tiny_image_gan()
    images = image_sets.load_digits("symmetric").x_train[:64]
    d_before, g_before = (
        values(model.discriminator.trainable_variables),
        values(model.generator.trainable_variables),
    )
    history = model.fit(images, epochs=2, batch_size=32, verbose=0)
    for name in ("d_loss", "g_loss", "d_accuracy"):
        assert len(history.history[name]) == 2 and np.all(np.isfinite(history.history[name]))
    assert 0.0 <= history.history["d_accuracy"][-1] <= 1.0
    assert all(changed(d_before, model.discriminator.trainable_variables))
    assert all(changed(g_before, model.generator.trainable_variables))


def test_short_training_on_the_ring_covers_clearly_more_modes_than_the_untrained_generator():
    keras.utils.set_random_seed(0)
    cfg = gan.GANConfig(latent_dim=4, generator_lr=3e-3, discriminator_lr=3e-3)
    model = gan.GAN(
        gan_networks.build_point_generator(latent_dim=4, units=32, hidden_layers=2),
        gan_networks.build_point_discriminator(latent_dim=4, units=32, hidden_layers=2),
        cfg,
    )
    model.compile()
    centres = points2d.ring_centres()
    before = metrics.count_modes(model.generate(1000), centres)
    model.fit(points2d.make_ring(2048), epochs=30, batch_size=64, verbose=0)
    after = metrics.count_modes(model.generate(1000), centres)
    assert before.covered <= 1
    assert after.covered >= before.covered + 4
    assert after.high_quality > before.high_quality + 0.2


# --------------------------------------------------------------------------- measuring


def test_count_modes_applies_the_stated_rule():
    centres = points2d.ring_centres(8, 2.0)
    rng = np.random.default_rng(0)
    # 60% on mode 0, 39% on mode 3 (both well inside 0.15), 1% on mode 5 (below the 2% share).
    samples = np.concatenate(
        [
            centres[0] + rng.normal(scale=0.02, size=(600, 2)),
            centres[3] + rng.normal(scale=0.02, size=(390, 2)),
            centres[5] + rng.normal(scale=0.02, size=(10, 2)),
        ]
    )
    report = metrics.count_modes(samples, centres)
    assert report.covered == 2 and report.high_quality == pytest.approx(1.0)
    np.testing.assert_allclose(report.shares[[0, 3, 5]], [0.6, 0.39, 0.01])
    assert metrics.count_modes(samples, centres, min_share=0.005).covered == 3
    # Points halfway between two centres are near neither: not high quality, no mode.
    midway = (centres[0] + centres[1]) / 2 + np.zeros((50, 2))
    assert metrics.count_modes(midway, centres).covered == 0
    assert metrics.count_modes(midway, centres).high_quality == 0.0
    # The real data covers every mode, almost every sample high quality.
    real = metrics.count_modes(points2d.make_ring(2000, std=0.05), centres)
    assert real.covered == 8 and real.high_quality > 0.98


def test_generate_in_batches_gives_what_one_call_gives(monkeypatch):
    model = tiny_point_gan()
    noise = keras.random.normal((7, model.config.latent_dim), seed=5)
    whole = keras.ops.convert_to_numpy(model.generator(noise, training=False))
    monkeypatch.setattr(gan, "GENERATE_BATCH", 3)  # batches of 3, 3 and 1
    samples = model.generate(7, seed=5)
    assert samples.shape == whole.shape
    np.testing.assert_allclose(samples, whole, atol=1e-6)


def test_snapshots_record_the_chosen_epochs_and_generate_is_seeded():
    model = tiny_point_gan()
    untrained = model.generate(20, seed=3)
    np.testing.assert_array_equal(untrained, model.generate(20, seed=3))
    assert not np.array_equal(untrained, model.generate(20, seed=4))
    snapshots = gan.SampleSnapshots([0, 2, 3], count=20, seed=3)
    model.fit(points2d.make_ring(64), epochs=3, batch_size=32, verbose=0, callbacks=[snapshots])
    assert sorted(snapshots.snapshots) == [0, 2, 3]
    np.testing.assert_array_equal(snapshots.snapshots[0], untrained)
    np.testing.assert_array_equal(snapshots.snapshots[3], model.generate(20, seed=3))
    assert not np.allclose(snapshots.snapshots[2], snapshots.snapshots[3])


def test_one_discriminator_call_on_both_batches_equals_two_separate_calls():
    """Without batch norm (or dropout) the joint call is the same computation: same loss,
    same updated weights; with batch norm the GAN keeps the two calls apart."""
    real = points2d.make_ring(32)
    joint, separate = tiny_point_gan(), tiny_point_gan()
    assert not joint._batch_statistics
    separate._batch_statistics = True  # force the two-call path
    loss_joint, p_real_joint, _ = joint.discriminator_step(real)
    loss_separate, p_real_separate, _ = separate.discriminator_step(real)
    np.testing.assert_allclose(float(loss_joint), float(loss_separate), rtol=1e-5)
    np.testing.assert_allclose(p_real_joint, p_real_separate, rtol=1e-5, atol=1e-6)
    for a, b in zip(joint.discriminator.weights, separate.discriminator.weights):
        np.testing.assert_allclose(*map(keras.ops.convert_to_numpy, (a, b)), rtol=1e-5, atol=1e-6)
    generator = gan_networks.build_image_generator(TINY_IMAGES)
    normed = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    assert gan.GAN(generator, normed, gan.GANConfig(latent_dim=4))._batch_statistics


def test_snapshots_kept_with_the_backup_survive_an_interrupted_run(tmp_path, monkeypatch):
    monkeypatch.setattr(training.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(training, "SAVE_EVERY_SECONDS", 0.0)  # a save at every epoch's end
    ring = points2d.make_ring(64)

    class Disconnect(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    def run(extra=()):
        model = tiny_point_gan()
        backup = training.backup("test", "gan_snapshots", data=ring)
        snapshots = gan.SampleSnapshots([0, 1, 3], count=20, seed=3, backup=backup)
        model.fit(ring, epochs=3, batch_size=32, verbose=0, callbacks=[snapshots, backup, *extra])
        return snapshots.snapshots

    untrained = tiny_point_gan().generate(20, seed=3)
    with pytest.raises(KeyboardInterrupt):
        run([Disconnect()])  # epochs 1 and 2 done, then the kernel "dies"
    snapshots = run()  # resumes at epoch 3
    assert sorted(snapshots) == [0, 1, 3]
    np.testing.assert_array_equal(snapshots[0], untrained)  # not the restored model's samples
    with pytest.raises(ValueError, match="backup"):
        gan.SampleSnapshots([1], backup="folder")


# --------------------------------------------------------------------------- persistence


def test_generator_discriminator_and_gan_survive_keras_save_and_load(tmp_path):
    model = tiny_image_gan()
    model.fit(image_sets.load_digits("symmetric").x_train[:32], epochs=1, batch_size=32, verbose=0)
    noise = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
    images = numpy(model.generator(noise))
    for network, inputs in ((model.generator, noise), (model.discriminator, images)):
        path = tmp_path / f"{network.name}.keras"
        network.save(path)
        loaded = keras.models.load_model(path)  # safe mode: no Lambda layers, no pickles
        np.testing.assert_allclose(numpy(loaded(inputs)), numpy(network(inputs)), atol=1e-6)
    model.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert isinstance(loaded, gan.GAN) and loaded.config == model.config
    np.testing.assert_allclose(loaded.generate(4, seed=1), model.generate(4, seed=1), atol=1e-6)


class StopAfter(keras.callbacks.Callback):
    """Simulates a disconnect: raise at the end of the given epoch (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def test_backup_and_restore_resumes_an_interrupted_run(tmp_path):
    real = points2d.make_ring(64)
    model = tiny_point_gan()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(real, epochs=4, batch_size=32, verbose=0, callbacks=[backup, StopAfter(1)])
    saved = values(model.generator.trainable_variables)
    saved_moments = values(model.g_optimizer.variables)

    fresh = tiny_point_gan(seed=1)  # a new session: other weights until the backup is loaded
    restored = {}

    class Peek(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            restored["g"] = values(self.model.generator.trainable_variables)
            restored["adam"] = values(self.model.g_optimizer.variables)

    history = fresh.fit(
        real,
        epochs=4,
        batch_size=32,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup")), Peek()],
    )
    assert len(history.history["g_loss"]) == 2  # epochs 3 and 4 only
    for before, after in zip(saved, restored["g"]):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(saved_moments, restored["adam"]):
        np.testing.assert_array_equal(before, after)


def test_train_digit_gan_is_reproducible_and_returns_images_in_range():
    images = image_sets.load_digits("symmetric").x_train[:64]
    cfg = gan.GANConfig(latent_dim=4, seed=5)
    first = dcgan.train_digit_gan(cfg, epochs=1, batch_size=32, images=images, filters=8)
    second = dcgan.train_digit_gan(cfg, epochs=1, batch_size=32, images=images, filters=8)
    samples = first.generate(10)
    assert samples.shape == (10, 8, 8, 1) and samples.min() >= -1 and samples.max() <= 1
    np.testing.assert_array_equal(samples, second.generate(10))


# --------------------------------------------------------------------------- 28x28 recipe


def mnist_like(n=64, seed=0):
    """n 28x28 images in [-1, 1]: strokes on a dark background, like the real digits."""
    rng = np.random.default_rng(seed)
    images = -np.ones((n, 28, 28, 1), "float32")
    for image, row, col in zip(images, rng.integers(4, 20, n), rng.integers(4, 20, n)):
        image[row : row + 8, col : col + 2] = 1.0
    return images


def test_mnist5k_recipe_builds_28x28_networks_with_the_stated_shapes():
    networks = gan_networks.ImageNetworkConfig(
        latent_dim=dcgan.MNIST5K_CONFIG.latent_dim, image_size=28, filters=dcgan.MNIST5K_FILTERS
    )
    generator = gan_networks.build_image_generator(networks)
    discriminator = gan_networks.build_image_discriminator(networks)
    f = dcgan.MNIST5K_FILTERS
    assert generator.get_layer("to_map").output.shape[1:] == (7, 7, 2 * f)
    assert generator.get_layer("up_1").output.shape[1:] == (14, 14, f)
    assert generator.get_layer("up_2").output.shape[1:] == (28, 28, f // 2)
    assert generator.output_shape == (None, 28, 28, 1)
    assert discriminator.get_layer("down_1").output.shape[1:] == (14, 14, f // 2)
    assert discriminator.get_layer("down_2").output.shape[1:] == (7, 7, f)
    assert discriminator.output_shape == (None, 1)
    noise = np.random.default_rng(0).normal(size=(5, networks.latent_dim)).astype("float32")
    images = numpy(generator(noise))
    assert images.shape == (5, 28, 28, 1) and images.min() >= -1 and images.max() <= 1


def test_a_discriminator_step_lowers_its_loss_on_a_fixed_28x28_batch():
    keras.utils.set_random_seed(0)
    cfg = gan.GANConfig(latent_dim=8, discriminator_lr=1e-3)
    networks = gan_networks.ImageNetworkConfig(latent_dim=8, image_size=28, filters=8)
    model = gan.GAN(
        gan_networks.build_image_generator(networks),
        gan_networks.build_image_discriminator(networks),
        cfg,
    )
    model.compile()
    real = mnist_like(32)
    fake = numpy(model.generator(model.noise(32), training=False))  # fixed: G is not trained

    def loss():
        p_real = model.discriminator(real, training=False)
        p_fake = model.discriminator(fake, training=False)
        return float(gan.discriminator_loss(p_real, p_fake))

    before = loss()
    weights = model.discriminator.trainable_variables
    for _ in range(5):
        value, grads = autodiff.value_and_grad(
            lambda: gan.discriminator_loss(
                model.discriminator(real, training=True), model.discriminator(fake, training=True)
            ),
            weights,
        )
        model.d_optimizer.apply(grads, weights)
    assert loss() < before - 0.05


class RecordGenerator(keras.callbacks.Callback):
    """Keeps G's trainable weights after every training step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append(values(self.model.generator.trainable_variables))


def test_the_averaged_generator_is_the_moving_average_of_its_weights():
    decay = 0.6
    cfg = gan.GANConfig(latent_dim=8, seed=3, generator_average=decay)
    recorder = RecordGenerator()
    model = dcgan.train_digit_gan(
        cfg, epochs=2, batch_size=32, images=mnist_like(64), filters=8, callbacks=[recorder]
    )
    assert len(recorder.steps) == 4
    average = recorder.steps[0]  # the average starts at the first step's weights
    for step in recorder.steps[1:]:
        average = [decay * a + (1 - decay) * w for a, w in zip(average, step)]
    after = values(model.generator.trainable_variables)
    for expected, got in zip(average, after):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert max(float(np.abs(g - w).max()) for g, w in zip(after, recorder.steps[-1])) > 1e-5
    # Without averaging G keeps its last step's weights.
    plain = RecordGenerator()
    model = dcgan.train_digit_gan(
        replace(cfg, generator_average=0.0),
        epochs=2,
        batch_size=32,
        images=mnist_like(64),
        filters=8,
        callbacks=[plain],
    )
    for last, got in zip(plain.steps[-1], values(model.generator.trainable_variables)):
        np.testing.assert_array_equal(got, last)


def test_mnist5k_recipe_trains_on_28x28_images_and_survives_save_and_load(tmp_path):
    cfg = replace(dcgan.MNIST5K_CONFIG, latent_dim=8)
    model = dcgan.train_digit_gan(cfg, epochs=1, batch_size=32, images=mnist_like(64), filters=8)
    samples = model.generate(6, seed=2)
    assert samples.shape == (6, 28, 28, 1) and samples.min() >= -1 and samples.max() <= 1
    model.save(tmp_path / "gan28.keras")
    loaded = keras.models.load_model(tmp_path / "gan28.keras")
    assert loaded.config == model.config and loaded.config.generator_average == 0.99
    np.testing.assert_allclose(loaded.generate(6, seed=2), samples, atol=1e-6)
