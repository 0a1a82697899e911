"""Course-level checks: every notebook follows DESIGN.md section 5, and the project's front page,
CI entry point and conda file agree with what is really there."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from genai_lessons.core import settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSONS = [path for path in NOTEBOOKS if not path.name.startswith("00_")]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

# Things that must never appear in committed outputs: local paths and TensorFlow's C++ log lines.
NOISE = re.compile(
    r"(/root/|/home/\w|/tmp/|/work/|/Users/|[A-Z]:\\\\Users|I0000 00:00|E0000 00:00|W0000 00:00"
    r"|oneDNN custom operations|absl::InitializeLog|cpu_feature_guard|cuda_platform|cudart_stub"
    r"|DeprecationWarning|UserWarning|FutureWarning)"
)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell.get("source", ""))


def code_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code" and source(c).strip()]


def output_text(output: dict) -> str:
    parts = [
        output.get("text", ""),
        output.get("data", {}).get("text/plain", ""),
        output.get("evalue", ""),
    ]
    return "".join("".join(p) if isinstance(p, list) else str(p) for p in parts)


def test_there_is_a_start_notebook_and_lessons_named_by_number():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_cell_has_title_and_colab_badge(path):
    first = load(path)["cells"][0]
    assert first["cell_type"] == "markdown"
    text = source(first)
    assert text.startswith("# "), "the first cell starts with the notebook's title"
    badge = f"colab.research.google.com/github/genai-lessons/genai-lessons/blob/main/notebooks/{path.name}"
    assert badge in text, "the Open-in-Colab badge links to this very notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_on_colab_and_calls_setup(path):
    setup = source(code_cells(load(path))[0])
    assert '"google.colab" in sys.modules' in setup
    assert f'"{settings.INSTALL_SOURCE}"' in setup, "install source must be settings.INSTALL_SOURCE"
    assert "settings.setup()" in setup


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_uses_pick(path):
    assert any("settings.pick(" in source(c) for c in code_cells(load(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_in_order_without_errors(path):
    cells = code_cells(load(path))
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, "every code cell is executed (commit the full-mode run)"
    assert counts == list(range(1, len(cells) + 1)), "executed top to bottom in one run"
    errors = [o for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_noise_or_local_paths(path):
    notebook = load(path)
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            match = NOISE.search(output_text(output))
            assert not match, f"cell {index} output holds {match.group(0)!r}"
            assert output.get("name") != "stderr", f"cell {index} writes to stderr"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_in_full_mode(path):
    setup_output = "".join(output_text(o) for o in code_cells(load(path))[0].get("outputs", []))
    assert "mode full" in setup_output, "committed outputs come from a full-mode run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stays_small(path):
    assert path.stat().st_size < 3_000_000


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_exercises_summary_and_reported_results(path):
    notebook = load(path)
    code = "\n".join(source(c) for c in code_cells(notebook))
    assert len(re.findall(r"\bex\w*\.check_\w+\(", code)) >= 2, "at least two checked exercises"
    reported = re.search(rf'results\.record\(\s*"{path.stem}"', code)
    assert reported, "the lesson reports its headline figures"
    headings = [source(c) for c in notebook["cells"] if c["cell_type"] == "markdown"]
    assert any(re.search(r"^#+ .*summary", h, re.I | re.M) for h in headings)


def test_readme_lesson_table_lists_exactly_the_notebooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("|")]
    listed = {name for row in rows for name in re.findall(r"(\d\d_[a-z0-9_]+\.ipynb)", row)}
    assert listed == {p.name for p in NOTEBOOKS}


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in readme.splitlines()
        if "pytest" in line and "venv" in line and not line.lstrip().startswith(("#", "|"))
    ]
    assert commands, "README gives the test command"
    return commands[0]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_test_command() in ci.splitlines()


def test_dependencies_have_lower_bounds_only_and_no_cpu_only_tensorflow():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    for requirement in requirements:
        assert not re.search(r"(<|==|~=|!=)", requirement), requirement
        assert not re.match(r"(tensorflow-cpu|tf[-_]keras)\b", requirement), requirement
    names = {re.split(r"[<>=\[ ]", r)[0] for r in project["dependencies"]}
    assert {"keras", "tensorflow", "numpy", "matplotlib", "scikit-learn"} <= names
    assert project["requires-python"] == ">=3.10"


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    entries = [line[2:].strip() for line in lines if line.startswith("- ")]
    conda_packages = {
        re.split(r"[<>= ]", e)[0] for e in entries if e != "pip:" and not e.startswith("-")
    }
    assert conda_packages == {"python", "pip"}, "only python and pip come from conda"
    assert f"python{project['requires-python']}" in entries
    pip_lines = [e for e in entries if e.startswith("-e ") or e.startswith(".")]
    assert len(pip_lines) == 1
    extras = set(re.search(r"\[([^\]]*)\]", pip_lines[0]).group(1).split(","))
    assert extras == set(project["optional-dependencies"]), "conda installs every extra"


def test_no_local_paths_in_package_or_notebook_sources():
    files = list((ROOT / "genai_lessons").rglob("*.py")) + NOTEBOOKS + [ROOT / "README.md"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join(source(c) for c in load(path)["cells"])
        assert not re.search(r"(/work/|/home/\w|/Users/|/root/)", text), path.name
