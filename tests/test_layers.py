"""The package's folders are its layers, and imports point only downward.

core < datasets < models < measures < course; `exercises` may use every layer but `course`,
and `course` every layer, `exercises` included.
Every import counts, including those inside functions (a late import is still a dependency),
and no two modules may import each other in a loop. The checks read each file's syntax tree,
so they need no import of the package and see exactly what the files say.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import genai_lessons

PACKAGE = Path(genai_lessons.__file__).parent
LAYERS = ("core", "datasets", "models", "measures", "course")
MAY_IMPORT = {layer: set(LAYERS[: rank + 1]) for rank, layer in enumerate(LAYERS)}
MAY_IMPORT["exercises"] = {"core", "datasets", "models", "measures", "exercises"}
MAY_IMPORT["course"] |= {"exercises"}  # the runner sits above everything a notebook uses


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at `root` -> the package's modules it imports."""
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: climb from this module's package
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    # `from genai_lessons.models import gan` imports the module `models.gan`;
                    # `from genai_lessons.models.gan import GAN` the module `models.gan`
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in files else base)
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for every import that leaves the importer's allowed layers."""
    found = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        if layer is None:  # the package's own __init__
            continue
        for target in sorted(targets):
            target_layer = layer_of(target)
            if target_layer is not None and target_layer not in MAY_IMPORT.get(layer, set()):
                found.append(f"{module} -> {target}")
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every loop of imports, found by depth-first search (each loop reported once)."""
    cycles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if target.endswith(".__init__") or target == module.rpartition(".")[0]:
                continue  # a module importing its own package's __init__ is not a loop
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_module_stands_directly_in_the_package():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules outside a layer folder: {loose}"
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == {*LAYERS, "exercises"}


def test_imports_point_only_downward_and_never_loop():
    graph = import_graph(PACKAGE)
    assert len(graph) > 60  # every module was read
    assert "genai_lessons.core.settings" in graph["genai_lessons.course.runner"]
    assert upward_imports(graph) == []
    assert import_cycles(graph) == []


@pytest.fixture()
def package_copy(tmp_path):
    copy = tmp_path / "genai_lessons"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_planted_upward_import_is_found(package_copy):
    validation = package_copy / "core" / "validation.py"
    # a late import inside a function counts as much as one at the top
    validation.write_text(
        validation.read_text() + "\n\ndef late():\n    from genai_lessons.models import gan\n"
    )
    exercise = package_copy / "exercises" / "pixels.py"
    exercise.write_text(exercise.read_text() + "\nfrom genai_lessons.course import plotting\n")
    assert upward_imports(import_graph(package_copy)) == [
        "genai_lessons.core.validation -> genai_lessons.models.gan",
        "genai_lessons.exercises.pixels -> genai_lessons.course.plotting",
    ]


def test_a_planted_loop_is_found(package_copy):
    # metrics already imports array_checks (through core); a loop inside one layer is still a loop
    metrics = package_copy / "measures" / "metrics.py"
    probes = package_copy / "measures" / "probes.py"
    metrics.write_text(metrics.read_text() + "\nfrom genai_lessons.measures import probes\n")
    probes.write_text(probes.read_text() + "\nfrom genai_lessons.measures.metrics import x\n")
    graph = import_graph(package_copy)
    assert upward_imports(graph) == []
    cycles = import_cycles(graph)
    assert len(cycles) == 1
    assert set(cycles[0]) == {"genai_lessons.measures.metrics", "genai_lessons.measures.probes"}


def test_a_relative_import_resolves_to_its_module(package_copy):
    judge = package_copy / "measures" / "judge.py"
    judge.write_text(judge.read_text() + "\nfrom ..course import cli\n")
    assert "genai_lessons.measures.judge -> genai_lessons.course.cli" in upward_imports(
        import_graph(package_copy)
    )
