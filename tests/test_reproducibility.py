"""The same seed gives the same trained weights, bit for bit, under the course's default policy.

Each run is a fresh Python process, as a notebook kernel is: `settings.setup(seed)`, then a few
training steps of a GPT, a convolutional classifier with dropout, the VAE, the DCGAN (a
custom training step with two optimizers) and the diffusion model. The test compares the
SHA-256 of every model's weights across two runs, and checks that `fit` really compiled with
XLA (`model.jit_compile`) only where the backend always does (JAX): `settings.use_xla` is
opt-in (`GENAI_LESSONS_XLA=1`), and TensorFlow's CPU kernels need no op determinism for
identical reruns.
"""

import json
import os
import subprocess
import sys

import pytest

_SCRIPT = r"""
import hashlib, json, sys
from genai_lessons.core import settings
settings.setup(int(sys.argv[1]), report=False)
import keras, numpy as np
from keras import ops
from genai_lessons.models import cnn, diffusion, gan, gan_networks, transformer, vae

rng = np.random.default_rng(0)
digits = rng.random((64, 8, 8, 1)).astype("float32")
labels = rng.integers(0, 10, 64)
ids = rng.integers(0, 20, (32, 17)).astype("int32")

def digest(model):
    weights = [ops.convert_to_numpy(w) for w in model.weights]
    return hashlib.sha256(b"".join(w.tobytes() for w in weights)).hexdigest()

out = {}
gpt = transformer.build_gpt(vocab_size=20, context=16, width=32, num_heads=2, num_layers=1)
gpt.compile(optimizer=transformer.make_optimizer(gpt, 1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
gpt.fit(ids[:, :-1], ids[:, 1:], batch_size=8, epochs=1, verbose=0)
out["gpt"] = (digest(gpt), gpt.jit_compile)

net = cnn.build_cnn_classifier(filters=(4, 8), dense_units=8, dropout=0.2)
net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
net.fit(digits, labels, batch_size=16, epochs=1, verbose=0)
out["cnn"] = (digest(net), net.jit_compile)

model = vae.build_vae(latent_dim=2, hidden_units=(16,))
model.compile(optimizer=keras.optimizers.Adam(1e-3))
model.fit(digits, batch_size=16, epochs=1, verbose=0)
out["vae"] = (digest(model), model.jit_compile)

nets = gan_networks.ImageNetworkConfig(latent_dim=4, image_size=8, channels=1, filters=8)
pair = gan.GAN(gan_networks.build_image_generator(nets), gan_networks.build_image_discriminator(nets),
               gan.GANConfig(latent_dim=4))
pair.compile()
pair.fit(digits * 2 - 1, batch_size=16, epochs=1, verbose=0)
out["gan"] = (digest(pair), pair.jit_compile)

noise = diffusion.build_diffusion(data_shape=(8, 8, 1), steps=10, width=8, embedding_dim=8)
noise.compile(optimizer=keras.optimizers.Adam(1e-3))
noise.fit(digits, batch_size=16, epochs=1, verbose=0)
out["diffusion"] = (digest(noise), noise.jit_compile)
print("RESULT " + json.dumps(out))
"""


def _train(seed: int) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("GENAI_LESSONS_XLA", None)  # the course's default policy
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


@pytest.fixture(scope="module")
def runs():
    return _train(0), _train(0), _train(1)


def test_the_same_seed_gives_identical_weights_in_fresh_processes(runs):
    first, second, _ = runs
    assert set(first) == {"gpt", "cnn", "vae", "gan", "diffusion"}
    for name in first:
        assert first[name][0] == second[name][0], f"{name}: weights differ on rerun"


def test_another_seed_gives_other_weights(runs):
    first, _, other = runs
    for name in first:
        assert first[name][0] != other[name][0], f"{name}: the seed changes nothing"


def test_fit_compiles_with_xla_only_where_the_backend_always_does(runs):
    import keras

    backend = keras.backend.backend()
    for name, (_, jit) in runs[0].items():
        assert bool(jit) is (backend == "jax"), f"{name}: jit_compile is {jit}"
