"""Denoising diffusion models: the noise schedule, the forward process, denoiser networks and
the model that learns to predict the noise.

The forward process adds Gaussian noise in `steps` small steps; in closed form,
x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with eps ~ N(0, I), where abar_t is the product
of (1 - beta_s) up to step t. `Diffusion` draws a step t and the noise eps inside `call`, and
`compute_loss` is the simplified DDPM objective |eps - eps_hat(x_t, t)|^2 in `keras.ops`, so
Keras's own `fit` trains it on any backend. Samplers are in `genai_lessons.models.diffusion_samplers`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import keras
import numpy as np
from keras import layers, ops

from genai_lessons.core.seed_state import KeepsSeedState
from genai_lessons.core.validation import check_choice, check_int

PACKAGE = "genai_lessons"
SCHEDULES = ("cosine", "linear")
# DDPM's betas rise from 1e-4 to 0.02 over 1,000 steps; rescaled to T steps the last one is
# 0.02 * 1000 / T, below 1 (a step that keeps some signal) only from T = 21 on.
LINEAR_MIN_STEPS = 21


@dataclass(frozen=True)
class DiffusionConfig:
    """The noise schedule and the denoiser of a diffusion model."""

    data_shape: tuple[int, ...] = (
        2,
    )  # (features,) for points, (height, width, channels) for images
    steps: int = 200  # T, the number of noising steps
    schedule: str = "cosine"  # how the noise grows: "cosine" (Nichol & Dhariwal) or "linear" (DDPM)
    width: int = 128  # hidden units (points) or filters of the first block (images)
    depth: int = 3  # hidden layers of the point MLP (unused for images)
    embedding_dim: int = 64  # size of the step (and class) embedding
    num_classes: int = 0  # > 0: class-conditional, with one extra "no class" label for guidance
    label_dropout: float = 0.2  # share of training labels replaced by "no class"
    seed: int = 0  # seeds the steps and the noise drawn in training

    def __post_init__(self):
        shape = tuple(self.data_shape)
        if len(shape) not in (1, 3) or not all(isinstance(d, int) and d >= 1 for d in shape):
            raise ValueError(
                f"data_shape must be (features,) or (height, width, channels) of "
                f"positive ints, got {self.data_shape!r}"
            )
        if len(shape) == 3 and (shape[0] % 2 or shape[1] % 2):
            raise ValueError(
                f"data_shape must have even height and width (one 2x downsampling), "
                f"got {self.data_shape!r}"
            )
        check_int("steps", self.steps, minimum=2)
        check_choice("schedule", self.schedule, SCHEDULES)
        if self.schedule == "linear":
            _check_linear_steps(self.steps)
        for name in ("width", "depth", "embedding_dim"):
            check_int(name, getattr(self, name))
        check_int("num_classes", self.num_classes, minimum=0)
        if not isinstance(self.label_dropout, (int, float)) or not 0.0 <= self.label_dropout < 1.0:
            raise ValueError(f"label_dropout must be in [0, 1), got {self.label_dropout!r}")
        check_int("seed", self.seed, minimum=0)


# --------------------------------------------------------------------------- schedule


@dataclass(frozen=True, eq=False)
class Schedule:
    """Noise levels of the forward process, float64 arrays indexed by the step t = 0..T.

    Index 0 is the clean data: beta_0 = 0 and abar_0 = 1.
    """

    betas: np.ndarray  # (T + 1,) variance added at step t
    alpha_bars: np.ndarray  # (T + 1,) abar_t = prod_{s <= t} (1 - beta_s): signal kept by step t

    @property
    def steps(self) -> int:
        return len(self.betas) - 1

    def snr(self) -> np.ndarray:
        """Signal-to-noise ratio abar_t / (1 - abar_t) for t = 1..T, shape (T,)."""
        return self.alpha_bars[1:] / (1.0 - self.alpha_bars[1:])


def _check_linear_steps(steps: int) -> None:
    if steps < LINEAR_MIN_STEPS:
        raise ValueError(
            f"steps must be at least {LINEAR_MIN_STEPS} for the linear schedule (its last "
            f"variance, 0.02 * 1000 / steps, must stay below 1), got {steps!r}; for fewer "
            f"steps use the cosine schedule"
        )


def make_schedule(steps: int = 200, kind: str = "cosine") -> Schedule:
    """The noise schedule: "linear" betas from 1e-4 to 0.02 (DDPM's, rescaled to `steps`) or
    "cosine", where abar_t = cos^2(pi/2 (t/T + s)/(1 + s)) falls smoothly to 0 (s = 0.008).

    Every beta_t lies in (0, 1) and every abar_t is positive. The linear schedule needs
    `steps` >= `LINEAR_MIN_STEPS` (fewer steps would need variances of 1 or more: ValueError).
    """
    check_int("steps", steps, minimum=2)
    check_choice("kind", kind, SCHEDULES)
    if kind == "linear":
        _check_linear_steps(steps)
        scale = 1000.0 / steps  # the same total noise as DDPM's 1,000 steps
        betas = np.linspace(1e-4 * scale, 0.02 * scale, steps)
    else:
        s = 0.008
        f = np.cos((np.arange(steps + 1) / steps + s) / (1 + s) * math.pi / 2) ** 2
        betas = np.clip(1.0 - f[1:] / f[:-1], 0.0, 0.999)  # clipped: the last step would be 1
    betas = np.concatenate([[0.0], betas])
    return Schedule(betas, np.cumprod(1.0 - betas))


def add_noise(x0, t, noise, alpha_bars):
    """The forward process in closed form: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise.

    Args:
        x0: clean data (batch, ...).
        t: integer steps (batch,), 0 <= t <= T.
        noise: standard normal draws, same shape as x0.
        alpha_bars: (T + 1,) from a `Schedule`.

    Returns:
        x_t, same shape as x0 (a tensor of the current backend).
    """
    x0 = ops.convert_to_tensor(x0)
    abar = ops.take(ops.cast(ops.convert_to_tensor(alpha_bars), x0.dtype), t)
    abar = ops.reshape(abar, (-1,) + (1,) * (len(x0.shape) - 1))
    return ops.sqrt(abar) * x0 + ops.sqrt(1.0 - abar) * ops.cast(noise, x0.dtype)


# --------------------------------------------------------------------------- layers and builders


@keras.saving.register_keras_serializable(package=PACKAGE)
class StepEmbedding(keras.layers.Layer):
    """Sinusoidal embedding of integer steps, as a transformer embeds positions:
    t (batch,) -> (batch, dim) of sin(t w_k) and cos(t w_k), frequencies w_k from 1 to 1/10,000."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        if check_int("dim", dim, minimum=2) % 2:
            raise ValueError(f"dim must be even, got {dim!r}")
        self.dim = dim

    def call(self, t):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(10_000.0) * ops.arange(half, dtype="float32") / half)
        angles = ops.cast(ops.reshape(t, (-1, 1)), "float32") * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def _condition(config: DiffusionConfig):
    """Inputs for the step (and the class) and their joint embedding (batch, embedding_dim)."""
    step = keras.Input((), dtype="int32", name="step")
    e = StepEmbedding(config.embedding_dim, name="step_sines")(step)
    inputs = [step]
    if config.num_classes:
        label = keras.Input((), dtype="int32", name="label")  # num_classes means "no class"
        e = layers.Concatenate(name="step_and_label")(
            [
                e,
                layers.Embedding(
                    config.num_classes + 1, config.embedding_dim, name="label_embedding"
                )(label),
            ]
        )
        inputs.append(label)
    e = layers.Dense(config.embedding_dim, activation="silu", name="condition")(e)
    return inputs, e


