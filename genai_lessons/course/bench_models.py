"""The models `genai_lessons.course.bench` times: each course model at its lesson's config beside the
reference architecture of `genai_lessons.course.reference` at the same sizes, with its training data.

The GPTs train on random token ids (speed does not depend on the text); the 8x8 image models on
the 1,437 training digits, the 28x28 models on mnist5k's 4,000 training digits, at their lessons'
batch sizes. Lesson 7's latent diffusion model trains on 4,000 random 16-number codes (one per
training digit; speed does not depend on their values) beside keras.io's pixel-space DDIM recipe
on the 4,000 digits: that row is a comparison of recipes, not of equal-sized networks.
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
VAE28 = "VAE 28x28 (lesson 4)"
AUTOENCODER28 = "autoencoder 28x28 (lesson 7)"
DIFFUSION28 = "diffusion 28x28 (lesson 7)"
UNMATCHED = (DIFFUSION28,)  # rows whose reference is another recipe, not our network's size
# Lesson 4's convolutional VAE (its parameter cell's CONV_CONFIG and CONV_TRAIN)
CONV_VAE_CONFIG = dict(latent_dim=16, filters=(16, 32), dense_units=256)
CONV_VAE_BATCH, CONV_VAE_LR = 64, 2e-3
# Lesson 7's autoencoder (ConvVAEConfig's default networks) and its diffusion model of the codes
AUTOENCODER_CONFIG = dict(latent_dim=16, filters=(32, 64), dense_units=256)
AUTOENCODER_BATCH, AUTOENCODER_LR = 64, 2e-3
LATENT_DIFFUSION_CONFIG = dict(data_shape=(16,), steps=200, width=256, depth=4, embedding_dim=64)
LATENT_BATCH, LATENT_LR, LATENT_EMA = 128, 2e-3, 0.995
LATENT_EPOCHS = 150  # the length of its learning-rate decay (the lesson's full-mode epochs)
# keras.io's DDIM U-Net on the 28x28 digits: two resolutions, one residual block each
PIXEL_DIFFUSION = dict(widths=(32, 64), block_depth=1, embedding_dims=32)
PIXEL_BATCH = 64


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
    """The 8x8 DCGAN and VAE, both sides, on the first `images` digits."""
    import keras

    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets
    from genai_lessons.models import dcgan, gan, gan_networks, vae

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
    return {
        ("DCGAN (lesson 3)", "ours"): (ours_gan, gan_digits, 1, "epoch"),
        ("DCGAN (lesson 3)", "reference"): (ref_gan, gan_digits, 1, "epoch"),
        ("VAE (lesson 4)", "ours"): (ours_vae, unit_digits, 1, "epoch"),
        ("VAE (lesson 4)", "reference"): (ref_vae, unit_digits, 1, "epoch"),
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
    # The reference at the same sizes and rates (D 3e-3, G 1e-3), without weight averaging:
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


def _mnist_autoencoders(images: int, jit: bool) -> dict:
    """Lesson 4's convolutional VAE and lesson 7's autoencoder beside keras.io's VAE networks at
    their sizes, on the first `images` mnist5k training digits (in [0, 1])."""
    import keras

    from genai_lessons.course import reference
    from genai_lessons.datasets import image_sets
    from genai_lessons.models import conv_vae

    digits = image_sets.load_mnist5k().x_train[:images].astype("float32")
    ours_vae = conv_vae.build_conv_vae(conv_vae.ConvVAEConfig(**CONV_VAE_CONFIG))
    ours_vae.compile(keras.optimizers.Adam(CONV_VAE_LR), jit_compile=jit)
    ref_vae = reference.ReferenceConvVAE((28, 28, 1), **CONV_VAE_CONFIG)
    ref_vae.compile(keras.optimizers.Adam(CONV_VAE_LR), jit_compile=jit)
    ours_ae = conv_vae.build_conv_autoencoder(conv_vae.ConvVAEConfig(**AUTOENCODER_CONFIG))
    ref_ae = reference.reference_conv_autoencoder((28, 28, 1), **AUTOENCODER_CONFIG)
    for model in (ours_ae, ref_ae):  # lesson 7's compile (conv_vae.train_conv_autoencoder's)
        model.compile(keras.optimizers.Adam(AUTOENCODER_LR), "binary_crossentropy", jit_compile=jit)
    vae_fit = dict(x=digits, batch_size=CONV_VAE_BATCH)
    ae_fit = dict(x=digits, y=digits, batch_size=AUTOENCODER_BATCH)
    return {
        (VAE28, "ours"): (ours_vae, vae_fit, 1, "epoch"),
        (VAE28, "reference"): (ref_vae, vae_fit, 1, "epoch"),
        (AUTOENCODER28, "ours"): (ours_ae, ae_fit, 1, "epoch"),
        (AUTOENCODER28, "reference"): (ref_ae, ae_fit, 1, "epoch"),
    }


def latent_optimizer(total_steps: int):
    """Lesson 7's optimizer: Adam at LATENT_LR decayed along a cosine to 5%, with an exponential
    moving average of the weights (updated every step, so part of the timed cost)."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(LATENT_LR, total_steps, alpha=0.05)
    return keras.optimizers.Adam(schedule, use_ema=True, ema_momentum=LATENT_EMA)


def _mnist_diffusions(images: int, jit: bool) -> dict:
    """Lesson 7's diffusion model of 16-number codes, an epoch of `images` codes, beside
    keras.io's DDIM recipe on the first `images` 28x28 digits in [-1, 1] (pixel diffusion)."""
    import keras

    from genai_lessons.datasets import image_sets
    from genai_lessons.models import diffusion

    codes = np.random.default_rng(0).standard_normal((images, 16)).astype("float32")
    ours = diffusion.build_diffusion(**LATENT_DIFFUSION_CONFIG)
    ours.compile(latent_optimizer(LATENT_EPOCHS * -(-images // LATENT_BATCH)), jit_compile=jit)
    digits = image_sets.load_mnist5k(value_range="symmetric").x_train[:images].astype("float32")
    ref = reference_pixel_diffusion()
    ref.compile(keras.optimizers.Adam(LATENT_LR), jit_compile=jit)
    return {
        (DIFFUSION28, "ours"): (ours, dict(x=codes, batch_size=LATENT_BATCH), 1, "epoch"),
        (DIFFUSION28, "reference"): (ref, dict(x=digits, batch_size=PIXEL_BATCH), 1, "epoch"),
    }


def reference_pixel_diffusion():
    """keras.io's DDIM recipe on 28x28 digits (`PIXEL_DIFFUSION`: 32 filters at full resolution,
    64 at half, one residual block per resolution), built."""
    from genai_lessons.course import reference

    model = reference.ReferenceDiffusion((28, 28, 1), **PIXEL_DIFFUSION)
    model(np.zeros((1, 28, 28, 1), "float32"))  # create the weights
    return model


def contenders(gpt_steps: int, images: int, jit: bool, mnist_images: int = 4000) -> dict:
    """{(model, side): (model, fit keyword arguments, units per measurement, unit)}: GPTs
    trained `gpt_steps` steps per measurement, 8x8 image models an epoch of `images` digits, the
    28x28 models an epoch of `mnist_images` digits (or codes); `jit` compiles every model with
    XLA."""
    return {
        **_gpts(gpt_steps, jit),
        **_image_models(images, jit),
        **_mnist_gans(mnist_images, jit),
        **_mnist_autoencoders(mnist_images, jit),
        **_mnist_diffusions(mnist_images, jit),
    }
