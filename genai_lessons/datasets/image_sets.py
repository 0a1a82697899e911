"""Image datasets of the course, offline first.

Bundled (no download): scikit-learn's 8x8 digits. Online extras (MNIST, Fashion-MNIST) are
fetched once (`downloads.fetch`), verified against a checksum and cached; without a network the
loader says so in one line and falls back to the bundled digits.

Images are float32 arrays of shape (batch, height, width, 1) with values in [0, 1]
(`value_range="unit"`) or [-1, 1] (`value_range="symmetric"`, for tanh generators);
labels are int32 class indices.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_lessons.core import downloads
from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import check_choice, check_number, check_seed

IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist")
VALUE_RANGES = ("unit", "symmetric")

_KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# The files of the online datasets. Checksums: MNIST's from Keras's own loader; Fashion-MNIST's
# are the MD5s Zalando publishes.
REMOTE_FILES: dict[str, tuple[downloads.Remote, ...]] = {
    "mnist": (
        downloads.Remote(
            "mnist.npz",
            _KERAS_DATASETS + "mnist.npz",
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ),
    ),
    "fashion_mnist": tuple(
        downloads.Remote(f"fashion-{name}", _KERAS_DATASETS + name, md5)
        for name, md5 in (
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        )
    ),
}


@dataclass(frozen=True)
class Split:
    """A dataset divided into training and test parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str  # which data this really is (after any offline fallback)

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


# --------------------------------------------------------------------------- validation


def _check_fraction(test_fraction: float) -> float:
    return check_number("test_fraction", test_fraction, 0.0, 1.0, inclusive=False)


def _scale(images: np.ndarray, maximum: float, value_range: str) -> np.ndarray:
    """Map raw pixel values in [0, maximum] to float32 in [0, 1] or [-1, 1]."""
    unit = np.asarray(images, dtype=np.float32) / np.float32(maximum)
    return unit if value_range == "unit" else unit * 2.0 - 1.0


def split_arrays(x, y, test_fraction: float = 0.2, seed: int = 0, name: str = "") -> Split:
    """A stratified, seeded train/test split (the same seed always gives the same split)."""
    from sklearn.model_selection import train_test_split

    _check_fraction(test_fraction)
    check_seed("seed", seed)
    x = check_array("x", x, min_length=2, dtype=None, finite=False)
    y = check_array("y", y, ndim=1, dtype=None, finite=False)
    if len(x) != len(y):
        raise ValueError(f"x and y must have as many rows, got {len(x)} and y of length {len(y)}")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return Split(x_train, y_train, x_test, y_test, name)


# --------------------------------------------------------------------------- images


def load_digits(value_range: str = "unit", test_fraction: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), no download.

    Returns:
        A `Split` with images of shape (batch, 8, 8, 1), float32, in [0, 1] or [-1, 1].
    """
    from sklearn.datasets import load_digits as sklearn_digits

    check_choice("value_range", value_range, VALUE_RANGES)
    _check_fraction(test_fraction)
    check_seed("seed", seed)
    bunch = sklearn_digits()
    images = _scale(bunch.images[..., None], 16.0, value_range)  # pixel values are 0..16
    return split_arrays(images, bunch.target.astype(np.int32), test_fraction, seed, "digits")


def _read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST family's format) into a uint8 array."""
    with gzip.open(path, "rb") as stream:
        raw = stream.read()
    dims = raw[3]  # header: 2 zero bytes, a type byte, the number of dimensions
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def _load_remote_images(name: str, cache_dir) -> tuple[np.ndarray, ...]:
    paths = [downloads.fetch(remote, cache_dir) for remote in REMOTE_FILES[name]]
    if name == "mnist":
        with np.load(paths[0], allow_pickle=False) as arrays:
            return tuple(arrays[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    y_train, x_train, y_test, x_test = (_read_idx(path) for path in paths)
    return x_train, y_train, x_test, y_test


def load_images(
    name: str = "digits",
    value_range: str = "unit",
    test_fraction: float = 0.2,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> Split:
    """Load an image dataset by name, falling back to the bundled digits when offline.

    Args:
        name: "digits" (bundled), "mnist" or "fashion_mnist" (downloaded once, then cached).
        value_range: "unit" for [0, 1] or "symmetric" for [-1, 1].
        test_fraction: share of the digits held out for testing (MNIST keeps its own split).
        seed: seed of the digits' split.
        cache_dir: where downloads are cached (default: Keras's cache, see `downloads.keras_home`).

    Returns:
        A `Split`; its `name` says which dataset was actually loaded.
    """
    check_choice("name", name, IMAGE_DATASETS)
    check_choice("value_range", value_range, VALUE_RANGES)
    _check_fraction(test_fraction)
    check_seed("seed", seed)
    downloads.cache_folder(cache_dir)  # a bad cache_dir fails now, not after an offline fallback
    if name == "digits":
        return load_digits(value_range, test_fraction, seed)
    try:
        x_train, y_train, x_test, y_test = _load_remote_images(name, cache_dir)
    except downloads.DownloadError:
        print(
            f"{name} could not be downloaded (offline, or no answer within {downloads.DOWNLOAD_TIMEOUT:g} s), "
            f"so the bundled 8x8 digits are used instead."
        )
        return load_digits(value_range, test_fraction, seed)
    return Split(
        _scale(x_train[..., None], 255.0, value_range),
        y_train.astype(np.int32),
        _scale(x_test[..., None], 255.0, value_range),
        y_test.astype(np.int32),
        name,
    )