def build_point_denoiser(config: DiffusionConfig) -> keras.Model:
    """An MLP noise predictor for points: [x_t (batch, d), t (batch,), (label (batch,))] -> (batch, d).

    The condition enters every hidden layer as a learned shift of its units."""
    x_t = keras.Input(config.data_shape, name="noisy")
    condition, e = _condition(config)
    h = x_t
    for i in range(config.depth):
        h = layers.Dense(config.width, name=f"hidden_{i + 1}")(h)
        h = layers.Add(name=f"hidden_{i + 1}_conditioned")(
            [h, layers.Dense(config.width, name=f"shift_{i + 1}")(e)]
        )
        h = layers.Activation("silu", name=f"hidden_{i + 1}_silu")(h)
    noise = layers.Dense(config.data_shape[0], name="noise")(h)
    return keras.Model([x_t, *condition], noise, name="point_denoiser")


def _block(x, e, filters: int, name: str):
    """Two 3x3 convolutions; the condition shifts the channels in between; a residual path."""
    h = layers.Conv2D(filters, 3, padding="same", activation="silu", name=f"{name}_conv1")(x)
    shift = layers.Reshape((1, 1, filters), name=f"{name}_shape")(
        layers.Dense(filters, name=f"{name}_shift")(e)
    )
    h = layers.Add(name=f"{name}_conditioned")([h, shift])  # broadcast over height and width
    h = layers.Conv2D(filters, 3, padding="same", activation="silu", name=f"{name}_conv2")(h)
    skip = layers.Conv2D(filters, 1, name=f"{name}_skip")(x) if x.shape[-1] != filters else x
    return layers.Add(name=f"{name}_out")([h, skip])


