"""CONTRIBUTING.md stays true: every command it gives is run by CI or parsed by the real CLI,
and every module it maps exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from genai_lessons.course import cli

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8") + "".join(
    path.read_text(encoding="utf-8") for path in (ROOT / ".ci").glob("*") if path.name != "run"
)


def guide_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", GUIDE, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_guide_gives_commands():
    assert len(guide_commands()) >= 4


@pytest.mark.parametrize("command", guide_commands())
def test_every_command_is_run_by_ci_or_parsed_by_the_cli(command):
    for part in command.split(" && "):
        words = shlex.split(part)
        if words[0].endswith("genai-lessons"):
            cli.build_parser().parse_args(words[1:])  # a renamed command or flag fails here
        else:
            assert part in CI, f"CI does not run {part!r}"


def test_every_module_in_the_map_exists():
    table = GUIDE.split("## How the package is laid out", 1)[1].split("## ", 1)[0]
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ")]
    modules = {name for row in rows[1:] for name in re.findall(r"`([a-z_]+/[a-z_]+)`", row[2])}
    assert len(modules) >= 10
    for name in modules:
        path = ROOT / "genai_lessons" / f"{name}.py"
        assert path.is_file(), f"CONTRIBUTING.md maps genai_lessons/{name}.py, which is missing"


def test_the_guide_names_every_package_module():
    package = ROOT / "genai_lessons"
    modules = {
        path.relative_to(package).with_suffix("").as_posix()
        for path in package.glob("*/*.py")
        if path.stem != "__init__" and path.parent.name != "exercises"
    }
    missing = {name for name in modules if f"`{name}`" not in GUIDE}
    assert not missing, f"CONTRIBUTING.md does not place {sorted(missing)}"
