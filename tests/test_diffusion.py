"""Tests of genai_lessons.models.diffusion and genai_lessons.models.diffusion_samplers against independent references:
the schedule's formulas, the forward process's closed form against running its steps (Monte
Carlo), and Gaussian data, whose optimal noise predictor is known in closed form."""

import dataclasses

import keras
import numpy as np
import pytest
from keras.ops import convert_to_numpy

from genai_lessons.models import diffusion, diffusion_samplers

TINY_POINTS = diffusion.DiffusionConfig(
    data_shape=(2,), steps=50, width=32, depth=2, embedding_dim=16
)
TINY_IMAGES = diffusion.DiffusionConfig(
    data_shape=(8, 8, 1), steps=20, width=8, embedding_dim=8, num_classes=3
)


# --------------------------------------------------------------------------- schedule


def test_linear_schedule_is_ddpms_rescaled_and_alpha_bar_is_the_running_product():
    schedule = diffusion.make_schedule(1000, "linear")
    assert schedule.steps == 1000 and schedule.betas[0] == 0.0 and schedule.alpha_bars[0] == 1.0
    assert schedule.betas[1] == pytest.approx(1e-4) and schedule.betas[-1] == pytest.approx(0.02)
    product = 1.0
    for t in (1, 2, 500, 1000):
        product = np.prod([1.0 - schedule.betas[s] for s in range(1, t + 1)])
        assert schedule.alpha_bars[t] == pytest.approx(product, rel=1e-12)
    short = diffusion.make_schedule(100, "linear")  # fewer, larger steps: about the same end point
    assert short.alpha_bars[-1] == pytest.approx(schedule.alpha_bars[-1], rel=0.5)


@pytest.mark.parametrize("kind", diffusion.SCHEDULES)
def test_every_step_count_keeps_variances_in_0_1_or_is_refused(kind):
    # DDPM's linear betas, rescaled by 1000 / T (Nichol & Dhariwal), reach 1 at T = 20: with
    # fewer steps a "variance" above 1 made abar negative (T = 7: 1, .986, .505, .019, -.008).
    refused = []
    for steps in range(2, 1001):
        try:
            schedule = diffusion.make_schedule(steps, kind)
        except ValueError as error:
            assert "steps" in str(error) and str(diffusion.LINEAR_MIN_STEPS) in str(error)
            refused.append(steps)
            continue
        betas = schedule.betas[1:]
        assert np.all(betas > 0) and np.all(betas < 1), (kind, steps)
        assert np.all(schedule.alpha_bars > 0) and np.all(np.diff(schedule.alpha_bars) < 0)
        assert np.all(schedule.alpha_bars.astype("float32") > 0), (
            kind,
            steps,
        )  # as the model uses it
        if kind == "linear":  # refused only where DDPM's rescaled betas would leave (0, 1)
            np.testing.assert_allclose(
                betas, np.linspace(1e-4, 0.02, steps) * 1000 / steps, rtol=1e-12
            )
    expected = list(range(2, diffusion.LINEAR_MIN_STEPS)) if kind == "linear" else []
    assert refused == expected
    assert (
        0.02 * 1000 / (diffusion.LINEAR_MIN_STEPS - 1)
        >= 1
        > 0.02 * 1000 / diffusion.LINEAR_MIN_STEPS
    )


def test_a_linear_schedule_too_short_is_refused_by_the_config_too():
    with pytest.raises(ValueError, match="steps must be at least 21 .*got 7"):
        diffusion.DiffusionConfig(steps=7, schedule="linear")
    with pytest.raises(ValueError, match="steps"):
        diffusion.build_diffusion(TINY_POINTS, steps=7, schedule="linear")
    assert diffusion.DiffusionConfig(steps=7).schedule == "cosine"  # the cosine one is fine
    assert diffusion.DiffusionConfig(steps=21, schedule="linear").steps == 21


def test_cosine_schedule_follows_its_formula_and_snr_falls():
    steps, s = 200, 0.008
    schedule = diffusion.make_schedule(steps, "cosine")
    t = np.arange(steps)  # the last step is clipped at beta = 0.999
    f = np.cos((t / steps + s) / (1 + s) * np.pi / 2) ** 2
    np.testing.assert_allclose(schedule.alpha_bars[:steps], f / f[0], rtol=1e-9)
    for kind in diffusion.SCHEDULES:
        snr = diffusion.make_schedule(steps, kind).snr()
        assert snr.shape == (steps,) and np.all(np.diff(snr) < 0) and np.all(snr > 0)
    assert schedule.alpha_bars[-1] < 1e-4  # x_T is (almost) pure noise


