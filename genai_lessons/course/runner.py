"""Run the course's notebooks headless and measure them: wall time, the kernel's peak memory,
and the headline figures each lesson reports through `genai_lessons.core.results.record`.

Used by the `genai-lessons run` command. Needs the `lab` or `test` extra (nbclient, ipykernel).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from genai_lessons.core import settings
from genai_lessons.core.results import RESULTS_ENV
from genai_lessons.core.timing import TIMING_ENV, training_seconds
from genai_lessons.core.validation import (
    ArgumentTypeError,
    check_bool,
    check_choice,
    check_number,
    describe,
)
from genai_lessons.exercises.saved import PROGRESS_ENV

# Run in the kernel after the last cell: the kernel's own peak resident memory in MiB, or -1
# where it cannot be measured (Windows).
# On Linux, the kernel's own high-water mark VmHWM from /proc/self/status (kibibytes). Not
# `ru_maxrss`: Linux carries that over from the launching process across fork and exec, so a
# kernel started by a 1.5 GB process would report at least 1.5 GB however little it used.
# Elsewhere (macOS, in bytes) `ru_maxrss` is the fallback; there it is the process's own peak.
_MEMORY_PROBE = """
def _genai_lessons_peak_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    try:
        import resource, sys
    except ImportError:
        return -1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)
