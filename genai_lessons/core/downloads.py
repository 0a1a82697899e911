"""Downloads, offline first: files fetched once into Keras's cache folder, checked against a
checksum, with a timeout, and one clear error when the network is missing.

`keras_home` is the one place that knows the cache folder (the digit judge keeps its weights
there too). `fetch` wraps `keras.utils.get_file`, which checks the hash and reuses a good cached
copy; it adds a timeout (`get_file` has none) and turns every failure into a `DownloadError`,
which the loaders in `image_sets` and `text` catch to fall back to bundled data.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from genai_lessons.core.validation import check_name, check_number, check_type

CACHE_SUBDIR = "genai_lessons"  # our files inside Keras's cache folder

DOWNLOAD_TIMEOUT = 30.0
"""Seconds a download may wait for data (to connect, or between two reads) before it gives up
and the loader falls back. `keras.utils.get_file` has no timeout of its own: behind a proxy
that accepts the connection and never answers, it would wait forever."""


def keras_home() -> Path:
    """Keras's cache folder: `$KERAS_HOME`, else ~/.keras. The one place that knows it;
    downloads and the digit judge's weights live in its `CACHE_SUBDIR`."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


@dataclass(frozen=True)
class Remote:
    """A file the course may download: where from, and the checksum it must match."""

    fname: str  # name of the cached file
    url: str  # where to download it from
    file_hash: str  # sha256 (64 hex digits) or md5 (32), checked by keras.utils.get_file

    def __post_init__(self):
        check_name("fname", self.fname)
        if not isinstance(self.url, str) or "://" not in self.url:
            raise ValueError(f"url must be a URL such as https://..., got {self.url!r}")
        digits = set("0123456789abcdef")
        if (
            not isinstance(self.file_hash, str)
            or len(self.file_hash) not in (32, 64)
            or not set(self.file_hash.lower()) <= digits
        ):
            raise ValueError(
                f"file_hash must be a sha256 (64 hex digits) or md5 (32), got {self.file_hash!r}"
            )


class DownloadError(RuntimeError):
    """A remote file could not be fetched or did not match its checksum."""


def cache_folder(cache_dir) -> Path:
    if cache_dir is None:
        return keras_home()
    check_type("cache_dir", cache_dir, (str, os.PathLike), "folder path (str or Path) or None")
    return Path(cache_dir).expanduser()


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """Give every socket opened inside the block a timeout of `seconds` per connect and read.

    `keras.utils.get_file` opens its URL with urllib's default timeout, which is the socket
    module's default: none. This is the one knob that bounds it without rewriting the
    download; the previous default is restored afterwards.
    """
    saved = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(saved)


def fetch(
    remote: Remote, cache_dir: str | Path | None = None, timeout: float | None = None
) -> Path:
    """Download `remote` once into the cache, or reuse the cached copy if its checksum matches.

    A cached file that fails the checksum (truncated, corrupt) is downloaded again, never
    returned.

    Args:
        remote: what to download.
        cache_dir: where downloads are cached (default: Keras's cache, see `keras_home`).
        timeout: seconds to wait for data before giving up (default `DOWNLOAD_TIMEOUT`).

    Raises:
        DownloadError: no network, a server that does not answer within `timeout`, or a
            downloaded file that does not match its checksum.
    """
    import keras

    check_type("remote", remote, Remote)
    timeout = check_number(
        "timeout", DOWNLOAD_TIMEOUT if timeout is None else timeout, 0.0, inclusive=False
    )
    cache = cache_folder(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)  # Keras silently uses /tmp for a missing folder
    try:  # Keras prints "Downloading data from ..." even when that fails: keep it out
        with contextlib.redirect_stdout(io.StringIO()), _socket_timeout(timeout):
            path = keras.utils.get_file(
                fname=remote.fname,
                origin=remote.url,
                file_hash=remote.file_hash,
                cache_dir=str(cache),
                cache_subdir=CACHE_SUBDIR,
            )
    except Exception as error:  # Keras raises a bare Exception for network failures
        raise DownloadError(f"cannot download {remote.url}: {error}") from error
    return Path(path)
