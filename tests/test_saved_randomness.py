"""A model saved and loaded (or a training run resumed from a backup) draws the random numbers
the saved one would have drawn next: the GAN's noise, and the GPT's dropout masks."""

import numpy as np
import pytest

from genai_lessons.core import settings

settings.quiet_logs()

import keras  # noqa: E402
from keras import ops  # noqa: E402

from genai_lessons.datasets import points2d  # noqa: E402
from genai_lessons.models import gan, gan_networks  # noqa: E402
from genai_lessons.models import transformer as T  # noqa: E402


def reload(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.models.load_model(path)


def test_a_reloaded_gan_draws_the_noise_the_saved_one_draws_next(tmp_path):
    keras.utils.set_random_seed(0)
    config = gan.GANConfig(latent_dim=8, seed=3)
    model = gan.GAN(
        gan_networks.build_point_generator(latent_dim=8),
        gan_networks.build_point_discriminator(),
        config,
    )
    model.compile()
    model.fit(points2d.make_ring(128), epochs=1, batch_size=64, verbose=0)  # moves the stream on
    state = ops.convert_to_numpy(model.seed_generator.state)
    assert state[1] > 0
    loaded = reload(model, tmp_path)
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded.seed_generator.state), state)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(loaded.noise(5)), ops.convert_to_numpy(model.noise(5))
    )


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_reloaded_gpt_drops_what_the_saved_one_drops_next(dropout, tmp_path):
    keras.utils.set_random_seed(0)
    gpt = T.build_gpt(
        vocab_size=11, context=8, width=16, num_heads=2, num_layers=1, dropout=dropout
    )
    ids = np.arange(16, dtype="int32").reshape(2, 8) % 11
    gpt(ids, training=True)  # draws masks: the saved position is not the start
    loaded = reload(gpt, tmp_path)
    keras.utils.set_random_seed(123)  # a new global seed must not matter: the layers hold theirs
    after_original = ops.convert_to_numpy(gpt(ids, training=True))
    after_loaded = ops.convert_to_numpy(loaded(ids, training=True))
    np.testing.assert_allclose(after_loaded, after_original, atol=1e-6)
    if dropout:  # and the masks really are random: the next call differs from this one
        assert not np.allclose(ops.convert_to_numpy(gpt(ids, training=True)), after_original)
