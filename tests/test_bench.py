"""The benchmark's smoke run: structure and finite positive figures, never timing thresholds."""

import json
import math
import re

import numpy as np
import pytest

from genai_lessons.course import bench, bench_models, cli

GPTS = {"GPT (lesson 5)", "GPT (lesson 6)"}
MODELS = GPTS | {"DCGAN (lesson 3)", "VAE (lesson 4)", bench_models.MNIST_GAN}
MODELS |= {bench_models.VAE28, bench_models.AUTOENCODER28, bench_models.DIFFUSION28}


@pytest.fixture(scope="module")
def report():
    return bench.run(quick=True, others=False)


def _positive(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_the_quick_run_measures_every_model_on_this_backend(report):
    import keras

    (result,) = report["results"]
    assert result["backend"] == keras.backend.backend()
    assert {row["model"] for row in result["rows"]} == MODELS
    assert _positive(result["matmul_gflops"]) and _positive(result["matmul_gflops_per_cpu_second"])
    for row in result["rows"]:
        assert "ours" in row and "reference" in row
        for side in ("ours", "reference"):
            assert _positive(row[side]["ms"]) and _positive(row[side]["cpu_ms"])
            assert row[side]["params"] > 0
            mfu = [row[side].get("mfu"), row[side].get("mfu_cpu")]
            assert all(map(_positive, mfu)) if row["model"] in GPTS else mfu == [None, None]
        assert row["ratio"] == pytest.approx(row["ours"]["ms"] / row["reference"]["ms"])
        assert _positive(row["cpu_ratio"])
    assert len(report["load_average"]["before"]) == 3


def test_the_reference_models_match_the_course_models_in_size(report):
    rows = [
        row for row in report["results"][0]["rows"] if row["model"] not in bench_models.UNMATCHED
    ]
    assert len(rows) == len(MODELS) - 1  # all but the pixel-diffusion recipe
    for row in rows:
        if "reference" in row:  # within 10%: the same layer sizes, small differences of design
            ours, reference = row["ours"]["params"], row["reference"]["params"]
            assert abs(ours - reference) / ours < 0.1, (row["model"], ours, reference)


def test_the_markdown_table_has_a_row_per_model_and_the_json_round_trips(report, tmp_path):
    json_path, md_path = bench.write(report, tmp_path)
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(report))
    table = [line for line in md_path.read_text().splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(MODELS)  # header and one row per model
    assert "load average" in md_path.read_text()
    assert "MFU ours" in md_path.read_text()
    for name in GPTS:  # its MFU cell holds four percentages
        (line,) = [line for line in table if f"| {name} |" in line]
        assert line.split("|")[-2].count("%") == 4


def test_measure_can_keep_only_some_rows():
    # How the 28x28 rows of the README were measured; an unknown name is refused.
    result = bench.measure(bench.Plan.quick(), only=(bench_models.VAE28,))
    assert [row["model"] for row in result["rows"]] == [bench_models.VAE28]
    assert "GFLOP per training step" not in bench.markdown(
        {"cpu_count": 2, "load_average": {"before": [0] * 3, "after": [0] * 3}, "results": [result]}
    )
    with pytest.raises(ValueError, match="VAE 8x8"):
        bench.measure(bench.Plan.quick(), only=("VAE 8x8",))


def test_gpt_flops_follow_the_closed_form():
    # One block's matmuls per token: q, k, v, out (4 w^2) and the MLP (8 w^2), each 2 FLOPs
    # per multiply-add; attention 2 * 2 * length * width; times 3 for forward and backward.
    flops = bench.gpt_step_flops(batch=1, vocab_size=10, context=4, width=8, num_layers=1)
    assert flops == 3 * 4 * (24 * 64 + 4 * 4 * 8 + 2 * 8 * 10)


def test_the_lesson_configs_give_the_flops_of_their_steps():
    # The default is lesson 5's config; lesson 6's differs in vocabulary and batch.
    (config5, batch5), (config6, batch6) = [bench_models.GPTS[name] for name in sorted(GPTS)]
    assert bench.gpt_step_flops() == bench.gpt_step_flops(batch5, **config5)
    assert bench.gpt_step_flops(batch6, **config6) == 3 * 16 * 64 * (
        2 * (24 * 128**2 + 4 * 64 * 128) + 2 * 128 * 512
    )


def _notebook_source(name):
    from pathlib import Path

    notebook = json.loads(Path(__file__).parents[1].joinpath("notebooks", name).read_text())
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"])


def _full_value(source, name):
    """The full-mode value of a parameter: `NAME = x` or `NAME = settings.pick(quick=.., full=x)`."""
    line = re.search(rf"^{name} = (.*?)(?:  #.*)?$", source, re.M).group(1)
    return float(re.search(r"full=([\d.e-]+)", line).group(1) if "pick" in line else line)


def _argument(source, call, name):
    """The number passed as `name=` in the one line that calls `call`, e.g. a config's field."""
    (line,) = [line for line in source.splitlines() if call in line and f"{name}=" in line]
    return float(re.search(rf"\b{name}=([\d.e-]+)", line).group(1))


def test_lesson_6s_gpt_is_the_one_its_notebook_trains_in_full_mode():
    source = _notebook_source("06_language_models.ipynb")

    def value(name):
        return _full_value(source, name)

    config, batch = bench_models.GPTS["GPT (lesson 6)"]
    assert batch == value("BATCH_SIZE") and config["vocab_size"] == value("VOCAB_SIZE")
    for key, name in [
        ("context", "CONTEXT"),
        ("width", "WIDTH"),
        ("num_heads", "HEADS"),
        ("num_layers", "LAYERS"),
        ("dropout", "DROPOUT"),
    ]:
        assert config[key] == value(name), key


def test_the_28x28_dcgan_is_the_one_lesson_3_trains_and_its_reference_has_its_shapes():
    from pathlib import Path

    from genai_lessons.models import dcgan

    contenders = bench_models.contenders(gpt_steps=1, images=64, jit=False, mnist_images=100)
    ours, fit, _, _ = contenders[(bench_models.MNIST_GAN, "ours")]
    reference, reference_fit, _, _ = contenders[(bench_models.MNIST_GAN, "reference")]
    # Lesson 3's recipe: its config, batch, whole batches of 28x28 digits in [-1, 1].
    assert ours.config == dcgan.MNIST5K_CONFIG and fit["batch_size"] == dcgan.MNIST5K_BATCH == 32
    assert fit["x"].shape == (96, 28, 28, 1) and fit["x"] is reference_fit["x"]
    assert fit["x"].min() >= -1 and fit["x"].max() <= 1
    trained = dcgan.train_digit_gan(
        dcgan.MNIST5K_CONFIG, epochs=1, images=fit["x"], filters=dcgan.MNIST5K_FILTERS
    )
    for network in ("generator", "discriminator"):  # the lesson's networks, weight for weight
        assert getattr(ours, network).count_params() == getattr(trained, network).count_params()
        ours_shapes = [w.shape for w in getattr(ours, network).weights]
        assert ours_shapes == [w.shape for w in getattr(trained, network).weights]
    # The reference maps the same noise to the same images and the images to one probability.
    assert reference.generator.input_shape == ours.generator.input_shape == (None, 32)
    assert reference.generator.output_shape == ours.generator.output_shape == (None, 28, 28, 1)
    assert reference.discriminator.output_shape == ours.discriminator.output_shape
    assert reference.lrs == (
        dcgan.MNIST5K_CONFIG.discriminator_lr,
        dcgan.MNIST5K_CONFIG.generator_lr,
    )
    # Lesson 3 trains with these constants (section 8's cell), so the row times its model.
    notebook = Path(__file__).parents[1].joinpath("notebooks/03_gans.ipynb").read_text()
    for constant in ("MNIST5K_CONFIG", "MNIST5K_BATCH", "MNIST5K_FILTERS"):
        assert f"dcgan.{constant}" in notebook, constant


def test_lesson_4s_28x28_vae_is_the_one_its_notebook_trains():
    from genai_lessons.models import conv_vae

    source = _notebook_source("04_vaes.ipynb")
    (line,) = [line for line in source.splitlines() if line.startswith("CONV_CONFIG = ")]
    assert line.startswith("CONV_CONFIG = conv_vae.ConvVAEConfig(latent_dim=")
    filters = tuple(int(f) for f in re.search(r"filters=\((\d+), (\d+)\)", line).groups())
    assert "dense_units" not in line  # the default, as in the bench
    assert bench_models.CONV_VAE_CONFIG == dict(
        latent_dim=_argument(line, "", "latent_dim"), filters=filters, dense_units=256
    )
    assert conv_vae.ConvVAEConfig().dense_units == 256
    assert bench_models.CONV_VAE_BATCH == _argument(source, "CONV_TRAIN = ", "batch_size")
    assert bench_models.CONV_VAE_LR == _argument(source, "CONV_TRAIN = ", "learning_rate")
    assert "conv_vae.train_conv_vae(" in source  # which compiles with Adam at that rate


def test_lesson_7s_latent_models_are_the_ones_its_notebook_trains_in_full_mode():
    from genai_lessons.models import conv_vae

    source = _notebook_source("07_diffusion.ipynb")
    latent = _full_value(source, "LATENT_DIM")
    assert "ae_config = conv_vae.ConvVAEConfig(latent_dim=LATENT_DIM)\n" in source
    defaults = conv_vae.ConvVAEConfig(latent_dim=int(latent))
    assert bench_models.AUTOENCODER_CONFIG == dict(
        latent_dim=latent, filters=defaults.filters, dense_units=defaults.dense_units
    )
    assert bench_models.AUTOENCODER_BATCH == _argument(source, "ae_train = ", "batch_size")
    assert bench_models.AUTOENCODER_LR == _argument(source, "ae_train = ", "learning_rate")
    config = bench_models.LATENT_DIFFUSION_CONFIG
    assert config["data_shape"] == (latent,) and config["steps"] == _full_value(source, "STEPS")
    assert config["width"] == _full_value(source, "LATENT_WIDTH")
    trainer = source[source.index("def train_latent_diffusion(") :].split("\n\n\n")[0]
    for key in ("depth", "embedding_dim"):  # in the config the notebook's trainer builds
        assert config[key] == _argument(trainer, f"{key}=", key), key
    assert bench_models.LATENT_BATCH == _full_value(source, "LATENT_BATCH")
    assert bench_models.LATENT_LR == _full_value(source, "LEARNING_RATE")
    assert bench_models.LATENT_EPOCHS == _full_value(source, "LATENT_EPOCHS")
    assert bench_models.LATENT_EMA == _argument(source, "use_ema=True", "ema_momentum")
    assert "CosineDecay(LEARNING_RATE, total_steps, alpha=0.05)" in source


def test_the_28x28_rows_train_on_the_lessons_data_and_models():
    from genai_lessons.models import conv_vae, diffusion

    contenders = bench_models.contenders(gpt_steps=1, images=64, jit=False, mnist_images=100)
    model, fit, _, _ = contenders[(bench_models.VAE28, "ours")]
    built = conv_vae.build_conv_vae(conv_vae.ConvVAEConfig(latent_dim=16, filters=(16, 32)))
    assert [w.shape for w in model.weights] == [w.shape for w in built.weights]
    assert fit["x"].shape == (100, 28, 28, 1) and fit["batch_size"] == 64
    assert 0 <= fit["x"].min() and fit["x"].max() <= 1 and fit["x"].max() > 0.9
    model, fit, _, _ = contenders[(bench_models.AUTOENCODER28, "ours")]
    built = conv_vae.build_conv_autoencoder(conv_vae.ConvVAEConfig(latent_dim=16))
    assert [w.shape for w in model.weights] == [w.shape for w in built.weights]
    assert fit["y"] is fit["x"] and model.loss == "binary_crossentropy"
    model, fit, _, _ = contenders[(bench_models.DIFFUSION28, "ours")]
    built = diffusion.build_diffusion(data_shape=(16,), steps=200, width=256, depth=4)
    assert [w.shape for w in model.weights] == [w.shape for w in built.weights]
    assert fit["x"].shape == (100, 16) and fit["batch_size"] == 128
    assert model.optimizer.use_ema
    reference, fit, _, _ = contenders[(bench_models.DIFFUSION28, "reference")]
    assert reference.network.input_shape[0] == (None, 28, 28, 1) and fit["batch_size"] == 64
    assert fit["x"].shape == (100, 28, 28, 1) and fit["x"].min() == -1 and fit["x"].max() == 1


@pytest.mark.parametrize("variational", [True, False])
def test_the_convolutional_references_match_the_course_models_in_size(variational):
    from genai_lessons.course import reference
    from genai_lessons.models import conv_vae

    for sizes in (bench_models.CONV_VAE_CONFIG, bench_models.AUTOENCODER_CONFIG):
        config = conv_vae.ConvVAEConfig(**sizes)
        if variational:
            ours = conv_vae.build_conv_vae(config)
            ref = reference.ReferenceConvVAE((28, 28, 1), **sizes)
            ref(np.zeros((1, 28, 28, 1), "float32"))
        else:
            ours = conv_vae.build_conv_autoencoder(config)
            ref = reference.reference_conv_autoencoder((28, 28, 1), **sizes)
        ours, ref = ours.count_params(), ref.count_params()
        # The same convolutions and dense layers; the decoders' last layers differ by a few
        # thousand weights (keras.io's ends with wider transposed convolutions).
        assert abs(ours - ref) / ours < 0.03, (sizes, ours, ref)


def _falls(model, x, y=None, steps=10):
    """The loss on one fixed batch before and after `steps` steps on it."""
    before = model.evaluate(x, y, batch_size=len(x), verbose=0)
    for _ in range(steps):
        model.train_on_batch(x, y)
    after = model.evaluate(x, y, batch_size=len(x), verbose=0)
    before, after = [v[0] if isinstance(v, list) else v for v in (before, after)]
    return before, after


def test_the_convolutional_references_learn_a_fixed_batch():
    import keras

    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets

    keras.utils.set_random_seed(0)
    x = image_sets.load_mnist5k().x_train[:32].astype("float32")
    vae = reference.ReferenceConvVAE((28, 28, 1), latent_dim=4, filters=(8, 16), dense_units=32)
    vae.compile(keras.optimizers.Adam(1e-2))  # after 10 steps: 0.42 to 0.68 of before (seeds 0-2)
    before, after = _falls(vae, x)
    # Untrained, the decoder's sigmoid outputs are near 0.5: about 784 ln 2 = 543 nats per digit.
    assert before > 400 and after < 0.8 * before, (before, after)
    ae = reference.reference_conv_autoencoder((28, 28, 1), 4, (8, 16), 32)
    ae.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy")  # 0.43 to 0.48 of before
    before, after = _falls(ae, x, x)
    assert before > 0.5 and after < 0.8 * before, (before, after)


def test_the_reference_diffusion_model_learns_to_predict_the_noise():
    import keras

    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets

    keras.utils.set_random_seed(0)
    x = image_sets.load_digits("symmetric").x_train[:128].astype("float32")
    model = reference.ReferenceDiffusion((8, 8, 1), widths=(8, 16), embedding_dims=8)
    model(x[:2])  # built before training, on every backend
    model.compile(keras.optimizers.Adam(5e-3))
    # Untrained, its last convolution (zeros, as in the example) predicts no noise: the mean
    # absolute error is E|eps| = sqrt(2 / pi) for standard normal noise (8,192 draws here).
    assert model.evaluate(x, batch_size=64, verbose=0) == pytest.approx(
        np.sqrt(2 / np.pi), abs=0.03
    )
    losses = model.fit(x, batch_size=32, epochs=6, verbose=0).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < 0.75 * np.sqrt(2 / np.pi), losses


def test_the_command_line_offers_bench_with_its_options():
    args = cli.build_parser().parse_args(["bench", "--quick", "--this-backend"])
    assert args.quick and args.this_backend and args.handler is cli._bench
