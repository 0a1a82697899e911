"""The notebooks' setup cell on Colab, run here with Colab and pip faked.

The cell is the same in every notebook (checked), installs `settings.INSTALL_SOURCE`, says that
it is working, explains a failed install in plain words with the command to retry, and stops
with advice to restart when pip upgraded a package the session had already loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from genai_lessons.core import settings

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def setup_cell(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


def colab_part(cell: str) -> str:
    """The cell up to its import of the package: what runs before the package exists."""
    return cell.split("\nfrom genai_lessons", 1)[0]


def test_every_notebook_has_the_same_setup_cell():
    cells = {path.name: setup_cell(path) for path in NOTEBOOKS}
    assert len(set(cells.values())) == 1, sorted(cells)
    assert f'"{settings.INSTALL_SOURCE}"' in next(iter(cells.values()))


@pytest.fixture()
def on_colab(monkeypatch):
    """A fake Colab: the marker module, and pip replaced by a recording stand-in."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    pip = types.SimpleNamespace(returncode=0, stderr="", calls=[])

    def fake_run(command, **kwargs):
        pip.calls.append(command)
        return subprocess.CompletedProcess(command, pip.returncode, "", pip.stderr)

    monkeypatch.setattr(subprocess, "run", fake_run)
    return pip


def run_cell(code: str):
    exec(compile(code, "setup cell", "exec"), {"__name__": "__main__"})


def test_a_successful_install_says_so_and_installs_the_one_source(on_colab, capsys):
    run_cell(colab_part(setup_cell(NOTEBOOKS[0])))
    assert on_colab.calls == [
        [sys.executable, "-m", "pip", "install", "-q", settings.INSTALL_SOURCE]
    ]
    printed = capsys.readouterr().out
    assert "not stuck" in printed  # the learner sees that the install is under way
    assert printed.strip().endswith("Installed.")


def test_a_failed_install_explains_itself_and_names_the_retry(on_colab, capsys):
    on_colab.returncode, on_colab.stderr = 1, "ERROR: Could not resolve host: github.com"
    with pytest.raises(SystemExit) as stop:
        run_cell(colab_part(setup_cell(NOTEBOOKS[0])))
    assert "Could not resolve host" in capsys.readouterr().out  # pip's own words are shown
    message = str(stop.value)
    assert "run this cell again" in message
    assert f'!pip install "{settings.INSTALL_SOURCE}"' in message


def test_an_upgrade_of_a_loaded_package_asks_for_a_restart(on_colab, monkeypatch):
    import importlib.metadata

    import numpy  # noqa: F401  (loaded, as on Colab)

    versions = iter(["2.0.2", "2.1.3"])  # before and after pip
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: next(versions) if name == "numpy" else real_version(name),
    )
    with pytest.raises(SystemExit) as stop:
        run_cell(colab_part(setup_cell(NOTEBOOKS[0])))
    assert "pip upgraded numpy" in str(stop.value)
    assert "Restart session" in str(stop.value)


def test_off_colab_the_cell_installs_nothing(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip ran off Colab"))
    run_cell(colab_part(setup_cell(NOTEBOOKS[0])))