def test_forward_closed_form_matches_running_the_steps():
    schedule = diffusion.make_schedule(30, "linear")
    rng = np.random.default_rng(0)
    x0 = np.array([1.5, -0.5, 0.0])
    x = np.tile(x0, (200_000, 1))
    for t in range(1, 31):  # x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z, step by step
        x = np.sqrt(1 - schedule.betas[t]) * x + np.sqrt(schedule.betas[t]) * rng.standard_normal(
            x.shape
        )
    abar = schedule.alpha_bars[30]
    t = np.full(len(x), 30)
    closed = convert_to_numpy(
        diffusion.add_noise(
            np.tile(x0, (len(x), 1)).astype("float32"),
            t,
            rng.standard_normal(x.shape),
            schedule.alpha_bars,
        )
    )
    for sample in (x, closed):
        np.testing.assert_allclose(sample.mean(axis=0), np.sqrt(abar) * x0, atol=0.01)
        np.testing.assert_allclose(sample.var(axis=0), 1 - abar, rtol=0.02)


def test_predict_x0_inverts_the_forward_process():
    schedule = diffusion.make_schedule(40)
    rng = np.random.default_rng(1)
    x0, noise = rng.normal(size=(6, 4, 4, 1)), rng.normal(size=(6, 4, 4, 1))
    t = np.array([1, 5, 10, 20, 30, 39])
    x_t = convert_to_numpy(diffusion.add_noise(x0, t, noise, schedule.alpha_bars)).astype(
        np.float64
    )
    np.testing.assert_allclose(
        diffusion_samplers.predict_x0(x_t, t, noise, schedule.alpha_bars), x0, atol=1e-4
    )


# --------------------------------------------------------------------------- networks and model


def test_step_embedding_is_sines_and_cosines():
    t = np.array([0, 1, 7, 199])
    out = convert_to_numpy(diffusion.StepEmbedding(8)(t))
    w = 10_000.0 ** (-np.arange(4) / 4)
    np.testing.assert_allclose(
        out, np.concatenate([np.sin(t[:, None] * w), np.cos(t[:, None] * w)], 1), atol=1e-5
    )


def test_denoisers_map_noisy_data_to_noise_shaped_outputs():
    points = diffusion.build_diffusion(TINY_POINTS)
    images = diffusion.build_diffusion(TINY_IMAGES)
    assert points.predict_noise(np.zeros((5, 2)), 3).shape == (5, 2)
    assert images.predict_noise(np.zeros((4, 8, 8, 1)), [1, 2, 3, 20], [0, 1, 2, 3]).shape == (
        4,
        8,
        8,
        1,
    )
    assert images.denoiser.name == "image_denoiser" and points.denoiser.name == "point_denoiser"


def test_loss_is_the_mean_squared_noise_error():
    model = diffusion.build_diffusion(TINY_IMAGES)
    rng = np.random.default_rng(2)
    batch = {"data": rng.uniform(-1, 1, (8, 8, 8, 1)).astype("float32"), "label": np.arange(8) % 3}
    out = model(batch, training=True)
    noise, predicted = convert_to_numpy(out["noise"]), convert_to_numpy(out["predicted"])
    assert noise.shape == predicted.shape == (8, 8, 8, 1)
    loss = float(model.compute_loss(x=batch, y_pred=out))
    assert loss == pytest.approx(np.mean((noise - predicted) ** 2), rel=1e-5)


def test_save_and_load_round_trip(tmp_path):
    model = diffusion.build_diffusion(TINY_IMAGES)
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, diffusion.Diffusion) and loaded.config == TINY_IMAGES
    x = np.random.default_rng(3).normal(size=(3, 8, 8, 1))
    np.testing.assert_allclose(
        loaded.predict_noise(x, 5, [0, 2, 3]), model.predict_noise(x, 5, [0, 2, 3]), atol=1e-6
    )


