"""image_sets.load_images' reading path for the MNIST family, offline, on a tiny committed fixture.

tests/fixtures/mnist_idx holds four gzipped IDX files in MNIST's format (4 training and 2 test
images of 28x28 with their labels), written by hand so that every pixel is known. The loader's
download step is `keras.utils.get_file`, which reuses a cached file whose checksum matches: the
tests put the fixture in a temporary cache and point `image_sets.REMOTE_FILES` at the fixture's
checksums, so the real `fetch` -> `get_file` -> read -> scale path runs without a network.
"""

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from genai_lessons.core import downloads
from genai_lessons.datasets import image_sets

FIXTURE = Path(__file__).parent / "fixtures" / "mnist_idx"
NAMES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _expected_images(n, offset):
    """The fixture's images, rebuilt independently of any IDX reader."""
    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        out[k, 4 + k, 2:26] = 255
        out[k, :, 3 + 2 * k + offset] = 128
        out[k, 0, 0] = k + offset
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_with(tmp_path: Path, files: dict[str, Path]) -> Path:
    """A Keras-style cache folder holding `files` under the names the loader asks for."""
    folder = tmp_path / "cache" / downloads.CACHE_SUBDIR
    folder.mkdir(parents=True)
    for fname, source in files.items():
        shutil.copyfile(source, folder / fname)
    return tmp_path / "cache"


def test_fixture_is_in_idx_format():
    raw = gzip.decompress((FIXTURE / "train-images-idx3-ubyte.gz").read_bytes())
    assert raw[:4] == bytes([0, 0, 0x08, 3])  # unsigned bytes, 3 dimensions
    assert [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(3)] == [4, 28, 28]
    assert len(raw) == 16 + 4 * 28 * 28


def test_idx_files_load_offline(tmp_path, monkeypatch):
    remotes = tuple(
        downloads.Remote(
            f"fixture-{name}", f"https://invalid.example/{name}", _sha256(FIXTURE / name)
        )
        for name in NAMES
    )
    monkeypatch.setitem(image_sets.REMOTE_FILES, "fashion_mnist", remotes)
    cache = _cache_with(tmp_path, {r.fname: FIXTURE / name for r, name in zip(remotes, NAMES)})
    split = image_sets.load_images("fashion_mnist", cache_dir=cache)
    assert split.name == "fashion_mnist"
    assert split.x_train.shape == (4, 28, 28, 1) and split.x_test.shape == (2, 28, 28, 1)
    assert split.x_train.dtype == np.float32
    np.testing.assert_allclose(split.x_train[..., 0], _expected_images(4, 0) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(split.x_test[..., 0], _expected_images(2, 10) / 255.0, rtol=1e-6)
    assert split.y_train.tolist() == [5, 0, 4, 1] and split.y_test.tolist() == [7, 2]
    symmetric = image_sets.load_images("fashion_mnist", value_range="symmetric", cache_dir=cache)
    np.testing.assert_allclose(symmetric.x_train, split.x_train * 2 - 1, atol=1e-6)


def test_mnist_npz_loads_offline(tmp_path, monkeypatch):
    """Keras's mnist.npz holds the same arrays as the IDX files: build one from the fixture."""

    def read(name):
        raw = gzip.decompress((FIXTURE / name).read_bytes())
        dims = raw[3]
        shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
        return np.frombuffer(raw[4 + 4 * dims :], np.uint8).reshape(shape)

    npz = tmp_path / "mnist.npz"
    np.savez(
        npz,
        x_train=read(NAMES[1]),
        y_train=read(NAMES[0]),
        x_test=read(NAMES[3]),
        y_test=read(NAMES[2]),
    )
    remote = downloads.Remote(
        "fixture-mnist.npz", "https://invalid.example/mnist.npz", _sha256(npz)
    )
    monkeypatch.setitem(image_sets.REMOTE_FILES, "mnist", (remote,))
    split = image_sets.load_images("mnist", cache_dir=_cache_with(tmp_path, {remote.fname: npz}))
    assert split.name == "mnist" and split.num_classes == 8  # labels up to 7
    np.testing.assert_allclose(split.x_train[..., 0], _expected_images(4, 0) / 255.0, rtol=1e-6)
    assert split.y_test.tolist() == [7, 2]


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_real_checksums_are_kept(name):
    """The monkeypatching above must not hide the real files' checksums from the loader."""
    assert all(len(remote.file_hash) in (32, 64) for remote in image_sets.REMOTE_FILES[name])
    assert all(remote.url.startswith("https://") for remote in image_sets.REMOTE_FILES[name])
