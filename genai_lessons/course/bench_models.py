"""The models `genai_lessons.course.bench` times: each course model at its lesson's config beside the
reference architecture of `genai_lessons.course.reference` at the same sizes, with its training data.

The GPTs train on random token ids (speed does not depend on the text); the 8x8 image models on
the 1,437 training digits, the 28x28 DCGAN on mnist5k's 4,000 training digits, at their lessons'
batch sizes.
"""

from __future__ import annotations

import numpy as np

# name: (GPT config, windows per step), from each lesson's parameter cell (lesson 6: full
# mode, with its 512 BPE tokens)
GPTS = {
    "GPT (lesson 5)": (
        dict(vocab_size=96, context=64, width=128, num_heads=4, num_layers=2, dropout=0.1),
        32,
    ),
    "GPT (lesson 6)": (
        dict(vocab_size=512, context=64, width=128, num_heads=4, num_layers=2, dropout=0.1),
        16,
    ),
}
MNIST_GAN = "DCGAN 28x28 (lesson 3)"  # the row of lesson 3's mnist5k recipe
DIFFUSION_CONFIG = dict(data_shape=(8, 8, 1), steps=200, width=32, embedding_dim=64)


def _gpts(steps: int, jit: bool) -> dict:
    """Both sides of every GPT config, each fed `steps` batches of random ids."""
    import keras

    from genai_lessons.course import reference
    from genai_lessons.models import transformer

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    rng = np.random.default_rng(0)
    contenders = {}
    for name, (config, batch) in GPTS.items():
        shape = (steps * batch, config["context"] + 1)
        ids = rng.integers(0, config["vocab_size"], shape, dtype="int32")
        text = dict(x=ids[:, :-1], y=ids[:, 1:], batch_size=batch)
        ours = transformer.build_gpt(**config)
        ours.compile(transformer.make_optimizer(ours, 1e-3), loss, jit_compile=jit)
        ref = reference.reference_gpt(**config)
        ref.compile(keras.optimizers.AdamW(1e-3), loss, jit_compile=jit)
        contenders[(name, "ours")] = (ours, text, steps, "step")
        contenders[(name, "reference")] = (ref, text, steps, "step")
    return contenders


def _image_models(images: int, jit: bool) -> dict:
    """The DCGAN, the VAE and the diffusion model, both sides, on the first `images` digits."""
    import keras

    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets
    from genai_lessons.models import dcgan, diffusion, gan, gan_networks, vae

    digits = image_sets.load_digits("symmetric").x_train[:images].astype("float32")
    gan_digits = dict(x=digits[: len(digits) // 32 * 32], batch_size=32)
    unit_digits = dict(x=(digits + 1) / 2, batch_size=64)
    nets = gan_networks.ImageNetworkConfig(latent_dim=16, image_size=8, channels=1, filters=32)
    ours_gan = gan.GAN(
        gan_networks.build_image_generator(nets),
        gan_networks.build_image_discriminator(nets),
        dcgan.DIGITS_CONFIG,
    )
    ours_gan.compile(jit_compile=jit)
    ref_gan = reference.ReferenceGAN(16, 8, 1, 32)
    ref_gan.compile(jit_compile=jit)
    ours_vae = vae.build_vae(latent_dim=8)
    ours_vae.compile(keras.optimizers.Adam(2.5e-3), jit_compile=jit)
    ref_vae = reference.ReferenceVAE(latent_dim=8)
    ref_vae.compile(keras.optimizers.Adam(2.5e-3), jit_compile=jit)
    ours_diffusion = diffusion.build_diffusion(**DIFFUSION_CONFIG)
    ours_diffusion.compile(keras.optimizers.Adam(2e-3), jit_compile=jit)
    ref_diffusion = reference_diffusion()
    ref_diffusion.compile(keras.optimizers.Adam(2e-3), jit_compile=jit)
    noisy_digits = dict(x=digits, batch_size=64)
    return {
        ("DCGAN (lesson 3)", "ours"): (ours_gan, gan_digits, 1, "epoch"),
        ("DCGAN (lesson 3)", "reference"): (ref_gan, gan_digits, 1, "epoch"),
        ("VAE (lesson 4)", "ours"): (ours_vae, unit_digits, 1, "epoch"),
        ("VAE (lesson 4)", "reference"): (ref_vae, unit_digits, 1, "epoch"),
        ("diffusion (lesson 7)", "ours"): (ours_diffusion, noisy_digits, 1, "epoch"),
        ("diffusion (lesson 7)", "reference"): (ref_diffusion, noisy_digits, 1, "epoch"),
    }


def _mnist_gans(images: int, jit: bool) -> dict:
    """Lesson 3's 28x28 DCGAN (`dcgan.MNIST5K_CONFIG`, its filters and batch) beside keras.io's
    DCGAN recipe at the same sizes, both on the first `images` mnist5k training digits."""
    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets
    from genai_lessons.models import dcgan, gan, gan_networks

    batch = dcgan.MNIST5K_BATCH
    digits = image_sets.load_mnist5k(value_range="symmetric").x_train[:images]
    fit = dict(x=digits[: len(digits) // batch * batch].astype("float32"), batch_size=batch)
    config = dcgan.MNIST5K_CONFIG
    nets = gan_networks.ImageNetworkConfig(
        latent_dim=config.latent_dim, image_size=28, channels=1, filters=dcgan.MNIST5K_FILTERS
    )
    ours = gan.GAN(
        gan_networks.build_image_generator(nets),
        gan_networks.build_image_discriminator(nets),
        config,
    )
    ours.compile(jit_compile=jit)
    # The reference at the same sizes and rates (D 3e-3, G 6e-4), without weight averaging:
    # keras.io's example has none, so the row also shows what the average costs per epoch.
    ref = reference.ReferenceGAN(
        config.latent_dim,
        28,
        1,
        dcgan.MNIST5K_FILTERS,
        (config.discriminator_lr, config.generator_lr),
    )
    ref.compile(jit_compile=jit)
    name = MNIST_GAN
    return {(name, "ours"): (ours, fit, 1, "epoch"), (name, "reference"): (ref, fit, 1, "epoch")}


def reference_diffusion():
    """keras.io's DDIM recipe at the size of lesson 7's model: the same widths (32 filters at
    full resolution, 64 at half) and one residual block per resolution, built."""
    from genai_lessons.course import reference

    shape = DIFFUSION_CONFIG["data_shape"]
    model = reference.ReferenceDiffusion(shape, widths=(32, 64), block_depth=1, embedding_dims=32)
    model(np.zeros((1, *shape), "float32"))  # create the weights
    return model


def contenders(gpt_steps: int, images: int, jit: bool, mnist_images: int = 4000) -> dict:
    """{(model, side): (model, fit keyword arguments, units per measurement, unit)}: GPTs
    trained `gpt_steps` steps per measurement, 8x8 image models an epoch of `images` digits, the
    28x28 DCGAN an epoch of `mnist_images` digits; `jit` compiles every model with XLA."""
    return {
        **_gpts(gpt_steps, jit),
        **_image_models(images, jit),
        **_mnist_gans(mnist_images, jit),
    }
