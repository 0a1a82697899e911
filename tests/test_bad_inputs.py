"""Bad inputs, module by module: every public function, builder and config refuses them with a
ValueError or TypeError whose message names the argument and the value received.

Each row of the table is (module, what, argument, call). A row passes when `call()` raises
ValueError or TypeError whose message contains `argument` and the word "got" (the value
received follows it). The table is also a probe: `python tests/test_bad_inputs.py` runs every
row against whatever version of the package is importable and counts clean errors, errors that
name nothing, other exception types and calls that were silently accepted (some returning NaN).
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GENAI_LESSONS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from genai_lessons.core import downloads, results, settings, training
from genai_lessons.course import runner
from genai_lessons.datasets import image_sets, points2d, text
from genai_lessons.measures import judge, metrics
from genai_lessons.models import (
    attention,
    cnn,
    dcgan,
    gan,
    gan_networks,
    generation,
    gradcheck,
    latent,
    mlp,
    nn,
    transformer,
    vae,
)

NAN, INF = math.nan, math.inf
RNG = np.random.default_rng(0)
SCRATCH = tempfile.TemporaryDirectory()  # removed when the test process ends


# --------------------------------------------------------------------------- tiny objects


TINY_IMAGES = gan_networks.ImageNetworkConfig(latent_dim=4, image_size=8, channels=1, filters=4)


@functools.cache
def tiny_gan():
    config = gan.GANConfig(latent_dim=4)
    return gan.GAN(
        gan_networks.build_image_generator(TINY_IMAGES),
        gan_networks.build_image_discriminator(TINY_IMAGES),
        config,
    )


@functools.cache
def tiny_vae():
    return vae.build_vae(vae.VAEConfig(hidden_units=(8,), latent_dim=2))


@functools.cache
def tiny_autoencoder():
    return vae.build_autoencoder(vae.VAEConfig(hidden_units=(8,), latent_dim=2))


@functools.cache
def tiny_gpt():
    return transformer.build_gpt(
        transformer.GPTConfig(
            vocab_size=7, context=4, width=8, num_heads=2, num_layers=1, mlp_ratio=1
        )
    )


@functools.cache
def tiny_cnn():
    return cnn.build_cnn_classifier(filters=(2,), dense_units=4)


@functools.cache
def tiny_judge():
    return judge.DigitJudge(tiny_cnn(), judge.JudgeRecipe(), 0.9)


@functools.cache
def notebook_file() -> Path:
    import nbformat

    path = Path(SCRATCH.name) / "01_tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    return path


def tiny_mlp():
    return nn.MLP([2, 3, 2], seed=0)


def images(n=4, fill=None, low=0.0, shape=(8, 8, 1)):
    array = RNG.uniform(low, 1.0, (n, *shape)).astype("float32")
    if fill is not None:
        array[0, 0, 0, 0] = fill
    return array


X = RNG.normal(size=(4, 2))
Y = np.array([0, 1, 1, 0])
PROBS = np.full((4, 10), 0.1)
FEATURES = RNG.normal(size=(5, 3))
VOCAB = text.CharVocab.from_text("hello world")


def with_nan(array):
    array = np.array(array, dtype=float)
    array.flat[0] = NAN
    return array


# --------------------------------------------------------------------------- the table

CASES: list[tuple[str, str, str, object]] = []


def case(module: str, what: str, argument: str, call) -> None:
    CASES.append((module, what, argument, call))


# settings
for seed in (-1, 1.5, "3", True, None, NAN, np.float64(2.0)):
    case(
        "settings",
        f"seed_everything(seed={seed!r})",
        "seed",
        lambda s=seed: settings.seed_everything(s),
    )
case(
    "settings",
    "seed_everything(deterministic='no')",
    "deterministic",
    lambda: settings.seed_everything(0, deterministic="no"),
)
case("settings", "setup(seed=-3)", "seed", lambda: settings.setup(seed=-3, report=False))

# results
for lesson in ("", None, 3, "a/b"):
    case(
        "results", f"record(lesson={lesson!r})", "lesson", lambda v=lesson: results.record(v, x=1.0)
    )
for value in (NAN, INF, -INF, "a", None, True, [1.0], np.array([1.0, 2.0])):
    case("results", f"record(x={value!r})", "x", lambda v=value: results.record("01_tiny", x=v))
case("results", "record() without figures", "figures", lambda: results.record("01_tiny"))

# runner
case("runner", "select_notebooks(folder=123)", "folder", lambda: runner.select_notebooks(123))
case(
    "runner",
    "select_notebooks(lessons='gans')",
    "lessons",
    lambda: runner.select_notebooks(notebook_file().parent, "gans"),
)
case(
    "runner",
    "select_notebooks(lessons=[3])",
    "lessons",
    lambda: runner.select_notebooks(notebook_file().parent, [3]),
)
case(
    "runner",
    "run_notebook(missing path)",
    "path",
    lambda: runner.run_notebook(notebook_file().parent / "nope.ipynb", quick=True),
)
case("runner", "run_notebook(path=None)", "path", lambda: runner.run_notebook(None, quick=True))
case(
    "runner",
    "run_notebook(quick='yes')",
    "quick",
    lambda: runner.run_notebook(notebook_file(), quick="yes"),
)
for timeout in (0, -1, NAN, "10"):
    case(
        "runner",
        f"run_notebook(cell_timeout={timeout!r})",
        "cell_timeout",
        lambda t=timeout: runner.run_notebook(notebook_file(), quick=True, cell_timeout=t),
    )
case(
    "runner",
    "run_notebook(progress=5)",
    "progress",
    lambda: runner.run_notebook(notebook_file(), quick=True, progress=5),
)
case("runner", "markdown_table(runs=[1])", "runs", lambda: runner.markdown_table([1], "quick"))
case("runner", "markdown_table(mode='fast')", "mode", lambda: runner.markdown_table([], "fast"))
case(
    "runner",
    "write_results(runs=None)",
    "runs",
    lambda: runner.write_results(None, SCRATCH.name, "quick"),
)

# data
for fraction in (0, 1, NAN, INF, "0.2", None, True):
    case(
        "data",
        f"load_digits(test_fraction={fraction!r})",
        "test_fraction",
        lambda f=fraction: image_sets.load_digits(test_fraction=f),
    )
for seed in (-1, 1.5, "0", None):
    case(
        "data", f"load_digits(seed={seed!r})", "seed", lambda s=seed: image_sets.load_digits(seed=s)
    )
case(
    "data",
    "load_digits(value_range='0-255')",
    "value_range",
    lambda: image_sets.load_digits("0-255"),
)
case("data", "load_images(name='cifar')", "name", lambda: image_sets.load_images("cifar"))
case("data", "load_images(name=None)", "name", lambda: image_sets.load_images(None))
case(
    "data",
    "load_images(test_fraction=2)",
    "test_fraction",
    lambda: image_sets.load_images(test_fraction=2),
)
case("data", "load_images(seed=-1)", "seed", lambda: image_sets.load_images(seed=-1))
case(
    "data",
    "load_images(cache_dir=5)",
    "cache_dir",
    lambda: image_sets.load_images("mnist", cache_dir=5),
)
case(
    "data",
    "split_arrays(x and y of different lengths)",
    "y",
    lambda: image_sets.split_arrays(np.zeros((10, 2)), np.arange(9) % 2),
)
case(
    "data",
    "split_arrays(empty x)",
    "x",
    lambda: image_sets.split_arrays(np.zeros((0, 2)), np.zeros(0)),
)
case(
    "data",
    "split_arrays(seed=-1)",
    "seed",
    lambda: image_sets.split_arrays(np.zeros((10, 2)), np.arange(10) % 2, seed=-1),
)
case(
    "data",
    "split_arrays(test_fraction=nan)",
    "test_fraction",
    lambda: image_sets.split_arrays(np.zeros((10, 2)), np.arange(10) % 2, test_fraction=NAN),
)
case(
    "data",
    "load_images(test_fraction=1e-9): no test example of most classes",
    "test_fraction",
    lambda: image_sets.load_images(test_fraction=1e-9),
)
case(
    "data",
    "split_arrays(test_fraction=0.99): no training example of some classes",
    "test_fraction",
    lambda: image_sets.split_arrays(np.zeros((40, 2)), np.arange(40) % 4, test_fraction=0.99),
)
case(
    "data",
    "split_arrays(a class with one example)",
    "y",
    lambda: image_sets.split_arrays(np.zeros((10, 2)), np.r_[np.arange(9) % 3, 5]),
)
case(
    "data",
    "load_mnist5k(value_range='bytes')",
    "value_range",
    lambda: image_sets.load_mnist5k("bytes"),
)
case(
    "data",
    "load_mnist5k(split_seed=-1)",
    "split_seed",
    lambda: image_sets.load_mnist5k(split_seed=-1),
)
case("downloads", "fetch(remote='mnist')", "remote", lambda: downloads.fetch("mnist"))
case(
    "downloads",
    "fetch(cache_dir=3)",
    "cache_dir",
    lambda: downloads.fetch(image_sets.REMOTE_FILES["mnist"][0], cache_dir=3),
)
case(
    "downloads",
    "Remote(file_hash='abc')",
    "file_hash",
    lambda: downloads.Remote("a.npz", "https://x/a.npz", "abc"),
)
case(
    "downloads",
    "Remote(fname='')",
    "fname",
    lambda: downloads.Remote("", "https://x/a.npz", "0" * 64),
)
case("downloads", "Remote(url=None)", "url", lambda: downloads.Remote("a.npz", None, "0" * 64))
for name, value in (
    ("n_samples", 1),
    ("n_samples", 1.5),
    ("n_samples", None),
    ("noise", NAN),
    ("noise", -0.1),
    ("noise", INF),
    ("seed", -1),
    ("seed", "1"),
):
    case(
        "data",
        f"make_moons({name}={value!r})",
        name,
        lambda n=name, v=value: points2d.make_moons(**{n: v}),
    )
for name, value in (
    ("n_samples", 1),
    ("classes", 1),
    ("classes", 2.0),
    ("turns", NAN),
    ("turns", INF),
    ("noise", NAN),
    ("noise", -1.0),
    ("seed", -1),
    ("seed", 0.5),
):
    case(
        "data",
        f"make_spirals({name}={value!r})",
        name,
        lambda n=name, v=value: points2d.make_spirals(**{n: v}),
    )
for name, value in (
    ("modes", 0),
    ("modes", 2.5),
    ("radius", NAN),
    ("radius", -1.0),
    ("radius", 0),
    ("radius", INF),
):
    case(
        "data",
        f"ring_centres({name}={value!r})",
        name,
        lambda n=name, v=value: points2d.ring_centres(**{n: v}),
    )
for name, value in (
    ("n_samples", 0),
    ("modes", 0),
    ("radius", NAN),
    ("std", NAN),
    ("std", INF),
    ("std", 0),
    ("std", "0.1"),
    ("seed", -1),
    ("seed", NAN),
):
    case(
        "data",
        f"make_ring({name}={value!r})",
        name,
        lambda n=name, v=value: points2d.make_ring(**{n: v}),
    )

# text
case("text", "load_corpus(name='tiny')", "name", lambda: text.load_corpus("tiny"))
case("text", "load_corpus(name=None)", "name", lambda: text.load_corpus(None))
case(
    "text",
    "load_corpus(cache_dir=3)",
    "cache_dir",
    lambda: text.load_corpus("shakespeare", cache_dir=3),
)
for value in ("", None, 5, ["a", "b"]):
    case(
        "text",
        f"CharVocab.from_text({value!r})",
        "text",
        lambda v=value: text.CharVocab.from_text(v),
    )
for value in (None, 5, ["h", "e"], b"he"):
    case("text", f"CharVocab.encode({value!r})", "text", lambda v=value: VOCAB.encode(v))
case("text", "CharVocab.encode('z') (not in the vocabulary)", "text", lambda: VOCAB.encode("hz"))
for value in ([1.5], [NAN], [-1], [VOCAB.size], "abc", None, [[0, 1], [2]]):
    case("text", f"CharVocab.decode({value!r})", "ids", lambda v=value: VOCAB.decode(v))
for value in (5, ("a", "a"), ("ab",), ()):
    case("text", f"CharVocab(chars={value!r})", "chars", lambda v=value: text.CharVocab(v))
for value in ("0.1", NAN, 0, 1, INF, None):
    case(
        "text",
        f"split_ids(validation_fraction={value!r})",
        "validation_fraction",
        lambda v=value: text.split_ids(np.arange(10), v),
    )
for value in (None, 5, np.zeros((3, 3), dtype=int), np.arange(1), [0.5, 1.5]):
    case("text", f"split_ids(ids={value!r})", "ids", lambda v=value: text.split_ids(v, 0.1))

# nn
for value in ([2], [2, 0, 2], "22", [2, 2.5, 2], None, [2, 3, 1]):
    case("nn", f"MLP(layer_sizes={value!r})", "layer_sizes", lambda v=value: nn.MLP(v))
for name, value in (
    ("activation", "gelu"),
    ("output_activation", "linear"),
    ("seed", -1),
    ("seed", 1.5),
    ("seed", None),
    ("dtype", "int32"),
):
    case("nn", f"MLP({name}={value!r})", name, lambda n=name, v=value: nn.MLP([2, 3, 2], **{n: v}))
case(
    "nn",
    "MLP([2, 3, 2], output_activation='sigmoid')",
    "layer_sizes",
    lambda: nn.MLP([2, 3, 2], output_activation="sigmoid"),
)
for what, value in (
    ("NaN inputs", with_nan(X)),
    ("empty batch", np.zeros((0, 2))),
    ("1D inputs", X[0]),
    ("wrong width", np.zeros((4, 3))),
    ("None", None),
    ("strings", [["a", "b"]]),
):
    case("nn", f"MLP.forward({what})", "x", lambda v=value: tiny_mlp().forward(v))
    case("nn", f"MLP.predict({what})", "x", lambda v=value: tiny_mlp().predict(v))
    case("nn", f"MLP.loss({what})", "x", lambda v=value: tiny_mlp().loss(v, Y))
for what, value in (
    ("label -1", [0, 1, 1, -1]),
    ("label 2 of 2 classes", [0, 1, 1, 2]),
    ("labels shorter than the batch", [0, 1]),
    ("labels 0.5", [0, 0.5, 1, 0]),
    ("NaN label", [0, NAN, 1, 0]),
    ("2D labels", np.zeros((4, 2))),
    ("None", None),
):
    case("nn", f"MLP.loss({what})", "labels", lambda v=value: tiny_mlp().loss(X, v))
    case(
        "nn", f"MLP.train_step({what})", "labels", lambda v=value: tiny_mlp().train_step(X, v, 0.1)
    )
    case(
        "nn",
        f"MLP.backward({what})",
        "labels",
        lambda v=value: tiny_mlp().backward(tiny_mlp().forward(X)[1], v),
    )
    case(
        "nn",
        f"cross_entropy({what})",
        "labels",
        lambda v=value: nn.cross_entropy(np.full((4, 2), 0.5), v),
    )
for value in (NAN, -0.1, INF, "0.1", None, 0):
    case(
        "nn",
        f"MLP.train_step(learning_rate={value!r})",
        "learning_rate",
        lambda v=value: tiny_mlp().train_step(X, Y, v),
    )
    case(
        "nn",
        f"MLP.update(learning_rate={value!r})",
        "learning_rate",
        lambda v=value: tiny_mlp().update([np.zeros_like(p) for p in tiny_mlp().params], v),
    )
case("nn", "MLP.update(too few grads)", "grads", lambda: tiny_mlp().update([np.zeros((2, 3))], 0.1))
case(
    "nn",
    "MLP.update(wrong grad shapes)",
    "grads",
    lambda: tiny_mlp().update([np.zeros((3, 3))] * 4, 0.1),
)
case(
    "nn",
    "MLP.update(NaN grads)",
    "grads",
    lambda: tiny_mlp().update([with_nan(p) for p in tiny_mlp().params], 0.1),
)
case(
    "nn",
    "MLP.train_step(sigmoid, label 2)",
    "labels",
    lambda: nn.MLP([2, 3, 1], output_activation="sigmoid").train_step(X, [0, 1, 2, 0], 0.1),
)
case(
    "nn",
    "cross_entropy(NaN output)",
    "output",
    lambda: nn.cross_entropy(with_nan(np.full((4, 2), 0.5)), Y),
)
case("nn", "cross_entropy(1D output)", "output", lambda: nn.cross_entropy(np.full(4, 0.5), Y))
case("nn", "cross_entropy(output > 1)", "output", lambda: nn.cross_entropy(np.full((4, 2), 1.5), Y))
case(
    "nn",
    "cross_entropy(output_activation='relu')",
    "output_activation",
    lambda: nn.cross_entropy(np.full((4, 2), 0.5), Y, "relu"),
)
case(
    "nn",
    "cross_entropy(sigmoid, label 2)",
    "labels",
    lambda: nn.cross_entropy(np.full((4, 1), 0.5), [0, 1, 2, 0], "sigmoid"),
)
for what, labels, classes, argument in (
    ("label -1", [0, -1], 3, "labels"),
    ("label 3 of 3", [0, 3], 3, "labels"),
    ("NaN label", [0, NAN], 3, "labels"),
    ("label 0.5", [0.5], 3, "labels"),
    ("classes=0", [0], 0, "classes"),
    ("classes=2.5", [0], 2.5, "classes"),
    ("classes=None", [0], None, "classes"),
    ("labels=None", None, 3, "labels"),
):
    case("nn", f"one_hot({what})", argument, lambda v=labels, c=classes: nn.one_hot(v, c))
for value in (0, -1e-6, NAN, INF, "1e-6"):
    case(
        "gradcheck",
        f"numerical_gradient(epsilon={value!r})",
        "epsilon",
        lambda v=value: gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3), epsilon=v),
    )
    case(
        "gradcheck",
        f"gradient_check(epsilon={value!r})",
        "epsilon",
        lambda v=value: gradcheck.gradient_check(
            lambda: 0.0, [np.zeros(3)], [np.zeros(3)], epsilon=v
        ),
    )
case(
    "gradcheck",
    "numerical_gradient(loss_fn=3)",
    "loss_fn",
    lambda: gradcheck.numerical_gradient(3, np.zeros(3)),
)
case(
    "gradcheck",
    "numerical_gradient(param=list)",
    "param",
    lambda: gradcheck.numerical_gradient(lambda: 0.0, [0.0, 1.0]),
)
case(
    "gradcheck",
    "numerical_gradient(int param)",
    "param",
    lambda: gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3, int)),
)
case(
    "gradcheck",
    "gradient_check(grads of other shapes)",
    "grads",
    lambda: gradcheck.gradient_check(lambda: 0.0, [np.zeros(3)], [np.zeros(4)]),
)
case(
    "gradcheck",
    "gradient_check(float32 params)",
    "params",
    lambda: gradcheck.gradient_check(lambda: 0.0, [np.zeros(3, np.float32)], [np.zeros(3)]),
)
case(
    "gradcheck",
    "gradient_check(loss_fn=None)",
    "loss_fn",
    lambda: gradcheck.gradient_check(None, [np.zeros(3)], [np.zeros(3)]),
)
case(
    "gradcheck",
    "relative_error(shapes differ)",
    "b",
    lambda: gradcheck.relative_error(np.zeros(3), np.zeros(4)),
)
case(
    "gradcheck",
    "relative_error(NaN)",
    "a",
    lambda: gradcheck.relative_error(with_nan(np.ones(3)), np.ones(3)),
)
case("gradcheck", "relative_error(None)", "b", lambda: gradcheck.relative_error(np.ones(3), None))
case("nn", "activation('gelu')", "name", lambda: nn.activation("gelu", np.zeros(3)))
case(
    "nn",
    "activation_derivative('gelu')",
    "name",
    lambda: nn.activation_derivative("gelu", np.zeros(3)),
)
case("nn", "activation(z=None)", "z", lambda: nn.activation("relu", None))
case("nn", "softmax(z=None)", "z", lambda: nn.softmax(None))
case("nn", "sigmoid(z='a')", "z", lambda: nn.sigmoid("a"))
for name, value in (
    ("input_size", 0),
    ("input_size", 2.0),
    ("hidden_sizes", [0]),
    ("hidden_sizes", "64"),
    ("hidden_sizes", 64),
    ("output_size", 0),
    ("activation", "gelu"),
    ("output_activation", "relu"),
    ("name", ""),
    ("name", 5),
    ("dtype", "int8"),
):
    kwargs = {"input_size": 2, "hidden_sizes": [3], "output_size": 2, name: value}
    case("mlp", f"build_mlp({name}={value!r})", name, lambda k=kwargs: mlp.build_mlp(**k))
case(
    "mlp",
    "build_mlp(softmax with output_size=1)",
    "output_size",
    lambda: mlp.build_mlp(input_size=2, hidden_sizes=[3], output_size=1),
)

# cnn
for name, value in (
    ("input_shape", (8, 8)),
    ("input_shape", (8, 8, 0)),
    ("input_shape", 8),
    ("num_classes", 1),
    ("num_classes", 2.0),
    ("filters", ()),
    ("filters", (8, 0)),
    ("filters", 8),
    ("convs_per_block", 0),
    ("kernel_size", 0),
    ("kernel_size", 9),
    ("pool", "yes"),
    ("dense_units", -1),
    ("dropout", NAN),
    ("dropout", 1.0),
    ("dropout", "0.1"),
    ("translate", NAN),
    ("translate", 0.5),
    ("seed", -1),
    ("seed", 1.5),
):
    case(
        "cnn", f"CNNConfig({name}={value!r})", name, lambda n=name, v=value: cnn.CNNConfig(**{n: v})
    )
    case(
        "cnn",
        f"build_cnn_classifier({name}={value!r})",
        name,
        lambda n=name, v=value: cnn.build_cnn_classifier(**{n: v}),
    )
case(
    "cnn",
    "build_cnn_classifier(config='small')",
    "config",
    lambda: cnn.build_cnn_classifier("small"),
)
case(
    "cnn",
    "build_cnn_classifier(unknown field)",
    "colour",
    lambda: cnn.build_cnn_classifier(colour=3),
)
case("cnn", "build_cnn_classifier(name='')", "name", lambda: cnn.build_cnn_classifier(name=""))
case("cnn", "feature_maps(model=None)", "model", lambda: cnn.feature_maps(None, images()))
case(
    "cnn",
    "feature_maps(NaN images)",
    "images",
    lambda: cnn.feature_maps(tiny_cnn(), images(fill=NAN)),
)
case(
    "cnn",
    "feature_maps(empty images)",
    "images",
    lambda: cnn.feature_maps(tiny_cnn(), np.zeros((0, 8, 8, 1))),
)
case(
    "cnn",
    "feature_maps(wrong image shape)",
    "images",
    lambda: cnn.feature_maps(tiny_cnn(), images(shape=(9, 9, 1))),
)
case("cnn", "feature_maps(images=None)", "images", lambda: cnn.feature_maps(tiny_cnn(), None))
case(
    "cnn",
    "feature_maps(layer_names=['nope'])",
    "layer_names",
    lambda: cnn.feature_maps(tiny_cnn(), images(), ["nope"]),
)
case(
    "cnn",
    "feature_maps(layer_names='block1_conv1')",
    "layer_names",
    lambda: cnn.feature_maps(tiny_cnn(), images(), "block1_conv1"),
)
for value in (0, 1.5, None):
    case(
        "cnn",
        f"feature_maps(batch_size={value!r})",
        "batch_size",
        lambda v=value: cnn.feature_maps(tiny_cnn(), images(), batch_size=v),
    )

# gan
for name, value in (
    ("latent_dim", 0),
    ("latent_dim", 2.0),
    ("generator_lr", NAN),
    ("generator_lr", INF),
    ("generator_lr", 0),
    ("generator_lr", "1e-3"),
    ("generator_lr", True),
    ("discriminator_lr", NAN),
    ("discriminator_lr", -1e-3),
    ("beta_1", NAN),
    ("beta_1", 1.0),
    ("beta_1", "0.5"),
    ("label_smoothing", NAN),
    ("label_smoothing", 0.5),
    ("label_smoothing", -0.1),
    ("generator_loss", "wasserstein"),
    ("seed", -1),
    ("seed", 0.5),
):
    case(
        "gan", f"GANConfig({name}={value!r})", name, lambda n=name, v=value: gan.GANConfig(**{n: v})
    )
for name, value in (
    ("latent_dim", 0),
    ("latent_dim", NAN),
    ("data_dim", "2"),
    ("units", 1.5),
    ("hidden_layers", -1),
):
    case(
        "gan_networks",
        f"build_point_generator({name}={value!r})",
        name,
        lambda n=name, v=value: gan_networks.build_point_generator(**{n: v}),
    )
for name, value in (("data_dim", 0), ("units", None), ("hidden_layers", 0)):
    case(
        "gan_networks",
        f"build_point_discriminator({name}={value!r})",
        name,
        lambda n=name, v=value: gan_networks.build_point_discriminator(**{n: v}),
    )
for name, value in (
    ("latent_dim", 0),
    ("image_size", 6),
    ("image_size", 0),
    ("image_size", 8.0),
    ("channels", 0),
    ("filters", 0),
    ("value_range", "0-255"),
    ("value_range", None),
):
    case(
        "gan_networks",
        f"build_image_generator({name}={value!r})",
        name,
        lambda n=name, v=value: gan_networks.build_image_generator(**{n: v}),
    )
for name, value in (
    ("image_size", 10),
    ("channels", -1),
    ("filters", 2.5),
    ("dropout", NAN),
    ("dropout", 1.0),
    ("dropout", "0.3"),
):
    case(
        "gan_networks",
        f"build_image_discriminator({name}={value!r})",
        name,
        lambda n=name, v=value: gan_networks.build_image_discriminator(**{n: v}),
    )
P = np.full((4, 1), 0.5, dtype="float32")
for value in (NAN, 0.5, -0.1, "0.1"):
    case(
        "gan",
        f"discriminator_loss(label_smoothing={value!r})",
        "label_smoothing",
        lambda v=value: gan.discriminator_loss(P, P, v),
    )
case(
    "gan",
    "generator_loss(kind='wasserstein')",
    "kind",
    lambda: gan.generator_loss(P, "wasserstein"),
)
case("gan", "GAN(generator='g')", "generator", lambda: gan.GAN("g", tiny_gan().discriminator))
case("gan", "GAN(discriminator=None)", "discriminator", lambda: gan.GAN(tiny_gan().generator, None))
case(
    "gan",
    "GAN(config=dict)",
    "config",
    lambda: gan.GAN(tiny_gan().generator, tiny_gan().discriminator, {"latent_dim": 4}),
)
case(
    "gan",
    "GAN(latent_dim disagrees)",
    "latent_dim",
    lambda: gan.GAN(tiny_gan().generator, tiny_gan().discriminator, gan.GANConfig(latent_dim=5)),
)
case(
    "gan",
    "GAN(generator and discriminator disagree)",
    "discriminator",
    lambda: gan.GAN(
        tiny_gan().generator,
        gan_networks.build_image_discriminator(TINY_IMAGES, image_size=16),
        gan.GANConfig(latent_dim=4),
    ),
)
for name, value in (
    ("count", 0),
    ("count", 2.0),
    ("count", NAN),
    ("seed", -1),
    ("seed", 0.5),
    ("seed", None),
):
    kwargs = {"count": 2, "seed": 0, name: value}
    case("gan", f"GAN.generate({name}={value!r})", name, lambda k=kwargs: tiny_gan().generate(**k))
for name, value in (
    ("epochs", [-1]),
    ("epochs", []),
    ("epochs", "abc"),
    ("epochs", [1.5]),
    ("count", 0),
    ("seed", -1),
):
    kwargs = {"epochs": [1], name: value}
    case(
        "gan", f"SampleSnapshots({name}={value!r})", name, lambda k=kwargs: gan.SampleSnapshots(**k)
    )
CENTRES = points2d.ring_centres()
for what, argument, kwargs in (
    ("NaN samples", "samples", {"samples": with_nan(np.zeros((5, 2)))}),
    ("empty samples", "samples", {"samples": np.zeros((0, 2))}),
    ("samples of another width", "samples", {"samples": np.zeros((5, 3))}),
    ("samples=None", "samples", {"samples": None}),
    ("NaN centres", "centres", {"centres": with_nan(CENTRES)}),
    ("max_distance=nan", "max_distance", {"max_distance": NAN}),
    ("max_distance=-1", "max_distance", {"max_distance": -1.0}),
    ("max_distance=inf", "max_distance", {"max_distance": INF}),
    ("max_distance='0.1'", "max_distance", {"max_distance": "0.1"}),
    ("min_share=nan", "min_share", {"min_share": NAN}),
    ("min_share=0", "min_share", {"min_share": 0.0}),
    ("min_share=True", "min_share", {"min_share": True}),
):
    args = {"samples": np.zeros((5, 2)), "centres": CENTRES, **kwargs}
    case("metrics", f"count_modes({what})", argument, lambda a=args: metrics.count_modes(**a))
for what, argument, kwargs in (
    ("NaN images", "images", {"images": images(fill=NAN, low=-1.0)}),
    ("images in [0, 2]", "images", {"images": images() * 2}),
    ("images not square", "images", {"images": images(shape=(8, 4, 1))}),
    ("fewer images than a batch", "images", {"images": images(2)}),
    ("epochs=0", "epochs", {"epochs": 0}),
    ("batch_size=0", "batch_size", {"batch_size": 0}),
    ("config=dict", "config", {"config": {"latent_dim": 4}}),
    ("filters=0", "filters", {"filters": 0}),
    ("callbacks=3", "callbacks", {"callbacks": 3}),
):
    args = {"images": images(4, low=-1.0), "epochs": 1, "batch_size": 4, "filters": 2, **kwargs}
    case(
        "dcgan",
        f"train_digit_gan({what})",
        argument,
        lambda a=args: dcgan.train_digit_gan(**a),
    )

# vae
for name, value in (
    ("image_shape", 5),
    ("image_shape", (8, 8)),
    ("image_shape", (8, 8, 0)),
    ("image_shape", (8.0, 8, 1)),
    ("latent_dim", 0),
    ("latent_dim", NAN),
    ("hidden_units", ()),
    ("hidden_units", (0,)),
    ("hidden_units", 5),
    ("beta", INF),
    ("beta", NAN),
    ("beta", -1.0),
    ("beta", "1"),
    ("seed", -1),
    ("seed", None),
):
    case(
        "vae", f"VAEConfig({name}={value!r})", name, lambda n=name, v=value: vae.VAEConfig(**{n: v})
    )
for name, value in (
    ("epochs", 0),
    ("batch_size", 1.5),
    ("learning_rate", INF),
    ("learning_rate", NAN),
    ("learning_rate", 0),
    ("learning_rate", "1e-3"),
    ("decay_to", 0),
    ("decay_to", NAN),
):
    case(
        "vae",
        f"TrainConfig({name}={value!r})",
        name,
        lambda n=name, v=value: vae.TrainConfig(**{n: v}),
    )
for value in (-1, 1.5, "0"):
    case("vae", f"Sampling(seed={value!r})", "seed", lambda v=value: vae.Sampling(v))
for builder in ("build_vae", "build_encoder", "build_decoder", "build_autoencoder"):
    case("vae", f"{builder}('small')", "config", lambda b=builder: getattr(vae, b)("small"))
case(
    "vae",
    "VAE(beta=nan)",
    "beta",
    lambda: vae.VAE(tiny_vae().encoder, tiny_vae().decoder, beta=NAN),
)
case(
    "vae", "VAE(seed=-1)", "seed", lambda: vae.VAE(tiny_vae().encoder, tiny_vae().decoder, seed=-1)
)
case("vae", "VAE(encoder=None)", "encoder", lambda: vae.VAE(None, tiny_vae().decoder))
TINY_VAE = vae.VAEConfig(hidden_units=(4,))
ONE_EPOCH = vae.TrainConfig(epochs=1, batch_size=4)
for what, argument, kwargs in (
    ("NaN images", "images", {"images": images(fill=NAN)}),
    ("images in [0, 2]", "images", {"images": images() * 2}),
    ("empty images", "images", {"images": np.zeros((0, 8, 8, 1))}),
    ("wrong image shape", "images", {"images": images(shape=(9, 9, 1))}),
    ("config='small'", "config", {"config": "small"}),
    ("train=dict", "train", {"train": {"epochs": 1}}),
    ("NaN validation images", "validation", {"validation": images(fill=NAN)}),
    ("validation of another shape", "validation", {"validation": images(shape=(9, 9, 1))}),
    ("verbose='yes'", "verbose", {"verbose": "yes"}),
):
    args = {"images": images(), "config": TINY_VAE, "train": ONE_EPOCH, **kwargs}
    case("vae", f"train_vae({what})", argument, lambda a=args: vae.train_vae(**a))
BAD_IMAGES = (
    ("NaN images", images(fill=NAN)),
    ("images in [0, 2]", images() * 2),
    ("empty images", np.zeros((0, 8, 8, 1))),
    ("3D images", images()[..., 0]),
    ("wrong image shape", images(shape=(9, 9, 1))),
    ("images=None", None),
)
for what, value in BAD_IMAGES:
    case("latent", f"encode({what})", "images", lambda v=value: latent.encode(tiny_vae(), v))
    case(
        "latent",
        f"reconstruct(VAE, {what})",
        "images",
        lambda v=value: latent.reconstruct(tiny_vae(), v),
    )
    case(
        "latent",
        f"reconstruct(autoencoder, {what})",
        "images",
        lambda v=value: latent.reconstruct(tiny_autoencoder(), v),
    )
    case(
        "latent",
        f"negative_elbo({what})",
        "images",
        lambda v=value: latent.negative_elbo(tiny_vae(), v),
    )
    case(
        "latent",
        f"anomaly_scores({what})",
        "images",
        lambda v=value: latent.anomaly_scores(tiny_vae(), v),
    )
case("latent", "encode(vae='vae')", "vae", lambda: latent.encode("vae", images()))
case("latent", "encode(an autoencoder)", "vae", lambda: latent.encode(tiny_autoencoder(), images()))
case("latent", "reconstruct(model=None)", "model", lambda: latent.reconstruct(None, images()))
case("latent", "negative_elbo(vae=None)", "vae", lambda: latent.negative_elbo(None, images()))
for value in (0, 1.5, NAN):
    case(
        "latent",
        f"negative_elbo(samples={value!r})",
        "samples",
        lambda v=value: latent.negative_elbo(tiny_vae(), images(), samples=v),
    )
    case(
        "latent",
        f"anomaly_scores(samples={value!r})",
        "samples",
        lambda v=value: latent.anomaly_scores(tiny_vae(), images(), samples=v),
    )
case(
    "latent",
    "anomaly_scores(method='mse')",
    "method",
    lambda: latent.anomaly_scores(tiny_vae(), images(), "mse"),
)
case(
    "latent",
    "anomaly_scores(neg_elbo of an autoencoder)",
    "model",
    lambda: latent.anomaly_scores(tiny_autoencoder(), images(), "neg_elbo"),
)
for name, value in (("n", 0), ("n", 2.0), ("seed", -1), ("seed", 0.5), ("decoder", "decoder")):
    kwargs = {"decoder": tiny_vae().decoder if name != "decoder" else value, "n": 2, "seed": 0}
    kwargs[name] = value
    case(
        "latent", f"sample_prior({name}={value!r})", name, lambda k=kwargs: latent.sample_prior(**k)
    )

# transformer
for value in (0, 1.5, None):
    case(
        "attention",
        f"causal_mask({value!r})",
        "length",
        lambda v=value: attention.causal_mask(v),
    )
for name, value in (("length", 0), ("width", 3), ("width", 0), ("length", NAN)):
    kwargs = {"length": 4, "width": 4, name: value}
    case(
        "transformer",
        f"sinusoidal_positions({name}={value!r})",
        name,
        lambda k=kwargs: transformer.sinusoidal_positions(**k),
    )
Q = np.zeros((2, 3, 4), "float32")
case(
    "attention",
    "scaled_dot_product_attention(key width differs)",
    "key",
    lambda: attention.scaled_dot_product_attention(Q, np.zeros((2, 3, 5), "float32"), Q),
)
case(
    "attention",
    "scaled_dot_product_attention(value length differs)",
    "value",
    lambda: attention.scaled_dot_product_attention(Q, Q, np.zeros((2, 2, 4), "float32")),
)
case(
    "attention",
    "scaled_dot_product_attention(1D query)",
    "query",
    lambda: attention.scaled_dot_product_attention(np.zeros(4, "float32"), Q, Q),
)
for name, value in (("vocab_size", 0), ("context", 1.5), ("width", None), ("positions", "rotary")):
    kwargs = {"vocab_size": 5, "context": 4, "width": 8, name: value}
    case(
        "transformer",
        f"PositionalEmbedding({name}={value!r})",
        name,
        lambda k=kwargs: transformer.PositionalEmbedding(**k),
    )
case(
    "attention",
    "CausalSelfAttention(width=10, num_heads=3)",
    "num_heads",
    lambda: attention.CausalSelfAttention(10, 3),
)
case(
    "attention",
    "CausalSelfAttention(num_heads=0)",
    "num_heads",
    lambda: attention.CausalSelfAttention(8, 0),
)
for name, value in (("dropout", NAN), ("dropout", 1.0), ("mlp_ratio", 0), ("num_heads", 3)):
    kwargs = {"width": 8, "num_heads": 2, name: value}
    case(
        "transformer",
        f"TransformerBlock({name}={value!r})",
        name,
        lambda k=kwargs: transformer.TransformerBlock(**k),
    )
for name, value in (
    ("vocab_size", 0),
    ("vocab_size", 5.0),
    ("context", 0),
    ("width", 9),
    ("num_heads", 0),
    ("num_layers", 0),
    ("mlp_ratio", 1.5),
    ("dropout", NAN),
    ("dropout", -0.1),
    ("positions", "rotary"),
):
    kwargs = {"vocab_size": 5, "width": 8, "num_heads": 2, name: value}
    case(
        "transformer",
        f"GPTConfig({name}={value!r})",
        name,
        lambda k=kwargs: transformer.GPTConfig(**k),
    )
case("transformer", "build_gpt('small')", "config", lambda: transformer.build_gpt("small"))
for what, value in (
    ("id -1", [1, -1]),
    ("id = vocab size", [1, 7]),
    ("float ids", [1.5, 2.0]),
    ("NaN id", [1, NAN]),
    ("empty prompt", []),
    ("2D prompt", [[1, 2]]),
    ("a string", "abc"),
    ("None", None),
):
    case(
        "transformer",
        f"generate(prompt_ids: {what})",
        "prompt_ids",
        lambda v=value: generation.generate(tiny_gpt(), v, 2),
    )
for name, value in (
    ("steps", -1),
    ("steps", 1.5),
    ("temperature", NAN),
    ("temperature", -1.0),
    ("temperature", INF),
    ("temperature", "1"),
    ("top_k", 0),
    ("top_k", 1.5),
    ("seed", -1),
    ("seed", 0.5),
):
    kwargs = {"steps": 2, name: value}
    case(
        "transformer",
        f"generate({name}={value!r})",
        name,
        lambda k=kwargs: generation.generate(tiny_gpt(), [1, 2], **k),
    )
case("transformer", "generate(model=None)", "model", lambda: generation.generate(None, [1, 2], 2))
for what, value in (
    ("id -1", [1, -1]),
    ("id = vocab size", [1, 7]),
    ("float ids", [1.7, 2.2]),
    ("NaN id", [1, NAN]),
    ("empty ids", []),
    ("2D ids", [[1, 2]]),
    ("longer than the context", [1, 2, 3, 4, 5]),
):
    case(
        "transformer",
        f"attention_maps({what})",
        "ids",
        lambda v=value: generation.attention_maps(tiny_gpt(), v),
    )
case(
    "transformer",
    "attention_maps(model=None)",
    "model",
    lambda: generation.attention_maps(None, [1, 2]),
)

# metrics
for what, value in (
    ("NaN", with_nan(FEATURES)),
    ("one row", FEATURES[:1]),
    ("1D", FEATURES[0]),
    ("None", None),
    ("strings", [["a"], ["b"]]),
):
    case(
        "metrics",
        f"frechet_distance(features_a: {what})",
        "features_a",
        lambda v=value: metrics.frechet_distance(v, FEATURES),
    )
case(
    "metrics",
    "frechet_distance(widths differ)",
    "features_b",
    lambda: metrics.frechet_distance(FEATURES, FEATURES[:, :2]),
)
for what, value in (
    ("NaN", with_nan(PROBS)),
    ("negative", PROBS - 0.2),
    ("above 1", PROBS + 1.0),
    ("1D", PROBS[0]),
    ("empty", np.zeros((0, 10))),
    ("None", None),
):
    case(
        "metrics",
        f"class_histogram({what})",
        "probabilities",
        lambda v=value: metrics.class_histogram(v),
    )
    case(
        "metrics",
        f"class_coverage({what})",
        "probabilities",
        lambda v=value: metrics.class_coverage(v),
    )
for value in (NAN, 0, 1.5, True, "0.02"):
    case(
        "metrics",
        f"class_coverage(min_share={value!r})",
        "min_share",
        lambda v=value: metrics.class_coverage(PROBS, v),
    )

# judge
for name, value in (
    ("filters", ()),
    ("filters", (0,)),
    ("dense_units", 0),
    ("dropout", NAN),
    ("dropout", 1.0),
    ("epochs", 0),
    ("epochs", 2.5),
    ("batch_size", 0),
    ("learning_rate", NAN),
    ("learning_rate", -1.0),
    ("seed", -1),
    ("split_seed", -1),
    ("split_seed", None),
):
    case(
        "judge",
        f"JudgeRecipe({name}={value!r})",
        name,
        lambda n=name, v=value: judge.JudgeRecipe(**{n: v}),
    )
case("judge", "load_judge(recipe='default')", "recipe", lambda: judge.load_judge("default"))
case(
    "judge",
    "load_judge(JudgeRecipe(epochs=0))",
    "epochs",
    lambda: judge.load_judge(judge.JudgeRecipe(epochs=0)),
)
case(
    "judge",
    "load_judge(disk_cache='no')",
    "disk_cache",
    lambda: judge.load_judge(judge.JudgeRecipe(epochs=1, seed=99), disk_cache="no"),
)
case(
    "judge",
    "DigitJudge(test_accuracy=nan)",
    "test_accuracy",
    lambda: judge.DigitJudge(tiny_cnn(), judge.JudgeRecipe(), NAN),
)
case(
    "judge",
    "DigitJudge(test_accuracy=1.5)",
    "test_accuracy",
    lambda: judge.DigitJudge(tiny_cnn(), judge.JudgeRecipe(), 1.5),
)
case(
    "judge",
    "DigitJudge(model='cnn')",
    "model",
    lambda: judge.DigitJudge("cnn", judge.JudgeRecipe(), 0.9),
)
case("judge", "DigitJudge(recipe=None)", "recipe", lambda: judge.DigitJudge(tiny_cnn(), None, 0.9))
for what, value in (
    ("NaN images", images(fill=NAN)),
    ("images in [0, 2]", images() * 2),
    ("empty images", np.zeros((0, 8, 8, 1))),
    ("wrong image shape", images(shape=(9, 9, 1))),
    ("images=None", None),
):
    case(
        "judge",
        f"DigitJudge.predict_proba({what})",
        "images",
        lambda v=value: tiny_judge().predict_proba(v),
    )
    case("judge", f"DigitJudge.embed({what})", "images", lambda v=value: tiny_judge().embed(v))
case(
    "judge",
    "DigitJudge.predict_proba(value_range='0-255')",
    "value_range",
    lambda: tiny_judge().predict_proba(images(), "0-255"),
)
case(
    "judge",
    "DigitJudge.predict_proba(symmetric images below -1)",
    "images",
    lambda: tiny_judge().predict_proba(images() - 2.5, "symmetric"),
)
case(
    "judge",
    "DigitJudge.frechet_distance(one image)",
    "images_b",
    lambda: tiny_judge().frechet_distance(images(), images(1)),
)

# training
for lesson in ("", 3, None, "a/b"):
    case(
        "training",
        f"backup(lesson={lesson!r})",
        "lesson",
        lambda v=lesson: training.backup(v, "run"),
    )
case("training", "backup(name='')", "name", lambda: training.backup("01", ""))
case(
    "training",
    "backup(a determinant of unknown type)",
    "model",
    lambda: training.backup("01", "run", model=object()),
)
for value in (0, 1.5, None):
    case(
        "training",
        f"progress(every={value!r})",
        "every",
        lambda v=value: training.progress(every=v),
    )
case("training", "progress(metrics=5)", "metrics", lambda: training.progress(metrics=5))
case("training", "progress(metrics='loss')", "metrics", lambda: training.progress(metrics="loss"))


# maths that also runs on tensors: concrete NumPy inputs are checked
for function in ("sigmoid", "softmax"):
    case(
        "nn", f"{function}(NaN)", "z", lambda f=function: getattr(nn, f)(with_nan(np.zeros((2, 3))))
    )
case("nn", "activation('tanh', NaN)", "z", lambda: nn.activation("tanh", with_nan(np.zeros(3))))
case(
    "nn",
    "activation_derivative('relu', NaN)",
    "z",
    lambda: nn.activation_derivative("relu", with_nan(np.zeros(3))),
)
case(
    "gan",
    "discriminator_loss(NaN p_real)",
    "p_real",
    lambda: gan.discriminator_loss(with_nan(P), P),
)
case(
    "gan", "discriminator_loss(p_fake above 1)", "p_fake", lambda: gan.discriminator_loss(P, P + 1)
)
case("gan", "generator_loss(NaN p_fake)", "p_fake", lambda: gan.generator_loss(with_nan(P)))
case(
    "gan", "generator_loss(p_fake below 0)", "p_fake", lambda: gan.generator_loss(P - 1, "minimax")
)
case(
    "vae",
    "kl_divergence(NaN z_mean)",
    "z_mean",
    lambda: vae.kl_divergence(with_nan(np.zeros((2, 2))), np.zeros((2, 2))),
)
case(
    "vae",
    "kl_divergence(NaN z_log_var)",
    "z_log_var",
    lambda: vae.kl_divergence(np.zeros((2, 2)), with_nan(np.zeros((2, 2)))),
)
case(
    "vae",
    "reconstruction_loss(images in [0, 2])",
    "images",
    lambda: vae.reconstruction_loss(images() * 2, images()),
)
case(
    "vae",
    "reconstruction_loss(NaN reconstructions)",
    "reconstructions",
    lambda: vae.reconstruction_loss(images(), images(fill=NAN)),
)
for argument in ("query", "key", "value"):
    arrays = {"query": Q, "key": Q, "value": Q, argument: with_nan(Q).astype("float32")}
    case(
        "attention",
        f"scaled_dot_product_attention(NaN {argument})",
        argument,
        lambda a=arrays: attention.scaled_dot_product_attention(**a),
    )
case(
    "judge",
    "train_judge_model(recipe='default')",
    "recipe",
    lambda: judge.train_judge_model("default", image_sets.load_digits()),
)
case(
    "judge",
    "train_judge_model(split=tuple)",
    "split",
    lambda: judge.train_judge_model(judge.JudgeRecipe(), (X, Y, X, Y)),
)


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize(
    "module, what, argument, call", CASES, ids=[f"{m}: {w}" for m, w, _, _ in CASES]
)
def test_a_bad_argument_is_a_clear_error(module, what, argument, call):
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    message = str(caught.value)
    assert argument in message, f"the message does not name {argument!r}: {message}"
    assert "got" in message, f"the message does not say what was received: {message}"


# --------------------------------------------------------------------------- the probe


def _contains_nan(value) -> bool:
    if value is None:  # np.asarray(None, dtype=float) is NaN
        return False
    try:
        return bool(np.isnan(np.asarray(value, dtype=float)).any())
    except (TypeError, ValueError):
        return False


def probe(cases=CASES) -> dict[str, list]:
    """Run every case; sort the outcomes into clean, unnamed, other type, accepted."""
    import io
    from contextlib import redirect_stdout

    outcomes: dict[str, list] = {"clean": [], "unnamed": [], "other": [], "accepted": [], "nan": []}
    for module, what, argument, call in cases:
        try:
            with redirect_stdout(io.StringIO()):
                value = call()
        except (ValueError, TypeError) as error:
            named = argument in str(error)
            outcomes["clean" if named else "unnamed"].append(
                (module, what, f"{type(error).__name__}: {error}")
            )
        except Exception as error:  # noqa: BLE001 - classifying, not handling
            outcomes["other"].append((module, what, f"{type(error).__name__}: {error}"[:200]))
        else:
            outcomes["accepted"].append((module, what, "returned"))
            if _contains_nan(value if not isinstance(value, tuple) else value[0]):
                outcomes["nan"].append((module, what, "returned NaN"))
    return outcomes


if __name__ == "__main__":
    import sys

    result = probe()
    total = len(CASES)
    for kind in ("unnamed", "other", "accepted", "nan") if "-v" in sys.argv else ():
        for module, what, detail in result[kind]:
            print(f"{kind:9} {module:12} {what:55} {detail[:150]}")
    print(
        f"{total} bad calls: {len(result['clean'])} clean ({100 * len(result['clean']) / total:.1f}%), "
        f"{len(result['unnamed'])} name nothing, {len(result['other'])} other exception types, "
        f"{len(result['accepted'])} accepted ({len(result['nan'])} returning NaN)"
    )