def build_image_denoiser(config: DiffusionConfig) -> keras.Model:
    """A tiny U-Net noise predictor: [x_t (batch, h, w, c), t (batch,), (label)] -> (batch, h, w, c).

    One block at full resolution, one at half resolution (twice the filters), and one back at
    full resolution fed with the upsampled features and, by a skip connection, the first block's."""
    x_t = keras.Input(config.data_shape, name="noisy")
    condition, e = _condition(config)
    width = config.width
    high = _block(x_t, e, width, "down")
    low = _block(layers.AveragePooling2D(2, name="pool")(high), e, 2 * width, "middle")
    up = layers.UpSampling2D(name="upsample")(low)
    h = _block(layers.Concatenate(name="skip")([up, high]), e, width, "up")
    noise = layers.Conv2D(config.data_shape[-1], 1, name="noise")(h)
    return keras.Model([x_t, *condition], noise, name="image_denoiser")


# --------------------------------------------------------------------------- the model


@keras.saving.register_keras_serializable(package=PACKAGE)
class Diffusion(KeepsSeedState, keras.Model):
    """A denoiser trained by `fit` to predict the noise added by the forward process.

    `fit(x)` trains an unconditional model; a conditional one (num_classes > 0) is fitted on
    `{"data": x, "label": labels}`. In training, `call` draws a step t uniformly from 1..T and
    the noise eps, makes x_t in closed form, replaces a share `label_dropout` of the labels with
    "no class", and returns {"noise": eps, "predicted": eps_hat}; the loss is their mean
    squared difference (the simplified DDPM objective).
    """

    def __init__(
        self, denoiser: keras.Model, config: DiffusionConfig | dict | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        config = config if config is not None else DiffusionConfig()
        self.config = DiffusionConfig(**config) if isinstance(config, dict) else config
        self.config = _tupled(self.config)
        self.denoiser = denoiser
        self.schedule = make_schedule(self.config.steps, self.config.schedule)
        self.seed_generator = keras.random.SeedGenerator(self.config.seed)

    def _split(self, inputs):
        if isinstance(inputs, dict):
            return inputs["data"], inputs.get("label")
        return inputs, None

    def call(self, inputs, training=None):
        x0, labels = self._split(inputs)
        batch = ops.shape(x0)[0]
        t = keras.random.randint((batch,), 1, self.config.steps + 1, seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(x0), dtype=x0.dtype, seed=self.seed_generator)
        x_t = add_noise(x0, t, noise, self.schedule.alpha_bars.astype("float32"))
        condition = [ops.cast(t, "int32")]
        if self.config.num_classes:
            labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
            if training and self.config.label_dropout > 0:
                drop = (
                    keras.random.uniform((batch,), seed=self.seed_generator)
                    < self.config.label_dropout
                )
                labels = ops.where(drop, self.config.num_classes, labels)
            condition.append(labels)
        return {"noise": noise, "predicted": self.denoiser([x_t, *condition], training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # The target (the noise) was drawn in `call`; y and sample_weight are not used.
        loss = ops.mean(ops.square(y_pred["noise"] - y_pred["predicted"]))
        return loss + sum(ops.sum(extra) for extra in self.losses)

    def predict_noise(self, x_t, t, labels=None):
        """The denoiser's noise estimate for NumPy inputs: x_t (batch, ...), t an int or (batch,),
        labels (batch,) with `num_classes` for "no class" (conditional models only)."""
        x_t = np.asarray(x_t, "float32")
        t = np.broadcast_to(np.asarray(t, "int32"), (len(x_t),))
        condition = [t]
        if self.config.num_classes:
            labels = np.full(len(x_t), self.config.num_classes) if labels is None else labels
            condition.append(np.broadcast_to(np.asarray(labels, "int32"), (len(x_t),)))
        return ops.convert_to_numpy(self.denoiser([x_t, *condition], training=False))

    def get_config(self):
        return {
            **super().get_config(),
            "denoiser": keras.saving.serialize_keras_object(self.denoiser),
            "config": asdict(self.config),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        denoiser = keras.saving.deserialize_keras_object(config.pop("denoiser"))
        return cls(denoiser, config.pop("config"), **config)


def _tupled(config: DiffusionConfig) -> DiffusionConfig:
    # A config read back from JSON holds lists; the dataclass wants a tuple shape.
    return replace(config, data_shape=tuple(config.data_shape))


def build_diffusion(config: DiffusionConfig | None = None, **overrides) -> Diffusion:
    """A diffusion model with a point MLP (1-D data_shape) or a tiny U-Net (images), built and
    ready to compile. Keyword arguments override fields of `config`."""
    config = replace(config if config is not None else DiffusionConfig(), **overrides)
    builder = build_point_denoiser if len(config.data_shape) == 1 else build_image_denoiser
    model = Diffusion(builder(config), config, name="diffusion")
    dummy = {"data": np.zeros((1, *config.data_shape), "float32")}
    if config.num_classes:
        dummy["label"] = np.zeros((1,), "int32")
    model(dummy if config.num_classes else dummy["data"])  # create the weights
    return model