print(_genai_lessons_peak_mib())
del _genai_lessons_peak_mib
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class NotebookRun:
    """What running one notebook gave."""

    name: str  # file name, e.g. "03_gans.ipynb"
    status: str  # "passed", "failed" or "timeout"
    seconds: float  # wall time from kernel start to the end of the last cell
    cells: int  # code cells executed (up to and including a failing one)
    peak_memory_mib: float | None  # the kernel's peak resident memory, when measurable
    figures: dict[str, float] = field(default_factory=dict)  # from results.record
    training_seconds: float = 0.0  # wall time inside the epochs of every `fit` (steps, validation)
    failed_cell: int | None = None  # index of the failing cell in the notebook
    error: str = ""  # one-line description of the failure

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def training_share(self) -> float:
        """The share of the notebook's time spent inside training epochs (0 to 1)."""
        return min(self.training_seconds / self.seconds, 1.0) if self.seconds > 0 else 0.0


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernel about to start, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _first_line(text: str) -> str:
    lines = [line for line in _ANSI.sub("", text).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _peak_memory(client, notebook) -> float | None:
    import nbformat

    probe = nbformat.v4.new_code_cell(_MEMORY_PROBE)
    notebook.cells.append(probe)
    try:
        client.execute_cell(probe, len(notebook.cells) - 1)
        value = float(probe.outputs[0]["text"].strip())
    except Exception:  # a measurement, never a reason to fail the run
        return None
    finally:
        notebook.cells.pop()
    return value if value >= 0 else None


def run_notebook(
    path: str | Path,
    *,
    quick: bool,
    cell_timeout: float = 900,
    inplace: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> NotebookRun:
    """Execute one notebook top to bottom in a fresh kernel of this Python environment.

    Args:
        path: the .ipynb file.
        quick: run in quick mode (sets GENAI_LESSONS_QUICK for the kernel).
        cell_timeout: seconds one cell may run before the notebook counts as timed out.
        inplace: write the executed notebook back to `path` (only when every cell passed).
        progress: called as `progress(name, cell_number, cell_count)` before each code cell.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = _notebook_path(path)
    check_bool("quick", quick)
    cell_timeout = check_number("cell_timeout", cell_timeout, 0.0, inclusive=False)
    check_bool("inplace", inplace)
    if progress is not None and not callable(progress):
        raise ArgumentTypeError(f"progress must be a function or None, got {describe(progress)}")
    notebook = nbformat.read(path, as_version=4)
    code = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.source.strip()
    ]
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        interrupt_on_timeout=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    run = NotebookRun(path.name, "passed", 0.0, 0, None)
    with (
        tempfile.TemporaryDirectory() as results_dir,
        _environment(
            **{
                settings.QUICK_ENV: "1" if quick else "0",
                RESULTS_ENV: results_dir,
                TIMING_ENV: str(Path(results_dir) / "fit_seconds.txt"),
                # a headless run neither shows nor changes this machine's exercise progress
                PROGRESS_ENV: "off",
            }
        ),
    ):
        start = time.perf_counter()
        # The kernel's own stderr carries only jupyter_client's log lines (e.g. its warning
        # about TCP without encryption); cell output and errors arrive as messages.
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for number, index in enumerate(code, start=1):
                if progress:
                    progress(path.name, number, len(code))
                run.cells = number
                try:
                    client.execute_cell(notebook.cells[index], index)
                except CellTimeoutError:
                    run.status, run.failed_cell = "timeout", index
                    run.error = f"cell {index} ran longer than {cell_timeout:g} s"
                    break
                except (CellExecutionError, DeadKernelError) as error:
                    run.status, run.failed_cell = "failed", index
                    run.error = _first_line(str(error)) or type(error).__name__
                    break
            run.seconds = time.perf_counter() - start
            if run.status != "timeout":  # a timed-out kernel is still busy
                run.peak_memory_mib = _peak_memory(client, notebook)
        run.training_seconds = training_seconds(Path(results_dir) / "fit_seconds.txt")
        report = Path(results_dir) / f"{path.stem}.json"
        if report.exists():
            run.figures = json.loads(report.read_text())["figures"]
    if inplace and run.passed:
        nbformat.write(notebook, path)
    return run


def _notebook_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"path must be a notebook's path (str or Path), got {describe(path)}"
        )
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    return path


def _check_runs(runs) -> list[NotebookRun]:
    if (
        isinstance(runs, (str, bytes))
        or not isinstance(runs, Sequence)
        or not all(isinstance(run, NotebookRun) for run in runs)
    ):
        raise ArgumentTypeError(f"runs must be a list of NotebookRun results, got {describe(runs)}")
    return list(runs)


def select_notebooks(folder: str | Path, lessons: Sequence[str] = ()) -> list[Path]:
    """The notebooks in `folder`, in course order; `lessons` picks some by number or name.

    A lesson may be given as "3", "03", "gans" or "03_gans.ipynb".

    Raises:
        ValueError: if the folder holds no notebook, or a lesson matches none.
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise ArgumentTypeError(f"folder must be a path (str or Path), got {describe(folder)}")
    if (
        isinstance(lessons, (str, bytes))
        or not isinstance(lessons, Sequence)
        or not all(isinstance(lesson, str) for lesson in lessons)
    ):
        raise ArgumentTypeError(
            f"lessons must be a list of lesson numbers or names as strings, "
            f"e.g. ['3', 'gans'], got {describe(lessons)}"
        )
    notebooks = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ValueError(f"no notebooks found in {folder!s}; run from the course's root folder")
    if not lessons:
        return notebooks
    chosen = []
    for lesson in lessons:
        key = lesson.removesuffix(".ipynb").lower()
        matches = [
            p
            for p in notebooks
            if (key.isdigit() and int(key) == int(p.name[:2]))
            or (not key.isdigit() and key in p.stem)
        ]
        if not matches:
            names = ", ".join(p.stem for p in notebooks)
            raise ValueError(f"lessons: {lesson!r} matches no notebook; choose from {names}")
        chosen.extend(m for m in matches if m not in chosen)
    return sorted(chosen)


def markdown_table(runs: Sequence[NotebookRun], mode: str) -> str:
    """A Markdown table of the runs: status, time, peak memory and figures per notebook."""
    runs = _check_runs(runs)
    check_choice("mode", mode, ("quick", "full"))
    lines = [
        f"Mode: {mode}. Machine: {os.cpu_count()} CPU cores, {settings.format_report(_short_report())}.",
        "",
        "| Notebook | Status | Time | Training | Peak memory | Figures |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        memory = f"{run.peak_memory_mib:.0f} MiB" if run.peak_memory_mib else "n/a"
        figures = ", ".join(f"{name} {value:.4g}" for name, value in run.figures.items()) or "-"
        status = (
            run.status if run.passed else f"{run.status} at cell {run.failed_cell}: {run.error}"
        )
        training = f"{run.training_seconds:.0f} s ({run.training_share:.0%})"
        lines.append(
            f"| {run.name} | {status} | {run.seconds:.0f} s | {training} | {memory} | {figures} |"
        )
    return "\n".join(lines) + "\n"


def _short_report() -> dict[str, str]:
    report = settings.environment_report()
    return {key: report[key] for key in ("python", "keras", "backend", report["backend"], "device")}


def write_results(runs: Sequence[NotebookRun], folder: str | Path, mode: str) -> tuple[Path, Path]:
    """Write `results.json` and `results.md` into `folder`; return their paths."""
    runs = _check_runs(runs)
    check_choice("mode", mode, ("quick", "full"))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "results.json", folder / "results.md"
    payload = {
        "mode": mode,
        "python": sys.version.split()[0],
        "environment": _short_report(),
        "notebooks": [{**asdict(run), "training_share": run.training_share} for run in runs],
    }
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path.write_text(markdown_table(runs, mode))
    return json_path, md_path