@pytest.mark.parametrize("config", [TINY_POINTS, TINY_IMAGES], ids=["points", "images"])
def test_a_reloaded_model_draws_what_the_saved_one_draws_next(tmp_path, config):
    # The model draws the steps, the noise (and, conditional, the dropped labels) from its own
    # SeedGenerator: after a safe-mode round trip it must continue that stream, not restart it.
    model = diffusion.build_diffusion(config, seed=5)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, *config.data_shape)).astype("float32")
    data = {"data": x, "label": (np.arange(8) % 3).astype("int32")} if config.num_classes else x
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(data, batch_size=4, epochs=1, verbose=0)  # the stream moves on in training
    state = convert_to_numpy(model.seed_generator.state)
    assert state.tolist() != [5, 0]
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(convert_to_numpy(loaded.seed_generator.state), state)
    ours, theirs = model(data, training=True), loaded(data, training=True)
    np.testing.assert_array_equal(
        convert_to_numpy(theirs["noise"]), convert_to_numpy(ours["noise"])
    )
    np.testing.assert_allclose(  # the same steps and labels: the same predictions
        convert_to_numpy(theirs["predicted"]), convert_to_numpy(ours["predicted"]), atol=1e-6
    )
    # A resumed training run continues as the saved one would have.
    ours = model.fit(data, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    theirs = loaded.fit(data, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(theirs, ours, rtol=1e-5)
    np.testing.assert_array_equal(
        convert_to_numpy(loaded.seed_generator.state), convert_to_numpy(model.seed_generator.state)
    )


# --------------------------------------------------------------------------- Gaussian data: exact answers

MEAN, STD = np.array([1.0, -2.0]), np.array([0.5, 0.2])


def optimal_noise(schedule):
    """E[eps | x_t] for data N(MEAN, STD^2): (x_t - sqrt(abar) MEAN) sqrt(1 - abar) / (abar STD^2 + 1 - abar)."""

    def noise_fn(x, t):
        abar = schedule.alpha_bars[t][:, None]
        return (x - np.sqrt(abar) * MEAN) * np.sqrt(1 - abar) / (abar * STD**2 + 1 - abar)

    return noise_fn


@pytest.mark.parametrize(
    "sampler, std_tolerance", [("ancestral", 0.05), ("ddim_all", 0.05), ("ddim_20", 0.2)]
)
def test_samplers_with_the_exact_denoiser_recover_gaussian_data(sampler, std_tolerance):
    # With few steps DDIM's discretization shrinks the spread: hence the looser tolerance.
    schedule = diffusion.make_schedule(200)
    noise_fn, shape = optimal_noise(schedule), (40_000, 2)
    if sampler == "ancestral":
        x = diffusion_samplers.ancestral_sample(noise_fn, schedule, shape, seed=4)
    else:
        x = diffusion_samplers.ddim_sample(
            noise_fn, schedule, shape, 200 if sampler == "ddim_all" else 20, seed=4
        )
    np.testing.assert_allclose(x.mean(axis=0), MEAN, atol=0.01)
    np.testing.assert_allclose(x.std(axis=0), STD, rtol=std_tolerance)


def test_ddim_with_eta_one_over_all_steps_is_the_ancestral_sampler():
    schedule = diffusion.make_schedule(30, "linear")
    noise_fn = optimal_noise(schedule)
    trajectory = {}
    ancestral = diffusion_samplers.ancestral_sample(
        noise_fn, schedule, (50, 2), seed=5, trajectory=trajectory
    )
    ddim = diffusion_samplers.ddim_sample(noise_fn, schedule, (50, 2), 30, seed=5, eta=1.0)
    np.testing.assert_allclose(ddim, ancestral, atol=1e-9)
    assert sorted(trajectory) == list(range(31)) and trajectory[0] is not None
    # eta = 0: deterministic given x_T, and different from the stochastic sampler
    again = diffusion_samplers.ddim_sample(noise_fn, schedule, (50, 2), 30, seed=5)
    np.testing.assert_array_equal(
        again, diffusion_samplers.ddim_sample(noise_fn, schedule, (50, 2), 30, seed=5)
    )
    assert np.abs(again - ancestral).max() > 0.01


def test_training_on_gaussian_data_approaches_the_optimal_loss():
    config = dataclasses.replace(TINY_POINTS, steps=20, width=64, seed=1)
    keras.utils.set_random_seed(0)
    model = diffusion.build_diffusion(config)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    rng = np.random.default_rng(6)
    x0 = (MEAN + STD * rng.standard_normal((4096, 2))).astype("float32")
    model.fit(x0, epochs=25, batch_size=128, verbose=0)
    # The same draws of t and noise scored for the trained network, the exact optimum, and zero.
    t = rng.integers(1, config.steps + 1, len(x0))
    noise = rng.standard_normal(x0.shape)
    x_t = convert_to_numpy(diffusion.add_noise(x0, t, noise, model.schedule.alpha_bars)).astype(
        np.float64
    )
    trained = np.mean((model.predict_noise(x_t, t) - noise) ** 2)
    best = np.mean((optimal_noise(model.schedule)(x_t, t) - noise) ** 2)
    zero = np.mean(noise**2)
    assert best < trained < best + 0.03 and trained < 0.8 * zero


# --------------------------------------------------------------------------- guidance and arguments


def test_guidance_combines_conditional_and_unconditional_estimates():
    model = diffusion.build_diffusion(TINY_IMAGES)
    x = np.random.default_rng(7).normal(size=(4, 8, 8, 1))
    t = np.array([3, 3, 10, 20])
    labels = np.array([0, 1, 2, 0])
    conditional = model.predict_noise(x, t, labels)
    unconditional = model.predict_noise(x, t)  # "no class"
    assert np.abs(conditional - unconditional).max() > 0  # the label matters
    np.testing.assert_allclose(
        diffusion_samplers.noise_predictor(model, labels)(x, t), conditional, atol=1e-6
    )
    np.testing.assert_allclose(
        diffusion_samplers.noise_predictor(model)(x, t), unconditional, atol=1e-6
    )
    guided = diffusion_samplers.noise_predictor(model, labels, guidance=2.0)(x, t)
    np.testing.assert_allclose(guided, 3.0 * conditional - 2.0 * unconditional, atol=1e-5)


@pytest.mark.parametrize(
    "field, value",
    [
        ("data_shape", (8, 8)),
        ("data_shape", (7, 8, 1)),
        ("steps", 1),
        ("schedule", "quadratic"),
        ("width", 0),
        ("num_classes", -1),
        ("label_dropout", 1.0),
        ("seed", -1),
    ],
)
def test_bad_config_values_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        diffusion.DiffusionConfig(**{field: value})


def test_bad_sampler_arguments_raise():
    schedule = diffusion.make_schedule(10)
    noise_fn = optimal_noise(schedule)
    with pytest.raises(ValueError, match="sampling_steps"):
        diffusion_samplers.ddim_sample(noise_fn, schedule, (2, 2), sampling_steps=11)
    with pytest.raises(ValueError, match="eta"):
        diffusion_samplers.ddim_sample(noise_fn, schedule, (2, 2), eta=2.0)
    with pytest.raises(ValueError, match="shape"):
        diffusion_samplers.ancestral_sample(noise_fn, schedule, 5)
    with pytest.raises(ValueError, match="kind"):
        diffusion.make_schedule(10, "quadratic")
    model = diffusion.build_diffusion(TINY_IMAGES)
    with pytest.raises(ValueError, match="guidance"):
        diffusion_samplers.noise_predictor(model, [0], guidance=-1)
    with pytest.raises(ValueError, match="labels"):
        diffusion_samplers.noise_predictor(model, [3])
    with pytest.raises(ValueError, match="conditional"):
        diffusion_samplers.noise_predictor(diffusion.build_diffusion(TINY_POINTS), [0])
    np.testing.assert_array_equal(diffusion_samplers.ddim_steps(200, 2), [200, 100, 0])


def test_builder_takes_overrides_and_validates_them():
    model = diffusion.build_diffusion(TINY_POINTS, width=16, steps=30)
    assert model.config.width == 16 and model.config.steps == 30 and model.schedule.steps == 30
    assert model.denoiser.get_layer("hidden_1").units == 16
    with pytest.raises(ValueError, match="width"):
        diffusion.build_diffusion(TINY_POINTS, width=0)


def test_ddim_from_t_minus_one_avoids_the_amplified_first_estimate():
    """With the cosine schedule sqrt(abar_T) is tiny: a small noise error at t = T becomes a huge
    error in the first x0 estimate. Starting at T - 1, or clipping x0_hat, removes it."""
    schedule = diffusion.make_schedule(200)
    exact = optimal_noise(schedule)

    def noise_fn(x, t):  # the exact predictor, wrong by 0.02 at t = T only
        return exact(x, t) + 0.02 * (t == 200)[:, None]

    shape = (2000, 2)
    plain = diffusion_samplers.ddim_sample(noise_fn, schedule, shape, 20, seed=1)
    trajectory = {}
    later = diffusion_samplers.ddim_sample(
        noise_fn, schedule, shape, 20, seed=1, start=199, trajectory=trajectory
    )
    clipped = diffusion_samplers.ddim_sample(noise_fn, schedule, shape, 20, seed=1, clip=(-3, 3))
    assert max(trajectory) == 199 and min(trajectory) == 0
    x0_error = 0.02 * np.sqrt(1 - schedule.alpha_bars[200]) / np.sqrt(schedule.alpha_bars[200])
    assert x0_error > 50  # the amplification
    assert np.abs(plain.mean(axis=0) - MEAN).max() > 0.5
    np.testing.assert_allclose(later.mean(axis=0), MEAN, atol=0.02)
    error = np.abs(plain.mean(axis=0) - MEAN).max()
    assert np.abs(clipped.mean(axis=0) - MEAN).max() < error / 3  # bounded, not removed
    with pytest.raises(ValueError, match="start"):
        diffusion_samplers.ddim_sample(noise_fn, schedule, shape, 20, start=201)
