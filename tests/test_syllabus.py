"""The course's one list of lessons (`core.syllabus`) agrees with the notebooks folder, the
README's lesson table and the start notebook, and rejects malformed entries."""

import json
import re
from pathlib import Path

import pytest

from genai_lessons.core import syllabus

ROOT = Path(__file__).resolve().parents[1]


def _readme_rows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in readme.splitlines():
        found = re.match(
            r"\|\s*(\d+)\s*\|\s*\[`(\d\d_[a-z0-9_]+\.ipynb)`\]\([^)]*\)\s*\|([^|]*)\|", line
        )
        if found:
            rows.append((int(found[1]), found[2], found[3].strip()))
    return rows


def test_the_list_names_every_notebook_in_order():
    on_disk = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [info.notebook for info in syllabus.LESSONS] == on_disk
    assert [info.number for info in syllabus.LESSONS] == list(range(len(on_disk)))


def test_the_readme_table_has_the_same_lessons_and_topics():
    assert _readme_rows() == [(i.number, i.notebook, i.topic) for i in syllabus.LESSONS]


def test_the_start_notebook_shows_the_list_itself():
    notebook = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    table = [c for c in code if "syllabus.table()" in c]
    assert table, "notebook 00 prints the lesson list from syllabus.table()"
    cell = next(c for c in notebook["cells"] if "syllabus.table()" in "".join(c["source"]))
    shown = "".join("".join(o.get("data", {}).get("text/markdown", "")) for o in cell["outputs"])
    assert shown == syllabus.table()  # the committed output is the list of today
    prose = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "| 1 |" not in prose, "no hand-written lesson table left in the prose"


def test_the_table_has_one_row_per_lesson():
    rows = syllabus.table().splitlines()
    assert len(rows) == 2 + len(syllabus.LESSONS)
    for info, row in zip(syllabus.LESSONS, rows[2:]):
        assert row.startswith(f"| {info.number} | `{info.notebook}` | {info.topic} |")


def test_lookup_by_number():
    assert syllabus.lesson(3).topic == "GANs"
    with pytest.raises(ValueError, match="number"):
        syllabus.lesson(99)
    assert syllabus.numbers() == set(range(len(syllabus.LESSONS)))


@pytest.mark.parametrize(
    "args, error",
    [
        ((1, "02_gans.ipynb", "GANs", "x"), ValueError),  # prefix does not match the number
        ((1, "01_gans.py", "GANs", "x"), ValueError),
        ((-1, "00_x.ipynb", "x", "x"), ValueError),
        ((1.0, "01_x.ipynb", "x", "x"), TypeError),
        ((1, "sub/01_x.ipynb", "x", "x"), ValueError),
    ],
)
def test_malformed_entries_are_rejected_naming_the_argument(args, error):
    with pytest.raises(error, match="number|notebook"):
        syllabus.LessonInfo(*args)
