"""`genai-lessons doctor`: is this machine ready for the course, and what to do if not."""

from __future__ import annotations

import hashlib
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from genai_lessons.core import backend, downloads, settings
from genai_lessons.datasets import image_sets, text

MIN_MEMORY_GIB = 2.0  # the heaviest lesson's kernel stays under this
MIN_VERSIONS = {"keras": (3, 13), "tensorflow": (2, 20), "jax": (0, 10), "torch": (2, 13)}
"""The oldest releases CI tests (pyproject.toml's lower bounds; JAX and PyTorch are optional)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool  # False: a problem that stops or spoils the course
    detail: str  # what was found
    advice: str = ""  # what to do about a problem


def _version(text_version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text_version.split(".")[:2] if part.isdigit())


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _file_matches(path: Path, file_hash: str) -> bool:
    digest = hashlib.md5() if len(file_hash) == 32 else hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == file_hash


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a HEAD request to `url` succeeds within `timeout` seconds."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except Exception:  # offline, DNS failure, refused, HTTP error: all mean "not reachable"
        return False


def dataset_status(remotes: tuple[downloads.Remote, ...], cache_dir: Path, online: bool) -> str:
    """ "cached" when every file is in the cache with the right checksum, else whether it can be fetched."""
    files = [cache_dir / downloads.CACHE_SUBDIR / remote.fname for remote in remotes]
    if all(
        path.exists() and _file_matches(path, remote.file_hash)
        for path, remote in zip(files, remotes)
    ):
        return "cached"
    if online and reachable(remotes[0].url):
        return "downloadable"
    return "unavailable (offline: the bundled data is used instead)"


def run_checks(online: bool = True, cache_dir: Path | None = None) -> list[Check]:
    """Everything the course needs, each as a `Check`."""
    cache_dir = cache_dir or downloads.keras_home()
    checks = [
        Check(
            "python",
            sys.version_info >= (3, 10),
            sys.version.split()[0],
            "install Python 3.10 or newer",
        )
    ]
    try:
        report = settings.environment_report()
    except (
        backend.BackendError
    ) as error:  # KERAS_BACKEND names a backend the course does not run on
        return checks + [
            Check(
                "backend",
                False,
                str(error),
                f"set KERAS_BACKEND to one of {', '.join(backend.BACKENDS)}",
            )
        ]
    except Exception as error:  # a broken Keras or backend install shows up here
        return checks + [
            Check(
                "keras",
                False,
                f"Keras or its backend cannot be imported: {error}",
                'reinstall with: python -m pip install -e ".[lab]"',
            )
        ]
    name = report["backend"]
    minimum = MIN_VERSIONS[name]
    checks += [
        Check(
            "keras",
            _version(report["keras"]) >= MIN_VERSIONS["keras"],
            report["keras"],
            f"install keras>={_dotted(MIN_VERSIONS['keras'])}",
        ),
        Check("backend", True, f"{name} (KERAS_BACKEND; tested: {', '.join(backend.BACKENDS)})"),
        Check(
            name,
            _version(report[name]) >= minimum,
            report[name],
            f"install {name}>={_dotted(minimum)}"
            + (" (not tensorflow-cpu)" if name == "tensorflow" else ""),
        ),
        Check(
            "device",
            True,
            report["device"]
            + ("" if "GPU" in report["device"] else "; no GPU needed, full mode takes minutes"),
        ),
    ]
    try:
        checks.append(Check("mode", True, settings.mode()))
    except ValueError as error:
        checks.append(
            Check("mode", False, str(error), f"unset {settings.QUICK_ENV} or set it to 1 or 0")
        )
    checks.append(_memory_check())
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401

        checks.append(Check("jupyter", True, "nbclient and ipykernel installed"))
    except ImportError:
        checks.append(
            Check(
                "jupyter",
                False,
                "nbclient or ipykernel missing",
                'install the lab extra: python -m pip install -e ".[lab]"',
            )
        )
    for name, remotes in [*image_sets.REMOTE_FILES.items(), ("shakespeare", (text.SHAKESPEARE,))]:
        checks.append(Check(f"dataset {name}", True, dataset_status(remotes, cache_dir, online)))
    return checks


def _memory_check() -> Check:
    try:
        import psutil
    except ImportError:
        return Check("memory", True, "unknown (psutil not installed)")
    available = psutil.virtual_memory().available / 2**30
    return Check(
        "memory",
        available >= MIN_MEMORY_GIB,
        f"{available:.1f} GiB available",
        f"close programs: a lesson needs up to {MIN_MEMORY_GIB:g} GiB",
    )


def format_checks(checks: list[Check]) -> str:
    """One line per check, then a verdict with what to do about each problem."""
    lines = [f"{'ok ' if c.ok else 'BAD'}  {c.name:<22} {c.detail}" for c in checks]
    problems = [c for c in checks if not c.ok]
    if problems:
        lines.append(f"\nVerdict: {len(problems)} problem(s) to fix:")
        lines += [f"  - {c.name}: {c.advice}" for c in problems]
    else:
        lines.append("\nVerdict: ready. Open the course with: jupyter lab notebooks/")
    return "\n".join(lines)
