"""The course's lessons, in order: the one list that the start notebook, the exercises'
progress table, the README's lesson table and the tests all share.

Adding a lesson is one line in `LESSONS` (its notebook in `notebooks/`, its row in the README).
"""

from __future__ import annotations

from dataclasses import dataclass

from genai_lessons.core.validation import check_int, check_name


@dataclass(frozen=True)
class LessonInfo:
    number: int  # the notebook's two-digit prefix
    notebook: str  # the file name in notebooks/
    topic: str  # as in the README's "Topic" column
    builds: str  # one line: what the learner builds in it

    def __post_init__(self):
        check_int("number", self.number, minimum=0)
        check_name("notebook", self.notebook)
        if not self.notebook.startswith(f"{self.number:02d}_") or not self.notebook.endswith(
            ".ipynb"
        ):
            raise ValueError(
                f"notebook must be named '{self.number:02d}_<topic>.ipynb' for lesson "
                f"{self.number}, got {self.notebook!r}"
            )


LESSONS: tuple[LessonInfo, ...] = (
    LessonInfo(
        0,
        "00_start_here.ipynb",
        "How the course works",
        "an environment check and your first self-checking exercise",
    ),
    LessonInfo(
        1,
        "01_neural_networks.ipynb",
        "Neural networks",
        "a neuron, a layer and backpropagation by hand in NumPy, checked against Keras; a training loop",
    ),
    LessonInfo(
        2,
        "02_deep_learning.ipynb",
        "Deep learning",
        "deep and convolutional networks; what each layer detects; overfitting and early stopping",
    ),
    LessonInfo(
        3,
        "03_gans.ipynb",
        "GANs",
        "a generator and a discriminator that compete; mode collapse and its remedies; a digit GAN, measured",
    ),
    LessonInfo(
        4,
        "04_vaes.ipynb",
        "VAEs",
        "an autoencoder, then a VAE: latent spaces, sampling, the ELBO, anomaly detection, digits on request",
    ),
    LessonInfo(
        5,
        "05_transformers.ipynb",
        "Transformers",
        "attention from scratch, a small GPT trained on real text, sampling strategies",
    ),
    LessonInfo(
        6,
        "06_language_models.ipynb",
        "Language models in practice",
        "a byte-pair tokenizer, pre-training then fine-tuning, a key/value cache",
    ),
    LessonInfo(
        7,
        "07_diffusion.ipynb",
        "Diffusion models",
        "noising and denoising, DDPM and DDIM samplers, guidance towards the digit you ask for",
    ),
    LessonInfo(
        8,
        "08_music.ipynb",
        "Music",
        "a GPT that writes folk tunes in ABC notation, judged, played and drawn beside counting",
    ),
)


def lesson(number: int) -> LessonInfo:
    """The lesson with this number."""
    for info in LESSONS:
        if info.number == number:
            return info
    known = ", ".join(str(info.number) for info in LESSONS)
    raise ValueError(f"number must be one of the course's lessons ({known}), got {number!r}")


def numbers() -> set[int]:
    """The numbers of the course's lessons."""
    return {info.number for info in LESSONS}


def table() -> str:
    """The lessons as a Markdown table (the start notebook shows it)."""
    rows = ["| # | Notebook | Topic | What you build |", "|---|---|---|---|"]
    rows += [f"| {i.number} | `{i.notebook}` | {i.topic} | {i.builds} |" for i in LESSONS]
    return "\n".join(rows)
