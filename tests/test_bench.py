"""The benchmark's smoke run: structure and finite positive figures, never timing thresholds."""

import json
import math

import numpy as np
import pytest

from genai_lessons.course import bench, bench_models, cli

GPTS = {"GPT (lesson 5)", "GPT (lesson 6)"}
MODELS = GPTS | {"DCGAN (lesson 3)", "VAE (lesson 4)", "diffusion (lesson 7)"}
MODELS |= {bench_models.MNIST_GAN}


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
    for row in report["results"][0]["rows"]:
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


def test_lesson_6s_gpt_is_the_one_its_notebook_trains_in_full_mode():
    import re
    from pathlib import Path

    notebook = json.loads(
        Path(__file__).parents[1].joinpath("notebooks/06_language_models.ipynb").read_text()
    )
    source = "\n".join("".join(cell["source"]) for cell in notebook["cells"])

    def value(name):  # the full-mode value of a parameter: `NAME = x` or `pick(quick=.., full=x)`
        line = re.search(rf"^{name} = (.*?)(?:  #.*)?$", source, re.M).group(1)
        return float(re.search(r"full=([\d.]+)", line).group(1) if "pick" in line else line)

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


def test_the_reference_diffusion_model_matches_lesson_7s_in_size():
    from genai_lessons.models import diffusion

    ours = diffusion.build_diffusion(**bench_models.DIFFUSION_CONFIG).count_params()
    reference = bench_models.reference_diffusion().count_params()
    assert abs(reference - ours) / ours < 0.1, (ours, reference)


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
